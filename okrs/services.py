"""Every write to cycles, objectives, key results and check-ins.

Services validate (`full_clean`), write atomically and enqueue the roll-up after the
transaction commits. A change of value (a check-in, a key result's target or weight)
rolls up one branch; a change of structure (an objective moved or deleted, a cycle's
dates) recomputes the whole cycle, which is set-based and cheap.
"""

from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from okrs import progress as math
from okrs import tasks
from okrs.models import (
    METRIC_DIGITS,
    CheckIn,
    Cycle,
    CycleState,
    KeyResult,
    Measure,
    Objective,
    ProgressSnapshot,
    SnapshotScope,
)
from okrs.rollup import recompute_cycle

CYCLE_FIELDS = {"name", "starts_on", "ends_on", "state"}
OBJECTIVE_FIELDS = {
    "title",
    "description",
    "owner",
    "kind",
    "weight",
    "rollup_children",
    "parent",
    "position",
}
KEY_RESULT_FIELDS = {
    "title",
    "description",
    "owner",
    "measure",
    "unit",
    "start_value",
    "target_value",
    "weight",
    "position",
}
# Fields whose change alters a number somewhere up the tree.
OBJECTIVE_ROLLUP_FIELDS = {"weight", "rollup_children"}
KEY_RESULT_ROLLUP_FIELDS = {"measure", "start_value", "target_value", "weight"}


def _apply(instance, fields: dict, allowed: set[str]) -> set[str]:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Cannot update {', '.join(sorted(unknown))} here.")
    changed = {name for name, value in fields.items() if getattr(instance, name) != value}
    for name, value in fields.items():
        setattr(instance, name, value)
    return changed


class StaleEditError(ValidationError):
    """The row changed since the editor opened it: their save would overwrite someone.

    Views show the message at the top of the form (HTTP 409), the API answers 409
    with code ``conflict``. `current_version` is the row's version now.
    """

    def __init__(self, message: str, *, current_version: int):
        super().__init__(message, code="conflict")
        self.current_version = current_version


def stale_edit_message(noun: str, *, changed_at=None, changed_by=None) -> str:
    who = f"by {changed_by}" if changed_by else ""
    when = (
        f"at {date_format(timezone.localtime(changed_at), 'DATETIME_FORMAT')}" if changed_at else ""
    )
    detail = ", ".join(part for part in (who, when) if part)
    return (
        f"Someone else changed this {noun} since you opened it"
        f"{f' ({detail})' if detail else ''}. "
        "Reload to see their changes, then make yours again."
    )


def refuse_stale(instance, expected_version: int | None, noun: str, *, changed_by=None) -> None:
    """Raise `StaleEditError` when `instance` (read under `select_for_update`) is not at
    `expected_version`; otherwise bump its version in Python (saved by the caller)."""
    if expected_version is not None and int(expected_version) != instance.version:
        raise StaleEditError(
            stale_edit_message(
                noun,
                changed_at=getattr(instance, "updated_at", None),
                changed_by=changed_by,
            ),
            current_version=instance.version,
        )
    instance.version += 1


def _refuse_if_closed(cycle: Cycle) -> None:
    if cycle.is_closed:
        raise ValidationError(f"{cycle.name} is closed: its scores are final and cannot change.")


# Cycles -------------------------------------------------------------------------


@transaction.atomic
def cycle_create(*, portfolio, name, starts_on, ends_on, state=CycleState.PLANNING) -> Cycle:
    if state == CycleState.CLOSED:
        raise ValidationError({"state": "A new cycle cannot start closed."})
    cycle = Cycle(portfolio=portfolio, name=name, starts_on=starts_on, ends_on=ends_on, state=state)
    cycle.full_clean()
    cycle.save()
    return cycle


@transaction.atomic
def cycle_update(*, cycle: Cycle, **fields) -> Cycle:
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if fields.get("state") == CycleState.CLOSED:
        raise ValidationError({"state": "Close a cycle with “Close cycle”, which freezes scores."})
    if cycle.is_closed:
        raise ValidationError("A closed cycle cannot be edited.")
    changed = _apply(cycle, fields, CYCLE_FIELDS)
    cycle.full_clean()
    cycle.save()
    if changed & {"starts_on", "ends_on"}:
        tasks.enqueue_after_commit(tasks.recompute_cycle, cycle.pk)
    return cycle


