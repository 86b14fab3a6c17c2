"""The Now / Next / Later board, as data for `templates/roadmap/_board.html`.

Used by the board pages and by the public share page (`public=True`: no editing
controls, no e-mail addresses, no links into the app). A fixed number of queries
whatever the number of cards.

Each column shows one page of `CARDS_PER_PAGE` cards in board order; the column's total
comes from a window COUNT of the same query, and the next page is a link (upgraded by
htmx to load the cards in place). Only the cards shown are read with their alignments
and blockers, so the time does not grow with the portfolio.
"""

from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import QueryDict

from okrs.models import KeyResult
from portfolio.permissions import is_director
from roadmap.models import Alignment, Dependency, Horizon, ItemStatus, RoadmapItem
from roadmap.permissions import can_edit_item

FINISHED = {ItemStatus.DONE, ItemStatus.DROPPED}
END_OF_COLUMN = 100_000
CARDS_PER_PAGE = 50
BOARD_ORDER = ("position", "product__name", "id")
# What a card shows and what its permissions read: the board query sorts every item of
# the board, so its rows stay narrow (a sort in memory, not on disk).
CARD_FIELDS = (
    "title",
    "status",
    "horizon",
    "starts_on",
    "ends_on",
    "effort",
    "position",
    "product__name",
    "product__portfolio_id",
    "product__owner_id",
    "product__is_archived",
    "product__portfolio__slug",
    "owner__display_name",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)
# Filters that leave a product's column whole: with only these, a card's place among its
# product's cards (what a move sends) can be read from the board query itself.
WHOLE_COLUMN_FILTERS = {"product"}


@dataclass
class Blocker:
    item: RoadmapItem
    ends_late: bool


@dataclass
class Card:
    item: RoadmapItem
    key_results: list[KeyResult]
    blockers: list[Blocker]
    can_edit: bool = False
    index: int = 0  # among all the cards of the same product in this column
    siblings: int = 1

    @property
    def open_blockers(self) -> list[Blocker]:
        return [blocker for blocker in self.blockers if blocker.item.status not in FINISHED]

    @property
    def late_blockers(self) -> list[Blocker]:
        return [blocker for blocker in self.blockers if blocker.ends_late]

    @property
    def can_move_up(self) -> bool:
        return self.index > 0

    @property
    def can_move_down(self) -> bool:
        return self.index < self.siblings - 1


@dataclass
class Column:
    horizon: str
    label: str
    cards: list[Card] = field(default_factory=list)
    total: int = 0  # the column's cards under the filters, shown or not
    page: int = 1
    more_url: str = ""  # the next page, as a page (no JavaScript) ...
    more_fragment_url: str = ""  # ... and as the cards alone (htmx)
    previous_url: str = ""

    @property
    def first(self) -> int:
        """The board-order number (from 1) of the first card shown."""
        return (self.page - 1) * CARDS_PER_PAGE + 1

    @property
    def last(self) -> int:
        return (self.page - 1) * CARDS_PER_PAGE + len(self.cards)

    @property
    def remaining(self) -> int:
        """Cards after the last one shown."""
        return max(self.total - self.last, 0)

    @property
    def has_more(self) -> bool:
        return self.remaining > 0

    @property
    def next_count(self) -> int:
        return min(CARDS_PER_PAGE, self.remaining)

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def requested_page(query) -> tuple[str, int] | None:
    """`(horizon, page)` from `?column=now&page=2`, or None when absent or invalid."""
    horizon, page = query.get("column"), query.get("page")
    if horizon not in Horizon.values or not page or not page.isdigit():
        return None
    page = int(page)
    if not 1 <= page <= 100_000:
        return None
    return horizon, page


def page_url(path: str, query, horizon: str, page: int) -> str:
    """`path` with the current filters and `column`/`page` set (left out for page 1)."""
    params = query.copy() if query is not None else QueryDict(mutable=True)
    params.pop("column", None)
    params.pop("page", None)
    if page > 1:
        params["column"], params["page"] = horizon, str(page)
    encoded = params.urlencode()
    return f"{path}?{encoded}" if encoded else (path or "?")


