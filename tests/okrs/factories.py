import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from okrs.models import CheckIn, Cycle, CycleState, KeyResult, Measure, Objective
from tests.portfolio.factories import PortfolioFactory
from tests.teams.factories import UserFactory


class CycleFactory(factory.django.DjangoModelFactory):
    """An active cycle that started 30 days ago and ends in 60 days."""

    class Meta:
        model = Cycle

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Cycle {n}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    state = CycleState.ACTIVE


class ObjectiveFactory(factory.django.DjangoModelFactory):
    """A portfolio-level objective; pass `product=` (of the cycle's portfolio) for a product's."""

    class Meta:
        model = Objective

    cycle = factory.SubFactory(CycleFactory)
    product = None
    parent = None
    owner = None
    title = factory.Sequence(lambda n: f"Objective {n}")


class KeyResultFactory(factory.django.DjangoModelFactory):
    """Increase from 0 to 100."""

    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    owner = None
    title = factory.Sequence(lambda n: f"Key result {n}")
    measure = Measure.INCREASE
    unit = "%"
    start_value = Decimal(0)
    target_value = Decimal(100)


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    key_result = factory.SubFactory(KeyResultFactory)
    author = factory.SubFactory(UserFactory)
    value = Decimal(10)
    confidence = 7
    note = ""
    checked_in_at = factory.LazyFunction(timezone.now)
