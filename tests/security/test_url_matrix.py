"""Role × URL × method matrix for the HTML app (issue 8, point 1).

Every URL pattern of the project (walked from `get_resolver()`), minus the skipped
prefixes below, must have an entry in `MATRIX`; each (method, role) cell is the exact
status code that role gets. Every request runs in a savepoint that is rolled back, so
a POST by one role never changes what the next one sees.

Roles: the fixtures of tests/fixtures.py, plus `share_holder` (signed out, holding a
valid share-link token). For `share_page` only the share holder has the real token;
everybody else presents an unknown one — the token is the only key to that page.

Set LODESTAR_PRINT_MATRIX=1 to print the observed table (for updating MATRIX).
"""

import os
from http.cookies import SimpleCookie
from urllib.parse import urlparse

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portfolio.models import Role
from roadmap import services as roadmap_services
from tests.okrs import builders
from tests.portfolio.factories import MembershipFactory
from tests.roadmap.factories import AlignmentFactory, DependencyFactory, RoadmapItemFactory
from tests.teams.factories import TeamFactory, UserFactory

# Prefixes not walked here, and why.
SKIPPED_PREFIXES = {
    "admin/": "Django admin: staff only, covered by tests/test_admin.py",
    "api/": "the REST API has its own role matrix in tests/api/",
    "static/": "static files (served by WhiteNoise, not by views)",
    "media/": "uploaded files (none served by Django)",
    "__debug__/": "debug toolbar, development settings only",
}

ROLES = [
    "director",
    "owning_pm",
    "other_pm",
    "contributor",
    "stakeholder",
    "anonymous",
    "outsider",
    "share_holder",
]
MEMBERS = ["director", "owning_pm", "other_pm", "contributor", "stakeholder"]

LOGIN = "login"  # marker: 302 to the login page
OK, FOUND, BAD, FORBIDDEN, NOT_FOUND, WRONG_METHOD = 200, 302, 400, 403, 404, 405


def cells(default=None, **by_role):
    """{role: status} for every role; `default` for the roles not named."""
    table = dict.fromkeys(ROLES, default)
    table.update(by_role)
    missing = [role for role, status in table.items() if status is None]
    assert not missing, f"no status for {missing}"
    return table


def members_then(members, **others):
    """Members get `members` (a status, or a dict by role); outsiders 404; signed out → login."""
    table = {"outsider": NOT_FOUND, "anonymous": LOGIN, "share_holder": LOGIN}
    if isinstance(members, dict):
        table.update(members)
    else:
        table.update(dict.fromkeys(MEMBERS, members))
    table.update(others)
    return cells(**table)


