"""Injection and escaping (issue 8, point 2): hostile titles, notes and names render
escaped on every page, in the SVG charts, in e-mails (the text part stays plain) and
come back verbatim as data from the API."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portfolio import services as portfolio_services
from roadmap import services as roadmap_services
from roadmap.digest import digest_for, digest_message
from roadmap.reminders import reminder_message
from tests.okrs import builders
from tests.roadmap.factories import AlignmentFactory

SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ATTRIBUTE = "\"'><img src=x onerror=alert(1)>"
ATTRIBUTE_ESCAPED = "&quot;&#x27;&gt;&lt;img src=x onerror=alert(1)&gt;"
# 190 characters: emoji (with a ZWJ sequence), right-to-left Hebrew and Arabic,
# combining marks — within every max_length of 200.
LONG = ("🚀👩‍💻 שלום مرحبا é̃ñ̈ " * 12)[:190]


def hostile(prefix: str) -> str:
    return f"{prefix} {SCRIPT}"


def assert_escaped(html: str):
    assert "<script>alert(1)" not in html
    assert "<img src=x onerror" not in html
    assert SCRIPT_ESCAPED in html


@pytest.fixture
def hostile_world(
    portfolio,
    director,
    owning_pm,
    contributor,
    stakeholder,
    product,
    cycle,
    django_capture_on_commit_callbacks,
):
    """Every free-text field a page shows, filled with markup."""
    portfolio.name = f"Acme {ATTRIBUTE}"
    portfolio.save()
    product.name = hostile("Checkout")
    product.save()
    owning_pm.display_name = hostile("Priya")
    owning_pm.save()
    with django_capture_on_commit_callbacks(execute=True):
        root = builders.objective(cycle, hostile("Goal"), owner=director, description=LONG)
        objective = builders.objective(
            cycle, hostile("Product goal"), owner=owning_pm, product=product, parent=root
        )
        key_result = builders.key_result(
            objective, hostile("Conversion"), owner=owning_pm, unit="%", description=ATTRIBUTE
        )
        builders.key_result(objective, LONG, owner=owning_pm)
        builders.check_in(key_result, owning_pm, 20, note=hostile("Note"), confidence=4)
        builders.check_in(key_result, owning_pm, 35, note=ATTRIBUTE, confidence=6)
        item = roadmap_services.roadmap_item_create(
            product=product,
            title=hostile("Item"),
            horizon="now",
            owner=owning_pm,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + datetime.timedelta(days=20),
        )
        roadmap_services.roadmap_item_update(item=item, description=ATTRIBUTE, actor=owning_pm)
        AlignmentFactory(item=item, key_result=key_result, note=hostile("Why"))
        _link, token = roadmap_services.share_link_create(
            portfolio=portfolio, created_by=director, label=hostile("Board link")
        )
    return {
        "portfolio": portfolio,
        "product": product,
        "root": root,
        "objective": objective,
        "key_result": key_result,
        "item": item,
        "token": token,
        "director": director,
        "owning_pm": owning_pm,
    }


PAGES = {
    "dashboard": lambda w: "/p/acme/",
    "okr_tree": lambda w: "/p/acme/okrs/",
    "okr_tree_children": lambda w: f"/p/acme/okrs/objectives/{w['objective'].pk}/children/",
    "alignment_matrix": lambda w: "/p/acme/alignment/",
    "alignment_cell": lambda w: f"/p/acme/alignment/cell/?objective={w['root'].pk}",
    "roadmap_board": lambda w: "/p/acme/roadmap/",
    "roadmap_timeline": lambda w: "/p/acme/roadmap/timeline/",
    "product_roadmap": lambda w: f"/p/acme/products/{w['product'].slug}/",
    "roadmap_item_edit": lambda w: f"/p/acme/roadmap/items/{w['item'].pk}/",
    "my_work": lambda w: "/me/",
    "key_result_detail": lambda w: f"/p/acme/key-results/{w['key_result'].pk}/",
    "review": lambda w: "/p/acme/review/",
    "share_links": lambda w: "/p/acme/share-links/",
    "portfolio_settings": lambda w: "/p/acme/settings/",
    "settings_people": lambda w: "/p/acme/settings/people/",
    "explain_portfolio": lambda w: "/p/acme/okrs/explain/",
    "explain_objective": lambda w: f"/p/acme/okrs/objectives/{w['objective'].pk}/explain/",
    "explain_product": lambda w: f"/p/acme/okrs/products/{w['product'].slug}/explain/",
    "explain_coverage": lambda w: f"/p/acme/alignment/explain/coverage/{w['root'].pk}/",
    "objective_edit": lambda w: f"/p/acme/okrs/objectives/{w['objective'].pk}/edit/",
    "key_result_edit": lambda w: f"/p/acme/okrs/key-results/{w['key_result'].pk}/edit/",
    "object_history": lambda w: f"/p/acme/history/roadmap-item/{w['item'].pk}/",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_escape_hostile_text(client, hostile_world, name):
    # The owning PM sees every page above except the director's settings.
    director_pages = {"portfolio_settings", "settings_people", "object_history"}
    user = hostile_world["director" if name in director_pages else "owning_pm"]
    client.force_login(user)

    response = client.get(PAGES[name](hostile_world))

    assert response.status_code == 200
    html = response.content.decode()
    assert_escaped(html)
    # The portfolio's name sits in every portfolio page's frame: its attribute-breaking
    # payload is escaped there too.
    if name in {"dashboard", "okr_tree", "roadmap_board", "key_result_detail", "review"}:
        assert ATTRIBUTE_ESCAPED in html


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_key_result_chart_svg_escapes_labels_and_tooltips(client, hostile_world, htmx):
    client.force_login(hostile_world["owning_pm"])
    headers = {"HX-Request": "true"} if htmx else {}

    html = client.get(
        f"/p/acme/key-results/{hostile_world['key_result'].pk}/", headers=headers
    ).content.decode()

    svg = html[html.index("<svg") : html.rindex("</svg>")]
    assert "<script" not in svg
    assert "<img" not in svg
    assert "onerror=alert(1)>" not in svg


def test_the_timeline_svg_escapes_item_titles(client, hostile_world):
    client.force_login(hostile_world["owning_pm"])

    html = client.get("/p/acme/roadmap/timeline/").content.decode()

    assert "<svg" in html
    assert_escaped(html)


def test_long_unicode_text_is_shown_whole(client, hostile_world):
    client.force_login(hostile_world["owning_pm"])

    # The tree's rows below the first level load on expand (here, the page without JS).
    html = client.get(f"/p/acme/okrs/objectives/{hostile_world['objective'].pk}/children/")
    html = html.content.decode()

    assert LONG in html


def test_the_share_page_escapes_hostile_text(client, hostile_world):
    response = client.get(f"/share/{hostile_world['token']}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x onerror" not in html
    assert ATTRIBUTE_ESCAPED in html  # the portfolio's name


class TestEmails:
    def parts(self, message):
        html = next(body for body, kind in message.alternatives if kind == "text/html")
        return message.body, html

    def test_the_digest_escapes_html_and_keeps_text_plain(self, hostile_world):
        today = timezone.localdate()
        monday = today - datetime.timedelta(days=today.weekday())
        digest = digest_for(hostile_world["portfolio"], monday)

        text, html = self.parts(digest_message(digest, hostile_world["director"]))

        assert "<script" not in html
        assert "<img src=x" not in html
        assert ATTRIBUTE_ESCAPED in html
        assert ATTRIBUTE in text  # the text part is plain: no entities
        assert "&lt;" not in text

    def test_the_reminder_escapes_html_and_keeps_text_plain(self, hostile_world):
        message = reminder_message(
            user=hostile_world["owning_pm"],
            portfolio=hostile_world["portfolio"],
            key_results=[hostile_world["key_result"]],
        )

        text, html = self.parts(message)

        assert_escaped(html)
        assert SCRIPT in text
        assert "&lt;" not in text

    def test_the_invitation_escapes_html_and_keeps_text_plain(
        self, hostile_world, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            portfolio_services.member_invite(
                portfolio=hostile_world["portfolio"],
                email="new@example.com",
                role="contributor",
                invited_by=hostile_world["owning_pm"],
                base_url="https://lodestar.example",
            )

        (message,) = mail.outbox
        text, html = self.parts(message)

        assert "<img src=x" not in html
        assert ATTRIBUTE_ESCAPED in html
        assert ATTRIBUTE in text
        assert "&lt;" not in text


def test_the_api_returns_hostile_text_verbatim_as_json(hostile_world):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=hostile_world["owning_pm"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get(f"/api/v1/roadmap-items/{hostile_world['item'].pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["title"] == hostile("Item")
    assert response.json()["description"] == ATTRIBUTE
    key_result = client.get(f"/api/v1/key-results/{hostile_world['key_result'].pk}/").json()
    assert key_result["title"] == hostile("Conversion")