@transaction.atomic
def cycle_close(*, cycle: Cycle) -> Cycle:
    """Freeze every objective's and key result's final score (progress to 0.1)."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _refuse_if_closed(cycle)
    recompute_cycle(cycle.pk)
    key_results = list(KeyResult.objects.filter(objective__cycle=cycle).only("progress"))
    for key_result in key_results:
        key_result.final_score = math.final_score(key_result.progress)
    KeyResult.objects.bulk_update(key_results, ["final_score"], batch_size=500)
    objectives = list(Objective.objects.filter(cycle=cycle).only("progress"))
    for objective in objectives:
        objective.final_score = math.final_score(objective.progress)
    Objective.objects.bulk_update(objectives, ["final_score"], batch_size=500)
    cycle.state = CycleState.CLOSED
    cycle.save(update_fields=["state", "updated_at"])
    return cycle


# Objectives ---------------------------------------------------------------------


def _validate_parent(objective: Objective, parent: Objective | None) -> None:
    if parent is None:
        return
    if parent.cycle_id != objective.cycle_id:
        raise ValidationError({"parent": "The parent objective must be in the same cycle."})
    if objective.product_id is None and parent.product_id is not None:
        raise ValidationError(
            {"parent": "A portfolio objective can only cascade from another portfolio objective."}
        )
    if objective.pk is None:
        return
    ancestors = dict(
        Objective.objects.filter(cycle_id=objective.cycle_id).values_list("id", "parent_id")
    )
    chain, current = [parent.pk], ancestors.get(parent.pk)
    while current is not None and current not in chain:
        chain.append(current)
        current = ancestors.get(current)
    if objective.pk in chain:
        raise ValidationError(
            {"parent": "An objective cannot cascade from itself or from one of its own children."}
        )


def _set_subtree_depths(objective: Objective) -> None:
    """After a move, the objective and its descendants take their new depths, one
    statement per level."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Objective.objects.filter(cycle_id=objective.cycle_id).values_list(
        "id", "parent_id"
    ):
        children.setdefault(parent_id, []).append(pk)
    level, depth = [objective.pk], objective.depth
    while level:
        Objective.objects.filter(pk__in=level).update(depth=depth)
        level = [child for pk in level for child in children.get(pk, [])]
        depth += 1


@transaction.atomic
def objective_create(
    *,
    cycle: Cycle,
    title: str,
    owner=None,
    product=None,
    parent: Objective | None = None,
    description: str = "",
    kind: str = "committed",
    weight: Decimal = Decimal(1),
    rollup_children: bool = True,
) -> Objective:
    _refuse_if_closed(cycle)
    if product is not None and product.portfolio_id != cycle.portfolio_id:
        raise ValidationError({"product": "This product belongs to another portfolio."})
    objective = Objective(
        cycle=cycle,
        title=title,
        owner=owner,
        product=product,
        parent=parent,
        description=description,
        kind=kind,
        weight=weight,
        rollup_children=rollup_children,
        depth=parent.depth + 1 if parent else 0,
        position=Objective.objects.filter(cycle=cycle, parent=parent).count(),
    )
    _validate_parent(objective, parent)
    objective.full_clean()
    objective.save()
    tasks.enqueue_after_commit(tasks.rollup_from_objective, objective.pk)
    return objective


@transaction.atomic
def objective_update(
    *, objective: Objective, expected_version: int | None = None, **fields
) -> Objective:
    """Edit an objective; with `expected_version`, refuse (`StaleEditError`) when someone
    else saved it since that version was read."""
    objective = Objective.objects.select_for_update().select_related("cycle").get(pk=objective.pk)
    refuse_stale(objective, expected_version, "objective")
    _refuse_if_closed(objective.cycle)
    changed = _apply(objective, fields, OBJECTIVE_FIELDS)
    if "parent" in changed:
        _validate_parent(objective, objective.parent)
        objective.depth = objective.parent.depth + 1 if objective.parent else 0
    objective.full_clean()
    objective.save()
    if "parent" in changed:
        _set_subtree_depths(objective)
        tasks.enqueue_after_commit(tasks.recompute_cycle, objective.cycle_id)
    elif changed & OBJECTIVE_ROLLUP_FIELDS:
        tasks.enqueue_after_commit(tasks.rollup_from_objective, objective.pk)
    return objective


