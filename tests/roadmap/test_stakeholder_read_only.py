"""A stakeholder can read everything in their portfolio and change nothing.

The test walks every URL pattern of the project (whatever exists when it runs, so new
pages are covered as they land), fills each parameter with a real object of the
stakeholder's portfolio, and sends writes to each URL with a plausible payload. None may
succeed (no 2xx or 3xx) and no table may change.
"""

import datetime
import re

import pytest
from django.apps import apps
from django.db.models import DateTimeField, Max
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from portfolio.models import Role
from roadmap import services
from roadmap.models import Alignment, Dependency, ItemStatus
from teams.models import Team
from tests.okrs.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import MembershipFactory, ProductFactory
from tests.roadmap.factories import RoadmapItemFactory

pytestmark = pytest.mark.django_db

# URLs where a stakeholder's POST is legitimate: signing in and out, their own profile
# (e-mail preferences, password), their own API token, and accepting an invitation
# (setting their own password with the e-mailed token). Keep this explicit.
ALLOWED_WRITES = {
    "login",
    "logout",
    "profile",
    "api-token",
    "invitation_accept",
}
# Read pages whose views do not restrict the method: a POST renders the page again
# (200) and changes nothing, which the database check below still verifies. Each should
# get `@require_GET`; take its name out of this set once it has.
READ_PAGES_IGNORING_POST: set[str] = set()
API_METHODS = ["post", "put", "patch", "delete"]
REFUSED = {403, 404, 405}
# An API refusing a payload that names objects the person cannot see is a refusal too.
REFUSED_BY_API = REFUSED | {400}

# `pk` means different things on different routes; the segment before it says which.
SEGMENT_KINDS = {
    "portfolios": "portfolio",
    "products": "product",
    "cycles": "cycle",
    "objectives": "objective",
    "key-results": "key_result",
    "check-ins": "check_in",
    "roadmap-items": "item",
    "items": "item",
    "alignments": "alignment",
    "dependencies": "dependency",
    "share-links": "share_link",
    "people": "member",
    "teams": "team",
    "<str:kind>": "item",  # /history/<kind>/<pk>/, walked as a roadmap item's history
}
PARAM_KINDS = {
    "slug": "portfolio_slug",
    "product_slug": "product_slug",
    "product_id": "product",
    "objective_pk": "objective",
    "objective_id": "objective",
    "item_id": "item",
    "user_id": "member",
    "team_id": "team",
    "token": "share_token",
    "uidb64": "uidb64",
    "kind": "history_kind",
}


