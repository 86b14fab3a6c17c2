import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadmap.board import board_context
from roadmap.models import (
    Alignment,
    Dependency,
    Horizon,
    ItemStatus,
    RoadmapItem,
    RoadmapItemChange,
)
from tests.okrs.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import ProductFactory
from tests.roadmap.factories import AlignmentFactory, DependencyFactory, RoadmapItemFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = datetime.date(2027, 1, 1)
ROLES_WHO_EDIT = {"director", "owning_pm"}


def board_url(product=None):
    if product is not None:
        return reverse("product_roadmap", args=["acme", product.slug])
    return reverse("roadmap_board", args=["acme"])


@pytest.fixture
def key_result(cycle, product):
    return KeyResultFactory(
        objective=ObjectiveFactory(cycle=cycle, product=product, title="Cut friction"),
        title="Checkout conversion",
    )


@pytest.fixture
def item(product, owning_pm):
    return RoadmapItemFactory(
        product=product, title="One-page checkout", owner=owning_pm, horizon=Horizon.NEXT
    )


class TestBoardPage:
    def test_shows_cards_in_now_next_later_with_their_details(
        self, client, stakeholder, item, key_result, product, other_product
    ):
        AlignmentFactory(item=item, key_result=key_result)
        blocker = RoadmapItemFactory(
            product=other_product, title="Payments API", ends_on=DAY, horizon=Horizon.NOW
        )
        item.starts_on = DAY - datetime.timedelta(days=5)
        item.save()
        DependencyFactory(blocked_item=item, blocking_item=blocker)
        client.force_login(stakeholder)
        response = client.get(board_url())
        html = response.content.decode()
        assert response.status_code == 200
        for column in ("Now", "Next", "Later"):
            assert f'id="column-{column.lower()}"' in html
        assert "One-page checkout" in html
        assert "Checkout" in html
        assert "Checkout conversion" in html  # the aligned key result's chip
        assert "PO" in html  # the owner's initials
        assert "Blocked by Payments API, which ends after this starts" in html
        assert (
            html.index('id="column-now"')
            < html.index("Payments API")
            < html.index('id="column-next"')
        )

    def test_counts_open_blockers(self, client, stakeholder, item, product):
        DependencyFactory(blocked_item=item)
        DependencyFactory(blocked_item=item)
        client.force_login(stakeholder)
        assert "Blocked by 2" in client.get(board_url()).content.decode()

    @pytest.mark.parametrize(
        "role", ["director", "owning_pm", "other_pm", "contributor", "stakeholder"]
    )
    def test_editing_controls_only_for_those_who_may_edit(self, client, person, item, role):
        client.force_login(person(role))
        html = client.get(board_url()).content.decode()
        editable = role in ROLES_WHO_EDIT
        assert ("data-move-url" in html) == editable
        assert ("Move to Now" in html) == editable
        assert ("board-card__handle" in html) == editable
        assert ("New item" in html) == editable  # other_pm owns no product here

    def test_other_pm_sees_move_controls_only_on_their_own_products(
        self, client, other_pm, item, other_product
    ):
        theirs = RoadmapItemFactory(product=other_product, title="Their item")
        client.force_login(other_pm)
        html = client.get(board_url()).content.decode()
        assert f'id="item-{theirs.pk}"' in html
        assert reverse("roadmap_item_move", args=["acme", theirs.pk]) in html
        assert reverse("roadmap_item_move", args=["acme", item.pk]) not in html

    def test_outsider_gets_404(self, client, outsider, item, product):
        client.force_login(outsider)
        assert client.get(board_url()).status_code == 404
        assert client.get(board_url(product)).status_code == 404

    def test_product_page_shows_only_that_product(
        self, client, director, item, product, other_product
    ):
        RoadmapItemFactory(product=other_product, title="Search relevance")
        client.force_login(director)
        html = client.get(board_url(product)).content.decode()
        assert "One-page checkout" in html
        assert "Search relevance" not in html
        assert client.get(reverse("product_roadmap", args=["acme", "nope"])).status_code == 404

    def test_filters_by_status_owner_product_and_objective(
        self, client, director, item, key_result, product, other_product, other_pm
    ):
        AlignmentFactory(item=item, key_result=key_result)
        RoadmapItemFactory(product=other_product, title="Search relevance", owner=other_pm)
        RoadmapItemFactory(product=product, title="Idea card", status=ItemStatus.IDEA)
        client.force_login(director)

        def titles(**params):
            html = client.get(board_url(), params).content.decode()
            return {t for t in ["One-page checkout", "Search relevance", "Idea card"] if t in html}

        assert titles(status="idea") == {"Idea card"}
        assert titles(owner=other_pm.pk) == {"Search relevance"}
        assert titles(product="search") == {"Search relevance"}
        assert titles(objective=key_result.objective_id) == {"One-page checkout"}
        assert (
            "No item matches these filters."
            in client.get(board_url(), {"status": "dropped"}).content.decode()
        )

    def test_htmx_returns_the_board_partial(self, client, director, item):
        client.force_login(director)
        response = client.get(board_url(), {"status": "planned"}, **HTMX)
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="board"')
        assert "<html" not in html
        assert "One-page checkout" in html
        assert "HX-Request" in response["Vary"]

    def test_history_restore_gets_the_whole_page(self, client, director, item):
        client.force_login(director)
        response = client.get(
            board_url(), {"status": "planned"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
        )
        assert "<html" in response.content.decode()

    def test_empty_state(self, client, owning_pm, product):
        client.force_login(owning_pm)
        html = client.get(board_url()).content.decode()
        assert "No roadmap items yet" in html
        assert "New item" in html

    @pytest.mark.parametrize("for_product", [False, True])
    def test_queries_do_not_grow_with_cards(
        self, client, owning_pm, product, other_product, cycle, for_product
    ):
        def add(count):
            for _ in range(count):
                card = RoadmapItemFactory(product=product, owner=owning_pm, horizon=Horizon.NOW)
                other = RoadmapItemFactory(product=other_product, horizon=Horizon.LATER)
                AlignmentFactory(
                    item=card,
                    key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=cycle)),
                )
                DependencyFactory(blocked_item=card, blocking_item=other)

        url = board_url(product if for_product else None)
        client.force_login(owning_pm)
        add(2)
        with CaptureQueriesContext(connection) as small:
            client.get(url)
        add(10)
        with CaptureQueriesContext(connection) as large:
            html = client.get(url).content.decode()
        assert html.count('class="board-card"') == (12 if for_product else 24)
        assert len(large) == len(small)