@transaction.atomic
def objective_delete(*, objective: Objective) -> None:
    """Delete an objective and its key results; refuse while it has child objectives."""
    objective = Objective.objects.select_related("cycle").get(pk=objective.pk)
    _refuse_if_closed(objective.cycle)
    children = objective.children.count()
    if children:
        raise ValidationError(
            f"“{objective.title}” has {children} cascading objective"
            f"{'s' if children > 1 else ''}: move or delete them first."
        )
    key_result_ids = list(objective.key_results.values_list("id", flat=True))
    ProgressSnapshot.objects.filter(
        cycle=objective.cycle, scope=SnapshotScope.KEY_RESULT, scope_id__in=key_result_ids
    ).delete()
    ProgressSnapshot.objects.filter(
        cycle=objective.cycle, scope=SnapshotScope.OBJECTIVE, scope_id=objective.pk
    ).delete()
    cycle_id = objective.cycle_id
    objective.delete()
    tasks.enqueue_after_commit(tasks.recompute_cycle, cycle_id)


# Key results --------------------------------------------------------------------


@transaction.atomic
def key_result_create(
    *,
    objective: Objective,
    title: str,
    target_value: Decimal,
    measure: str = Measure.INCREASE,
    start_value: Decimal = Decimal(0),
    unit: str = "",
    owner=None,
    weight: Decimal = Decimal(1),
    description: str = "",
) -> KeyResult:
    _refuse_if_closed(objective.cycle)
    if measure == Measure.MILESTONE:
        start_value, target_value = Decimal(0), Decimal(1)
    start_value = clean_metric_value(start_value, field="start_value")
    target_value = clean_metric_value(target_value, field="target_value")
    key_result = KeyResult(
        objective=objective,
        title=title,
        measure=measure,
        start_value=start_value,
        target_value=target_value,
        current_value=start_value,
        unit=unit,
        owner=owner,
        weight=weight,
        description=description,
        position=objective.key_results.count(),
    )
    key_result.full_clean()
    key_result.save()
    tasks.enqueue_after_commit(tasks.rollup_from_key_result, key_result.pk)
    return key_result


@transaction.atomic
def key_result_update(
    *, key_result: KeyResult, expected_version: int | None = None, **fields
) -> KeyResult:
    """Edit a key result's definition; with `expected_version`, refuse (`StaleEditError`)
    when someone else saved it since. Check-ins do not change the version."""
    key_result = (
        KeyResult.objects.select_for_update()
        .select_related("objective__cycle")
        .get(pk=key_result.pk)
    )
    refuse_stale(key_result, expected_version, "key result")
    _refuse_if_closed(key_result.objective.cycle)
    for name in ("start_value", "target_value"):
        if name in fields:
            fields[name] = clean_metric_value(fields[name], field=name)
    changed = _apply(key_result, fields, KEY_RESULT_FIELDS)
    if key_result.measure == Measure.MILESTONE:
        key_result.start_value, key_result.target_value = Decimal(0), Decimal(1)
        if "measure" in changed:
            key_result.current_value = Decimal(1) if key_result.current_value >= 1 else Decimal(0)
    key_result.full_clean()
    key_result.save()
    if changed & KEY_RESULT_ROLLUP_FIELDS:
        tasks.enqueue_after_commit(tasks.rollup_from_key_result, key_result.pk)
    return key_result


@transaction.atomic
def key_result_delete(*, key_result: KeyResult) -> None:
    key_result = KeyResult.objects.select_related("objective__cycle").get(pk=key_result.pk)
    _refuse_if_closed(key_result.objective.cycle)
    ProgressSnapshot.objects.filter(
        cycle=key_result.objective.cycle,
        scope=SnapshotScope.KEY_RESULT,
        scope_id=key_result.pk,
    ).delete()
    objective_id = key_result.objective_id
    key_result.delete()
    tasks.enqueue_after_commit(tasks.rollup_from_objective, objective_id)


# Check-ins ----------------------------------------------------------------------


LARGEST_VALUE = Decimal(10) ** (METRIC_DIGITS["max_digits"] - METRIC_DIGITS["decimal_places"])
VALUE_PLACES = Decimal(1).scaleb(-METRIC_DIGITS["decimal_places"])


