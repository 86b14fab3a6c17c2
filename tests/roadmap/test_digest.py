import datetime
from unittest import mock

import pytest
from django.utils import timezone

from okrs.models import ProgressSnapshot, SnapshotScope
from roadmap import tasks
from roadmap.digest import monday_of, send_weekly_digests
from roadmap.models import EmailDelivery, Horizon, ItemStatus, RoadmapItemChange
from teams.models import User
from tests.okrs.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory
from tests.roadmap.factories import RoadmapItemFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
WEEK_START = monday_of(TODAY) - datetime.timedelta(days=7)


def during_last_week(days=2) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(WEEK_START + datetime.timedelta(days=days), datetime.time(12))
    )


@pytest.fixture
def week(portfolio, cycle, product, director, stakeholder, contributor, owning_pm):
    """Last week in the portfolio: an objective fell off track, two check-ins, one item
    finished and one moved horizon; plus events outside the week that must not show."""
    cycle.progress = 0.35
    cycle.save()
    slipping = ObjectiveFactory(cycle=cycle, title="Grow revenue")
    steady = ObjectiveFactory(cycle=cycle, title="Keep customers")
    for objective, before, after in [(slipping, 0.30, 0.05), (steady, 0.30, 0.40)]:
        ProgressSnapshot.objects.create(
            cycle=cycle,
            scope=SnapshotScope.OBJECTIVE,
            scope_id=objective.pk,
            day=WEEK_START,
            progress=before,
            expected=0.35,
        )
        ProgressSnapshot.objects.create(
            cycle=cycle,
            scope=SnapshotScope.OBJECTIVE,
            scope_id=objective.pk,
            day=WEEK_START + datetime.timedelta(days=6),
            progress=after,
            expected=0.42,
        )
    kr = KeyResultFactory(objective=slipping, title="ARR to 10M", progress=0.05, confidence=2)
    CheckInFactory(
        key_result=kr,
        author=owning_pm,
        value=5,
        note="Deals slipped to next quarter",
        checked_in_at=during_last_week(),
    )
    CheckInFactory(key_result=kr, author=owning_pm, value=4, checked_in_at=during_last_week(3))
    CheckInFactory(
        key_result=kr, author=owning_pm, value=1, checked_in_at=during_last_week(-3)
    )  # the week before
    finished = RoadmapItemFactory(product=product, title="Apple Pay", status=ItemStatus.DONE)
    moved = RoadmapItemFactory(product=product, title="Gift cards", horizon=Horizon.NOW)
    old = RoadmapItemFactory(product=product, title="Ancient history")
    for item, field, before, after, when in [
        (finished, "status", "in_progress", "done", during_last_week()),
        (moved, "horizon", "later", "now", during_last_week(4)),
        (old, "status", "planned", "done", during_last_week(-5)),
    ]:
        change = RoadmapItemChange.objects.create(
            item=item, field=field, before=before, after=after
        )
        RoadmapItemChange.objects.filter(pk=change.pk).update(changed_at=when)
    return portfolio


class TestWeeklyDigest:
    def test_emails_directors_and_stakeholders_what_moved(
        self, week, mailoutbox, director, stakeholder, contributor, owning_pm
    ):
        sent = send_weekly_digests(TODAY)

        assert sent == 2
        assert sorted(m.to[0] for m in mailoutbox) == sorted([director.email, stakeholder.email])
        message = next(m for m in mailoutbox if m.to == [stakeholder.email])
        text = message.body
        html = message.alternatives[0].content
        assert message.alternatives[0].mimetype == "text/html"
        assert "Acme" in message.subject
        assert "Portfolio progress 35%" in text
        assert "Grow revenue: On track → Off track" in text
        assert "Keep customers" not in text
        assert "2 check-ins on 1 key result." in text
        assert "Deals slipped to next quarter" in text
        assert "Done: Apple Pay (Checkout)" in text
        assert "Moved later → now: Gift cards" in text
        assert "Ancient history" not in text
        assert "http://127.0.0.1:8000/p/acme/" in text
        assert 'href="http://127.0.0.1:8000/p/acme/' in html
        assert "Grow revenue" in html
        assert "Apple Pay" in html

    def test_sends_once_per_week_however_often_it_runs(self, week, mailoutbox):
        send_weekly_digests(TODAY)
        again = send_weekly_digests(TODAY)

        assert again == 0
        assert len(mailoutbox) == 2
        assert EmailDelivery.objects.filter(period_start=WEEK_START).count() == 2

    def test_respects_the_opt_out_and_missing_addresses(
        self, week, mailoutbox, director, stakeholder
    ):
        User.objects.filter(pk=stakeholder.pk).update(receives_digest=False)
        User.objects.filter(pk=director.pk).update(email="")

        assert send_weekly_digests(TODAY) == 0
        assert mailoutbox == []

    def test_a_failed_send_is_retried_next_run(self, week, mailoutbox):
        with mock.patch(
            "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")
        ):
            assert send_weekly_digests(TODAY) == 0
        assert not EmailDelivery.objects.exists()

        assert send_weekly_digests(TODAY) == 2

    def test_uses_the_base_url_setting(self, week, mailoutbox, settings):
        settings.LODESTAR_BASE_URL = "https://okr.example.com/"

        send_weekly_digests(TODAY)

        assert "https://okr.example.com/p/acme/" in mailoutbox[0].body

    def test_task_runs_the_job(self, week, mailoutbox):
        assert tasks.send_weekly_digests.delay().get() == 2
        assert len(mailoutbox) == 2
