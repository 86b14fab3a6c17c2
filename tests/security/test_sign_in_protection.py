"""Sign-in protection: django-axes lockout, password rules and session lifetimes
(config/settings/base.py AXES_*, AUTH_PASSWORD_VALIDATORS; teams/sessions.py)."""

import time

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from teams.sessions import SEEN_AT, SIGNED_IN_AT

LOGIN = "/accounts/login/"
LOCKED = "Too many sign-in attempts"


def attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def dana(make_user):
    return make_user(username="dana")


@pytest.fixture
def client_at():
    """A client whose requests come from one address."""

    def make(address="203.0.113.7"):
        return Client(REMOTE_ADDR=address)

    return make


def test_settings_lock_five_failures_per_username_and_address_for_15_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True


@pytest.mark.django_db
class TestLockout:
    def test_four_failures_still_allow_the_right_password(self, dana, password, client_at):
        client = client_at()
        for _ in range(4):
            assert attempt(client, "dana", "wrong-password").status_code == 200

        response = attempt(client, "dana", password)

        assert response.status_code == 302
        assert signed_in(client)

    def test_five_failures_lock_the_username_from_that_address(self, dana, password, client_at):
        client = client_at()
        for _ in range(4):
            attempt(client, "dana", "wrong-password")

        fifth = attempt(client, "dana", "wrong-password")

        assert fifth.status_code == 429
        assert LOCKED in fifth.content.decode()
        assert "Try again in" in fifth.content.decode()
        # The right password is refused during the cool-off, too.
        right = attempt(client, "dana", password)
        assert right.status_code == 429
        assert LOCKED in right.content.decode()
        assert not signed_in(client)

    def test_another_username_from_the_same_address_still_signs_in(
        self, dana, make_user, password, client_at
    ):
        make_user(username="eli")
        client = client_at()
        for _ in range(5):
            attempt(client, "dana", "wrong-password")

        response = attempt(client, "eli", password)

        assert response.status_code == 302
        assert signed_in(client)

    def test_the_same_username_from_another_address_still_signs_in(self, dana, password, client_at):
        for _ in range(5):
            attempt(client_at("203.0.113.7"), "dana", "wrong-password")

        other = client_at("198.51.100.9")
        assert attempt(other, "dana", password).status_code == 302

    def test_a_success_resets_the_count(self, dana, password, client_at):
        client = client_at()
        for _ in range(4):
            attempt(client, "dana", "wrong-password")
        assert attempt(client, "dana", password).status_code == 302
        client.post("/accounts/logout/")

        for _ in range(4):
            assert attempt(client, "dana", "wrong-password").status_code == 200

        assert attempt(client, "dana", password).status_code == 302


class TestPasswordRules:
    def test_eleven_characters_are_refused(self):
        with pytest.raises(ValidationError, match="at least 12 characters"):
            validate_password("kx7-Qp2!mZr")  # 11 characters

    def test_a_common_password_is_refused(self):
        with pytest.raises(ValidationError, match="too common"):
            validate_password("password1234")

    def test_a_long_uncommon_password_passes(self):
        validate_password("correct-horse-battery-staple")


@pytest.mark.django_db
class TestSessionLifetime:
    def sign_in(self, client, user, password):
        assert (
            client.post(LOGIN, {"username": user.username, "password": password}).status_code == 302
        )
        assert SIGNED_IN_AT in client.session
        assert SEEN_AT in client.session

    def age(self, client, **seconds_ago):
        session = client.session
        now = int(time.time())
        for key, ago in seconds_ago.items():
            session[key] = now - ago
        session.save()

    def test_an_active_session_keeps_working(self, client, dana, password):
        self.sign_in(client, dana, password)
        self.age(client, **{SEEN_AT: settings.LODESTAR_SESSION_IDLE_TIMEOUT - 60})

        assert client.get("/me/").status_code == 200

    def test_idle_longer_than_the_timeout_signs_out_with_a_message(self, client, dana, password):
        self.sign_in(client, dana, password)
        self.age(client, **{SEEN_AT: settings.LODESTAR_SESSION_IDLE_TIMEOUT + 60})

        response = client.get("/me/")

        assert response.status_code == 302
        assert response.url.startswith(LOGIN + "?next=/me/")
        assert not signed_in(client)
        page = client.get(response.url).content.decode()
        assert "You were signed out after a period of inactivity." in page

    def test_the_absolute_limit_ends_even_an_active_session(self, client, dana, password):
        self.sign_in(client, dana, password)
        self.age(client, **{SIGNED_IN_AT: settings.LODESTAR_SESSION_MAX_AGE + 60, SEEN_AT: 10})

        response = client.get("/me/")

        assert response.status_code == 302
        assert not signed_in(client)
        page = client.get(response.url).content.decode()
        assert "Your session has ended: please sign in again." in page

    def test_defaults_are_eight_hours_idle_and_fourteen_days_absolute(self):
        assert settings.LODESTAR_SESSION_IDLE_TIMEOUT == 8 * 60 * 60
        assert settings.LODESTAR_SESSION_MAX_AGE == 14 * 24 * 60 * 60
