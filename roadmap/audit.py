"""What the audit trail records of the roadmap (django-auditlog, docs/audit.md).

A share link's token hash is never recorded (not even masked): half a hash still narrows
the token down. Its view counter changes on every visit and is not anyone's change.
"""

from auditlog.registry import auditlog

NOT_CHANGES = ["created_at", "updated_at"]


def register() -> None:
    from roadmap.models import Alignment, RoadmapItem, ShareLink

    auditlog.register(RoadmapItem, exclude_fields=[*NOT_CHANGES, "position", "version"])
    auditlog.register(Alignment, exclude_fields=NOT_CHANGES)
    auditlog.register(
        ShareLink,
        exclude_fields=[*NOT_CHANGES, "token_hash", "view_count", "last_viewed_at"],
    )
