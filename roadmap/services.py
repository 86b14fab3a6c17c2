"""Every write to the roadmap goes through here (STYLE.md: services).

Each service validates before it writes and raises `ValidationError` with a message a
person can act on; on bad input nothing changes in the database.
"""

import datetime
from collections import deque

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max
from django.utils import timezone

from okrs.models import KeyResult
from okrs.services import StaleEditError, stale_edit_message
from portfolio.models import Membership, Portfolio, Product
from roadmap import sharing
from roadmap.models import (
    Alignment,
    Dependency,
    Horizon,
    ItemStatus,
    RoadmapItem,
    RoadmapItemChange,
    ShareLink,
)
from teams.models import User

ITEM_FIELDS = frozenset(
    {"title", "description", "owner", "status", "horizon", "starts_on", "ends_on", "effort"}
)
ALREADY_ALIGNED = "This item is already aligned to this key result."
ARROW = " → "


def _full_clean(
    instance: models.Model, errors: dict | None = None, *, exclude: list[str] | None = None
) -> None:
    """`full_clean()`, reporting its errors together with any found beforehand."""
    errors = dict(errors or {})
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _clean_item(item: RoadmapItem) -> None:
    errors = {}
    if item.starts_on and item.ends_on and item.ends_on < item.starts_on:
        errors["ends_on"] = "An item cannot end before it starts."
    if (
        item.owner_id is not None
        and not Membership.objects.filter(
            portfolio_id=item.product.portfolio_id, user_id=item.owner_id
        ).exists()
    ):
        errors["owner"] = f"{item.owner} is not a member of this portfolio."
    # The date constraint is already reported on `ends_on`; do not repeat it unfielded.
    _full_clean(item, errors, exclude=["ends_on"] if "ends_on" in errors else None)


def _refuse_archived_product(product: Product) -> None:
    if product.is_archived:
        raise ValidationError(
            f"{product} is archived: restore the product before changing its roadmap."
        )


def _refuse_bad_position(position) -> None:
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise ValidationError({"position": "The position is a whole number from 0."})


def _column(product_id: int, horizon: str) -> models.QuerySet[RoadmapItem]:
    """The cards of one board column: a product's items in a horizon, not archived."""
    return RoadmapItem.objects.filter(product_id=product_id, horizon=horizon, is_archived=False)


def _end_of_column(product_id: int, horizon: str) -> int:
    last = _column(product_id, horizon).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _place(item: RoadmapItem, horizon: str, position: int) -> None:
    """Put the saved item at index `position` of its product's `horizon` column.

    Two queries whatever the column's size: the column is read (and locked) once and
    its positions are rewritten 0..n-1 in one bulk update.
    """
    column = list(
        _column(item.product_id, horizon)
        .exclude(pk=item.pk)
        .select_for_update()
        .only("id", "horizon", "position")
        .order_by("position", "id")
    )
    column.insert(min(position, len(column)), item)
    item.horizon = horizon
    changed = []
    for index, card in enumerate(column):
        if card is item or card.position != index:
            card.position = index
            changed.append(card)
    RoadmapItem.objects.bulk_update(changed, ["horizon", "position"])


# Roadmap items -----------------------------------------------------------------------


@transaction.atomic
def roadmap_item_create(
    *,
    product: Product,
    title: str,
    owner: User | None = None,
    description: str = "",
    status: str = ItemStatus.PLANNED,
    horizon: str = Horizon.NEXT,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    effort: int | None = None,
    position: int | None = None,
) -> RoadmapItem:
    """A card on the product's board: at the end of its column, or at index `position`."""
    _refuse_archived_product(product)
    if position is not None:
        _refuse_bad_position(position)
    item = RoadmapItem(
        product=product,
        title=title,
        owner=owner,
        description=description,
        status=status,
        horizon=horizon,
        starts_on=starts_on,
        ends_on=ends_on,
        effort=effort,
        position=_end_of_column(product.pk, horizon),
    )
    _clean_item(item)
    item.save()
    if position is not None:
        _place(item, horizon, position)
    return item


