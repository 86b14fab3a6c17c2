"""Lists that grow with the portfolio, kept short: the pickers' shortlists (the item
dialog's key results and blockers, the alignment picker), pages of a long list, and how
many entries a capped panel shows.

A picker shows a first handful of choices, says how many it does not show, and finds
the others by a search on the server (`?kr_q=`, `?blocker_q=`, `?q=`): htmx swaps the
matches into the picker; without JavaScript the search form reloads the page with the
query applied. Pages (`?page=`) and panels (`?items=`, `?attention=`) are read here too,
so every list parses its query the same way.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When, Window

# How long a search query may be: enough for any title, short enough to stay a LIKE.
MAX_QUERY_LENGTH = 100
# Ids are 64-bit; a larger number in a request is no id (and would crash the driver).
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Shortlist:
    """The rows a picker shows and how many rows there are in all (shown or not)."""

    rows: list
    total: int
    pinned_count: int = 0

    @property
    def hidden(self) -> int:
        """How many rows the picker does not show."""
        return max(self.total - len(self.rows), 0)

    @property
    def found(self) -> list:
        """The rows shown besides the pinned ones."""
        return self.rows[self.pinned_count :]

    @property
    def found_total(self) -> int:
        """How many rows there are besides the pinned ones (shown or not)."""
        return max(self.total - self.pinned_count, 0)


def shortlist(
    queryset: QuerySet,
    *,
    limit: int,
    matches: Q | None = None,
    pinned=(),
    ranking=(),
) -> Shortlist:
    """The first `limit` rows of `queryset` that satisfy `matches` (all when None),
    ordered by `ranking` and then by the queryset's own order; the rows whose pk is in
    `pinned` come first and on top of the limit (the choices a person already made, which
    a picker must never hide). Each row has `pinned` set. The total counts the matching
    rows and the pinned ones; one query: it is a window over the same rows."""
    pinned = sorted({int(pk) for pk in pinned})
    rows = queryset
    if matches is not None:
        rows = rows.filter(Q(pk__in=pinned) | matches) if pinned else rows.filter(matches)
    is_pinned = Value(False, output_field=BooleanField())
    if pinned:
        is_pinned = Case(When(pk__in=pinned, then=Value(True)), default=is_pinned)
    rows = rows.annotate(pinned=is_pinned, shortlist_total=Window(Count("pk"))).order_by(
        F("pinned").desc(),
        *ranking,
        *(queryset.query.order_by or queryset.model._meta.ordering),
        "pk",
    )
    found = list(rows[: len(pinned) + limit])
    total = found[0].shortlist_total if found else 0
    chosen = [row for row in found if row.pinned]
    others = [row for row in found if not row.pinned][:limit]
    return Shortlist(rows=chosen + others, total=total, pinned_count=len(chosen))


def search_query(query, name: str) -> str:
    """The search text of `?<name>=` in a QueryDict, trimmed."""
    return (query.get(name) or "").strip()[:MAX_QUERY_LENGTH]


def id_list(values) -> list[int]:
    """The ids among `values` (posted, or sent by a picker as "1,2,3"), others dropped."""
    ids = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isascii() and part.isdigit() and int(part) <= MAX_ID:
                ids.append(int(part))
    return ids


def wants_fragment(request, target: str) -> bool:
    """An htmx request that swaps the element `target` (a picker's list of matches), not
    htmx restoring a page from history."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and htmx.target == target


@dataclass(frozen=True)
class ListPage:
    """One page of a long list, with what a pager says and links to."""

    rows: list
    number: int
    size: int
    total: int

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.last < self.total

    @property
    def is_partial(self) -> bool:
        """Whether the list has rows this page does not show."""
        return self.total > len(self.rows)


def shown_count(value: str | None, step: int) -> int:
    """How many entries of a growing list a page shows: `?items=50` → 50, at least `step`
    (a "Show more" link asks for the next `step`)."""
    try:
        return max(step, int(value or step))
    except ValueError:
        return step


def page_number(query, name: str = "page") -> int:
    """`?page=` as a page number from 1; anything else is page 1."""
    value = query.get(name) or ""
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= 100_000 else 1


def list_page(rows: QuerySet, *, number: int, size: int) -> ListPage:
    """Page `number` of `rows`: one query for the rows, and a COUNT only when the list
    does not fit on the first page."""
    start = (number - 1) * size
    found = list(rows[start : start + size + 1])
    shown = found[:size]
    total = rows.count() if len(found) > size or number > 1 else len(shown)
    return ListPage(rows=shown, number=number, size=size, total=total)
