"""docs/operations.md promises that dumpdata / loaddata round-trips a portfolio."""

import pytest
from django.core.management import call_command

from okrs.models import Cycle
from tests.okrs.test_rollup import numbers
from tests.roadmap.test_seed_demo import counts

pytestmark = pytest.mark.django_db(transaction=True)

EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def test_the_demo_portfolio_round_trips_through_dumpdata_and_loaddata(tmp_path):
    call_command("seed_demo")
    cycle = Cycle.objects.get(portfolio__slug="acme", state="active")
    before_counts, before_numbers = counts(), numbers(cycle)
    backup = tmp_path / "lodestar.json"

    call_command(
        "dumpdata",
        "--natural-foreign",
        *[f"--exclude={name}" for name in EXCLUDED],
        "--output",
        str(backup),
    )
    call_command("flush", "--no-input")
    assert counts()["Portfolio"] == 0
    call_command("loaddata", str(backup))

    assert counts() == before_counts
    assert numbers(Cycle.objects.get(pk=cycle.pk)) == before_numbers
