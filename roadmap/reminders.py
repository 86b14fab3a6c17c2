"""Check-in reminders: a daily job nudges owners of key results gone quiet for a week.

A key result is stale when its cycle is active and has run at least 7 days, and it was
last checked in more than 7 days ago (or never). Each owner gets at most one e-mail per
portfolio per week (an `EmailDelivery` of kind reminder for the week's Monday), listing
all their stale key results in that portfolio.
"""

import datetime
from collections import defaultdict

from django.core.mail import EmailMultiAlternatives
from django.db.models import OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from okrs.models import CycleState, KeyResult
from portfolio.models import Membership
from roadmap.digest import app_url, base_url, monday_of, send_once
from roadmap.models import EmailDelivery

QUIET_DAYS = 7


def stale_key_results(now: datetime.datetime | None = None) -> QuerySet[KeyResult]:
    """Key results of active cycles with no check-in for `QUIET_DAYS`, whose owner can
    receive e-mail and still belongs to the portfolio."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=QUIET_DAYS)
    started_before = timezone.localdate(now) - datetime.timedelta(days=QUIET_DAYS)
    members = Membership.objects.values("user_id").filter(
        portfolio_id=OuterRef("objective__cycle__portfolio_id")
    )
    return (
        KeyResult.objects.filter(
            objective__cycle__state=CycleState.ACTIVE,
            objective__cycle__starts_on__lte=started_before,
            owner__is_active=True,
            owner_id__in=members,
        )
        .filter(Q(last_checked_in_at__lt=cutoff) | Q(last_checked_in_at__isnull=True))
        .exclude(owner__email="")
        .select_related("owner", "objective", "objective__product", "objective__cycle__portfolio")
        .order_by("owner_id", "objective__cycle__portfolio_id", "last_checked_in_at", "id")
    )


def reminder_message(*, user, portfolio, key_results: list[KeyResult]) -> EmailMultiAlternatives:
    rows = [
        {
            "key_result": kr,
            "url": app_url(
                "key_result_detail",
                portfolio.slug,
                kr.pk,
                fallback=f"/p/{portfolio.slug}/okrs/",
            ),
        }
        for kr in key_results
    ]
    context = {
        "user": user,
        "portfolio": portfolio,
        "rows": rows,
        "me_url": app_url("my_work", fallback="/me/"),
        "base_url": base_url(),
        "quiet_days": QUIET_DAYS,
    }
    count = len(key_results)
    subject = (
        f"{portfolio.name}: {count} key result{'s' if count != 1 else ''} waiting for a check-in"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/reminder.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/reminder.html", context), "text/html")
    return message


def send_check_in_reminders(now: datetime.datetime | None = None) -> int:
    """One reminder per owner and portfolio this week; the number of e-mails sent."""
    now = now or timezone.now()
    period_start = monday_of(timezone.localdate(now))
    grouped: dict[tuple[int, int], list[KeyResult]] = defaultdict(list)
    for kr in stale_key_results(now):
        grouped[(kr.owner_id, kr.objective.cycle.portfolio_id)].append(kr)
    sent = 0
    for key_results in grouped.values():
        user = key_results[0].owner
        portfolio = key_results[0].objective.cycle.portfolio
        if send_once(
            user=user,
            portfolio=portfolio,
            kind=EmailDelivery.Kind.REMINDER,
            period_start=period_start,
            message=reminder_message(user=user, portfolio=portfolio, key_results=key_results),
        ):
            sent += 1
    return sent
