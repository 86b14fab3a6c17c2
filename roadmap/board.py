"""The Now / Next / Later board, as data for `templates/roadmap/_board.html`.

Used by the board pages and by the public share page (`public=True`: no editing
controls, no e-mail addresses, no links into the app). A fixed number of queries
whatever the number of cards.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from okrs.models import KeyResult
from portfolio.permissions import is_director
from roadmap.models import Alignment, Dependency, Horizon, ItemStatus, RoadmapItem
from roadmap.permissions import can_edit_item

FINISHED = {ItemStatus.DONE, ItemStatus.DROPPED}
END_OF_COLUMN = 100_000


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
    index: int = 0  # among the cards of the same product in this column
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


def filter_items(items: QuerySet, *, product=None, owner=None, status=None, objective=None):
    """Narrow the board's items by the filters a person chose (model instances or ids)."""
    if product:
        items = items.filter(product=product)
    if owner:
        items = items.filter(owner=owner)
    if status:
        items = items.filter(status=status)
    if objective:
        items = items.filter(alignments__key_result__objective=objective).distinct()
    return items


def ends_after_start(blocker: RoadmapItem, item: RoadmapItem) -> bool:
    """The blocker is planned to end after the blocked item starts: a late dependency."""
    return bool(
        blocker.ends_on
        and item.starts_on
        and blocker.ends_on > item.starts_on
        and blocker.status not in FINISHED
    )


def board_items_prefetched(items: QuerySet) -> QuerySet:
    return (
        items.filter(is_archived=False)
        .select_related("product__portfolio", "owner")
        .prefetch_related(
            Prefetch(
                "alignments",
                queryset=Alignment.objects.select_related("key_result").order_by(
                    "key_result__position", "key_result__id"
                ),
            ),
            Prefetch(
                "blocked_by_links",
                queryset=Dependency.objects.select_related("blocking_item").order_by(
                    "blocking_item__title"
                ),
            ),
        )
        .order_by("position", "product__name", "id")
    )


def board_context(items_queryset, *, user=None, public=False, **filters) -> dict:
    """Columns of cards for `_board.html`.

    `items_queryset`: the items to show (already limited to what the viewer may see);
    `user`: decides each card's `can_edit` (ignored when `public`); `filters`: any of
    `product`, `owner`, `status`, `objective` (instances or ids).
    """
    items = list(board_items_prefetched(filter_items(items_queryset, **filters)))
    shown = {item.pk for item in items}
    columns = {value: Column(value, label) for value, label in Horizon.choices}
    for item in items:
        blockers = [
            Blocker(link.blocking_item, ends_after_start(link.blocking_item, item))
            for link in item.blocked_by_links.all()
            # A public page names no item outside what it shares.
            if not public or link.blocking_item_id in shown
        ]
        card = Card(
            item=item,
            key_results=[alignment.key_result for alignment in item.alignments.all()],
            blockers=blockers,
            can_edit=bool(not public and user is not None and can_edit_item(user, item)),
        )
        columns[item.horizon].cards.append(card)
    for column in columns.values():
        per_product: dict[int, list[Card]] = {}
        for card in column.cards:
            per_product.setdefault(card.item.product_id, []).append(card)
        for cards in per_product.values():
            for index, card in enumerate(cards):
                card.index, card.siblings = index, len(cards)
    all_cards = [card for column in columns.values() for card in column.cards]
    return {
        "board_columns": list(columns.values()),
        "board_public": public,
        "board_card_count": len(all_cards),
        "board_can_drag": any(card.can_edit for card in all_cards),
        "board_horizons": Horizon.choices,
        "board_end_of_column": END_OF_COLUMN,
        "board_filtered": any(filters.values()),
        # The audit trail is for directors (roadmap/views/history.py checks it again).
        "board_can_see_history": bool(
            not public
            and user is not None
            and items
            and is_director(user, items[0].product.portfolio_id)
        ),
    }
