"""Shared plumbing of the REST API v1: error shape, pagination, throttling, permissions.

Every 4xx answers one JSON shape (docs/api.md):

    {"error": {"code": "invalid", "message": "…", "fields": {"target_value": ["…"]}}}

Bulk endpoints add `"items": {"3": {"value": ["…"]}}` keyed by the index of the entry.
"""

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from portfolio.audit import record_api_actor

NON_FIELD = "non_field_errors"


# Errors --------------------------------------------------------------------------------


def messages_by_field(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django `ValidationError` as `{field: [message, …]}`; unfielded ones under
    `non_field_errors`."""
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if field == NON_FIELD_ERRORS else field): list(messages)
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: list(error.messages)}


class BatchValidationError(exceptions.APIException):
    """Per-entry errors of a bulk request: `items` maps an entry's index to its fields."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "Nothing was saved: some entries are invalid."

    def __init__(self, items: dict[int, dict], *, detail=None, code=None, status_code=None):
        super().__init__(detail or self.default_detail, code)
        self.items = {str(index): fields for index, fields in sorted(items.items())}
        if status_code is not None:
            self.status_code = status_code


class Conflict(exceptions.APIException):
    """A stale edit (`okrs.services.StaleEditError`): someone else saved the row since the
    client read `version`. Answered 409 with code `conflict` (docs/concurrency.md)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "Someone else changed this since you read it. Reload, then try again."

    def __init__(self, detail=None, *, current_version: int | None = None):
        super().__init__(detail, self.default_code)
        self.current_version = current_version


def version_field(**kwargs) -> serializers.IntegerField:
    """`version` on PUT/PATCH: the version the client read; a stale one is a 409."""
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=(
            "Goes up by one on every edit. Send back the version you read to refuse "
            "overwriting someone else's change (409 `conflict`); leave it out to save anyway."
        ),
        **kwargs,
    )


def _flatten(detail) -> dict[str, list[str]] | list[str]:
    """DRF error details as plain strings, nested dicts kept (nested serializers)."""
    if isinstance(detail, dict):
        flat = {str(key): _flatten(value) for key, value in detail.items()}
        return {key: [value] if isinstance(value, str) else value for key, value in flat.items()}
    if isinstance(detail, list):
        flat = [_flatten(item) for item in detail]
        if all(isinstance(item, str) for item in flat):
            return flat
        return {str(index): item for index, item in enumerate(flat) if item}
    return [str(detail)] if not isinstance(detail, str) else str(detail)


def _first_message(fields: dict) -> str:
    for messages in fields.values():
        if isinstance(messages, dict):
            found = _first_message(messages)
            if found:
                return found
        elif messages:
            first = messages[0] if isinstance(messages, list) else messages
            if isinstance(first, str):
                return first
    return "The request is invalid."


def exception_handler(exc, context):
    """DRF's handler, with service `ValidationError`s as 400 and one error shape for all."""
    if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) == "conflict":
        exc = Conflict(exc.messages[0], current_version=getattr(exc, "current_version", None))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(messages_by_field(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    error: dict = {}
    if isinstance(exc, BatchValidationError):
        code = getattr(exc.detail, "code", None) or exc.default_code
        error = {"code": code, "message": str(exc.detail), "items": exc.items}
    elif isinstance(exc, Conflict):
        error = {"code": "conflict", "message": str(exc.detail), "fields": {}}
        if exc.current_version is not None:
            error["current_version"] = exc.current_version
    elif isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = {NON_FIELD: _flatten(detail)} if isinstance(detail, list) else _flatten(detail)
        error = {"code": "invalid", "message": _first_message(fields), "fields": fields}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        error = {
            "code": getattr(detail, "code", None) or getattr(exc, "default_code", "error"),
            "message": str(detail),
        }
    response.data = {"error": error}
    return response


def _is_versioned(operation, components: dict) -> bool:
    """Whether a PUT/PATCH body takes `version` (optimistic concurrency)."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        name = media.get("schema", {}).get("$ref", "").split("/")[-1]
        if "version" in components.get(name, {}).get("properties", {}):
            return True
    return False


def add_error_responses(result, generator, request, public):
    """Schema post-processing: every operation documents the error shape for 400/401/403/404
    (and 429 where throttled), so clients and schemathesis know every possible answer."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        "Error",
        {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": True},
                        "items": {"type": "object", "additionalProperties": True},
                    },
                }
            },
        },
    )
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    descriptions = {
        "400": "Invalid input: per-field messages in `error.fields`.",
        "401": "Not signed in: send `Authorization: Token <key>`.",
        "403": "A member of the portfolio without the right to do this.",
        "404": "Not found, or in a portfolio you are not a member of.",
    }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in descriptions.items():
                responses.setdefault(code, {"description": description, "content": reference})
            if method in {"put", "patch"} and _is_versioned(operation, components):
                responses.setdefault(
                    "409",
                    {
                        "description": "Conflict: someone else changed it since the `version` "
                        "you sent. Reload, then make your change again.",
                        "content": reference,
                    },
                )
            if "throttle" in operation.get("description", "").lower():
                responses.setdefault(
                    "429", {"description": "Too many attempts: wait.", "content": reference}
                )
            for code, response in responses.items():
                if code.startswith("4") and "content" in response:
                    response["content"] = reference
    return result


# Pagination and throttling -------------------------------------------------------------


class Pagination(pagination.PageNumberPagination):
    """`?page=2&page_size=100`; 50 per page by default, at most 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class NewestFirstPagination(pagination.CursorPagination):
    """For a history that only grows (check-ins): newest first, paged by an opaque cursor
    on `checked_in_at`, so a page costs the same however long the history is. No `count`
    (counting a portfolio's whole history is the part that grows); follow `next`."""

    ordering = ("-checked_in_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError as error:  # a cursor whose position is no datetime
            raise exceptions.NotFound(self.invalid_cursor_message) from error


class TokenThrottle(ScopedRateThrottle):
    """Per client IP on the token exchange. Reads the rate on every request (not at import)
    so `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` can be changed in tests."""

    scope_attr = "throttle_scope"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


# Permissions ---------------------------------------------------------------------------


def require(allowed: bool, message: str = "You do not have the right to do this.") -> None:
    """Refuse with 403 unless the policy predicate (`*/permissions.py`) allowed it."""
    if not allowed:
        raise exceptions.PermissionDenied(message)


# Ids -----------------------------------------------------------------------------------

# The largest id any supported database stores (a signed 64-bit integer): a bigger number
# in a path, a filter or a body is an unknown id, never an overflow.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


class IdFilter(django_filters.NumberFilter):
    """`?product=<id>`: a whole number within the database's range, else a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class BoundedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id outside the database's range is answered like an unknown id (400)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or parse_id(data) is None:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class ViewSetMixin:
    """Retrieve by id, where an id that cannot exist is a plain 404."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The audit trail's actor: token auth happens after AuditlogMiddleware has run.
        record_api_actor(request.user)

    def get_object(self):
        lookup = self.lookup_url_kwarg or self.lookup_field
        if parse_id(self.kwargs.get(lookup)) is None:
            raise exceptions.NotFound()
        return super().get_object()
