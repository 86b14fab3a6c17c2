import datetime
import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from okrs.models import ProductProgress
from roadmap import services
from roadmap.models import Alignment, ItemStatus, ShareLink
from roadmap.sharing import share_link_for_token
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import ProductFactory
from tests.roadmap.factories import DependencyFactory, RoadmapItemFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def share_url(token):
    return reverse("share_page", args=[token])


def links_url(portfolio):
    return reverse("share_links", args=[portfolio.slug])


class TestShareLinkCreate:
    def test_stores_only_the_hash_of_a_long_random_token(self, portfolio, director):
        link, token = services.share_link_create(
            portfolio=portfolio, created_by=director, label="Board"
        )

        assert len(token) >= 43  # 32 random bytes, url-safe base64
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in str(ShareLink.objects.filter(pk=link.pk).values().get())

    def test_refuses_a_product_of_another_portfolio_and_a_past_expiry(
        self, portfolio, other_portfolio, director
    ):
        foreign = ProductFactory(portfolio=other_portfolio)
        with pytest.raises(ValidationError) as error:
            services.share_link_create(
                portfolio=portfolio,
                product=foreign,
                created_by=director,
                expires_at=timezone.now() - datetime.timedelta(hours=1),
            )

        assert set(error.value.message_dict) == {"product", "expires_at"}
        assert not ShareLink.objects.exists()

    def test_recreate_revokes_the_old_link_and_keeps_the_scope(self, portfolio, product, director):
        old, old_token = services.share_link_create(
            portfolio=portfolio, product=product, created_by=director, label="Partner"
        )

        new, new_token = services.share_link_recreate(link=old, created_by=director)

        old.refresh_from_db()
        assert old.revoked_at is not None
        assert (new.product, new.label) == (product, "Partner")
        assert share_link_for_token(old_token) is None
        assert share_link_for_token(new_token) == new