def url_patterns(patterns=None, prefix=""):
    """(route, pattern) for every URL of the project, nested includes flattened."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


@pytest.fixture
def world(portfolio, director, owning_pm, other_pm, contributor, stakeholder, cycle, product):
    other = ProductFactory(portfolio=portfolio, name="Search", slug="search", owner=other_pm)
    objective = ObjectiveFactory(cycle=cycle, title="Portfolio objective")
    product_objective = ObjectiveFactory(cycle=cycle, product=product, parent=objective)
    key_result = KeyResultFactory(objective=product_objective, owner=owning_pm)
    check_in = CheckInFactory(key_result=key_result, author=owning_pm)
    item = RoadmapItemFactory(product=product, owner=owning_pm, status=ItemStatus.PLANNED)
    blocker = RoadmapItemFactory(product=product, owner=owning_pm)
    alignment = Alignment.objects.create(item=item, key_result=key_result)
    dependency = Dependency.objects.create(blocked_item=item, blocking_item=blocker)
    team = Team.objects.create(name="Payments", discipline="engineering", lead=owning_pm)
    share_link, token = services.share_link_create(
        portfolio=portfolio, product=product, created_by=director
    )
    return {
        "portfolio": portfolio.pk,
        "portfolio_slug": portfolio.slug,
        "product": product.pk,
        "product_slug": product.slug,
        "other_product": other.pk,
        "cycle": cycle.pk,
        "objective": objective.pk,
        "product_objective": product_objective.pk,
        "key_result": key_result.pk,
        "check_in": check_in.pk,
        "item": item.pk,
        "blocker": blocker.pk,
        "alignment": alignment.pk,
        "dependency": dependency.pk,
        "team": team.pk,
        "share_link": share_link.pk,
        "share_token": token,
        "history_kind": "roadmap-item",
        "member": contributor.pk,
        "uidb64": "MQ",
        "stakeholder": stakeholder,
    }


def payload(world) -> dict:
    """Fields a write form or endpoint could want, all valid, so that only a permission
    check stands between the request and a change."""
    today = timezone.localdate()
    return {
        "name": "Forged",
        "title": "Forged",
        "label": "Forged",
        "description": "Forged",
        "note": "Forged",
        "slug": "forged",
        "portfolio": world["portfolio"],
        "product": world["product"],
        "cycle": world["cycle"],
        "objective": world["objective"],
        "parent": world["objective"],
        "key_result": world["key_result"],
        "item": world["item"],
        "blocked_item": world["blocker"],
        "blocking_item": world["item"],
        "owner": world["member"],
        "user": world["member"],
        "role": Role.DIRECTOR,
        "value": "50",
        "confidence": "7",
        "measure": "increase",
        "start_value": "0",
        "target_value": "100",
        "weight": "1",
        "status": ItemStatus.DONE,
        "horizon": "now",
        "position": "0",
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=30)).isoformat(),
        "expires_on": (today + datetime.timedelta(days=30)).isoformat(),
        "state": "active",
        "discipline": "design",
        "receives_digest": "on",
        "email": "forged@example.com",
        "display_name": "Forged",
    }


def build_url(route: str, pattern: URLPattern, world) -> str | None:
    names = list(pattern.pattern.regex.groupindex)
    if "format" in names:
        return None  # the `.json` twin of an API route already walked
    kwargs = {}
    for name in names:
        if name == "pk":
            # The path segment right before the pk: "items/<int:pk>/", "^cycles/(?P<pk>…".
            before = re.split(r"<int:pk>|\(\?P<pk>", route)[0].rstrip("/").split("/")[-1]
            kind = SEGMENT_KINDS.get(before.lstrip("^"))
        else:
            kind = PARAM_KINDS.get(name)
        if kind is None:
            pytest.fail(f"Don't know how to fill <{name}> of {route!r} ({pattern.name}).")
        kwargs[name] = world[kind]
    return reverse(pattern.name, kwargs=kwargs)


def fingerprint() -> dict:
    """Rows per model, and the latest `updated_at` where there is one."""
    state = {}
    for model in apps.get_models():
        queryset = model._default_manager.all()
        stamps = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, DateTimeField) and f.name in {"updated_at", "revoked_at"}
        ]
        state[model._meta.label] = (
            queryset.count(),
            queryset.aggregate(**{s: Max(s) for s in stamps}) if stamps else None,
        )
    return state


def attempt_every_write(client, world, only: set[str] | None = None) -> list[str]:
    problems = []
    data = payload(world)
    for route, pattern in url_patterns():
        if pattern.name is None or pattern.name in ALLOWED_WRITES:
            continue
        if only is not None and pattern.name not in only:
            continue
        if route.startswith("admin/"):
            continue  # the admin is staff-only; checked separately below
        url = build_url(route, pattern, world)
        if url is None:
            continue
        is_api = route.startswith("api/")
        for method in API_METHODS if is_api else ["post"]:
            before = fingerprint()
            if method == "post":
                response = client.post(url, data)
            else:
                response = getattr(client, method)(url, data, content_type="application/json")
            refused = REFUSED_BY_API if is_api else REFUSED
            if pattern.name in READ_PAGES_IGNORING_POST:
                refused = refused | {200}
            if response.status_code not in refused:
                problems.append(f"{method.upper()} {url} ({pattern.name}) → {response.status_code}")
            after = fingerprint()
            if after != before:
                changed = sorted(label for label in after if after[label] != before[label])
                problems.append(f"{method.upper()} {url} ({pattern.name}) changed {changed}")
    return problems


def test_the_walk_covers_the_pages_of_this_feature():
    names = {pattern.name for _, pattern in url_patterns()}

    assert {"share_links", "share_link_revoke", "share_link_recreate", "review"} <= names


def test_stakeholder_cannot_write_anywhere_in_their_portfolio(client, world):
    client.force_login(world["stakeholder"])

    problems = attempt_every_write(client, world)

    assert problems == [], "\n".join(problems)


def test_stakeholder_of_another_portfolio_cannot_write_here(client, world, other_portfolio):
    visitor = MembershipFactory(portfolio=other_portfolio, role=Role.STAKEHOLDER).user
    client.force_login(visitor)

    problems = attempt_every_write(client, world)

    assert problems == [], "\n".join(problems)


def test_stakeholder_cannot_use_the_admin(client, world):
    client.force_login(world["stakeholder"])
    before = fingerprint()

    response = client.post(
        reverse("admin:roadmap_roadmapitem_change", args=[world["item"]]), {"title": "Forged"}
    )

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert fingerprint() == before


def test_the_walk_would_notice_a_write(client, world, director):
    """The director may create share links and revoke them: the same walk reports both,
    so the test above can fail."""
    client.force_login(director)

    problems = attempt_every_write(
        client, world, only={"share_links", "share_link_revoke", "review"}
    )

    assert any("(share_links) → 200" in problem for problem in problems)
    assert any(
        "(share_links) changed [" in problem and "'roadmap.ShareLink'" in problem
        for problem in problems
    )
    assert any("(share_link_revoke) → 302" in problem for problem in problems)
    assert not any("(review)" in problem for problem in problems)