def walk(resolver=None, prefix=""):
    """(route, name) for every named pattern, recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name


def project_urls():
    found, skipped = {}, set()
    for route, name in walk():
        if any(route.startswith(p) for p in SKIPPED_PREFIXES):
            skipped.add(route.split("/")[0] + "/")
            continue
        assert name, f"unnamed URL pattern {route!r}: name it and add it to the matrix"
        found[name] = route
    return found, skipped


@pytest.fixture
def world(
    portfolio,
    other_portfolio,
    director,
    owning_pm,
    other_pm,
    contributor,
    stakeholder,
    outsider,
    product,
    other_product,
    cycle,
    django_capture_on_commit_callbacks,
):
    """One object of every kind a URL names, in `portfolio`, owned by `product`'s PM."""
    with django_capture_on_commit_callbacks(execute=True):
        root = builders.objective(cycle, "Portfolio goal", owner=director)
        objective = builders.objective(
            cycle, "Checkout goal", owner=owning_pm, product=product, parent=root
        )
        key_result = builders.key_result(objective, "Conversion", owner=owning_pm)
    item = RoadmapItemFactory(product=product, owner=owning_pm, title="Matrix item")
    alignment = AlignmentFactory(item=item, key_result=key_result)
    dependency = DependencyFactory(blocked_item=item)
    team = TeamFactory(lead=contributor)
    team.members.add(contributor)
    link, token = roadmap_services.share_link_create(
        portfolio=portfolio, created_by=director, label="Board"
    )
    invited = UserFactory(username="invited")
    MembershipFactory(portfolio=portfolio, user=invited, role=Role.CONTRIBUTOR)
    kwargs = {
        "slug": portfolio.slug,
        "pk": None,  # filled per URL below
        "product_slug": product.slug,
        "product_id": product.pk,
        "user_id": contributor.pk,
        "team_id": team.pk,
        "objective_pk": objective.pk,
        "objective_id": root.pk,
        "item_id": item.pk,
        "kind": "roadmap-item",
        "uidb64": urlsafe_base64_encode(force_bytes(invited.pk)),
        "token": default_token_generator.make_token(invited),
    }
    pks = {
        "cycle_edit": cycle.pk,
        "cycle_close": cycle.pk,
        "objective_edit": objective.pk,
        "key_result_edit": key_result.pk,
        "explain_objective": objective.pk,
        "okr_tree_children": root.pk,
        "alignment_remove": alignment.pk,
        "my_work_check_in": key_result.pk,
        "my_work_item_update": item.pk,
        "key_result_detail": key_result.pk,
        "roadmap_item_edit": item.pk,
        "roadmap_item_move": item.pk,
        "roadmap_item_archive": item.pk,
        "roadmap_item_dependency_add": item.pk,
        "roadmap_dependency_delete": dependency.pk,
        "share_link_revoke": link.pk,
        "share_link_recreate": link.pk,
        "object_history": item.pk,
    }
    users = {
        "director": director,
        "owning_pm": owning_pm,
        "other_pm": other_pm,
        "contributor": contributor,
        "stakeholder": stakeholder,
        "outsider": outsider,
        "anonymous": None,
        "share_holder": None,
    }
    queries = {
        "alignment_cell": f"?objective={root.pk}",
        "share_board_cards": "?column=now&page=2",
    }
    return {
        "kwargs": kwargs,
        "pks": pks,
        "users": users,
        "share_token": token,
        "queries": queries,
    }


def fill(route: str, name: str, role: str, world) -> str:
    kwargs = dict(world["kwargs"], pk=world["pks"].get(name))
    if name in {"share_page", "share_board_cards"}:
        kwargs["token"] = world["share_token"] if role == "share_holder" else "not-a-real-token"
    path = route
    for part in path.split("<")[1:]:
        spec = part.split(">")[0]
        key = spec.split(":")[-1]
        value = kwargs[key]
        assert value is not None, f"no value for <{spec}> in {name}"
        path = path.replace(f"<{spec}>", str(value))
    return "/" + path.lstrip("^").rstrip("$") + world["queries"].get(name, "")


def outcome(response):
    if response.status_code == 302 and urlparse(response["Location"]).path == "/accounts/login/":
        return LOGIN
    return response.status_code


def observe(client, method, path):
    """One request in a rolled-back savepoint; the client's cookies are restored after
    it, so a sign-out or a new session does not leak into the next request."""
    cookies = client.cookies
    client.cookies = SimpleCookie(cookies.output(header="", sep=";"))
    try:
        with transaction.atomic():
            response = getattr(client, method.lower())(path)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return outcome(response)


def clients(world):
    result = {}
    for role, user in world["users"].items():
        client = Client()
        if user is not None:
            client.force_login(user)
        result[role] = client
    return result


