"""Build OKR trees through the services, as the app does (roll-ups included)."""

from decimal import Decimal

from okrs import services
from okrs.models import Measure


def objective(cycle, title="Grow activation", **kwargs):
    return services.objective_create(cycle=cycle, title=title, **kwargs)


def key_result(objective, title="Activation rate", **kwargs):
    kwargs.setdefault("measure", Measure.INCREASE)
    kwargs.setdefault("start_value", Decimal(0))
    kwargs.setdefault("target_value", Decimal(100))
    return services.key_result_create(objective=objective, title=title, **kwargs)


def check_in(key_result, author, value, **kwargs):
    return services.check_in_create(key_result=key_result, author=author, value=value, **kwargs)
