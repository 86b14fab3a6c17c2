"""The Celery application: settings come from Django's (CELERY_* names), tasks from each app."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("lodestar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The one place periodic jobs are declared; `celery -A config beat` reads it.
app.conf.beat_schedule = {
    "recompute-active-cycles": {
        "task": "okrs.tasks.recompute_active_cycles",
        "schedule": crontab(minute="*/15"),
    },
    "roadmap-weekly-digest": {
        "task": "roadmap.tasks.send_weekly_digests",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
    },
    "roadmap-check-in-reminders": {
        "task": "roadmap.tasks.send_check_in_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
}