class TestShareLinksPage:
    def test_director_creates_a_link_and_sees_its_token_once(self, client, portfolio, director):
        client.force_login(director)

        response = client.post(links_url(portfolio), {"label": "Board pack", "product": ""})

        link = ShareLink.objects.get()
        token = re.search(r"/share/([\w-]+)/", response.content.decode()).group(1)
        assert hashlib.sha256(token.encode()).hexdigest() == link.token_hash
        assert "shown only this once" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert link.product is None
        assert link.created_by == director
        assert token not in client.get(links_url(portfolio)).content.decode()

    def test_lists_scope_creator_views_and_status(self, client, portfolio, product, director):
        services.share_link_create(portfolio=portfolio, product=product, created_by=director)
        revoked, _ = services.share_link_create(
            portfolio=portfolio, created_by=director, label="Old"
        )
        services.share_link_revoke(link=revoked)
        client.force_login(director)

        html = client.get(links_url(portfolio)).content.decode()

        assert "Checkout" in html
        assert "Whole portfolio" in html
        assert "Dana Director" in html
        assert "Active" in html
        assert "Revoked" in html

    def test_htmx_create_answers_the_fragment_with_inline_errors(self, client, portfolio, director):
        client.force_login(director)
        yesterday = timezone.localdate() - datetime.timedelta(days=1)

        response = client.post(
            links_url(portfolio), {"label": "x", "expires_on": yesterday.isoformat()}, **HTMX
        )

        html = response.content.decode()
        assert response.status_code == 422
        assert html.lstrip().startswith('<div id="share-links"')
        assert "Pick today or a later day." in html
        assert not ShareLink.objects.exists()
        assert "HX-Request" in response["Vary"]

    def test_owning_pm_may_share_only_their_own_products(
        self, client, portfolio, product, other_product, owning_pm
    ):
        client.force_login(owning_pm)

        whole = client.post(links_url(portfolio), {"product": "", "label": "all"})
        other = client.post(links_url(portfolio), {"product": other_product.pk})
        own = client.post(links_url(portfolio), {"product": product.pk, "label": "mine"})

        assert whole.status_code == 200
        assert "This field is required" in whole.content.decode()
        assert "Select a valid choice" in other.content.decode()
        assert own.status_code == 200
        assert list(ShareLink.objects.values_list("label", flat=True)) == ["mine"]

    def test_pm_does_not_see_links_of_other_products(
        self, client, portfolio, product, other_product, director, owning_pm
    ):
        services.share_link_create(portfolio=portfolio, product=other_product, created_by=director)
        services.share_link_create(portfolio=portfolio, created_by=director, label="Whole")
        client.force_login(owning_pm)

        html = client.get(links_url(portfolio)).content.decode()

        assert "No share links yet" in html

    @pytest.mark.parametrize("role", ["stakeholder", "contributor", "other_pm"])
    def test_members_without_the_right_are_refused(self, client, portfolio, product, person, role):
        user = person(role)
        client.force_login(user)

        assert client.get(links_url(portfolio)).status_code == 403
        assert client.post(links_url(portfolio), {"product": product.pk}).status_code == 403
        assert not ShareLink.objects.exists()

    def test_outsiders_get_404(self, client, portfolio, director, outsider):
        link, _ = services.share_link_create(portfolio=portfolio, created_by=director)
        client.force_login(outsider)

        assert client.get(links_url(portfolio)).status_code == 404
        revoke = reverse("share_link_revoke", args=[portfolio.slug, link.pk])
        assert client.post(revoke).status_code == 404
        link.refresh_from_db()
        assert link.revoked_at is None

    def test_revoke_redirects_without_htmx_and_refuses_other_pm(
        self, client, portfolio, product, director, other_pm
    ):
        link, _ = services.share_link_create(
            portfolio=portfolio, product=product, created_by=director
        )
        revoke = reverse("share_link_revoke", args=[portfolio.slug, link.pk])
        client.force_login(other_pm)
        assert client.post(revoke).status_code == 403

        client.force_login(director)
        response = client.post(revoke)

        assert response.status_code == 302
        assert response["Location"] == links_url(portfolio)
        link.refresh_from_db()
        assert link.revoked_at is not None

    def test_recreate_shows_the_new_token(self, client, portfolio, director):
        link, old_token = services.share_link_create(portfolio=portfolio, created_by=director)
        client.force_login(director)

        response = client.post(
            reverse("share_link_recreate", args=[portfolio.slug, link.pk]), **HTMX
        )

        token = re.search(r"/share/([\w-]+)/", response.content.decode()).group(1)
        assert token != old_token
        assert share_link_for_token(token).pk != link.pk
        assert ShareLink.objects.filter(revoked_at__isnull=True).count() == 1

    def test_query_count_does_not_grow_with_links(self, client, portfolio, director):
        client.force_login(director)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(links_url(portfolio)).status_code == 200
            return len(queries)

        first = ProductFactory(portfolio=portfolio, owner=director)
        services.share_link_create(portfolio=portfolio, product=first, created_by=director)
        few = count()
        for index in range(15):
            product = ProductFactory(portfolio=portfolio, owner=director)
            services.share_link_create(
                portfolio=portfolio, product=product, created_by=director, label=f"L{index}"
            )
        assert count() == few


