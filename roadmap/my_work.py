"""“My work” (/me/): the key results a person should check in, most urgent first, and
their open roadmap items. Reads stored progress only; nothing is recomputed here."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from okrs.charts import sparkline
from okrs.models import KeyResult, Objective
from okrs.numbers import metric
from okrs.permissions import can_check_in
from okrs.progress import Status
from okrs.status import expected_progress, status_of
from roadmap.forms import CheckInForm, ItemQuickUpdateForm
from roadmap.permissions import can_edit_item
from roadmap.selectors import check_in_values, key_results_to_check_in, my_roadmap_items

NEVER = date.min
WEEK_DAYS = 6  # a weekly rhythm with a day of slack


number = metric


@dataclass
class KeyResultRow:
    key_result: KeyResult
    status: Status
    expected: float
    sparkline: str
    can_check_in: bool
    form: CheckInForm | None

    @property
    def current(self) -> str:
        return number(self.key_result.current_value)

    @property
    def target(self) -> str:
        return number(self.key_result.target_value)

    @property
    def urgency(self) -> tuple:
        """Never checked in first, then the oldest check-in, then the worst status."""
        last = self.key_result.last_checked_in_at
        return (last is not None, last.date() if last else NEVER, self.status.rank)


@dataclass
class ObjectiveGroup:
    objective: Objective
    status: Status
    expected: float
    rows: list[KeyResultRow] = field(default_factory=list)


def key_result_row(user, key_result, values, form=None) -> KeyResultRow:
    cycle = key_result.objective.cycle
    expected = expected_progress(cycle)
    allowed = can_check_in(user, key_result)
    if form is None and allowed:
        form = CheckInForm(key_result=key_result)
    return KeyResultRow(
        key_result=key_result,
        status=status_of(key_result.progress, expected, key_result.confidence),
        expected=expected,
        sparkline=sparkline(values),
        can_check_in=allowed,
        form=form,
    )


def objective_group(objective: Objective) -> ObjectiveGroup:
    expected = expected_progress(objective.cycle)
    return ObjectiveGroup(
        objective=objective,
        status=status_of(objective.progress, expected),
        expected=expected,
    )


def my_work_context(user) -> dict:
    key_results = list(key_results_to_check_in(user))
    values = check_in_values(kr.pk for kr in key_results)
    groups: dict[int, ObjectiveGroup] = {}
    for key_result in key_results:
        row = key_result_row(user, key_result, values.get(key_result.pk, []))
        objective = key_result.objective
        if objective.pk not in groups:
            groups[objective.pk] = objective_group(objective)
        groups[objective.pk].rows.append(row)
    for group in groups.values():
        group.rows.sort(key=lambda row: row.urgency)
    ordered = sorted(groups.values(), key=lambda group: group.rows[0].urgency)
    items = list(my_roadmap_items(user))
    item_rows = [
        {"item": item, "can_edit": can_edit_item(user, item), "form": ItemQuickUpdateForm()}
        for item in items
    ]
    week_ago = timezone.now() - timedelta(days=WEEK_DAYS)
    due = sum(
        1
        for group in ordered
        for row in group.rows
        if row.can_check_in
        and (
            row.key_result.last_checked_in_at is None
            or row.key_result.last_checked_in_at < week_ago
        )
    )
    return {
        "groups": ordered,
        "item_rows": item_rows,
        "check_in_count": due,
        "key_result_count": len(key_results),
    }
