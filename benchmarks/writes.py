"""The write path: a check-in, the roll-up behind it, and the full recompute."""

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client

from benchmarks.harness import Measurement, measure
from config.celery import app as celery_app
from okrs import rollup
from okrs.models import Cycle, KeyResult
from okrs.services import check_in_create
from portfolio.models import Portfolio
from teams.models import User

ROOT = Path(__file__).resolve().parents[1]


def _deep_key_result(cycle: Cycle) -> KeyResult:
    return (
        KeyResult.objects.filter(objective__cycle=cycle, objective__depth=2, measure="increase")
        .order_by("pk")
        .first()
    )


def run(portfolio: Portfolio, size: str, *, runs: int) -> list[Measurement]:
    cycle = Cycle.objects.get(portfolio=portfolio)
    key_result = _deep_key_result(cycle)
    director = User.objects.get(username=f"{portfolio.slug.replace('-', '_')}_director")
    values = iter(range(10**6))
    results = [
        measure(
            "recompute_cycle",
            size,
            lambda: rollup.recompute_cycle(cycle.pk),
            runs=max(3, runs // 3),
        ),
        measure(
            "rollup_from_key_result",
            size,
            lambda: rollup.rollup_from_key_result(key_result.pk),
            runs=runs,
        ),
    ]
    mode = (
        "eager: includes the roll-up"
        if celery_app.conf.task_always_eager
        else "enqueues the roll-up"
    )
    client = Client()
    client.force_login(director)

    def post_check_in():
        response = client.post(
            "/api/v1/check-ins/",
            {"key_result": key_result.pk, "value": str(100 + next(values) % 90), "confidence": 7},
            content_type="application/json",
        )
        if response.status_code != 201:
            raise RuntimeError(
                f"check-in POST answered {response.status_code}: {response.content[:200]}"
            )

    try:
        post_check_in()
        result = measure("check-in POST (API)", size, post_check_in, runs=runs)
    except RuntimeError as error:
        result = measure(
            "check-in (service)",
            size,
            lambda: check_in_create(
                key_result=key_result, author=director, value=Decimal(100 + next(values) % 90)
            ),
            runs=runs,
        )
        result.note = f"API unavailable ({error}); "
    result.note += mode
    results.append(result)
    return results


def worker_latency(portfolio: Portfolio, size: str, *, runs: int = 5) -> Measurement | None:
    """From a committed check-in to updated portfolio progress, through Redis and a
    real `celery worker` process."""
    if not settings.REDIS_URL:
        return None
    cycle = Cycle.objects.get(portfolio=portfolio)
    key_result = _deep_key_result(cycle)
    director = User.objects.get(username=f"{portfolio.slug.replace('-', '_')}_director")
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    celery_app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    timings = []
    try:
        time.sleep(3)  # let the worker connect
        for index in range(runs + 1):
            Cycle.objects.filter(pk=cycle.pk).update(progress=None)
            started = time.perf_counter()
            check_in_create(key_result=key_result, author=director, value=Decimal(120 + index))
            deadline = started + 30
            while Cycle.objects.values_list("progress", flat=True).get(pk=cycle.pk) is None:
                if time.perf_counter() > deadline:
                    return Measurement(
                        "check-in → portfolio progress (worker)",
                        size,
                        0,
                        0,
                        0,
                        note="timed out after 30 s",
                    )
                time.sleep(0.005)
            if index:  # the first one warms the worker up
                timings.append((time.perf_counter() - started) * 1000)
    finally:
        celery_app.conf.task_always_eager = eager
        worker.terminate()
        worker.wait(timeout=20)
        connection.close()
    timings.sort()
    return Measurement(
        "check-in → portfolio progress (worker)",
        size,
        median_ms=round(timings[len(timings) // 2], 1),
        p95_ms=round(timings[-1], 1),
        runs=len(timings),
        note="Redis + celery worker (solo pool), polled every 5 ms",
    )