def test_every_url_is_in_the_matrix_and_each_role_gets_exactly_its_status(world):
    urls, skipped = project_urls()
    assert skipped <= set(SKIPPED_PREFIXES), skipped
    missing = sorted(set(urls) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(urls))
    printing = os.environ.get("LODESTAR_PRINT_MATRIX") == "1"
    if not printing:
        assert not missing, "add " + ", ".join(missing) + " to the matrix"
        assert not stale, f"{stale} are in the matrix but not in the URLconf"
    by_role = clients(world)
    mismatches = []
    for name, route in sorted(urls.items()):
        methods = MATRIX.get(name) or {"GET": {}, "POST": {}}
        assert set(methods) == {"GET", "POST"}, f"{name}: give both GET and POST"
        observed_row = {}
        for method, expected in methods.items():
            for role in ROLES:
                got = observe(by_role[role], method, fill(route, name, role, world))
                observed_row.setdefault(method, {})[role] = got
                if not printing and got != expected[role]:
                    mismatches.append(
                        f"{method} {name} as {role}: expected {expected[role]}, got {got}"
                    )
        if printing:
            print(name, observed_row)
    assert not mismatches, "\n".join(mismatches)


# --- the expectations ---------------------------------------------------------------
#
# Both methods are listed for every URL: a view that does not accept a method answers
# 405 to signed-in people (before any membership check, so it reveals nothing) and the
# login redirect to signed-out visitors (LoginRequiredMiddleware runs first).

SIGNED_IN = [*MEMBERS, "outsider"]
NOT_ALLOWED = cells(LOGIN, **dict.fromkeys(SIGNED_IN, WRONG_METHOD))


def get_only(get):
    return {"GET": get, "POST": NOT_ALLOWED}


def post_only(post):
    return {"GET": NOT_ALLOWED, "POST": post}


def members(ok_roles, ok, refused=FORBIDDEN):
    """`ok` for `ok_roles`, `refused` for the other members, 404 for the outsider,
    login for signed-out visitors."""
    return members_then({role: ok if role in ok_roles else refused for role in MEMBERS})


DIRECTOR = ["director"]
OWNER = ["director", "owning_pm"]  # the director and the PM who owns `product`
PMS = ["director", "owning_pm", "other_pm"]  # anybody who may plan some product
EVERY_MEMBER = MEMBERS
READ = members(EVERY_MEMBER, OK)