def _record_changes(item: RoadmapItem, before: dict, actor: User | None) -> None:
    """Remember status and horizon changes for the activity feed and the digest."""
    RoadmapItemChange.objects.bulk_create(
        RoadmapItemChange(
            item=item, actor=actor, field=field, before=value, after=getattr(item, field)
        )
        for field, value in before.items()
        if getattr(item, field) != value
    )


def _refuse_stale_item(item: RoadmapItem, expected_version: int | None) -> int:
    """Lock the row; raise `StaleEditError` when it is no longer at `expected_version`.

    Returns the row's current version. The author of the last change is named when the
    latest status/horizon change was the last save (the only edits we keep a log of).
    """
    version, updated_at = (
        RoadmapItem.objects.select_for_update()
        .filter(pk=item.pk)
        .values_list("version", "updated_at")
        .get()
    )
    if expected_version is None or int(expected_version) == version:
        return version
    last = item.changes.select_related("actor").order_by("-changed_at", "-id").first()
    changed_by = None
    if last and last.actor and abs((updated_at - last.changed_at).total_seconds()) < 2:
        changed_by = last.actor.name
    raise StaleEditError(
        stale_edit_message("roadmap item", changed_at=updated_at, changed_by=changed_by),
        current_version=version,
    )


@transaction.atomic
def roadmap_item_update(
    *,
    item: RoadmapItem,
    actor: User | None = None,
    expected_version: int | None = None,
    **fields,
) -> RoadmapItem:
    """Change any of the item's details; a new horizon puts it at the end of that column.

    With `expected_version` (the version the editor opened), refuse with `StaleEditError`
    when someone else saved the item since; every successful update bumps `version`.
    """
    unknown = set(fields) - ITEM_FIELDS
    if unknown:
        raise TypeError(
            f"roadmap_item_update() got unexpected fields: {', '.join(sorted(unknown))}"
        )
    current_version = _refuse_stale_item(item, expected_version)
    _refuse_archived_product(item.product)
    before = {"status": item.status, "horizon": item.horizon}
    changes_horizon = "horizon" in fields and fields["horizon"] != item.horizon
    for name, value in fields.items():
        setattr(item, name, value)
    try:
        if changes_horizon:
            item.position = _end_of_column(item.product_id, item.horizon)
        _clean_item(item)
    except ValidationError:
        item.refresh_from_db(fields=[*fields, "position"])
        raise
    item.version = current_version + 1
    item.save()
    _record_changes(item, before, actor)
    return item


@transaction.atomic
def roadmap_item_move(
    *, item: RoadmapItem, horizon: str, position: int, actor: User | None = None
) -> RoadmapItem:
    """Move the card to index `position` of the `horizon` column of its product's board."""
    if horizon not in Horizon.values:
        raise ValidationError({"horizon": f"“{horizon}” is not a horizon: use now, next or later."})
    _refuse_bad_position(position)
    _refuse_archived_product(item.product)
    if item.is_archived:
        raise ValidationError("This item is archived: restore it before moving it on the board.")
    before = {"horizon": item.horizon}
    _place(item, horizon, position)
    _record_changes(item, before, actor)
    return item


@transaction.atomic
def roadmap_item_archive(*, item: RoadmapItem) -> RoadmapItem:
    """Take the card off the board; its alignments and dependencies stay."""
    item.is_archived = True
    item.save(update_fields=["is_archived", "updated_at"])
    return item


@transaction.atomic
def roadmap_item_unarchive(*, item: RoadmapItem) -> RoadmapItem:
    """Put the card back, at the end of its column."""
    if not item.is_archived:
        return item
    item.position = _end_of_column(item.product_id, item.horizon)
    item.is_archived = False
    item.save(update_fields=["is_archived", "position", "updated_at"])
    return item


# Alignments --------------------------------------------------------------------------


@transaction.atomic
def alignment_create(
    *, item: RoadmapItem, key_result: KeyResult, created_by: User | None = None, note: str = ""
) -> Alignment:
    """Record that the item should move the key result (the note says how)."""
    if item.product.portfolio_id != key_result.objective.cycle.portfolio_id:
        raise ValidationError(
            {
                "key_result": "This key result belongs to another portfolio: an item can only "
                "serve the key results of its own portfolio."
            }
        )
    alignment = Alignment(item=item, key_result=key_result, created_by=created_by, note=note)
    _full_clean(alignment)
    try:
        with transaction.atomic():
            alignment.save()
    except IntegrityError as error:  # the same pair saved concurrently
        raise ValidationError(ALREADY_ALIGNED) from error
    return alignment


