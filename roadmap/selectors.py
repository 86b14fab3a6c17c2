"""Reads of the roadmap, starting from what the person may see (DESIGN.md §7)."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from okrs.models import CheckIn, CycleState, KeyResult, Objective
from okrs.selectors import key_results_visible_to
from portfolio.models import Product
from portfolio.selectors import visible_portfolio_ids
from roadmap.models import Alignment, Dependency, Horizon, ItemStatus, RoadmapItem
from roadmap.search import Shortlist, shortlist
from teams.models import User

# The item dialog offers this many key results and blockers before a search.
KEY_RESULT_CHOICES = 30
BLOCKER_CHOICES = 20


def roadmap_items_visible_to(user) -> QuerySet[RoadmapItem]:
    if not user.is_authenticated:
        return RoadmapItem.objects.none()
    return RoadmapItem.objects.filter(product__portfolio_id__in=visible_portfolio_ids(user))


def alignments_visible_to(user) -> QuerySet[Alignment]:
    if not user.is_authenticated:
        return Alignment.objects.none()
    return Alignment.objects.filter(item__product__portfolio_id__in=visible_portfolio_ids(user))


def dependencies_visible_to(user) -> QuerySet[Dependency]:
    if not user.is_authenticated:
        return Dependency.objects.none()
    return Dependency.objects.filter(
        blocked_item__product__portfolio_id__in=visible_portfolio_ids(user)
    )


# The PM's workspace: my work, board, timeline, key result page ------------------------


def horizon_order():
    """Now, next, later: the board's column order (the stored values sort otherwise)."""
    return Case(
        *(When(horizon=value, then=Value(rank)) for rank, value in enumerate(Horizon.values)),
        output_field=IntegerField(),
    )


def key_results_to_check_in(user) -> QuerySet[KeyResult]:
    """The key results of active cycles that the person owns or whose product they own."""
    if not user.is_authenticated:
        return KeyResult.objects.none()
    return (
        KeyResult.objects.filter(
            objective__cycle__portfolio_id__in=visible_portfolio_ids(user),
            objective__cycle__state=CycleState.ACTIVE,
        )
        .filter(Q(owner=user) | Q(objective__product__owner=user))
        .select_related(
            "owner",
            "objective__cycle__portfolio",
            "objective__product__owner",
        )
        .order_by("objective__cycle__portfolio__name", "objective__position", "position", "id")
    )


def check_in_values(key_result_ids) -> dict[int, list]:
    """`{key_result_id: [value, ...]}` oldest first, in one query (for sparklines)."""
    values: dict[int, list] = {}
    rows = (
        CheckIn.objects.filter(key_result_id__in=list(key_result_ids))
        .order_by("checked_in_at", "id")
        .values_list("key_result_id", "value")
    )
    for key_result_id, value in rows:
        values.setdefault(key_result_id, []).append(value)
    return values


def my_roadmap_items(user) -> QuerySet[RoadmapItem]:
    """Open items the person owns or that belong to a product they own."""
    return (
        roadmap_items_visible_to(user)
        .not_archived()
        .exclude(status__in=[ItemStatus.DONE, ItemStatus.DROPPED])
        .filter(Q(owner=user) | Q(product__owner=user))
        .filter(product__is_archived=False)
        .select_related("product__portfolio", "owner")
        .alias(horizon_rank=horizon_order())
        .order_by("product__portfolio__name", "horizon_rank", "product__name", "position", "id")
    )


def board_items(portfolio, product=None) -> QuerySet[RoadmapItem]:
    """The cards of a portfolio's (or one product's) board, before filters."""
    items = RoadmapItem.objects.in_portfolio(portfolio).filter(product__is_archived=False)
    if product is not None:
        items = items.filter(product=product)
    return items


def key_result_for_page(user, portfolio, pk) -> KeyResult:
    """A key result of the portfolio with what its page shows, or 404."""
    return get_object_or_404(
        key_results_visible_to(user)
        .filter(objective__cycle__portfolio=portfolio)
        .select_related("owner", "objective__cycle__portfolio", "objective__product__owner"),
        pk=pk,
    )


def key_result_history(key_result) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(key_result=key_result).select_related("author")


def key_result_alignments(key_result) -> QuerySet[Alignment]:
    return (
        Alignment.objects.filter(key_result=key_result, item__is_archived=False)
        .select_related("item__product", "item__owner")
        .order_by("item__product__name", "item__title")
    )


