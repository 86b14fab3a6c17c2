"""Timing and query counting shared by every scenario."""

import statistics
import time
from dataclasses import asdict, dataclass

from django.db import connection, transaction


@dataclass
class Measurement:
    name: str
    size: str
    median_ms: float
    p95_ms: float
    runs: int
    queries: int | None = None
    floor_ms: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.floor_ms:
            return None
        return round(self.median_ms / self.floor_ms, 1)

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio_to_floor": self.ratio}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(name: str, size: str, action, *, warmup: int = 2, runs: int = 15) -> Measurement:
    """Median and p95 wall time of `action()` after warm-up, and its query count."""
    for _ in range(warmup):
        action()
    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        action()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    result = Measurement(
        name=name,
        size=size,
        median_ms=round(statistics.median(timings), 2),
        p95_ms=round(percentile(timings, 0.95), 2),
        runs=runs,
        queries=len(statements),
    )
    result.floor_ms = floor(statements, runs=min(runs, 7))
    return result


def floor(statements: list[tuple], *, runs: int = 7) -> float | None:
    """The time the same SQL takes alone (fetching every row): the page's floor."""
    if not statements:
        return None
    timings = []
    try:
        for _ in range(runs):
            with transaction.atomic():
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    for sql, params in statements:
                        cursor.execute(sql, params)
                        if cursor.description is not None:
                            cursor.fetchall()
                timings.append((time.perf_counter() - started) * 1000)
                transaction.set_rollback(True)
    except Exception:
        return None
    return round(statistics.median(timings), 2)