@transaction.atomic
def alignment_delete(*, alignment: Alignment) -> None:
    alignment.delete()


# Dependencies ------------------------------------------------------------------------


def _path(edges: list[tuple[int, int]], start: int, goal: int) -> list[int] | None:
    """The ids from `start` to `goal` following "depends on" edges, or None."""
    depends_on: dict[int, list[int]] = {}
    for blocked_id, blocking_id in edges:
        depends_on.setdefault(blocked_id, []).append(blocking_id)
    came_from: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = came_from[node]
            return path[::-1]
        for nxt in depends_on.get(node, ()):
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return None


@transaction.atomic
def dependency_create(*, blocked_item: RoadmapItem, blocking_item: RoadmapItem) -> Dependency:
    """`blocked_item` depends on `blocking_item`; refused when it would close a loop."""
    if blocked_item.pk == blocking_item.pk:
        raise ValidationError({"blocking_item": "An item cannot depend on itself."})
    portfolio_id = blocked_item.product.portfolio_id
    if blocking_item.product.portfolio_id != portfolio_id:
        raise ValidationError(
            {
                "blocking_item": "This item belongs to another portfolio: "
                "an item can only depend on items of its own portfolio."
            }
        )
    dependency = Dependency(blocked_item=blocked_item, blocking_item=blocking_item)
    _full_clean(dependency)
    # Two people linking A → B and B → A at once must not both succeed.
    Portfolio.objects.select_for_update().filter(pk=portfolio_id).order_by().values_list("pk").get()
    edges = list(
        Dependency.objects.filter(blocked_item__product__portfolio_id=portfolio_id).values_list(
            "blocked_item_id", "blocking_item_id"
        )
    )
    path = _path(edges, start=blocking_item.pk, goal=blocked_item.pk)
    if path is not None:
        chain = [blocked_item.pk, *path]
        titles = dict(RoadmapItem.objects.filter(pk__in=chain).values_list("id", "title"))
        raise ValidationError(
            {
                "blocking_item": "This would create a cycle: "
                f"{ARROW.join(titles[pk] for pk in chain)}."
            }
        )
    dependency.save()
    return dependency


@transaction.atomic
def dependency_delete(*, dependency: Dependency) -> None:
    dependency.delete()


# Share links -------------------------------------------------------------------------


@transaction.atomic
def share_link_create(
    *,
    portfolio: Portfolio,
    created_by: User | None,
    product: Product | None = None,
    label: str = "",
    expires_at: datetime.datetime | None = None,
) -> tuple[ShareLink, str]:
    """A new read-only link and its token; only the token's SHA-256 is stored, so the
    token returned here is the one and only time anybody sees it."""
    errors = {}
    if product is not None and product.portfolio_id != portfolio.pk:
        errors["product"] = "This product belongs to another portfolio."
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "The expiry must be in the future."
    token = sharing.new_token()
    link = ShareLink(
        portfolio=portfolio,
        product=product,
        label=label.strip(),
        token_hash=sharing.hash_token(token),
        expires_at=expires_at,
        created_by=created_by,
    )
    _full_clean(link, errors)
    link.save()
    return link, token


@transaction.atomic
def share_link_revoke(*, link: ShareLink) -> ShareLink:
    """The link stops working at once; revoking twice keeps the first moment."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


@transaction.atomic
def share_link_recreate(*, link: ShareLink, created_by: User | None) -> tuple[ShareLink, str]:
    """A fresh token for the same scope, label and expiry; the old link is revoked."""
    expires_at = link.expires_at if link.expires_at and link.expires_at > timezone.now() else None
    share_link_revoke(link=link)
    return share_link_create(
        portfolio=link.portfolio,
        product=link.product,
        label=link.label,
        expires_at=expires_at,
        created_by=created_by,
    )


def share_link_record_view(*, link: ShareLink) -> None:
    """Count a view in the database itself, so concurrent visits are never lost."""
    ShareLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )
