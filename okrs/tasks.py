"""Celery tasks: thin wrappers that take ids and call the roll-up.

Retries with backoff on database errors; `acks_late` and `reject_on_worker_lost`
come from the settings, so a task whose worker dies is redelivered, which is safe
because every roll-up recomputes from stored rows.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from celery import shared_task
from django.db import DatabaseError, transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from okrs import rollup
from okrs.models import Cycle

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(**RETRY)
def rollup_from_key_result(key_result_id: int) -> None:
    rollup.rollup_from_key_result(key_result_id)


@shared_task(**RETRY)
def rollup_from_objective(objective_id: int) -> None:
    rollup.rollup_from_objective(objective_id)


@shared_task(**RETRY)
def recompute_cycle(cycle_id: int) -> None:
    rollup.recompute_cycle(cycle_id)


@shared_task(**RETRY)
def recompute_active_cycles() -> None:
    """Beat, every 15 minutes: heal anything a lost roll-up message missed."""
    for cycle_id in Cycle.objects.active().values_list("id", flat=True):
        rollup.recompute_cycle(cycle_id)


_deferred: ContextVar[bool] = ContextVar("rollups_deferred", default=False)


@contextmanager
def rollups_deferred():
    """For bulk writes that end with their own `recompute_cycle`: per-row roll-ups
    enqueued inside the block are skipped, since the recompute supersedes them."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def enqueue_after_commit(task, *args) -> None:
    """Publish `task` once the current transaction commits.

    A broker that is down must never fail the user's request: the write is already
    committed, the failure is logged, and beat's recompute heals the numbers later.
    """
    if _deferred.get():
        return

    def publish():
        try:
            task.delay(*args)
        except (KombuError, RedisError, OSError):
            logger.exception("Could not enqueue %s%s; beat will heal it", task.name, args)

    transaction.on_commit(publish)