def more_request(column, **params):
    """What htmx sends for a column's "Show N more" button."""
    return {"column": column, **params}, {**HTMX, "HTTP_HX_TARGET": f"board-more-{column}"}


class TestColumnPages:
    """Each column shows a page of cards; the rest stays one click (or link) away."""

    @pytest.fixture(autouse=True)
    def two_per_page(self, monkeypatch):
        monkeypatch.setattr("roadmap.board.CARDS_PER_PAGE", 2)

    @pytest.fixture
    def now_cards(self, product, owning_pm):
        return [
            RoadmapItemFactory(
                product=product,
                title=f"Now card {index}",
                horizon=Horizon.NOW,
                position=index,
                owner=owning_pm,
                status=ItemStatus.IDEA if index % 2 else ItemStatus.PLANNED,
            )
            for index in range(5)
        ]

    def test_caps_a_column_and_says_how_many_are_not_shown(self, client, director, now_cards):
        client.force_login(director)
        html = client.get(board_url()).content.decode()
        assert "Now card 0" in html
        assert "Now card 1" in html
        assert "Now card 2" not in html
        assert 'aria-label="5 items">5</span>' in html  # the column's whole count
        assert "Show 2 more<" in html
        assert "3 of 5 not shown" in html
        assert 'href="/p/acme/roadmap/?column=now&amp;page=2"' in html
        assert html.count('class="board__more"') == 1  # Next and Later fit

    def test_show_more_returns_the_next_cards_and_a_new_button(self, client, director, now_cards):
        client.force_login(director)
        params, headers = more_request("now", page=2)
        response = client.get(board_url(), params, **headers)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert 'id="board"' not in html
        assert html.lstrip().startswith('<li class="board-card"')
        assert [t for t in (f"Now card {i}" for i in range(5)) if t in html] == [
            "Now card 2",
            "Now card 3",
        ]
        assert "column=now&amp;page=3" in html
        assert "1 of 5 not shown" in html
        assert "HX-Request" in response["Vary"]

    def test_the_last_page_has_no_button(self, client, director, now_cards):
        client.force_login(director)
        params, headers = more_request("now", page=3)
        html = client.get(board_url(), params, **headers).content.decode()
        assert "Now card 4" in html
        assert "board__more" not in html

    def test_filters_apply_to_counts_and_to_every_page(self, client, director, now_cards):
        client.force_login(director)
        html = client.get(board_url(), {"status": "planned"}).content.decode()
        assert 'aria-label="3 items">3</span>' in html  # cards 0, 2 and 4
        assert "status=planned&amp;column=now&amp;page=2" in html
        params, headers = more_request("now", page=2, status="planned")
        more = client.get(board_url(), params, **headers).content.decode()
        assert "Now card 4" in more
        assert "Now card 1" not in more
        assert "Now card 3" not in more

    def test_without_javascript_the_link_shows_that_page_of_the_column(
        self, client, director, now_cards, product
    ):
        later = RoadmapItemFactory(product=product, title="Later card", horizon=Horizon.LATER)
        client.force_login(director)
        response = client.get(board_url(), {"column": "now", "page": 2})
        html = response.content.decode()
        assert "<html" in html
        assert "Now card 2" in html
        assert "Now card 3" in html
        assert "Now card 0" not in html
        assert later.title in html  # the other columns stay on their first page
        assert "Show the previous 2" in html
        assert 'href="/p/acme/roadmap/"' in html
        assert "cards 3–4 of 5" in html

    def test_product_roadmap_uses_the_same_cap(self, client, owning_pm, now_cards, product):
        client.force_login(owning_pm)
        html = client.get(board_url(product)).content.decode()
        assert html.count('class="board-card"') == 2
        assert "/p/acme/products/checkout/?column=now&amp;page=2" in html

    def test_moves_count_every_card_of_the_product_in_the_column(
        self, client, owning_pm, now_cards
    ):
        """Move up / down and drag send a place among all the product's cards, even when
        a filter or the cap hides some of them."""
        client.force_login(owning_pm)
        filtered = client.get(board_url(), {"status": "idea"}).content.decode()
        # Cards 1 and 3 are ideas: their places are 1 and 3, not 0 and 1.
        card = filtered[filtered.index(f'id="item-{now_cards[1].pk}"') :]
        assert 'data-index="1"' in card[:400]
        assert 'name="position" value="0"' in card  # Move up
        assert 'name="position" value="2"' in card  # Move down
        params, headers = more_request("now", page=2)
        second = client.get(board_url(), params, **headers).content.decode()
        card = second[second.index(f'id="item-{now_cards[3].pk}"') :]
        assert 'data-index="3"' in card[:400]
        assert 'name="position" value="4"' in card  # Move down: card 4 is below it

    def test_a_keyboard_move_lands_on_the_page_that_shows_the_card(
        self, client, owning_pm, product, now_cards
    ):
        for index in range(4):
            RoadmapItemFactory(product=product, horizon=Horizon.LATER, position=index)
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_move", args=["acme", now_cards[0].pk]),
            {"horizon": "later", "position": 100000, "next": "/p/acme/roadmap/?status=planned"},
        )
        # The fifth card of Later under no filter but "planned": page 3 of 2-card pages.
        assert response["Location"] == (
            f"/p/acme/roadmap/?status=planned&column=later&page=3#item-{now_cards[0].pk}"
        )
        html = client.get(response["Location"].split("#")[0]).content.decode()
        assert f'id="item-{now_cards[0].pk}"' in html

    def test_readers_get_read_only_pages(self, client, stakeholder, now_cards):
        client.force_login(stakeholder)
        params, headers = more_request("now", page=2)
        html = client.get(board_url(), params, **headers).content.decode()
        assert "Now card 2" in html
        assert "data-move-url" not in html
        assert "Move to" not in html

    def test_outsider_gets_404_on_a_page_of_cards(self, client, outsider, now_cards, product):
        client.force_login(outsider)
        params, headers = more_request("now", page=2)
        assert client.get(board_url(), params, **headers).status_code == 404
        assert client.get(board_url(product), params, **headers).status_code == 404

    def test_a_page_of_cards_costs_the_same_queries_whatever_the_rows(
        self, client, director, product, cycle
    ):
        def add(count):
            for _ in range(count):
                card = RoadmapItemFactory(product=product, horizon=Horizon.NOW)
                AlignmentFactory(
                    item=card,
                    key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=cycle)),
                )
                DependencyFactory(blocked_item=card)

        client.force_login(director)
        params, headers = more_request("now", page=2, status="planned")
        add(3)
        with CaptureQueriesContext(connection) as small:
            client.get(board_url(), params, **headers)
        add(10)
        with CaptureQueriesContext(connection) as large:
            html = client.get(board_url(), params, **headers).content.decode()
        assert html.count('class="board-card"') == 2
        assert len(large) == len(small)


