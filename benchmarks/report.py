"""Write results as JSON (benchmarks/results/) and as the table in docs/performance.md."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def machine() -> dict:
    memory = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "database": f"{connection.vendor} {connection.get_database_version()}",
        "revision": revision,
    }


def write(measurements: list, load: list, worker: list) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "taken_at": stamp,
        "machine": machine(),
        "measurements": [m.as_dict() for m in measurements],
        "worker_latency": [m.as_dict() for m in worker],
        "load": load,
    }
    path = RESULTS / f"{stamp}-{connection.vendor}.json"
    text = json.dumps(payload, indent=2)
    path.write_text(text)
    (RESULTS / f"latest-{connection.vendor}.json").write_text(text)
    _update_doc(payload)
    return path


def _table(payload: dict) -> str:
    rows = {}
    sizes = []
    for m in payload["measurements"] + payload["worker_latency"]:
        if m["size"] not in sizes:
            sizes.append(m["size"])
        rows.setdefault(m["name"], {})[m["size"]] = m
    header = (
        "| scenario | "
        + " | ".join(f"{size}: median / p95 ms | queries | × floor" for size in sizes)
        + " |"
    )
    lines = [header, "|---|" + "---|---|---|" * len(sizes)]
    for name, by_size in rows.items():
        cells = []
        for size in sizes:
            m = by_size.get(size)
            if m is None:
                cells.append("— | — | —")
            elif m["runs"] == 0:
                cells.append(f"{m['note']} | — | —")
            else:
                queries = "—" if m["queries"] is None else m["queries"]
                ratio = "—" if m["ratio_to_floor"] is None else m["ratio_to_floor"]
                cells.append(f"{m['median_ms']} / {m['p95_ms']} | {queries} | {ratio}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for run in payload["load"]:
        for kind in ("mixed_reads", "check_in_writes"):
            result = run[kind]
            lines.append("")
            lines.append(
                f"- Load, {kind.replace('_', ' ')} at {run['size']} ({run['threads']} threads, "
                f"{run['seconds']} s, gunicorn 2 workers): {result['per_second']} req/s, median "
                f"{result['median_ms']} ms, p95 {result['p95_ms']} ms, errors {result['errors']} "
                f"of {result['requests']} ({result['statuses']})"
            )
        lines.append(
            f"- Peak web worker memory at {run['size']}: {run['peak_worker_memory_mb']} MiB"
        )
    return "\n".join(lines)


def _update_doc(payload: dict) -> None:
    m = payload["machine"]
    block = (
        f"{BEGIN}\nLast run {payload['taken_at']} on {m['cpu']} ({m['cores']} cores, "
        f"{m['memory_gib']} GiB), Python {m['python']}, {m['database']}, "
        f"revision {m['revision']}.\n\n"
        f"{_table(payload)}\n{END}"
    )
    text = DOC.read_text() if DOC.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)
