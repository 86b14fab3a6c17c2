"""Every endpoint × method × role answers exactly what DESIGN.md §7 says.

Members without the right get 403, people of another portfolio 404 (or 400 when they
name an object they cannot see in a body: the same answer as an id that does not exist),
anonymous callers 401, and methods a resource does not offer 405.
"""

import datetime

import pytest
from django.utils import timezone

ROLES = ["director", "owning_pm", "other_pm", "contributor", "stakeholder", "outsider", "anonymous"]
MEMBERS = ["director", "owning_pm", "other_pm", "contributor", "stakeholder"]


def expect(default: int, **codes: int) -> dict[str, int]:
    """`default` for members; `outsider` and `anonymous` (401) unless given."""
    table = dict.fromkeys(MEMBERS, default)
    table["outsider"] = codes.pop("outsider", default)
    table["anonymous"] = codes.pop("anonymous", 401)
    table.update(codes)
    return table


def read_list() -> dict[str, int]:
    return expect(200)


def read_one() -> dict[str, int]:
    return expect(200, outsider=404)


def only(allowed: list[str], ok: int, *, outsider: int) -> dict[str, int]:
    return expect(403, outsider=outsider, **dict.fromkeys(allowed, ok))


DIRECTOR = ["director"]
PRODUCT_EDITORS = ["director", "owning_pm"]
CHECKERS_IN = ["director", "owning_pm", "contributor"]
NOT_OFFERED = expect(405)


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


