"""Inviting someone new: an account with no password, an e-mail with a one-time link."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from portfolio.models import Membership, Role
from teams.models import User
from teams.services import username_from_email
from tests.teams.factories import UserFactory

NEW_PASSWORD = "a-brand-new-passphrase-42"


def invite(client, director, portfolio, email, role=Role.CONTRIBUTOR):
    client.force_login(director)
    return client.post(
        reverse("settings_people", args=[portfolio.slug]), {"identifier": email, "role": role}
    )


def link_in(message) -> str:
    match = re.search(r"http://testserver(/accounts/invitation/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


class TestInvite:
    def test_creates_the_person_and_emails_a_link(
        self, client, director, portfolio, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = invite(client, director, portfolio, "Ada.Lovelace@Example.com")
        assert response.status_code == 302
        ada = User.objects.get(email__iexact="ada.lovelace@example.com")
        assert ada.username == "ada.lovelace"
        assert not ada.has_usable_password()
        assert Membership.objects.get(user=ada, portfolio=portfolio).role == Role.CONTRIBUTOR
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [ada.email]
        assert message.subject == "You are invited to Acme on Lodestar"
        assert "Dana Director invites you to join Acme on Lodestar as contributor." in message.body
        assert "Your username is ada.lovelace." in message.body
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert link_in(message) in html
        assert (
            "invited"
            in client.get(reverse("settings_people", args=[portfolio.slug])).content.decode()
        )

    def test_nothing_is_sent_when_the_membership_is_refused(
        self, client, director, portfolio, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = invite(client, director, portfolio, "not-an-email@", role="contributor")
        assert response.status_code == 200
        assert mail.outbox == []
        assert not User.objects.filter(username__startswith="not-an-email").exists()

    def test_usernames_stay_unique(self, db):
        UserFactory(username="sam")
        UserFactory(username="sam-2")
        assert username_from_email("sam@elsewhere.org") == "sam-3"

    def test_stakeholder_may_not_invite(
        self, client, stakeholder, portfolio, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = invite(client, stakeholder, portfolio, "eve@example.com")
        assert response.status_code == 403
        assert mail.outbox == []
        assert not User.objects.filter(email="eve@example.com").exists()


class TestAcceptInvitation:
    @pytest.fixture
    def link(self, client, director, portfolio, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            invite(client, director, portfolio, "grace@example.com", role=Role.STAKEHOLDER)
        client.logout()
        return link_in(mail.outbox[0])

    def test_link_sets_the_password_once(self, client, link):
        response = client.get(link, follow=True)
        assert response.status_code == 200
        assert "Choose a password for" in response.content.decode()
        form_url = response.redirect_chain[-1][0]
        response = client.post(
            form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        grace = User.objects.get(email="grace@example.com")
        assert grace.check_password(NEW_PASSWORD)
        # Signed in, and a member: home leads straight to the portfolio.
        assert "Acme" in client.get(reverse("home"), follow=True).content.decode()

        client.logout()
        again = client.get(link, follow=True).content.decode()
        assert "This invitation link no longer works" in again

    def test_a_tampered_link_does_not_work(self, client, link):
        html = client.get(link[:-3] + "xx/", follow=True).content.decode()
        assert "This invitation link no longer works" in html


class TestPortfolioWithInvitedDirector:
    def test_staff_invites_the_director(self, client, db, django_capture_on_commit_callbacks):
        client.force_login(UserFactory(is_staff=True))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("portfolio_create"),
                {"name": "Initech", "slug": "initech", "director": "bill@initech.example"},
            )
        assert response.status_code == 302
        bill = User.objects.get(email="bill@initech.example")
        assert Membership.objects.get(user=bill).role == Role.DIRECTOR
        assert len(mail.outbox) == 1
        assert "as director" in mail.outbox[0].body
