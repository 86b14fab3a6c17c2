import datetime

import pytest
from django.utils import timezone

from okrs.models import CycleState, KeyResult
from roadmap import tasks
from roadmap.digest import monday_of
from roadmap.models import EmailDelivery
from roadmap.reminders import send_check_in_reminders
from tests.okrs.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import MembershipFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def days_ago(days):
    return NOW - datetime.timedelta(days=days)


def checked_in(kr, when):
    KeyResult.objects.filter(pk=kr.pk).update(last_checked_in_at=when)


@pytest.fixture
def owners(portfolio, cycle, other_portfolio, owning_pm, contributor, outsider):
    """`owning_pm` owns two stale key results and one fresh; `contributor` one never
    checked in; `outsider` owns a stale one in another portfolio."""
    objective = ObjectiveFactory(cycle=cycle, title="Grow revenue")
    stale = KeyResultFactory(objective=objective, owner=owning_pm, title="ARR to 10M")
    checked_in(stale, days_ago(9))
    never = KeyResultFactory(objective=objective, owner=owning_pm, title="NPS above 40")
    fresh = KeyResultFactory(objective=objective, owner=owning_pm, title="Churn below 2%")
    checked_in(fresh, days_ago(2))
    KeyResultFactory(objective=objective, owner=contributor, title="Design system adopted")
    foreign_cycle = CycleFactory(portfolio=other_portfolio)
    KeyResultFactory(
        objective=ObjectiveFactory(cycle=foreign_cycle), owner=outsider, title="Globex KR"
    )
    return stale, never, fresh


class TestCheckInReminders:
    def test_one_email_per_owner_and_portfolio_listing_stale_key_results(
        self, owners, mailoutbox, owning_pm, contributor, outsider
    ):
        assert send_check_in_reminders(NOW) == 3

        by_owner = {message.to[0]: message for message in mailoutbox}
        assert set(by_owner) == {owning_pm.email, contributor.email, outsider.email}
        message = by_owner[owning_pm.email]
        assert message.subject == "Acme: 2 key results waiting for a check-in"
        assert "ARR to 10M" in message.body
        assert "NPS above 40" in message.body
        assert "Churn below 2%" not in message.body
        assert "last check-in: never" in message.body
        assert "http://127.0.0.1:8000/" in message.body
        html = message.alternatives[0].content
        assert 'href="http://127.0.0.1:8000/' in html
        assert "ARR to 10M" in html

    def test_sends_nothing_twice_in_a_week(self, owners, mailoutbox):
        send_check_in_reminders(NOW)
        assert send_check_in_reminders(NOW + datetime.timedelta(hours=1)) == 0

        assert len(mailoutbox) == 3
        assert set(EmailDelivery.objects.values_list("kind", "period_start")) == {
            (EmailDelivery.Kind.REMINDER, monday_of(timezone.localdate(NOW)))
        }

    def test_skips_cycles_younger_than_a_week_and_inactive_cycles(
        self, portfolio, owning_pm, mailoutbox
    ):
        young = CycleFactory(
            portfolio=portfolio, starts_on=timezone.localdate() - datetime.timedelta(days=3)
        )
        KeyResultFactory(objective=ObjectiveFactory(cycle=young), owner=owning_pm)
        planning = CycleFactory(portfolio=portfolio, state=CycleState.PLANNING)
        KeyResultFactory(objective=ObjectiveFactory(cycle=planning), owner=owning_pm)

        assert send_check_in_reminders(NOW) == 0
        assert mailoutbox == []

    def test_skips_owners_without_email_or_membership(
        self, portfolio, cycle, make_user, mailoutbox
    ):
        former = make_user(username="former")
        no_email = make_user(username="quiet", email="")
        MembershipFactory(portfolio=portfolio, user=no_email)
        objective = ObjectiveFactory(cycle=cycle)
        KeyResultFactory(objective=objective, owner=former)
        KeyResultFactory(objective=objective, owner=no_email)

        assert send_check_in_reminders(NOW) == 0

    def test_task_runs_the_job(self, owners, mailoutbox):
        assert tasks.send_check_in_reminders.delay().get() == 3
