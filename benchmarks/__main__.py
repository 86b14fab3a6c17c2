"""`make bench`: measure Lodestar at small and large size (huge on request).

    python -m benchmarks [--sizes small,large] [--runs 15] [--no-load] [--no-worker]
    python -m benchmarks --only "board,timeline"     # probe a few pages, print only

Uses DATABASE_URL (PostgreSQL when it points there; otherwise a separate SQLite
file, benchmarks/bench.sqlite3), builds the `scale-<size>` portfolios with
`seed_scale` when missing, and writes benchmarks/results/*.json and the table in
docs/performance.md. Timings are measured, never asserted.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn load test")
    parser.add_argument("--no-worker", action="store_true", help="skip the Celery worker latency")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated parts of page names; measure those pages only and print "
        "them without writing results (for profiling a fix)",
    )
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'benchmarks' / 'bench.sqlite3'}")
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks import load, pages, report, writes
    from portfolio.models import Portfolio

    call_command("migrate", verbosity=0)
    measurements, load_results, worker_results = [], [], []
    for size in options.sizes.split(","):
        slug = f"scale-{size}"
        if not Portfolio.objects.filter(slug=slug).exists():
            print(f"Building the {size} portfolio…", flush=True)
            call_command("seed_scale", "--size", size)
        portfolio = Portfolio.objects.get(slug=slug)
        print(f"Measuring at {size} size…", flush=True)
        only = [part.strip() for part in options.only.split(",") if part.strip()]
        measurements += pages.run(portfolio, size, runs=options.runs, only=only)
        if only:
            continue
        measurements += writes.run(portfolio, size, runs=options.runs)
        if not options.no_worker:
            latency = writes.worker_latency(portfolio, size)
            if latency:
                worker_results.append(latency)
        if not options.no_load:
            load_results.append(load.run(portfolio, size))
    path = None if options.only else report.write(measurements, load_results, worker_results)
    for m in measurements + worker_results:
        floor = f"{m.ratio}× floor" if m.ratio else ""
        print(
            f"{m.size:>6}  {m.name:<38} {m.median_ms:>9.1f} ms  p95 {m.p95_ms:>9.1f}  "
            f"{m.queries if m.queries is not None else '-':>4} q  {floor} {m.note}"
        )
    for run in load_results:
        reads, check_ins = run["mixed_reads"], run["check_in_writes"]
        print(
            f"{run['size']:>6}  load: reads {reads['per_second']}/s ({reads['errors']} errors), "
            f"check-ins {check_ins['per_second']}/s ({check_ins['errors']} errors), "
            f"peak worker {run['peak_worker_memory_mb']} MiB"
        )
    if path:
        print(f"Results: {path.relative_to(ROOT)}; table: docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
