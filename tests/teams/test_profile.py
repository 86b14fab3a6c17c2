"""/profile/: name and e-mail, the weekly digest switch and the API token."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

PROFILE = "/profile/"


@pytest.fixture
def priya(make_user):
    return make_user(username="priya", display_name="Priya Patel", email="priya@example.com")


@pytest.fixture
def signed_in(client, priya):
    client.force_login(priya)
    return client


def test_url_name():
    assert reverse("profile") == PROFILE


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_shows_the_person_and_offers_a_token(signed_in):
    response = signed_in.get(PROFILE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Priya Patel" in html
    assert "priya@example.com" in html
    assert "No API token yet" in html
    assert 'value="token-create"' in html
    assert "checked" in html  # the digest is on by default
    assert response["Vary"].count("HX-Request") == 1


class TestDigest:
    def test_turning_it_off_saves_and_redirects(self, signed_in, priya):
        response = signed_in.post(PROFILE, {"action": "digest"})

        priya.refresh_from_db()
        assert response.status_code == 302
        assert response["Location"] == PROFILE
        assert priya.receives_digest is False
        assert "Your digest setting is saved." in signed_in.get(PROFILE).content.decode()

    def test_htmx_answers_the_fresh_panel(self, signed_in, priya):
        priya.receives_digest = False
        priya.save()

        response = signed_in.post(
            PROFILE, {"action": "digest", "receives_digest": "on"}, HTTP_HX_REQUEST="true"
        )

        html = response.content.decode()
        priya.refresh_from_db()
        assert response.status_code == 200
        assert priya.receives_digest is True
        assert html.lstrip().startswith('<section class="panel profile__card"')
        assert 'id="digest-panel"' in html
        assert "Saved: you will receive the weekly digest." in html
        assert "API token" not in html


class TestToken:
    def test_created_and_shown_once_after_the_redirect(self, signed_in, priya):
        response = signed_in.post(PROFILE, {"action": "token-create"})
        first = signed_in.get(PROFILE).content.decode()
        second = signed_in.get(PROFILE).content.decode()

        key = Token.objects.get(user=priya).key
        assert response.status_code == 302
        assert key in first
        assert "it will not be shown again" in first
        assert key not in second
        assert "Active" in second

    def test_htmx_creation_shows_the_key_in_the_panel(self, signed_in, priya):
        response = signed_in.post(PROFILE, {"action": "token-create"}, HTTP_HX_REQUEST="true")

        html = response.content.decode()
        assert 'id="token-panel"' in html
        assert Token.objects.get(user=priya).key in html
        assert 'data-copy-target="new-token"' in html
        assert "Weekly digest" not in html

    def test_regenerating_replaces_the_old_token(self, signed_in, priya):
        old = Token.objects.create(user=priya).key

        signed_in.post(PROFILE, {"action": "token-regenerate"}, HTTP_HX_REQUEST="true")

        tokens = list(Token.objects.filter(user=priya).values_list("key", flat=True))
        assert len(tokens) == 1
        assert tokens[0] != old

    def test_revoking_deletes_it(self, signed_in, priya):
        Token.objects.create(user=priya)

        response = signed_in.post(PROFILE, {"action": "token-revoke"})

        assert response.status_code == 302
        assert not Token.objects.filter(user=priya).exists()
        assert "No API token yet" in signed_in.get(PROFILE).content.decode()

    def test_only_touches_the_signed_in_persons_token(self, signed_in, make_user):
        other = make_user(username="marco")
        theirs = Token.objects.create(user=other).key

        signed_in.post(PROFILE, {"action": "token-revoke"})
        signed_in.post(PROFILE, {"action": "token-regenerate"})

        assert Token.objects.get(user=other).key == theirs

    def test_an_unknown_action_is_refused(self, signed_in):
        assert signed_in.post(PROFILE, {"action": "drop-tables"}).status_code == 400


def test_page_queries_do_not_grow_with_portfolios_or_tokens(signed_in, priya, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portfolio.models import Role
    from tests.portfolio.factories import MembershipFactory, PortfolioFactory

    Token.objects.create(user=priya)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(PROFILE).status_code == 200
        return len(queries)

    small = measure()
    for index in range(12):
        Token.objects.create(user=make_user(username=f"someone{index}"))
        MembershipFactory(portfolio=PortfolioFactory(), user=priya, role=Role.STAKEHOLDER)
    large = measure()

    assert large == small