class TestBoardContext:
    def test_public_board_hides_every_editing_control_and_link(self, item, director, product):
        from django.template.loader import render_to_string

        context = board_context(RoadmapItem.objects.all(), user=director, public=True)
        html = render_to_string("roadmap/_board.html", context)
        assert "One-page checkout" in html
        assert "data-move-url" not in html
        assert "Move" not in html
        assert "<a " not in html
        assert "@" not in html  # no e-mail address

    def test_public_board_names_no_blocker_outside_what_it_shares(
        self, item, product, other_product
    ):
        from django.template.loader import render_to_string

        secret = RoadmapItemFactory(product=other_product, title="Secret acquisition")
        DependencyFactory(blocked_item=item, blocking_item=secret)

        shared = render_to_string(
            "roadmap/_board.html",
            board_context(RoadmapItem.objects.filter(product=product), public=True),
        )
        internal = render_to_string(
            "roadmap/_board.html", board_context(RoadmapItem.objects.filter(product=product))
        )

        assert "Secret acquisition" not in shared
        assert "Blocked by" not in shared
        assert "Blocked by" in internal

    def test_without_a_user_nothing_is_editable(self, item):
        context = board_context(RoadmapItem.objects.all())
        (card,) = [card for column in context["board_columns"] for card in column.cards]
        assert card.can_edit is False
        assert context["board_can_drag"] is False


