"""The roll-up under concurrency, a real worker, and a broker that is down."""

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from okrs import rollup, tasks
from okrs.models import CheckIn, Cycle, KeyResult
from tests.okrs import builders
from tests.okrs.test_rollup import build_portfolio_tree, numbers

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def broker(url: str):
    """Publish for real to `url` instead of running tasks eagerly."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = url
    forget_connections()
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        forget_connections()


def forget_connections():
    """Make the next publish connect to the broker_url now configured."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_for(condition, *, timeout=30.0, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"Timed out after {timeout}s waiting for {message}")


@pytest.mark.django_db(transaction=True)
class TestBrokerDown:
    def test_check_in_still_commits_and_beat_heals_the_numbers(self, cycle, director, caplog):
        key_result = builders.key_result(builders.objective(cycle))
        cycle.state = "active"
        cycle.save()

        with broker("redis://127.0.0.1:1/0"):
            started = time.monotonic()
            check_in = builders.check_in(key_result, director, "50")
            elapsed = time.monotonic() - started

        assert CheckIn.objects.filter(pk=check_in.pk).exists()
        key_result.refresh_from_db()
        assert key_result.current_value == Decimal("50")
        assert key_result.progress == 0.0, "no roll-up could run without a broker"
        assert "beat will heal it" in caplog.text
        assert elapsed < 10

        tasks.recompute_active_cycles()

        key_result.refresh_from_db()
        assert key_result.progress == 0.5
        assert Cycle.objects.get(pk=cycle.pk).progress == 0.5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentCheckIns:
    def test_twenty_people_checking_in_at_once_lose_nothing(
        self, cycle, director, product, other_product
    ):
        build_portfolio_tree(cycle, [product, other_product], objectives_per_product=1)
        key_result = KeyResult.objects.filter(objective__product=product).first()
        rollup.recompute_cycle(cycle.pk)
        base = timezone.now() - timedelta(minutes=5)
        barrier = threading.Barrier(20)
        errors = []

        def post(index):
            try:
                barrier.wait(timeout=10)
                builders.check_in(
                    key_result,
                    director,
                    Decimal(index),
                    checked_in_at=base + timedelta(seconds=index),
                )
            except Exception as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=post, args=(index,)) for index in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        assert key_result.check_ins.count() == 20
        key_result.refresh_from_db()
        assert key_result.current_value == Decimal(19)
        assert key_result.last_checked_in_at == base + timedelta(seconds=19)
        assert key_result.progress == 0.19
        incremental = numbers(cycle)
        rollup.recompute_cycle(cycle.pk)
        assert numbers(cycle) == incremental


