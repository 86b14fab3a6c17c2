"""“My work” (/me/): the key results a person should check in, most urgent first, and
their open roadmap items. Reads stored progress only; nothing is recomputed here.

The page renders what the week's round needs: the check-in forms of the key results
that are due (the most urgent `OPEN_FORMS`), a "Check in" button that loads the form
of any other (`?check_in=<pk>`), and the first `ITEMS_STEP` roadmap items with a
"Show more" (`?items=50`).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Window
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
OPEN_FORMS = 10  # check-in forms rendered open; the other key results load theirs
ITEMS_STEP = 25  # roadmap items shown at first, and added by each "Show more"


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

    def is_due(self, week_ago: datetime) -> bool:
        last = self.key_result.last_checked_in_at
        return self.can_check_in and (last is None or last < week_ago)


@dataclass
class ObjectiveGroup:
    objective: Objective
    status: Status
    expected: float
    rows: list[KeyResultRow] = field(default_factory=list)


def check_in_form(key_result, *, focus: bool = False) -> CheckInForm:
    form = CheckInForm(key_result=key_result)
    if focus:  # opened on request: htmx moves the focus to its first field
        form.fields["value"].widget.attrs["autofocus"] = True
    return form


def key_result_row(
    user, key_result, values, form=None, *, expected=None, open_form=True
) -> KeyResultRow:
    """One key result's row; with its check-in form when `open_form` (or `form` given)."""
    if expected is None:
        expected = expected_progress(key_result.objective.cycle)
    allowed = can_check_in(user, key_result)
    if form is None and allowed and open_form:
        form = check_in_form(key_result)
    return KeyResultRow(
        key_result=key_result,
        status=status_of(key_result.progress, expected, key_result.confidence),
        expected=expected,
        sparkline=sparkline(values),
        can_check_in=allowed,
        form=form,
    )


def objective_group(objective: Objective, expected=None) -> ObjectiveGroup:
    if expected is None:
        expected = expected_progress(objective.cycle)
    return ObjectiveGroup(
        objective=objective,
        status=status_of(objective.progress, expected),
        expected=expected,
    )


def item_rows(user, start: int, stop: int) -> dict:
    """My open roadmap items `start` to `stop` (in the page's order), with how many there
    are. One query: the count is a window over the same rows."""
    items = list(my_roadmap_items(user).annotate(total=Window(Count("id")))[start:stop])
    form = ItemQuickUpdateForm()  # unbound: only its choices are read, so one serves all rows
    total = items[0].total if items else 0
    return {
        "item_rows": [
            {"item": item, "can_edit": can_edit_item(user, item), "form": form} for item in items
        ],
        "item_count": total,
        "items_shown": min(stop, total),
        "items_more": min(ITEMS_STEP, max(total - stop, 0)),
        "items_next": stop + ITEMS_STEP,
    }


def my_work_context(user, *, items: int = ITEMS_STEP, open_key_result: int | None = None) -> dict:
    """The page. Forms are open for the `OPEN_FORMS` most urgent key results due this
    week, and for `open_key_result` (the one whose "Check in" was followed)."""
    key_results = list(key_results_to_check_in(user))
    values = check_in_values(kr.pk for kr in key_results)
    expected: dict[int, float] = {}
    groups: dict[int, ObjectiveGroup] = {}
    for key_result in key_results:
        objective = key_result.objective
        if objective.cycle_id not in expected:
            expected[objective.cycle_id] = expected_progress(objective.cycle)
        row = key_result_row(
            user,
            key_result,
            values.get(key_result.pk, []),
            expected=expected[objective.cycle_id],
            open_form=False,
        )
        if objective.pk not in groups:
            groups[objective.pk] = objective_group(objective, expected[objective.cycle_id])
        groups[objective.pk].rows.append(row)
    for group in groups.values():
        group.rows.sort(key=lambda row: row.urgency)
    ordered = sorted(groups.values(), key=lambda group: group.rows[0].urgency)

    week_ago = timezone.now() - timedelta(days=WEEK_DAYS)
    due = [row for group in ordered for row in group.rows if row.is_due(week_ago)]
    for row in due[:OPEN_FORMS]:
        row.form = check_in_form(row.key_result)
    for group in ordered:
        for row in group.rows:
            if row.key_result.pk == open_key_result and row.can_check_in and row.form is None:
                row.form = check_in_form(row.key_result, focus=True)
    return {
        "groups": ordered,
        **item_rows(user, 0, items),
        "check_in_count": len(due),
        "key_result_count": len(key_results),
    }