def clean_metric_value(value, *, field: str = "value") -> Decimal:
    """A finite number of sensible size, rounded to the stored 4 decimal places."""
    if isinstance(value, bool):
        raise ValidationError({field: "Enter a number, such as 42 or 3.5."})
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter a number, such as 42 or 3.5."}) from None
    if not number.is_finite():
        raise ValidationError({field: "Enter a finite number (not NaN or infinity)."})
    if abs(number) >= LARGEST_VALUE:
        raise ValidationError(
            {field: f"That number is too large: keep it below {LARGEST_VALUE:,}."}
        )
    return number.quantize(VALUE_PLACES)


def _cycle_start(cycle: Cycle) -> datetime:
    return timezone.make_aware(datetime.combine(cycle.starts_on, time.min))


@transaction.atomic
def check_in_create(
    *,
    key_result: KeyResult,
    author,
    value,
    confidence: int | None = None,
    note: str = "",
    checked_in_at: datetime | None = None,
) -> CheckIn:
    """Append a check-in; the key result takes its value when it is the newest.

    The key result row is locked, so concurrent check-ins serialise and the newest
    one wins whatever order they commit in. The roll-up is enqueued after commit; if
    the broker is down the check-in is still saved and beat heals the numbers.
    """
    key_result = (
        KeyResult.objects.select_for_update()
        .select_related("objective__cycle")
        .get(pk=key_result.pk)
    )
    cycle = key_result.objective.cycle
    _refuse_if_closed(cycle)
    now = timezone.now()
    checked_in_at = checked_in_at or now
    if checked_in_at > now:
        raise ValidationError({"checked_in_at": "A check-in cannot be dated in the future."})
    if checked_in_at < _cycle_start(cycle):
        raise ValidationError(
            {"checked_in_at": f"A check-in cannot be dated before {cycle.name} starts."}
        )
    value = clean_metric_value(value)
    if key_result.measure == Measure.MILESTONE and value not in (0, 1):
        raise ValidationError({"value": "A milestone is either done (1) or not done (0)."})
    check_in = CheckIn(
        key_result=key_result,
        author=author,
        value=value,
        confidence=confidence,
        note=note,
        checked_in_at=checked_in_at,
    )
    check_in.full_clean()
    check_in.save()

    if key_result.last_checked_in_at is None or checked_in_at >= key_result.last_checked_in_at:
        key_result.current_value = value
        key_result.confidence = confidence
        key_result.last_checked_in_at = checked_in_at
        key_result.save(
            update_fields=["current_value", "confidence", "last_checked_in_at", "updated_at"]
        )
    tasks.enqueue_after_commit(tasks.rollup_from_key_result, key_result.pk)
    return check_in


MAX_BULK_CHECK_INS = 500


class CheckInBatchError(ValidationError):
    """Some entries of a bulk check-in are invalid; `item_errors` maps each one's index
    to `{field: [message, …]}`. Nothing was saved."""

    def __init__(self, item_errors: dict[int, dict[str, list[str]]]):
        super().__init__(f"{len(item_errors)} check-in(s) are invalid: nothing was saved.")
        self.item_errors = item_errors


def _message_dict(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


@transaction.atomic
def check_in_create_bulk(*, author, entries: list[dict]) -> list[CheckIn]:
    """Append many check-ins at once, all or none (a nightly metrics push).

    Each entry holds `check_in_create`'s arguments (`key_result`, `value`, optional
    `confidence`, `note`, `checked_in_at`). Every entry is validated, so the caller
    hears about all bad ones together; then one roll-up per touched key result is
    enqueued after commit, instead of one per check-in.
    """
    if len(entries) > MAX_BULK_CHECK_INS:
        raise ValidationError(f"Send at most {MAX_BULK_CHECK_INS} check-ins at once.")
    created: list[CheckIn] = []
    errors: dict[int, dict[str, list[str]]] = {}
    with tasks.rollups_deferred():
        for index, entry in enumerate(entries):
            try:
                with transaction.atomic():
                    created.append(check_in_create(author=author, **entry))
            except ValidationError as error:
                errors[index] = _message_dict(error)
    if errors:
        raise CheckInBatchError(errors)
    for key_result_id in dict.fromkeys(check_in.key_result_id for check_in in created):
        tasks.enqueue_after_commit(tasks.rollup_from_key_result, key_result_id)
    return created
