"""Throughput under load against gunicorn on this machine, and a worker's peak memory.

Traffic goes to 127.0.0.1 only, for a bounded time, from threads in this process.
"""

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from rest_framework.authtoken.models import Token

from benchmarks.pages import scenarios
from okrs.models import KeyResult
from portfolio.models import Portfolio
from teams.models import User

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _session_cookie(user: User) -> str:
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _hammer(port, requests, seconds, threads) -> dict:
    """Send `requests` (method, path, headers, body) round-robin for `seconds`."""
    statuses, latencies, lock = Counter(), [], threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(seed):
        chooser = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            method, path, headers, body = chooser.choice(requests)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = "error"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                statuses[status] += 1
                latencies.append((time.perf_counter() - started) * 1000)

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = sum(statuses.values())
    errors = sum(count for status, count in statuses.items() if status == "error" or status >= 400)
    latencies.sort()
    return {
        "requests": total,
        "per_second": round(total / seconds, 1),
        "errors": errors,
        "statuses": {str(status): count for status, count in statuses.items()},
        "median_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95)], 1) if latencies else None,
    }


def _peak_memory_mb(master: subprocess.Popen) -> float | None:
    """The largest VmHWM among gunicorn's worker processes."""
    peaks = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if f"PPid:\t{master.pid}\n" in status:
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
    return round(max(peaks), 1) if peaks else None


def run(portfolio: Portfolio, size: str, *, seconds: int = 10, threads: int = 4) -> dict:
    prefix = portfolio.slug.replace("-", "_")
    director = User.objects.get(username=f"{prefix}_director")
    cookie = _session_cookie(director)
    token, _ = Token.objects.get_or_create(user=director)
    key_results = list(
        KeyResult.objects.filter(objective__cycle__portfolio=portfolio)
        .exclude(measure="milestone")
        .values_list("pk", flat=True)[:200]
    )
    reads = [
        ("GET", url, {"Cookie": cookie}, None)
        for name, url, who in scenarios(portfolio)
        if who == "director"
    ]
    writes = [
        (
            "POST",
            "/api/v1/check-ins/",
            {"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
            json.dumps({"key_result": pk, "value": "150", "confidence": 6}),
        )
        for pk in key_results
    ]
    connection.close()
    port = _free_port()
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    log = (ROOT / "benchmarks" / "results" / f"gunicorn-{size}.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=log,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _hammer(port, reads, 2, threads)  # warm-up
        mixed_reads = _hammer(port, reads, seconds, threads)
        memory = _peak_memory_mb(server)
        check_in_writes = _hammer(port, writes, seconds, threads)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    return {
        "size": size,
        "seconds": seconds,
        "threads": threads,
        "mixed_reads": mixed_reads,
        "check_in_writes": check_in_writes,
        "peak_worker_memory_mb": memory,
    }