class TestMove:
    def test_moves_a_card_to_another_column_and_records_who(self, client, owning_pm, item, product):
        first = RoadmapItemFactory(product=product, horizon=Horizon.NOW, position=0)
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_move", args=["acme", item.pk]),
            {"horizon": "now", "position": 0},
            **HTMX,
        )
        assert response.status_code == 204
        assert "roadmapItemMoved" in response["HX-Trigger"]
        item.refresh_from_db()
        first.refresh_from_db()
        assert (item.horizon, item.position, first.position) == ("now", 0, 1)
        change = RoadmapItemChange.objects.get(item=item)
        assert (change.actor, change.before, change.after) == (owning_pm, "next", "now")

    def test_keyboard_move_redirects_back_to_the_card(self, client, owning_pm, item):
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_move", args=["acme", item.pk]),
            {"horizon": "later", "position": 100000, "next": "/p/acme/roadmap/?status=planned"},
        )
        assert response.status_code == 302
        assert response["Location"] == f"/p/acme/roadmap/?status=planned#item-{item.pk}"
        assert RoadmapItem.objects.get(pk=item.pk).horizon == "later"

    def test_refuses_an_unsafe_next(self, client, owning_pm, item):
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_move", args=["acme", item.pk]),
            {"horizon": "now", "position": 0, "next": "https://evil.example/"},
        )
        assert response["Location"].startswith("/p/acme/roadmap/")

    def test_refuses_a_bad_horizon(self, client, owning_pm, item):
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_move", args=["acme", item.pk]),
            {"horizon": "someday", "position": 0},
            **HTMX,
        )
        assert response.status_code == 400
        assert RoadmapItem.objects.get(pk=item.pk).horizon == "next"

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("director", 204),
            ("owning_pm", 204),
            ("other_pm", 403),
            ("contributor", 403),
            ("stakeholder", 403),
            ("outsider", 404),
        ],
    )
    def test_only_editors_move(self, client, person, item, role, status):
        client.force_login(person(role))
        response = client.post(
            reverse("roadmap_item_move", args=["acme", item.pk]),
            {"horizon": "now", "position": 0},
            **HTMX,
        )
        assert response.status_code == status
        assert (RoadmapItem.objects.get(pk=item.pk).horizon == "now") == (status == 204)


class TestItemDialog:
    def test_create_form_in_the_dialog(self, client, owning_pm, product, key_result):
        client.force_login(owning_pm)
        response = client.get(reverse("roadmap_item_create", args=["acme"]), **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert "New roadmap item" in html
        assert "Checkout conversion" in html  # the alignment picker offers the cycle's KRs

    def test_creates_an_item_with_alignments(self, client, owning_pm, product, key_result):
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_create", args=["acme"]),
            {
                "title": "Address autocomplete",
                "product": product.pk,
                "owner": owning_pm.pk,
                "status": "planned",
                "horizon": "now",
                "key_results": [key_result.pk],
            },
            **HTMX,
        )
        assert response.status_code == 204
        assert "roadmapItemSaved" in response["HX-Trigger"]
        assert "dialogClose" in response["HX-Trigger"]
        item = RoadmapItem.objects.get(title="Address autocomplete")
        assert item.horizon == "now"
        assert list(item.key_results.all()) == [key_result]

    def test_create_shows_errors_inline(self, client, owning_pm, product):
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_create", args=["acme"]),
            {
                "title": "",
                "product": product.pk,
                "status": "planned",
                "horizon": "now",
                "starts_on": "2027-02-01",
                "ends_on": "2027-01-01",
            },
            **HTMX,
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "This field is required." in html
        assert "An item cannot end before it starts." in html
        assert not RoadmapItem.objects.exists()

    def test_another_pm_cannot_create_in_a_product_they_do_not_own(
        self, client, other_pm, product, other_product
    ):
        client.force_login(other_pm)
        client.post(
            reverse("roadmap_item_create", args=["acme"]),
            {"title": "Sneaky", "product": product.pk, "status": "planned", "horizon": "now"},
        )
        assert not RoadmapItem.objects.filter(product=product).exists()

    @pytest.mark.parametrize(
        ("role", "status"), [("contributor", 403), ("stakeholder", 403), ("outsider", 404)]
    )
    def test_create_refused(self, client, person, product, role, status):
        client.force_login(person(role))
        response = client.post(
            reverse("roadmap_item_create", args=["acme"]),
            {"title": "X", "product": product.pk, "status": "planned", "horizon": "now"},
        )
        assert response.status_code == status
        assert not RoadmapItem.objects.exists()

    def test_edit_updates_details_and_re_aligns(
        self, client, owning_pm, item, key_result, cycle, product
    ):
        old = KeyResultFactory(objective=key_result.objective, title="Old KR")
        AlignmentFactory(item=item, key_result=old)
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_edit", args=["acme", item.pk]),
            {
                "title": "One-page checkout v2",
                "owner": owning_pm.pk,
                "status": "in_progress",
                "horizon": "next",
                "key_results": [key_result.pk],
            },
            **HTMX,
        )
        assert response.status_code == 204
        item.refresh_from_db()
        assert item.title == "One-page checkout v2"
        assert item.status == "in_progress"
        assert list(Alignment.objects.filter(item=item).values_list("key_result", flat=True)) == [
            key_result.pk
        ]
        assert RoadmapItemChange.objects.filter(item=item, field="status", actor=owning_pm).exists()

    def test_edit_form_shows_the_items_dates(self, client, owning_pm, item):
        item.starts_on, item.ends_on = DAY, DAY + datetime.timedelta(days=30)
        item.save()
        client.force_login(owning_pm)
        html = client.get(reverse("roadmap_item_edit", args=["acme", item.pk]), **HTMX)
        assert 'value="2027-01-01"' in html.content.decode()
        assert 'value="2027-01-31"' in html.content.decode()

    def test_a_reader_sees_a_read_only_dialog(self, client, stakeholder, item):
        client.force_login(stakeholder)
        response = client.get(reverse("roadmap_item_edit", args=["acme", item.pk]), **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "One-page checkout" in html
        assert "<form" not in html

    def test_without_htmx_the_dialog_is_a_page(self, client, owning_pm, item):
        client.force_login(owning_pm)
        html = client.get(reverse("roadmap_item_edit", args=["acme", item.pk])).content.decode()
        assert "<html" in html
        assert "Edit item" in html

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("director", 204),
            ("owning_pm", 204),
            ("other_pm", 403),
            ("contributor", 403),
            ("stakeholder", 403),
            ("outsider", 404),
        ],
    )
    def test_only_editors_save(self, client, person, item, role, status):
        client.force_login(person(role))
        response = client.post(
            reverse("roadmap_item_edit", args=["acme", item.pk]),
            {"title": "Renamed", "status": "planned", "horizon": "next"},
            **HTMX,
        )
        assert response.status_code == status
        assert (RoadmapItem.objects.get(pk=item.pk).title == "Renamed") == (status == 204)

    def test_dialog_queries_do_not_grow(self, client, owning_pm, item, product, cycle):
        def add(count):
            for _ in range(count):
                other = RoadmapItemFactory(product=product)
                DependencyFactory(blocked_item=item, blocking_item=other)
                AlignmentFactory(
                    item=item, key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
                )

        url = reverse("roadmap_item_edit", args=["acme", item.pk])
        client.force_login(owning_pm)
        add(2)
        with CaptureQueriesContext(connection) as small:
            client.get(url, **HTMX)
        add(8)
        with CaptureQueriesContext(connection) as large:
            client.get(url, **HTMX)
        assert len(large) == len(small)


