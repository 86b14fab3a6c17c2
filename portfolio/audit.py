"""What the audit trail records of portfolios (django-auditlog, docs/audit.md)."""

from auditlog.context import auditlog_value
from auditlog.registry import auditlog

NOT_CHANGES = ["created_at", "updated_at"]


def register() -> None:
    from portfolio.models import Membership, Product

    auditlog.register(Membership, exclude_fields=NOT_CHANGES)
    auditlog.register(Product, exclude_fields=NOT_CHANGES)


def record_api_actor(user) -> None:
    """Name the token-authenticated person as the actor of this request's log entries.

    `AuditlogMiddleware` reads `request.user` before DRF authenticates a token, so an API
    request would otherwise be logged without an actor. The middleware's context is still
    active during the view; filling its actor keeps its signal handler the only one.
    """
    if not user.is_authenticated:
        return
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    if context.get("actor") is None:
        context["actor"] = user