class TestSharePage:
    @pytest.fixture
    def shared(self, portfolio, product, other_product, cycle, director, owning_pm):
        objective = ObjectiveFactory(cycle=cycle, product=product, title="Faster checkout")
        objective.progress = 0.4
        objective.save()
        kr = KeyResultFactory(objective=objective, title="Checkout time under 30s", progress=0.4)
        ObjectiveFactory(cycle=cycle, title="Portfolio goal")
        ObjectiveFactory(cycle=cycle, product=other_product, title="Search objective")
        item = RoadmapItemFactory(
            product=product, title="One-click pay", owner=owning_pm, status=ItemStatus.IN_PROGRESS
        )
        Alignment.objects.create(item=item, key_result=kr, note="Secret hypothesis")
        RoadmapItemFactory(product=other_product, title="Fuzzy search")
        RoadmapItemFactory(product=product, title="Dropped idea", status=ItemStatus.DROPPED)
        return product

    def test_product_link_shows_its_roadmap_and_objectives_only(
        self, client, portfolio, shared, director, owning_pm
    ):
        _link, token = services.share_link_create(
            portfolio=portfolio, product=shared, created_by=director
        )

        response = client.get(share_url(token))

        html = response.content.decode()
        assert response.status_code == 200
        assert "One-click pay" in html
        assert "Faster checkout" in html
        assert "Checkout time under 30s" in html
        assert 'role="meter"' in html
        assert "Fuzzy search" not in html
        assert "Search objective" not in html
        assert "Portfolio goal" not in html
        assert "Dropped idea" not in html
        assert "Secret hypothesis" not in html
        assert owning_pm.email not in html
        assert director.email not in html
        assert 'href="/' not in html.replace('href="/static/', "")
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert response["Referrer-Policy"] == "no-referrer"
        assert '<meta name="robots" content="noindex">' in html

    def test_portfolio_link_shows_portfolio_objectives_and_product_progress(
        self, client, portfolio, shared, other_product, cycle, director
    ):
        ProductProgress.objects.create(cycle=cycle, product=shared, progress=0.4)
        _, token = services.share_link_create(portfolio=portfolio, created_by=director)

        html = client.get(share_url(token)).content.decode()

        assert "Portfolio goal" in html
        assert "Portfolio progress" in html
        assert "Faster checkout" not in html
        assert "One-click pay" in html
        assert "Fuzzy search" in html
        assert "Checkout" in html
        assert "40%" in html

    def test_counts_views(self, client, portfolio, director):
        link, token = services.share_link_create(portfolio=portfolio, created_by=director)

        client.get(share_url(token))
        client.get(share_url(token))

        link.refresh_from_db()
        assert link.view_count == 2
        assert link.last_viewed_at is not None

    def test_revoked_expired_and_unknown_links_are_404(self, client, portfolio, director):
        revoked, revoked_token = services.share_link_create(
            portfolio=portfolio, created_by=director
        )
        services.share_link_revoke(link=revoked)
        expired, expired_token = services.share_link_create(
            portfolio=portfolio,
            created_by=director,
            expires_at=timezone.now() + datetime.timedelta(hours=1),
        )
        ShareLink.objects.filter(pk=expired.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )

        assert client.get(share_url(revoked_token)).status_code == 404
        assert client.get(share_url(expired_token)).status_code == 404
        assert client.get(share_url("not-a-token")).status_code == 404
        assert ShareLink.objects.filter(view_count__gt=0).count() == 0

    def test_refuses_writes(self, client, portfolio, director):
        _, token = services.share_link_create(portfolio=portfolio, created_by=director)

        assert client.post(share_url(token)).status_code == 405

    def test_query_count_does_not_grow_with_items_and_objectives(
        self, client, portfolio, product, cycle, director
    ):
        _, token = services.share_link_create(portfolio=portfolio, created_by=director)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(share_url(token)).status_code == 200
            return len(queries)

        RoadmapItemFactory(product=product)
        KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
        few = count()
        for _ in range(10):
            other = ProductFactory(portfolio=portfolio)
            ProductProgress.objects.create(cycle=cycle, product=other, progress=0.5)
            RoadmapItemFactory(product=other, starts_on=timezone.localdate())
            KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
        assert count() == few

    def test_falls_back_to_its_own_read_only_timeline(
        self, client, portfolio, shared, director, monkeypatch
    ):
        """Without the timeline page's partial, the share page draws its own; the board is
        always the roadmap board's partial in its public mode."""
        monkeypatch.setattr("roadmap.sharing._reusable", lambda *args: None)
        RoadmapItemFactory(
            product=shared,
            title="Dated work",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + datetime.timedelta(days=9),
        )
        _, token = services.share_link_create(
            portfolio=portfolio, product=shared, created_by=director
        )

        html = client.get(share_url(token)).content.decode()

        assert 'class="board"' in html
        assert html.count("board__column board__column--") == 3
        assert "One-click pay" in html
        assert "Dated work" in html
        assert "without dates" in html
        assert "Fuzzy search" not in html