class TestArchive:
    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("director", 204),
            ("owning_pm", 204),
            ("other_pm", 403),
            ("contributor", 403),
            ("stakeholder", 403),
            ("outsider", 404),
        ],
    )
    def test_only_editors_archive(self, client, person, item, role, status):
        client.force_login(person(role))
        response = client.post(reverse("roadmap_item_archive", args=["acme", item.pk]), **HTMX)
        assert response.status_code == status
        assert RoadmapItem.objects.get(pk=item.pk).is_archived == (status == 204)

    def test_an_archived_item_leaves_the_board(self, client, owning_pm, item):
        client.force_login(owning_pm)
        client.post(reverse("roadmap_item_archive", args=["acme", item.pk]))
        assert "One-page checkout" not in client.get(board_url()).content.decode()


class TestDependencies:
    def test_adds_and_removes_a_dependency(self, client, owning_pm, item, product):
        blocker = RoadmapItemFactory(product=product, title="Payments API")
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_dependency_add", args=["acme", item.pk]),
            {"blocking_item": blocker.pk},
            **HTMX,
        )
        assert response.status_code == 200
        assert "roadmapItemSaved" in response["HX-Trigger"]
        assert "Payments API" in response.content.decode()
        dependency = Dependency.objects.get(blocked_item=item, blocking_item=blocker)
        response = client.post(
            reverse("roadmap_dependency_delete", args=["acme", dependency.pk]), **HTMX
        )
        assert "Nothing blocks this item." in response.content.decode()
        assert not Dependency.objects.exists()

    def test_a_cycle_is_refused_with_the_services_message(self, client, owning_pm, item, product):
        blocker = RoadmapItemFactory(product=product, title="Payments API")
        DependencyFactory(blocked_item=blocker, blocking_item=item)
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_dependency_add", args=["acme", item.pk]),
            {"blocking_item": blocker.pk},
            **HTMX,
        )
        html = response.content.decode()
        assert "This would create a cycle: One-page checkout → Payments API → One-page" in html
        assert Dependency.objects.count() == 1

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("other_pm", 403),
            ("contributor", 403),
            ("stakeholder", 403),
            ("outsider", 404),
        ],
    )
    def test_refused_for_those_who_may_not_edit(self, client, person, item, product, role, status):
        blocker = RoadmapItemFactory(product=product)
        existing = DependencyFactory(blocked_item=item)
        client.force_login(person(role))
        add = client.post(
            reverse("roadmap_item_dependency_add", args=["acme", item.pk]),
            {"blocking_item": blocker.pk},
        )
        remove = client.post(reverse("roadmap_dependency_delete", args=["acme", existing.pk]))
        assert (add.status_code, remove.status_code) == (status, status)
        assert list(Dependency.objects.all()) == [existing]


@pytest.fixture
def many_key_results(cycle, product, other_product):
    """Key results of the item's product, of the portfolio and of another product."""
    own = ObjectiveFactory(cycle=cycle, product=product, title="Cut friction")
    portfolio_level = ObjectiveFactory(cycle=cycle, title="Grow revenue")
    elsewhere = ObjectiveFactory(cycle=cycle, product=other_product, title="Faster search")
    return {
        "own": [KeyResultFactory(objective=own, title=f"Checkout {n}") for n in range(3)],
        "portfolio": [
            KeyResultFactory(objective=portfolio_level, title=f"ARR {n}") for n in range(2)
        ],
        "elsewhere": [
            KeyResultFactory(objective=elsewhere, title=f"Search latency {n}") for n in range(3)
        ],
    }


def edit_url(item):
    return reverse("roadmap_item_edit", args=["acme", item.pk])


def checkbox(key_result, checked=False):
    """How the dialog renders one key result's checkbox (whitespace collapsed)."""
    return f'name="key_results" value="{key_result.pk}"{" checked" if checked else ""}>'


