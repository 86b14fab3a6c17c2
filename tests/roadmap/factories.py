import factory

from roadmap.models import Alignment, Dependency, Horizon, ItemStatus, RoadmapItem
from tests.okrs.factories import KeyResultFactory
from tests.portfolio.factories import ProductFactory


class RoadmapItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoadmapItem

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Item {n}")
    owner = None
    status = ItemStatus.PLANNED
    horizon = Horizon.NEXT
    position = factory.Sequence(lambda n: n)


class AlignmentFactory(factory.django.DjangoModelFactory):
    """By default the key result is made in the item's portfolio, as the invariant wants."""

    class Meta:
        model = Alignment

    item = factory.SubFactory(RoadmapItemFactory)
    key_result = factory.LazyAttribute(
        lambda alignment: KeyResultFactory(
            objective__cycle__portfolio=alignment.item.product.portfolio
        )
    )
    note = ""
    created_by = None


class DependencyFactory(factory.django.DjangoModelFactory):
    """By default the blocking item is another item of the same product."""

    class Meta:
        model = Dependency

    blocked_item = factory.SubFactory(RoadmapItemFactory)
    blocking_item = factory.LazyAttribute(
        lambda dependency: RoadmapItemFactory(product=dependency.blocked_item.product)
    )
