"""The weekly digest: what moved in a portfolio last week, e-mailed on Monday morning.

Sent to each director and stakeholder who keeps `receives_digest` on and has an e-mail
address. Each e-mail is recorded as an `EmailDelivery` for (person, portfolio, week) in
the same transaction that sends it, so a job that runs twice sends nothing twice, and a
send that fails leaves no record, so the next run tries again.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from okrs.models import CheckIn, Cycle, Objective, ProgressSnapshot, SnapshotScope
from okrs.progress import Status
from okrs.selectors import active_cycle
from okrs.status import expected_progress, status_of
from portfolio.models import Membership, Portfolio, Role
from roadmap.models import EmailDelivery, ItemStatus, RoadmapItemChange

logger = logging.getLogger(__name__)

DIGEST_ROLES = [Role.DIRECTOR, Role.STAKEHOLDER]
NOTABLE_CHECK_INS = 5


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def base_url() -> str:
    return settings.LODESTAR_BASE_URL.rstrip("/")


def app_url(name: str, *args, fallback: str) -> str:
    """An absolute link into the app; `fallback` is the documented path (DESIGN.md §8)
    for pages whose URL name another feature has not wired yet."""
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        path = fallback
    return f"{base_url()}{path}"


@dataclass
class ObjectiveChange:
    title: str
    before: Status
    after: Status
    progress: float | None


@dataclass
class Digest:
    portfolio: Portfolio
    cycle: Cycle | None
    week_start: datetime.date
    week_end: datetime.date
    expected: float | None = None
    status: Status = Status.NO_DATA
    objective_changes: list[ObjectiveChange] = field(default_factory=list)
    check_in_count: int = 0
    key_results_checked_in: int = 0
    notable_check_ins: list[CheckIn] = field(default_factory=list)
    finished_items: list[RoadmapItemChange] = field(default_factory=list)
    moved_items: list[RoadmapItemChange] = field(default_factory=list)
    url: str = ""

    @property
    def is_quiet(self) -> bool:
        return not (
            self.objective_changes or self.check_in_count or self.finished_items or self.moved_items
        )


def _window(week_start: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(week_start, datetime.time()))
    return start, start + datetime.timedelta(days=7)


def _objective_changes(cycle: Cycle, week_start: datetime.date, week_end: datetime.date):
    """Objectives whose status differs between the snapshot of a week ago and the latest
    one of the week (each status from that snapshot's own progress and expected)."""
    snapshots = ProgressSnapshot.objects.filter(
        cycle=cycle,
        scope=SnapshotScope.OBJECTIVE,
        day__gte=week_start - datetime.timedelta(days=7),
        day__lt=week_end,
    ).order_by("scope_id", "day")
    before: dict[int, ProgressSnapshot] = {}
    after: dict[int, ProgressSnapshot] = {}
    for snapshot in snapshots:
        if snapshot.day <= week_start:
            before[snapshot.scope_id] = snapshot
        after[snapshot.scope_id] = snapshot
    titles = dict(
        Objective.objects.in_cycle(cycle).filter(pk__in=list(after)).values_list("id", "title")
    )
    changes = []
    for objective_id, now in after.items():
        then = before.get(objective_id)
        if then is None or then.day == now.day or objective_id not in titles:
            continue
        old = status_of(then.progress, then.expected)
        new = status_of(now.progress, now.expected)
        if old != new:
            changes.append(ObjectiveChange(titles[objective_id], old, new, now.progress))
    return sorted(changes, key=lambda change: (change.after.rank, change.title))


def digest_for(portfolio: Portfolio, week_start: datetime.date) -> Digest:
    """What happened in `portfolio` during the week starting on Monday `week_start`."""
    week_end = week_start + datetime.timedelta(days=7)
    cycle = active_cycle(portfolio)
    digest = Digest(
        portfolio=portfolio,
        cycle=cycle,
        week_start=week_start,
        week_end=week_end - datetime.timedelta(days=1),
        url=app_url("dashboard", portfolio.slug, fallback=f"/p/{portfolio.slug}/"),
    )
    start, end = _window(week_start)
    if cycle is not None:
        digest.expected = expected_progress(cycle)
        digest.status = status_of(cycle.progress, digest.expected)
        digest.objective_changes = _objective_changes(cycle, week_start, week_end)
        check_ins = list(
            CheckIn.objects.filter(
                key_result__objective__cycle=cycle, checked_in_at__gte=start, checked_in_at__lt=end
            )
            .select_related("key_result", "key_result__objective")
            .order_by("-checked_in_at", "-id")
        )
        digest.check_in_count = len(check_ins)
        latest: dict[int, CheckIn] = {}
        for check_in in check_ins:  # newest first
            first = latest.setdefault(check_in.key_result_id, check_in)
            # The week's latest words about the key result, even if its newest value
            # came without a note.
            if not getattr(first, "week_note", "") and check_in.note:
                first.week_note = check_in.note
        digest.key_results_checked_in = len(latest)
        digest.notable_check_ins = _notable(latest.values(), digest.expected)
    changes = list(
        RoadmapItemChange.objects.filter(
            item__product__portfolio=portfolio,
            item__is_archived=False,
            changed_at__gte=start,
            changed_at__lt=end,
        )
        .select_related("item", "item__product")
        .order_by("changed_at", "id")
    )
    digest.finished_items = [
        change
        for change in changes
        if change.field == RoadmapItemChange.Field.STATUS and change.after == ItemStatus.DONE
    ]
    digest.moved_items = [
        change for change in changes if change.field == RoadmapItemChange.Field.HORIZON
    ]
    return digest


def _notable(check_ins, expected: float) -> list[CheckIn]:
    """The week's check-ins worth reading first: key results that reached their target,
    fell to at risk or off track, or lost confidence; then the rest, newest first."""

    def weight(check_in: CheckIn) -> int:
        check_in.week_note = getattr(check_in, "week_note", "")
        kr = check_in.key_result
        status = status_of(kr.progress, expected, kr.confidence)
        check_in.status = status
        if status in (Status.ACHIEVED, Status.OFF_TRACK, Status.AT_RISK):
            return 0
        return 1

    ranked = sorted(check_ins, key=weight)
    return [c for c in ranked if c.status != Status.ON_TRACK or c.week_note][:NOTABLE_CHECK_INS]


def recipients_of(portfolio: Portfolio):
    return (
        Membership.objects.filter(
            portfolio=portfolio,
            role__in=DIGEST_ROLES,
            user__is_active=True,
            user__receives_digest=True,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__username")
    )


def send_once(*, user, portfolio: Portfolio, kind: str, period_start, message) -> bool:
    """Record the delivery, then send, in one transaction: a second run finds the row
    and sends nothing; a failed send rolls the row back so the next run retries."""
    try:
        with transaction.atomic():
            EmailDelivery.objects.create(
                user=user, portfolio=portfolio, kind=kind, period_start=period_start
            )
            message.send()
    except IntegrityError:
        return False
    except OSError:  # SMTP refused or unreachable: no record, so the next run retries
        logger.exception("Could not send the %s e-mail to %s", kind, user.email)
        return False
    return True


def digest_message(digest: Digest, user) -> EmailMultiAlternatives:
    context = {"digest": digest, "user": user, "settings_url": f"{base_url()}/me/"}
    subject = (
        f"{digest.portfolio.name} · your weekly digest, "
        f"{digest.week_start:%-d %b} – {digest.week_end:%-d %b %Y}"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/digest.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/digest.html", context), "text/html")
    return message


def send_weekly_digests(today: datetime.date | None = None) -> int:
    """Each portfolio's digest of last week (Monday to Sunday); the number of e-mails sent."""
    today = today or timezone.localdate()
    week_start = monday_of(today) - datetime.timedelta(days=7)
    sent = 0
    for portfolio in Portfolio.objects.order_by("pk"):
        recipients = list(recipients_of(portfolio))
        if not recipients:
            continue
        digest = digest_for(portfolio, week_start)
        for membership in recipients:
            user = membership.user
            if send_once(
                user=user,
                portfolio=portfolio,
                kind=EmailDelivery.Kind.DIGEST,
                period_start=week_start,
                message=digest_message(digest, user),
            ):
                sent += 1
    logger.info("Sent %d weekly digests for the week of %s", sent, week_start)
    return sent