def collapsed(response):
    return re.sub(r"\s+", " ", response.content.decode()).replace(" >", ">")


KR_SEARCH = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "item-kr-results"}
BLOCKER_SEARCH = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "item-blocker-choices"}


class TestItemDialogKeyResults:
    """The fieldset shows the key results the item serves, then a capped list of the
    most relevant ones; a search finds the others (`?kr_q=`)."""

    @pytest.fixture(autouse=True)
    def small_cap(self, monkeypatch):
        monkeypatch.setattr("roadmap.selectors.KEY_RESULT_CHOICES", 2)

    def test_shows_the_served_ones_ticked_then_the_most_relevant(
        self, client, owning_pm, item, many_key_results
    ):
        served = many_key_results["elsewhere"][2]
        AlignmentFactory(item=item, key_result=served)
        client.force_login(owning_pm)
        html = collapsed(client.get(edit_url(item), **HTMX))
        assert checkbox(served, checked=True) in html
        own = many_key_results["own"]
        assert checkbox(own[0]) in html
        assert checkbox(own[1]) in html
        assert f'name="key_results" value="{own[2].pk}"' not in html
        assert f'name="key_results" value="{many_key_results["elsewhere"][0].pk}"' not in html
        assert "Showing 3 of 8 key results: the ones this item serves, then Checkout’s" in html
        assert "Search to find the other 5." in html
        assert 'for="item-kr-q">Find a key result' in html
        assert 'form="item-kr-search"' in html

    def test_the_portfolios_come_after_the_products_own(
        self, client, owning_pm, item, many_key_results, monkeypatch
    ):
        monkeypatch.setattr("roadmap.selectors.KEY_RESULT_CHOICES", 4)
        client.force_login(owning_pm)
        html = collapsed(client.get(edit_url(item), **HTMX))
        shown = re.findall(r'name="key_results" value="(\d+)"', html)
        expected = [*many_key_results["own"], many_key_results["portfolio"][0]]
        assert shown == [str(kr.pk) for kr in expected]

    def test_search_returns_matches_as_checkboxes_of_the_same_form(
        self, client, owning_pm, item, many_key_results
    ):
        client.force_login(owning_pm)
        elsewhere = many_key_results["elsewhere"]
        response = client.get(f"{edit_url(item)}?kr_q=latency", **KR_SEARCH)
        html = collapsed(response)
        assert response.status_code == 200
        assert html.lstrip().startswith('<div id="item-kr-results"')
        assert checkbox(elsewhere[0]) in html
        assert checkbox(elsewhere[1]) in html
        assert f'name="key_results" value="{elsewhere[2].pk}"' not in html
        assert "2 of 3 other key results match “latency”: refine the search to see" in html
        assert "HX-Target" in response["Vary"]

    def test_search_leaves_out_what_is_shown_and_keeps_what_was_ticked(
        self, client, owning_pm, item, many_key_results
    ):
        client.force_login(owning_pm)
        elsewhere = many_key_results["elsewhere"]
        url = (
            f"{edit_url(item)}?kr_q=latency&kr_shown={elsewhere[0].pk}"
            f"&key_results={many_key_results['own'][2].pk}"
        )
        html = collapsed(client.get(url, **KR_SEARCH))
        assert f'name="key_results" value="{elsewhere[0].pk}"' not in html
        assert checkbox(many_key_results["own"][2], checked=True) in html  # ticked earlier
        assert checkbox(elsewhere[1]) in html
        assert checkbox(elsewhere[2]) in html
        assert "2 other key results match “latency”." in html

    def test_search_finds_by_objective_title_and_says_when_nothing_matches(
        self, client, owning_pm, item, many_key_results
    ):
        client.force_login(owning_pm)
        html = collapsed(client.get(f"{edit_url(item)}?kr_q=grow revenue", **KR_SEARCH))
        assert checkbox(many_key_results["portfolio"][0]) in html
        html = collapsed(client.get(f"{edit_url(item)}?kr_q=nothing-like-it", **KR_SEARCH))
        assert "No other key result of This quarter matches “nothing-like-it”." in html

    def test_search_never_offers_another_cycles_key_results(
        self, client, owning_pm, item, portfolio, many_key_results
    ):
        old = CycleFactory(
            portfolio=portfolio,
            state="closed",
            starts_on=datetime.date(2020, 1, 1),
            ends_on=datetime.date(2020, 3, 31),
        )
        past = KeyResultFactory(objective=ObjectiveFactory(cycle=old), title="Latency 2020")
        client.force_login(owning_pm)
        url = f"{edit_url(item)}?kr_q=latency&key_results={past.pk}"
        html = collapsed(client.get(url, **KR_SEARCH))
        assert f'name="key_results" value="{past.pk}"' not in html

    def test_ignores_what_is_not_an_id(self, client, owning_pm, item, many_key_results):
        client.force_login(owning_pm)
        huge = "9" * 30
        url = f"{edit_url(item)}?kr_q=latency&key_results={huge}&kr_shown={huge},x,-1"
        response = client.get(url, **KR_SEARCH)
        assert response.status_code == 200
        assert checkbox(many_key_results["elsewhere"][0]) in collapsed(response)

    def test_without_javascript_the_search_reloads_the_dialog_page(
        self, client, owning_pm, item, many_key_results
    ):
        client.force_login(owning_pm)
        html = collapsed(client.get(f"{edit_url(item)}?kr_q=latency"))
        assert "<html" in html
        assert 'value="latency"' in html
        assert checkbox(many_key_results["elsewhere"][0]) in html
        assert '<form id="item-kr-search" method="get"' in html

    def test_create_dialog_suggests_for_the_product_asked_for(
        self, client, director, product, other_product, many_key_results
    ):
        client.force_login(director)
        url = reverse("roadmap_item_create", args=["acme"])
        html = collapsed(client.get(f"{url}?product={other_product.slug}", **HTMX))
        elsewhere = many_key_results["elsewhere"]
        assert checkbox(elsewhere[0]) in html
        assert checkbox(elsewhere[1]) in html
        assert f'name="key_results" value="{many_key_results["own"][0].pk}"' not in html
        html = collapsed(client.get(f"{url}?kr_q=checkout&product={product.pk}", **KR_SEARCH))
        assert checkbox(many_key_results["own"][0]) in html

    def test_saves_a_key_result_found_by_search_and_keeps_the_others(
        self, client, owning_pm, item, portfolio, many_key_results
    ):
        """Any key result of the cycle is accepted, shown or not; an alignment to another
        cycle's key result is not in the dialog and stays."""
        old = CycleFactory(
            portfolio=portfolio,
            state="closed",
            starts_on=datetime.date(2020, 1, 1),
            ends_on=datetime.date(2020, 3, 31),
        )
        past = AlignmentFactory(
            item=item, key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=old))
        )
        kept = AlignmentFactory(item=item, key_result=many_key_results["own"][0])
        dropped = AlignmentFactory(item=item, key_result=many_key_results["own"][1])
        found = many_key_results["elsewhere"][2]  # beyond the cap, found by a search
        client.force_login(owning_pm)
        response = client.post(
            edit_url(item),
            {
                "title": item.title,
                "status": "planned",
                "horizon": "next",
                "key_results": [kept.key_result_id, found.pk],
            },
            **HTMX,
        )
        assert response.status_code == 204
        assert set(item.alignments.values_list("key_result_id", flat=True)) == {
            past.key_result_id,
            kept.key_result_id,
            found.pk,
        }
        assert not Alignment.objects.filter(pk=dropped.pk).exists()

    def test_a_post_with_errors_shows_what_the_person_ticked(
        self, client, owning_pm, item, many_key_results
    ):
        AlignmentFactory(item=item, key_result=many_key_results["own"][0])
        found = many_key_results["elsewhere"][2]
        client.force_login(owning_pm)
        response = client.post(
            edit_url(item),
            {"title": "", "status": "planned", "horizon": "next", "key_results": [found.pk]},
            **HTMX,
        )
        html = collapsed(response)
        assert "This field is required." in html
        assert checkbox(found, checked=True) in html
        assert checkbox(many_key_results["own"][0]) in html  # unticked by the person
        assert set(item.alignments.values_list("key_result__title", flat=True)) == {"Checkout 0"}

    def test_a_key_result_of_another_cycle_is_refused(
        self, client, owning_pm, item, portfolio, many_key_results
    ):
        old = CycleFactory(
            portfolio=portfolio,
            state="closed",
            starts_on=datetime.date(2020, 1, 1),
            ends_on=datetime.date(2020, 3, 31),
        )
        past = KeyResultFactory(objective=ObjectiveFactory(cycle=old))
        client.force_login(owning_pm)
        response = client.post(
            edit_url(item),
            {"title": "X", "status": "planned", "horizon": "next", "key_results": [past.pk]},
            **HTMX,
        )
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not item.alignments.exists()

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("director", 200),
            ("owning_pm", 200),
            ("other_pm", 403),
            ("contributor", 403),
            ("stakeholder", 403),
            ("outsider", 404),
        ],
    )
    def test_only_those_who_align_may_search(
        self, client, person, item, many_key_results, role, status
    ):
        client.force_login(person(role))
        response = client.get(f"{edit_url(item)}?kr_q=latency", **KR_SEARCH)
        assert response.status_code == status

    def test_readers_see_no_picker(self, client, stakeholder, item, many_key_results):
        client.force_login(stakeholder)
        html = collapsed(client.get(edit_url(item), **HTMX))
        assert "item-kr-q" not in html
        assert "item-blocker-q" not in html