# (name, method, path, body, expected status per role); path and body take the world.
CASES = [
    # Portfolios
    ("portfolio list", "get", lambda w: "/api/v1/portfolios/", None, read_list()),
    ("portfolio get", "get", lambda w: f"/api/v1/portfolios/{w.portfolio.pk}/", None, read_one()),
    (
        "portfolio patch",
        "patch",
        lambda w: f"/api/v1/portfolios/{w.portfolio.pk}/",
        lambda w: {"description": "Everything we sell"},
        only(DIRECTOR, 200, outsider=404),
    ),
    (
        "portfolio put",
        "put",
        lambda w: f"/api/v1/portfolios/{w.portfolio.pk}/",
        lambda w: {"name": "Acme Inc", "slug": "acme", "description": ""},
        only(DIRECTOR, 200, outsider=404),
    ),
    ("portfolio post", "post", lambda w: "/api/v1/portfolios/", lambda w: {}, NOT_OFFERED),
    (
        "portfolio delete",
        "delete",
        lambda w: f"/api/v1/portfolios/{w.portfolio.pk}/",
        None,
        NOT_OFFERED,
    ),
    # Products
    ("product list", "get", lambda w: "/api/v1/products/", None, read_list()),
    ("product get", "get", lambda w: f"/api/v1/products/{w.product.pk}/", None, read_one()),
    (
        "product post",
        "post",
        lambda w: "/api/v1/products/",
        lambda w: {"portfolio": w.portfolio.pk, "name": "Payments"},
        only(DIRECTOR, 201, outsider=400),
    ),
    (
        "product patch",
        "patch",
        lambda w: f"/api/v1/products/{w.product.pk}/",
        lambda w: {"description": "Pay in one click"},
        only(DIRECTOR, 200, outsider=404),
    ),
    (
        "product put",
        "put",
        lambda w: f"/api/v1/products/{w.product.pk}/",
        lambda w: {"name": "Checkout", "slug": "checkout", "owner": w.product.owner_id},
        only(DIRECTOR, 200, outsider=404),
    ),
    (
        "product delete",
        "delete",
        lambda w: f"/api/v1/products/{w.product.pk}/",
        None,
        NOT_OFFERED,
    ),
    (
        "product archive",
        "post",
        lambda w: f"/api/v1/products/{w.product.pk}/archive/",
        None,
        only(DIRECTOR, 200, outsider=404),
    ),
    (
        "product unarchive",
        "post",
        lambda w: f"/api/v1/products/{w.product.pk}/unarchive/",
        None,
        only(DIRECTOR, 200, outsider=404),
    ),
    # Cycles
    ("cycle list", "get", lambda w: "/api/v1/cycles/", None, read_list()),
    ("cycle get", "get", lambda w: f"/api/v1/cycles/{w.cycle.pk}/", None, read_one()),
    (
        "cycle post",
        "post",
        lambda w: "/api/v1/cycles/",
        lambda w: {
            "portfolio": w.portfolio.pk,
            "name": "Next quarter",
            "starts_on": in_days(70),
            "ends_on": in_days(160),
        },
        only(DIRECTOR, 201, outsider=400),
    ),
    (
        "cycle patch",
        "patch",
        lambda w: f"/api/v1/cycles/{w.cycle.pk}/",
        lambda w: {"name": "Q4"},
        only(DIRECTOR, 200, outsider=404),
    ),
    (
        "cycle put",
        "put",
        lambda w: f"/api/v1/cycles/{w.cycle.pk}/",
        lambda w: {
            "name": "Q4",
            "starts_on": w.cycle.starts_on.isoformat(),
            "ends_on": w.cycle.ends_on.isoformat(),
            "state": "active",
        },
        only(DIRECTOR, 200, outsider=404),
    ),
    (
        "cycle close",
        "post",
        lambda w: f"/api/v1/cycles/{w.cycle.pk}/close/",
        None,
        only(DIRECTOR, 200, outsider=404),
    ),
    ("cycle delete", "delete", lambda w: f"/api/v1/cycles/{w.cycle.pk}/", None, NOT_OFFERED),
    # Objectives
    ("objective list", "get", lambda w: "/api/v1/objectives/", None, read_list()),
    (
        "objective get",
        "get",
        lambda w: f"/api/v1/objectives/{w.objective.pk}/",
        None,
        read_one(),
    ),
    (
        "portfolio objective post",
        "post",
        lambda w: "/api/v1/objectives/",
        lambda w: {"cycle": w.cycle.pk, "title": "Win Europe"},
        only(DIRECTOR, 201, outsider=400),
    ),
    (
        "product objective post",
        "post",
        lambda w: "/api/v1/objectives/",
        lambda w: {
            "cycle": w.cycle.pk,
            "product": w.product.pk,
            "parent": w.portfolio_objective.pk,
            "title": "Fewer abandoned carts",
        },
        only(PRODUCT_EDITORS, 201, outsider=400),
    ),
    (
        "portfolio objective patch",
        "patch",
        lambda w: f"/api/v1/objectives/{w.portfolio_objective.pk}/",
        lambda w: {"title": "Grow faster"},
        only(DIRECTOR, 200, outsider=404),
    ),
    (
        "product objective patch",
        "patch",
        lambda w: f"/api/v1/objectives/{w.objective.pk}/",
        lambda w: {"title": "Fastest checkout"},
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    (
        "product objective put",
        "put",
        lambda w: f"/api/v1/objectives/{w.objective.pk}/",
        lambda w: {"title": "Fastest checkout", "parent": w.portfolio_objective.pk},
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    (
        "product objective delete",
        "delete",
        lambda w: f"/api/v1/objectives/{w.objective.pk}/",
        None,
        only(PRODUCT_EDITORS, 204, outsider=404),
    ),
    # Key results
    ("key result list", "get", lambda w: "/api/v1/key-results/", None, read_list()),
    (
        "key result get",
        "get",
        lambda w: f"/api/v1/key-results/{w.key_result.pk}/",
        None,
        read_one(),
    ),
    (
        "key result post",
        "post",
        lambda w: "/api/v1/key-results/",
        lambda w: {
            "objective": w.objective.pk,
            "title": "Time to pay",
            "measure": "decrease",
            "start_value": "40",
            "target_value": "10",
        },
        only(PRODUCT_EDITORS, 201, outsider=400),
    ),
    (
        "key result patch",
        "patch",
        lambda w: f"/api/v1/key-results/{w.key_result.pk}/",
        lambda w: {"target_value": "120"},
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    (
        "key result put",
        "put",
        lambda w: f"/api/v1/key-results/{w.key_result.pk}/",
        lambda w: {"title": "Conversion", "target_value": "90", "owner": w.key_result.owner_id},
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    (
        "key result delete",
        "delete",
        lambda w: f"/api/v1/key-results/{w.key_result.pk}/",
        None,
        only(PRODUCT_EDITORS, 204, outsider=404),
    ),
    # Check-ins
    ("check-in list", "get", lambda w: "/api/v1/check-ins/", None, read_list()),
    ("check-in get", "get", lambda w: f"/api/v1/check-ins/{w.check_in.pk}/", None, read_one()),
    (
        "check-in post",
        "post",
        lambda w: "/api/v1/check-ins/",
        lambda w: {"key_result": w.key_result.pk, "value": "12.5", "confidence": 7},
        only(CHECKERS_IN, 201, outsider=400),
    ),
    (
        "check-in bulk",
        "post",
        lambda w: "/api/v1/check-ins/bulk/",
        lambda w: [{"key_result": w.key_result.pk, "value": "14"}],
        only(CHECKERS_IN, 201, outsider=400),
    ),
    (
        "check-in put",
        "put",
        lambda w: f"/api/v1/check-ins/{w.check_in.pk}/",
        lambda w: {"key_result": w.key_result.pk, "value": "1"},
        NOT_OFFERED,
    ),
    (
        "check-in patch",
        "patch",
        lambda w: f"/api/v1/check-ins/{w.check_in.pk}/",
        lambda w: {"value": "1"},
        NOT_OFFERED,
    ),
    (
        "check-in delete",
        "delete",
        lambda w: f"/api/v1/check-ins/{w.check_in.pk}/",
        None,
        NOT_OFFERED,
    ),
    # Roadmap items
    ("item list", "get", lambda w: "/api/v1/roadmap-items/", None, read_list()),
    ("item get", "get", lambda w: f"/api/v1/roadmap-items/{w.item.pk}/", None, read_one()),
    (
        "item post",
        "post",
        lambda w: "/api/v1/roadmap-items/",
        lambda w: {"product": w.product.pk, "title": "Apple Pay", "horizon": "now"},
        only(PRODUCT_EDITORS, 201, outsider=400),
    ),
    (
        "item patch",
        "patch",
        lambda w: f"/api/v1/roadmap-items/{w.item.pk}/",
        lambda w: {"status": "in_progress"},
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    (
        "item put",
        "put",
        lambda w: f"/api/v1/roadmap-items/{w.item.pk}/",
        lambda w: {"title": "One-click pay", "horizon": "now", "status": "planned"},
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    (
        "item delete",
        "delete",
        lambda w: f"/api/v1/roadmap-items/{w.item.pk}/",
        None,
        NOT_OFFERED,
    ),
    (
        "item move",
        "post",
        lambda w: f"/api/v1/roadmap-items/{w.item.pk}/move/",
        lambda w: {"horizon": "now", "position": 0},
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    (
        "item archive",
        "post",
        lambda w: f"/api/v1/roadmap-items/{w.item.pk}/archive/",
        None,
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    (
        "item unarchive",
        "post",
        lambda w: f"/api/v1/roadmap-items/{w.item.pk}/unarchive/",
        None,
        only(PRODUCT_EDITORS, 200, outsider=404),
    ),
    # Alignments
    ("alignment list", "get", lambda w: "/api/v1/alignments/", None, read_list()),
    (
        "alignment get",
        "get",
        lambda w: f"/api/v1/alignments/{w.alignment.pk}/",
        None,
        read_one(),
    ),
    (
        "alignment post",
        "post",
        lambda w: "/api/v1/alignments/",
        lambda w: {"item": w.other_item.pk, "key_result": w.key_result.pk, "note": "Cards help"},
        only(PRODUCT_EDITORS, 201, outsider=400),
    ),
    (
        "alignment patch",
        "patch",
        lambda w: f"/api/v1/alignments/{w.alignment.pk}/",
        lambda w: {"note": "x"},
        NOT_OFFERED,
    ),
    (
        "alignment delete",
        "delete",
        lambda w: f"/api/v1/alignments/{w.alignment.pk}/",
        None,
        only(PRODUCT_EDITORS, 204, outsider=404),
    ),
    # Dependencies
    ("dependency list", "get", lambda w: "/api/v1/dependencies/", None, read_list()),
    (
        "dependency get",
        "get",
        lambda w: f"/api/v1/dependencies/{w.dependency.pk}/",
        None,
        read_one(),
    ),
    (
        "dependency post",
        "post",
        lambda w: "/api/v1/dependencies/",
        lambda w: {"blocked_item": w.item.pk, "blocking_item": w.third_item.pk},
        only(PRODUCT_EDITORS, 201, outsider=400),
    ),
    (
        "dependency patch",
        "patch",
        lambda w: f"/api/v1/dependencies/{w.dependency.pk}/",
        lambda w: {"blocking_item": w.third_item.pk},
        NOT_OFFERED,
    ),
    (
        "dependency delete",
        "delete",
        lambda w: f"/api/v1/dependencies/{w.dependency.pk}/",
        None,
        only(PRODUCT_EDITORS, 204, outsider=404),
    ),
]

MATRIX = [
    pytest.param(method, path, body, role, table[role], id=f"{name}-{role}")
    for name, method, path, body, table in CASES
    for role in ROLES
]


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), MATRIX)
def test_permission_matrix(world, person, api, method, path, body, role, expected):
    client = api(person(role))
    send = getattr(client, method)
    response = send(path(world), body(world) if body else None, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}


def test_the_matrix_covers_every_route():
    from config.api_router import router

    prefixes = {prefix for prefix, _viewset, _basename in router.registry}
    covered = {case[2](_AnyWorld()).split("/")[3] for case in CASES}
    assert prefixes <= covered


class _AnyWorld:
    def __getattr__(self, name):
        return _AnyWorld()

    @property
    def pk(self):
        return 1
