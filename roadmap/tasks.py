"""Celery tasks of the roadmap: thin wrappers around the e-mail jobs (beat runs them)."""

from celery import shared_task

from okrs.tasks import RETRY
from roadmap import digest, reminders


@shared_task(**RETRY)
def send_weekly_digests() -> int:
    """Beat, Monday 07:00: last week's digest to each director and stakeholder."""
    return digest.send_weekly_digests()


@shared_task(**RETRY)
def send_check_in_reminders() -> int:
    """Beat, daily 08:00: nudge owners of key results without a check-in for a week."""
    return reminders.send_check_in_reminders()