class TestItemDialogBlockers:
    """ "Add an item this waits for" offers a capped list, the item's product's first; a
    search (`?blocker_q=`) fills the select with matches."""

    @pytest.fixture(autouse=True)
    def small_cap(self, monkeypatch):
        monkeypatch.setattr("roadmap.selectors.BLOCKER_CHOICES", 2)

    @pytest.fixture
    def candidates(self, item, product, other_product):
        return {
            "search": [
                RoadmapItemFactory(product=other_product, title=f"Index shards {n}")
                for n in range(3)
            ],
            "own": [RoadmapItemFactory(product=product, title=f"Wallet {n}") for n in range(2)],
        }

    def test_offers_the_products_own_items_first_and_says_how_many_more(
        self, client, owning_pm, item, candidates
    ):
        blocker = RoadmapItemFactory(product=item.product, title="Already blocking")
        DependencyFactory(blocked_item=item, blocking_item=blocker)
        client.force_login(owning_pm)
        html = collapsed(client.get(edit_url(item), **HTMX))
        select = html[html.index('name="blocking_item"') :].split("</select>")[0]
        options = re.findall(r'<option value="(\d+)"', select)
        assert options == [str(candidates["own"][0].pk), str(candidates["own"][1].pk)]
        assert "Showing 2 of 5 open items, Checkout’s first. Search to find the other 3." in html
        assert 'for="item-blocker-q">Find an item this waits for' in html

    def test_search_by_title_or_product_fills_the_select(self, client, owning_pm, item, candidates):
        client.force_login(owning_pm)
        response = client.get(f"{edit_url(item)}?blocker_q=search", **BLOCKER_SEARCH)
        html = collapsed(response)
        assert html.lstrip().startswith('<div id="item-blocker-choices"')
        assert "<select" in html
        assert "Index shards 0 · Search" in html
        assert "Index shards 1 · Search" in html
        assert "Index shards 2" not in html
        assert "2 of 3 items match “search”: refine the search to see the other 1." in html
        html = collapsed(client.get(f"{edit_url(item)}?blocker_q=shards 2", **BLOCKER_SEARCH))
        assert "Index shards 2 · Search" in html
        assert "1 item matches “shards 2”." in html

    def test_without_javascript_find_reloads_the_page_with_the_search(
        self, client, owning_pm, item, candidates
    ):
        client.force_login(owning_pm)
        html = collapsed(client.get(f"{edit_url(item)}?blocker_q=shards 2"))
        assert "<html" in html
        assert "Index shards 2 · Search" in html
        assert 'value="shards 2"' in html

    def test_adds_a_blocker_that_the_list_did_not_show(self, client, owning_pm, item, candidates):
        hidden = candidates["search"][2]
        client.force_login(owning_pm)
        response = client.post(
            reverse("roadmap_item_dependency_add", args=["acme", item.pk]),
            {"blocking_item": hidden.pk},
            **HTMX,
        )
        assert response.status_code == 200
        assert Dependency.objects.filter(blocked_item=item, blocking_item=hidden).exists()

    def test_a_refused_blocker_stays_selected(self, client, owning_pm, item, candidates):
        hidden = candidates["search"][2]
        DependencyFactory(blocked_item=hidden, blocking_item=item)
        client.force_login(owning_pm)
        html = collapsed(
            client.post(
                reverse("roadmap_item_dependency_add", args=["acme", item.pk]),
                {"blocking_item": hidden.pk},
                **HTMX,
            )
        )
        assert "This would create a cycle" in html
        assert f'<option value="{hidden.pk}" selected>' in html

    def test_another_portfolios_item_is_refused(self, client, owning_pm, item, other_portfolio):
        elsewhere = RoadmapItemFactory(product=ProductFactory(portfolio=other_portfolio))
        client.force_login(owning_pm)
        client.post(
            reverse("roadmap_item_dependency_add", args=["acme", item.pk]),
            {"blocking_item": elsewhere.pk},
            **HTMX,
        )
        assert not Dependency.objects.exists()

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("director", 200),
            ("owning_pm", 200),
            ("other_pm", 403),
            ("contributor", 403),
            ("stakeholder", 403),
            ("outsider", 404),
        ],
    )
    def test_only_those_who_manage_dependencies_may_search(
        self, client, person, item, candidates, role, status
    ):
        client.force_login(person(role))
        response = client.get(f"{edit_url(item)}?blocker_q=shards", **BLOCKER_SEARCH)
        assert response.status_code == status


