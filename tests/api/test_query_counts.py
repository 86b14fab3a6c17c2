"""Every list endpoint costs the same number of queries for 1 row or 15 (STYLE.md)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import Role
from roadmap.models import Alignment, Dependency
from tests.okrs import builders
from tests.portfolio.factories import MembershipFactory, ProductFactory
from tests.roadmap.factories import RoadmapItemFactory
from tests.teams.factories import UserFactory

MORE = 14


def grow_portfolios(world, director):
    from portfolio import services

    for index in range(MORE):
        portfolio = services.portfolio_create(
            name=f"Unit {index}", slug=f"unit-{index}", director=director
        )
        MembershipFactory(portfolio=portfolio, user=UserFactory(), role=Role.STAKEHOLDER)


def grow_products(world, director):
    for index in range(MORE):
        ProductFactory(portfolio=world.portfolio, name=f"Product {index}", owner=director)


def grow_cycles(world, director):
    from okrs.models import CycleState
    from tests.okrs.factories import CycleFactory

    for _ in range(MORE):
        CycleFactory(portfolio=world.portfolio, state=CycleState.PLANNING)


def grow_objectives(world, director):
    from tests.okrs.factories import CycleFactory

    for index in range(MORE):
        cycle = CycleFactory(portfolio=world.portfolio) if index % 3 == 0 else world.cycle
        builders.objective(cycle, f"Objective {index}", product=world.product, owner=director)


def grow_key_results(world, director):
    for index in range(MORE):
        objective = builders.objective(world.cycle, f"Objective {index}", product=world.product)
        builders.key_result(objective, f"Key result {index}", owner=director)


def grow_check_ins(world, director):
    for index in range(MORE):
        key_result = builders.key_result(world.objective, f"Key result {index}")
        builders.check_in(key_result, director, str(index))


def grow_items(world, director):
    for index in range(MORE):
        item = RoadmapItemFactory(product=world.product, title=f"Item {index}", owner=director)
        Alignment.objects.create(item=item, key_result=world.key_result)


def grow_alignments(world, director):
    for index in range(MORE):
        item = RoadmapItemFactory(product=world.product, title=f"Item {index}")
        Alignment.objects.create(item=item, key_result=world.key_result)


def grow_dependencies(world, director):
    for index in range(MORE):
        item = RoadmapItemFactory(product=world.product, title=f"Item {index}")
        Dependency.objects.create(blocked_item=item, blocking_item=world.third_item)


@pytest.mark.parametrize(
    ("path", "grow", "query"),
    [
        ("/api/v1/portfolios/", grow_portfolios, ""),
        ("/api/v1/products/", grow_products, ""),
        ("/api/v1/cycles/", grow_cycles, ""),
        ("/api/v1/objectives/", grow_objectives, ""),
        ("/api/v1/objectives/", grow_objectives, "?status=no_data"),
        ("/api/v1/key-results/", grow_key_results, ""),
        ("/api/v1/key-results/", grow_key_results, "?status=off_track"),
        ("/api/v1/check-ins/", grow_check_ins, ""),
        ("/api/v1/roadmap-items/", grow_items, ""),
        ("/api/v1/alignments/", grow_alignments, ""),
        ("/api/v1/dependencies/", grow_dependencies, ""),
    ],
)
def test_list_queries_do_not_grow_with_rows(world, director, api, path, grow, query):
    client = api(director)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path + query)
        assert response.status_code == 200
        page = response.json()
        # Check-ins page by cursor and carry no `count`: the page's rows stand for it.
        return len(queries), page.get("count", len(page["results"]))

    small, small_count = measure()
    grow(world, director)
    large, large_count = measure()

    assert large_count > small_count
    assert large == small, (
        f"{path}{query}: {small} queries for {small_count} rows, {large} for {large_count}"
    )
    assert small <= 8