def item_for_edit(user, portfolio, pk) -> RoadmapItem:
    """An item of the portfolio for its dialog, or 404."""
    return get_object_or_404(
        roadmap_items_visible_to(user)
        .filter(product__portfolio=portfolio)
        .select_related("product__portfolio", "owner"),
        pk=pk,
    )


def item_dependencies(item) -> QuerySet[Dependency]:
    return (
        Dependency.objects.filter(blocked_item=item)
        .select_related("blocking_item__product")
        .order_by("blocking_item__title")
    )


def dependency_candidates(item) -> QuerySet[RoadmapItem]:
    """Items this one could depend on: the portfolio's other open items."""
    return (
        RoadmapItem.objects.in_portfolio(item.product.portfolio_id)
        .not_archived()
        .exclude(pk=item.pk)
        .exclude(blocking_links__blocked_item=item)
        .select_related("product")
        .order_by("product__name", "title")
    )


def blocker_choices(item, query: str = "", *, chosen=(), limit=None) -> Shortlist:
    """What "Add an item this waits for" offers: the candidates matching `query` (title
    or product name; all when empty), the item's own product's first, capped; `chosen`
    (the blocker just posted) always."""
    matches = None
    if query:
        matches = Q(title__icontains=query) | Q(product__name__icontains=query)
    same_product = Case(
        When(product_id=item.product_id, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return shortlist(
        dependency_candidates(item),
        limit=BLOCKER_CHOICES if limit is None else limit,
        matches=matches,
        pinned=chosen,
        ranking=[same_product],
    )


def cycle_key_results(cycle) -> QuerySet[KeyResult]:
    """The key results an item may be aligned to: those of the cycle."""
    if cycle is None:
        return KeyResult.objects.none()
    return (
        KeyResult.objects.in_cycle(cycle)
        .select_related("objective")
        .order_by("objective__depth", "objective__position", "position", "id")
    )


def key_result_relevance(product) -> Case:
    """For ordering: the key results of `product`'s objectives first, then the
    portfolio-level ones, then the other products'."""
    return Case(
        When(objective__product=product, then=Value(0)),
        When(objective__product__isnull=True, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def key_result_choices(cycle, *, product=None, chosen=(), limit=None) -> Shortlist:
    """What the item dialog offers before a search: the key results in `chosen` (ticked:
    the item's alignments, or what was posted) and the cycle's most relevant to
    `product`, capped. The total counts the whole cycle."""
    return shortlist(
        cycle_key_results(cycle),
        limit=KEY_RESULT_CHOICES if limit is None else limit,
        pinned=chosen,
        ranking=[key_result_relevance(product)],
    )


def key_result_matches(
    cycle, query: str, *, product=None, shown=(), ticked=(), limit=None
) -> Shortlist:
    """The item dialog's search: key results of the cycle whose title or objective title
    contains `query`, leaving out those the dialog `shown` already; the `ticked` ones
    (found by an earlier search and ticked) first and always, so that a new search does
    not drop them."""
    matches = Q(pk__in=[])
    if query:
        matches = Q(title__icontains=query) | Q(objective__title__icontains=query)
    return shortlist(
        cycle_key_results(cycle).exclude(pk__in=list(shown)),
        limit=KEY_RESULT_CHOICES if limit is None else limit,
        matches=matches,
        pinned=ticked,
        ranking=[key_result_relevance(product)],
    )


def cycle_objectives(cycle) -> QuerySet[Objective]:
    """The objectives offered by the board's objective filter."""
    if cycle is None:
        return Objective.objects.none()
    return Objective.objects.in_cycle(cycle).order_by("depth", "position", "id")


def roadmap_products(portfolio, ids=None) -> QuerySet[Product]:
    """The portfolio's products that have a roadmap (archived ones do not), or only
    those of `ids`."""
    products = Product.objects.in_portfolio(portfolio).filter(is_archived=False)
    if ids is not None:
        products = products.filter(pk__in=list(ids))
    return products.order_by("name")


def roadmap_product_for(portfolio, slug: str) -> Product:
    """The product at /p/<slug>/products/<product>/, or 404."""
    return get_object_or_404(Product.objects.in_portfolio(portfolio), slug=slug)


def portfolio_people(portfolio) -> QuerySet[User]:
    """The portfolio's members, for owner pickers and filters."""
    return User.objects.filter(memberships__portfolio=portfolio).order_by(
        "display_name", "username"
    )