class TestItemDialogSize:
    def test_queries_and_html_do_not_grow_with_key_results_and_items(
        self, client, owning_pm, item, product, other_product, cycle
    ):
        def grow(count):
            objective = ObjectiveFactory(cycle=cycle, product=other_product)
            for _ in range(count):
                KeyResultFactory(objective=objective)
                RoadmapItemFactory(product=other_product)
            AlignmentFactory(item=item, key_result=KeyResultFactory(objective=objective))
            DependencyFactory(blocked_item=item, blocking_item=RoadmapItemFactory(product=product))

        urls = [
            (edit_url(item), HTMX),
            (edit_url(item), {}),
            (reverse("roadmap_item_create", args=["acme"]), HTMX),
            (f"{edit_url(item)}?kr_q=key", KR_SEARCH),
            (f"{edit_url(item)}?blocker_q=item", BLOCKER_SEARCH),
        ]

        def measure():
            counts, sizes = [], []
            for url, headers in urls:
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url, **headers)
                assert response.status_code == 200
                counts.append(len(queries))
                sizes.append(len(re.findall(r'value="\d+"', response.content.decode())))
            return counts, sizes

        client.force_login(owning_pm)
        grow(35)
        small_counts, small_sizes = measure()
        grow(60)
        large_counts, large_sizes = measure()
        assert small_counts == large_counts
        assert max(large_counts) <= 15, large_counts
        # The number of choices rendered is capped, not the cycle's or the portfolio's.
        assert large_sizes[0] <= small_sizes[0] + 1, (small_sizes, large_sizes)
        assert large_sizes[3] == small_sizes[3]