def start_worker(**environment) -> subprocess.Popen:
    """A real `celery worker` in its own process, on Redis and the test database,
    returned once it says it is ready (its output is kept in `process.lines`)."""
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        **environment,
    }
    process = subprocess.Popen(
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
            "INFO",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.lines = []

    def collect_output():
        for line in process.stdout:
            process.lines.append(line)

    threading.Thread(target=collect_output, daemon=True).start()
    # A loaded machine can take a while to boot a worker; waiting here keeps the
    # test's own timeouts about the roll-up.
    wait_for(
        lambda: any(" ready." in line for line in process.lines) or process.poll() is not None,
        timeout=120,
        message="the worker to start",
    )
    assert process.poll() is None, "the worker died:\n" + "".join(process.lines[-40:])
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """Stop the worker; its output shows in the report of a failed test."""
    print("".join(process.lines[-60:]))
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def forget_queued_tasks() -> None:
    """An empty queue, and no task left unacknowledged by an earlier run's worker."""
    celery_app.control.purge()
    with celery_app.connection_for_write() as broker_connection:
        client = broker_connection.default_channel.client
        client.delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def celery_worker_process():
    forget_queued_tasks()
    process = start_worker()
    yield process
    stop_worker(process)


# Tests that start workers share one xdist worker: two celery workers on the same
# queue would take each other's tasks into the wrong test database.
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.xdist_group("celery-worker")
@pytest.mark.django_db(transaction=True)
class TestRealWorker:
    def test_rolls_up_a_check_in_end_to_end_and_tolerates_duplicates(
        self, cycle, director, product, celery_worker_process
    ):
        root = builders.objective(cycle)
        child = builders.objective(cycle, parent=root, product=product)
        key_result = builders.key_result(child)
        rollup.recompute_cycle(cycle.pk)

        with broker(settings.REDIS_URL):
            builders.check_in(key_result, director, "40")
            wait_for(
                lambda: Cycle.objects.get(pk=cycle.pk).progress == 0.4,
                message="the worker to roll the check-in up to the portfolio",
            )
            expected = numbers(cycle)

            # Spoil the stored numbers, then deliver the same task twice and a stale
            # one out of order: every delivery recomputes from stored rows.
            KeyResult.objects.filter(pk=key_result.pk).update(progress=0.0)
            Cycle.objects.filter(pk=cycle.pk).update(progress=0.0)
            tasks.rollup_from_objective.delay(root.pk)
            tasks.rollup_from_key_result.delay(key_result.pk)
            tasks.rollup_from_key_result.delay(key_result.pk)
            wait_for(
                lambda: KeyResult.objects.get(pk=key_result.pk).progress == 0.4,
                message="the duplicated roll-ups to run",
            )
            wait_for(lambda: numbers(cycle) == expected, message="the same numbers as before")

        rollup.recompute_cycle(cycle.pk)
        assert numbers(cycle) == expected


def backends_waiting_for_a_lock() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.xdist_group("celery-worker")
@pytest.mark.django_db(transaction=True)
class TestWorkerKilledMidRollup:
    def test_redelivery_leaves_the_numbers_of_a_full_recompute(
        self, cycle, director, product, other_product
    ):
        build_portfolio_tree(cycle, [product, other_product], objectives_per_product=2)
        key_result = KeyResult.objects.filter(objective__product=product).first()
        rollup.recompute_cycle(cycle.pk)
        before = numbers(cycle)
        portfolio_before = before["portfolio"]
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '20s'")  # fail, never hang, if this test errs
        forget_queued_tasks()
        worker = start_worker()
        try:
            # Another session holds the product's progress row, so the roll-up stops
            # there, after it has committed the key result and every objective above
            # it: the worker then dies mid-roll-up, half of it written.
            with psycopg.connect(**lock_connection_arguments()) as lock:
                lock.execute(
                    "SELECT id FROM okrs_productprogress WHERE cycle_id = %s AND product_id = %s "
                    "FOR UPDATE",
                    [cycle.pk, product.pk],
                )
                with broker(settings.REDIS_URL):
                    builders.check_in(key_result, director, key_result.target_value)
                wait_for(
                    lambda: KeyResult.objects.get(pk=key_result.pk).progress == 1.0,
                    message="the worker to start the roll-up",
                )
                wait_for(backends_waiting_for_a_lock, message="the roll-up to reach the product")
                worker.kill()
                worker.wait(timeout=20)
                # The killed worker's database session goes with its machine.
                with connection.cursor() as cursor:
                    for pid in backends_waiting_for_a_lock():
                        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                lock.rollback()

            half_done = numbers(cycle)
            assert half_done["key_results"][key_result.pk] == 1.0
            assert half_done["products"] == before["products"], "the product step never ran"
            assert half_done["portfolio"] == portfolio_before, "nor did the portfolio step"

            # A new worker takes back the unacknowledged task once it is older than
            # the visibility timeout (kombu sweeps at start-up, then every 100 s), and
            # finishes the roll-up from stored rows.
            time.sleep(2.5)
            worker = start_worker(BROKER_VISIBILITY_TIMEOUT="2")
            wait_for(
                lambda: Cycle.objects.get(pk=cycle.pk).progress != portfolio_before,
                timeout=60,
                message="the redelivered roll-up to reach the portfolio",
            )
        finally:
            stop_worker(worker)

        redelivered = numbers(cycle)
        rollup.recompute_cycle(cycle.pk)
        assert numbers(cycle) == redelivered


def lock_connection_arguments() -> dict:
    database = connection.settings_dict
    return {
        "dbname": database["NAME"],
        "user": database["USER"],
        "host": database["HOST"] or "127.0.0.1",
        "port": database["PORT"] or 5432,
        "password": database["PASSWORD"] or None,
        "autocommit": False,
    }
