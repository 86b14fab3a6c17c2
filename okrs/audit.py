"""What the audit trail records of OKRs (django-auditlog, docs/audit.md).

Derived numbers (progress, forecasts, scores) are left out: the roll-up recomputes them and
they are no one's change. Order (`position`, `depth`) is left out too: a reorder is noise.
"""

from auditlog.registry import auditlog

NOT_CHANGES = ["created_at", "updated_at"]


def register() -> None:
    from okrs.models import CheckIn, Cycle, KeyResult, Objective

    auditlog.register(Cycle, exclude_fields=[*NOT_CHANGES, "progress"])
    auditlog.register(
        Objective,
        exclude_fields=[*NOT_CHANGES, "progress", "final_score", "forecast", "depth", "position"],
    )
    auditlog.register(
        KeyResult,
        exclude_fields=[*NOT_CHANGES, "progress", "forecast", "position", "version"],
    )
    auditlog.register(CheckIn, exclude_fields=NOT_CHANGES)
