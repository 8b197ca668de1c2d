"""Keyset pages for dashboard lists shown newest first: "Older" continues after the last
row shown, "Newer" before the first, by (created_at, id). A page deep in a long history
costs what the first page costs (an index range read), where a page number meant an OFFSET
over every row before it."""

from dataclasses import dataclass
from datetime import UTC, datetime

PER_PAGE = 20


@dataclass
class KeysetPage:
    object_list: list
    newer: str = ""  # the cursor of the page before (newer rows), if any
    older: str = ""  # the cursor of the page after (older rows), if any

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def _cursor(row) -> str:
    return f"{row.created_at.isoformat()}_{row.pk}"


def _parse(raw: str) -> tuple[datetime, int] | None:
    moment, _, pk = (raw or "").rpartition("_")
    try:
        at = datetime.fromisoformat(moment)
        if not (at.tzinfo and pk.isdigit() and len(pk) <= 18):
            return None
        at.astimezone(UTC)  # 0001-01-01+14:00 has no UTC instant: unreadable, not a 500
        return at, int(pk)
    except (ValueError, OverflowError):
        return None


def keyset_page(queryset, *, older: str = "", newer: str = "", per_page: int = PER_PAGE):
    """One page of `queryset` (newest first by created_at, id): the first page, the rows
    older than the cursor `older`, or those newer than `newer`. A cursor that cannot be
    read gives the first page."""
    if key := _parse(newer):
        at, pk = key
        rows = list(
            queryset.filter(created_at__gte=at)
            .exclude(created_at=at, pk__lte=pk)
            .order_by("created_at", "pk")[: per_page + 1]
        )
        more = len(rows) > per_page
        rows = rows[:per_page][::-1]
        return KeysetPage(
            rows, newer=_cursor(rows[0]) if more else "", older=_cursor(rows[-1]) if rows else ""
        )
    if key := _parse(older):
        at, pk = key
        queryset = queryset.filter(created_at__lte=at).exclude(created_at=at, pk__gte=pk)
    rows = list(queryset.order_by("-created_at", "-pk")[: per_page + 1])
    more, rows = len(rows) > per_page, rows[:per_page]
    return KeysetPage(
        rows,
        newer=_cursor(rows[0]) if key and rows else "",
        older=_cursor(rows[-1]) if more else "",
    )