def board_section(html: str) -> str:
    """The share page's "Roadmap" section (the timeline below lists items too)."""
    return html[html.index('id="board-title"') : html.index('id="timeline-title"')]


class TestSharedBoardPages:
    """The shared board shows a page of cards per column, like the roadmap board."""

    @pytest.fixture(autouse=True)
    def two_per_page(self, monkeypatch):
        monkeypatch.setattr("roadmap.board.CARDS_PER_PAGE", 2)

    @pytest.fixture
    def token(self, portfolio, product, other_product, director):
        for index in range(5):
            RoadmapItemFactory(
                product=product, title=f"Shared card {index}", horizon="now", position=index
            )
        _, token = services.share_link_create(
            portfolio=portfolio, product=product, created_by=director
        )
        return token

    def cards_url(self, token):
        return reverse("share_board_cards", args=[token])

    def test_the_page_caps_columns_with_links_that_stay_on_the_share_page(self, client, token):
        html = client.get(share_url(token)).content.decode()
        board = board_section(html)
        assert "Shared card 1" in board
        assert "Shared card 2" not in board
        assert "3 of 5 not shown" in board
        assert 'href="?column=now&amp;page=2"' in board
        assert 'hx-get="board/?column=now&amp;page=2"' in board
        assert 'href="/' not in html.replace('href="/static/', "")

    def test_the_fragment_gives_the_next_cards_to_the_link_holder(self, client, link_view, token):
        response = client.get(self.cards_url(token), {"column": "now", "page": 2}, **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert "Shared card 2" in html
        assert "Shared card 3" in html
        assert "Shared card 1" not in html
        assert 'hx-get="board/?column=now&amp;page=3"' in html
        assert "data-move-url" not in html
        assert "<form" not in html
        assert response["Referrer-Policy"] == "no-referrer"
        assert link_view() == 0  # loading more cards is not another visit

    def test_the_fragment_names_nothing_outside_the_shared_scope(
        self, client, portfolio, other_product, director
    ):
        RoadmapItemFactory(product=other_product, title="Secret search work", horizon="now")
        secret_blocker = RoadmapItemFactory(product=other_product, title="Secret blocker")
        for index in range(3):
            item = RoadmapItemFactory(
                product=other_product, title=f"Search card {index}", horizon="now"
            )
        DependencyFactory(blocked_item=item, blocking_item=secret_blocker)
        product = ProductFactory(portfolio=portfolio, name="Billing", owner=director)
        for index in range(3):
            RoadmapItemFactory(product=product, title=f"Billing card {index}", horizon="now")
        _, token = services.share_link_create(
            portfolio=portfolio, product=product, created_by=director
        )
        html = client.get(
            self.cards_url(token), {"column": "now", "page": 2}, **HTMX
        ).content.decode()
        assert "Billing card 2" in html
        assert "Search" not in html
        assert "Secret" not in html

    def test_without_htmx_it_redirects_to_that_page_of_the_share_page(self, client, token):
        response = client.get(self.cards_url(token), {"column": "now", "page": 2})
        assert response.status_code == 302
        assert response["Location"] == f"{share_url(token)}?column=now&page=2"
        board = board_section(client.get(response["Location"]).content.decode())
        assert "Shared card 2" in board
        assert "Shared card 0" not in board
        assert 'href="?"' in board  # back to the first page
        assert "Show the previous 2" in board

    def test_unknown_revoked_or_pageless_requests_are_404(self, client, portfolio, director):
        link, token = services.share_link_create(portfolio=portfolio, created_by=director)
        query = {"column": "now", "page": 2}
        assert client.get(self.cards_url("not-a-token"), query, **HTMX).status_code == 404
        assert client.get(self.cards_url(token), {"column": "soon"}, **HTMX).status_code == 404
        services.share_link_revoke(link=link)
        assert client.get(self.cards_url(token), query, **HTMX).status_code == 404

    @pytest.fixture
    def link_view(self):
        return lambda: ShareLink.objects.get().view_count