MATRIX = {
    # Signing in and out, health.
    "login": {
        "GET": cells(FOUND, anonymous=OK, share_holder=OK),
        "POST": cells(FOUND, anonymous=OK, share_holder=OK),  # empty form: errors
    },
    "logout": {"GET": NOT_ALLOWED, "POST": cells(LOGIN)},
    "healthz": {"GET": cells(OK), "POST": cells(WRONG_METHOD)},
    # The invitation link is public; a valid token is swapped for a session-held one
    # (Django's PasswordResetConfirmView), hence the redirect for everybody.
    "invitation_accept": {"GET": cells(FOUND), "POST": cells(FOUND)},
    # Personal pages: any signed-in person, whatever their portfolio.
    "home": get_only(cells(FOUND, anonymous=LOGIN, share_holder=LOGIN)),
    "profile": {
        "GET": cells(OK, anonymous=LOGIN, share_holder=LOGIN),
        "POST": cells(BAD, anonymous=LOGIN, share_holder=LOGIN),  # no known action
    },
    "my_work": get_only(cells(OK, anonymous=LOGIN, share_holder=LOGIN)),
    "my_work_check_in": post_only(members(OWNER, OK)),  # empty check-in: form errors
    "my_work_item_update": post_only(members(OWNER, FOUND)),
    # Creating portfolios is for staff only (the admin's "new portfolio").
    "portfolio_create": {
        "GET": cells(FORBIDDEN, anonymous=LOGIN, share_holder=LOGIN),
        "POST": cells(FORBIDDEN, anonymous=LOGIN, share_holder=LOGIN),
    },
    # Portfolio settings: the director only.
    "portfolio_settings": {"GET": members(DIRECTOR, OK), "POST": members(DIRECTOR, OK)},
    "settings_product": {"GET": members(DIRECTOR, OK), "POST": members(DIRECTOR, OK)},
    "settings_people": {"GET": members(DIRECTOR, OK), "POST": members(DIRECTOR, OK)},
    "settings_member": post_only(members(DIRECTOR, BAD)),  # no action given
    "settings_teams": {"GET": members(DIRECTOR, OK), "POST": members(DIRECTOR, OK)},
    "settings_team": {"GET": members(DIRECTOR, OK), "POST": members(DIRECTOR, OK)},
    # Pages every member reads.
    "dashboard": get_only(READ),
    "okr_tree": get_only(READ),
    "okr_tree_children": get_only(READ),
    "alignment_matrix": get_only(READ),
    "alignment_cell": get_only(READ),
    "explain_alignment_score": get_only(READ),
    "explain_coverage": get_only(READ),
    "explain_portfolio": get_only(READ),
    "explain_objective": get_only(READ),
    "explain_product": get_only(READ),
    "roadmap_board": get_only(READ),
    "roadmap_timeline": get_only(READ),
    # A timeline lane is an htmx fragment; without htmx it redirects to the page.
    "roadmap_timeline_lane": get_only(members(EVERY_MEMBER, FOUND)),
    "product_roadmap": get_only(READ),
    "review": get_only(READ),
    # Cycles: the director.
    "cycle_create": {"GET": members(DIRECTOR, OK), "POST": members(DIRECTOR, OK)},
    "cycle_edit": {"GET": members(DIRECTOR, OK), "POST": members(DIRECTOR, OK)},
    "cycle_close": {"GET": members(DIRECTOR, OK), "POST": members(DIRECTOR, FOUND)},
    # Objectives and key results: any PM may create (for a product they own); editing
    # `product`'s objective and key result is for the director and its owner.
    "objective_create": {"GET": members(PMS, OK), "POST": members(PMS, OK)},
    "objective_edit": {"GET": members(OWNER, OK), "POST": members(OWNER, OK)},
    "key_result_create": {"GET": members(OWNER, OK), "POST": members(OWNER, OK)},
    "key_result_edit": {"GET": members(OWNER, OK), "POST": members(OWNER, OK)},
    # The key result page: everybody reads it, the owner side checks in.
    "key_result_detail": {"GET": READ, "POST": members(OWNER, OK)},
    # Roadmap items of `product`: its owner and the director.
    "roadmap_item_create": {"GET": members(PMS, OK), "POST": members(PMS, OK)},
    "roadmap_item_edit": {"GET": READ, "POST": members(OWNER, OK)},
    "roadmap_item_move": post_only(members(OWNER, BAD)),  # no horizon given
    "roadmap_item_archive": post_only(members(OWNER, FOUND)),
    "roadmap_item_dependency_add": post_only(members(OWNER, OK)),
    "roadmap_dependency_delete": post_only(members(OWNER, FOUND)),
    "item_align": {"GET": members(OWNER, OK), "POST": members(OWNER, OK)},
    "alignment_remove": post_only(members(OWNER, FOUND)),
    # Share links: PMs manage links (their products'), the portfolio-wide one is the
    # director's.
    "share_links": {"GET": members(PMS, OK), "POST": members(PMS, OK)},
    "share_link_revoke": post_only(members(DIRECTOR, FOUND)),
    "share_link_recreate": post_only(members(DIRECTOR, OK)),
    # The audit trail of an object (here a roadmap item of `product`): directors only.
    "object_history": get_only(members(DIRECTOR, OK)),
    # The public page: the token is the only key; an unknown token is a 404 for all.
    "share_page": {
        "GET": cells(NOT_FOUND, share_holder=OK),
        "POST": cells(WRONG_METHOD),
    },
    # The shared board's next cards (htmx); without htmx, a redirect to the share page.
    "share_board_cards": {
        "GET": cells(NOT_FOUND, share_holder=FOUND),
        "POST": cells(WRONG_METHOD),
    },
}