def filter_items(items: QuerySet, *, product=None, owner=None, status=None, objective=None):
    """Narrow the board's items by the filters a person chose (model instances or ids)."""
    if product:
        items = items.filter(product=product)
    if owner:
        items = items.filter(owner=owner)
    if status:
        items = items.filter(status=status)
    if objective:
        items = items.filter(
            Exists(Alignment.objects.filter(item=OuterRef("pk"), key_result__objective=objective))
        )
    return items


def ends_after_start(blocker: RoadmapItem, item: RoadmapItem) -> bool:
    """The blocker is planned to end after the blocked item starts: a late dependency."""
    return bool(
        blocker.ends_on
        and item.starts_on
        and blocker.ends_on > item.starts_on
        and blocker.status not in FINISHED
    )


def _prefetches(blockers_within: QuerySet | None):
    blockers = Dependency.objects.select_related("blocking_item").order_by("blocking_item__title")
    if blockers_within is not None:
        blockers = blockers.filter(blocking_item__in=blockers_within.values("pk"))
    return (
        Prefetch(
            "alignments",
            queryset=Alignment.objects.select_related("key_result").order_by(
                "key_result__position", "key_result__id"
            ),
        ),
        Prefetch("blocked_by_links", queryset=blockers),
    )


def _page_of_cards(items: QuerySet, pages: dict[str, int], *, with_places: bool) -> QuerySet:
    """One page per column in one query: a ROW_NUMBER over each column in board order,
    shifted by the page's offset, keeps ranks 1..CARDS_PER_PAGE; a window COUNT gives the
    column's total on every row."""
    offset = Case(
        *(
            When(horizon=horizon, then=Value((page - 1) * CARDS_PER_PAGE))
            for horizon, page in pages.items()
            if page > 1
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    order = [F(name) for name in BOARD_ORDER]
    windows = {
        "rank_in_page": Window(RowNumber(), partition_by=[F("horizon")], order_by=order) - offset,
        "column_total": Window(Count("pk"), partition_by=[F("horizon")]),
    }
    if with_places:
        product_column = [F("product_id"), F("horizon")]
        windows["place"] = Window(
            RowNumber(), partition_by=product_column, order_by=[F("position"), F("id")]
        )
        windows["siblings"] = Window(Count("pk"), partition_by=product_column)
    return (
        items.annotate(**windows)
        .filter(rank_in_page__gt=0, rank_in_page__lte=CARDS_PER_PAGE)
        .order_by("horizon", "rank_in_page")
    )


def _count_in_column(*conditions, **column):
    return Subquery(
        RoadmapItem.objects.filter(*conditions, is_archived=False, **column)
        .order_by()
        .values("product_id")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def card_places(item_ids) -> dict[int, tuple[int, int]]:
    """`{item_id: (index, siblings)}`: each item's place among all the cards of its product
    in its column, and their number, whatever filters hide (the move service counts all)."""
    same_column = {"product_id": OuterRef("product_id"), "horizon": OuterRef("horizon")}
    earlier = Q(position__lt=OuterRef("position")) | Q(
        position=OuterRef("position"), id__lt=OuterRef("id")
    )
    rows = (
        RoadmapItem.objects.filter(pk__in=list(item_ids))
        .annotate(
            place=_count_in_column(earlier, **same_column),
            siblings=_count_in_column(**same_column),
        )
        .values_list("pk", "place", "siblings")
    )
    return {pk: (place or 0, siblings or 1) for pk, place, siblings in rows}


def board_context(
    items_queryset,
    *,
    user=None,
    public=False,
    pages: dict[str, int] | None = None,
    horizons: list[str] | None = None,
    path: str = "",
    fragment_path: str | None = None,
    query=None,
    can_drag: bool | None = None,
    **filters,
) -> dict:
    """Columns of cards for `_board.html`.

    `items_queryset`: the items to show (already limited to what the viewer may see);
    `user`: decides each card's `can_edit` (ignored when `public`); `filters`: any of
    `product`, `owner`, `status`, `objective` (instances or ids).
    `pages`: `{horizon: page}` for columns not on their first page; `horizons`: only
    these columns (the "show more" fragment). `path`, `fragment_path` and `query` build
    the "show more" links (the page, the cards-only fragment, the current filters).
    `can_drag`: whether the viewer may move some card of this board (defaults to
    whether some card shown is editable).
    """
    pages = pages or {}
    scope = filter_items(items_queryset, **filters).filter(is_archived=False)
    items = scope
    if horizons is not None:
        items = items.filter(horizon__in=horizons)
    editing = bool(not public and user is not None)
    active_filters = {name for name, value in filters.items() if value}
    exact_places = editing and not (active_filters - WHOLE_COLUMN_FILTERS)
    items = list(
        _page_of_cards(
            items.select_related("product__portfolio", "owner")
            .only(*CARD_FIELDS)
            .prefetch_related(*_prefetches(scope if public else None)),
            pages,
            with_places=exact_places,
        )
    )
    places = {}
    if editing and not exact_places:
        editable = [item.pk for item in items if can_edit_item(user, item)]
        places = card_places(editable) if editable else {}
    columns = {
        value: Column(value, label, page=pages.get(value, 1))
        for value, label in Horizon.choices
        if horizons is None or value in horizons
    }
    for item in items:
        blockers = [
            Blocker(link.blocking_item, ends_after_start(link.blocking_item, item))
            for link in item.blocked_by_links.all()
        ]
        card = Card(
            item=item,
            key_results=[alignment.key_result for alignment in item.alignments.all()],
            blockers=blockers,
            can_edit=bool(editing and can_edit_item(user, item)),
        )
        if exact_places:
            card.index, card.siblings = item.place - 1, item.siblings
        elif item.pk in places:
            card.index, card.siblings = places[item.pk]
        column = columns[item.horizon]
        column.total = item.column_total
        column.cards.append(card)
    for column in columns.values():
        if not column.cards and column.page > 1:
            # Past the last page: the window count had no row to ride on.
            column.total = scope.filter(horizon=column.horizon).count()
        column.more_url = page_url(path, query, column.horizon, column.page + 1)
        column.more_fragment_url = page_url(
            path if fragment_path is None else fragment_path,
            query,
            column.horizon,
            column.page + 1,
        )
        column.previous_url = page_url(path, query, column.horizon, column.page - 1)
    shown = [card for column in columns.values() for card in column.cards]
    if can_drag is None:
        can_drag = any(card.can_edit for card in shown)
    return {
        "board_columns": list(columns.values()),
        "board_public": public,
        "board_card_count": sum(column.total for column in columns.values()),
        "board_can_drag": bool(editing and can_drag),
        "board_horizons": Horizon.choices,
        "board_end_of_column": END_OF_COLUMN,
        "board_filtered": any(filters.values()),
        "board_cards_per_page": CARDS_PER_PAGE,
        # The audit trail is for directors (roadmap/views/history.py checks it again).
        "board_can_see_history": bool(
            editing and shown and is_director(user, shown[0].item.product.portfolio_id)
        ),
    }


def board_page_of(items_queryset, item: RoadmapItem, **filters) -> int:
    """The page of its column on which `item` shows, under these filters."""
    before = (
        filter_items(items_queryset, **filters)
        .filter(is_archived=False, horizon=item.horizon)
        .filter(
            Q(position__lt=item.position)
            | Q(position=item.position, product__name__lt=item.product.name)
            | Q(position=item.position, product__name=item.product.name, id__lt=item.pk)
        )
        .count()
    )
    return before // CARDS_PER_PAGE + 1
