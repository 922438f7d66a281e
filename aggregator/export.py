"""Export dramas or reviews from the SQL views (docs/schema.md) as CSV or JSON Lines, streamed in chunks.

The columns are the views' columns, in their order, so an export reads like ``SELECT * FROM v_dramas``.
Values are the same whichever database wrote them: booleans ``true``/``false``, timestamps ISO 8601 in
UTC (``2022-04-20T12:40:00+00:00``), a null an empty CSV field or JSON ``null``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import Connection, text

# what -> (view, key it is ordered by)
VIEWS = {"dramas": ("v_dramas", "drama_id"), "reviews": ("v_reviews", "review_id")}
FORMATS = ("csv", "jsonl")
# SQLite has no boolean or timestamp types: its views give 0/1 and text, so the export types them itself.
BOOLEANS = frozenset({"needs_review", "tbd", "spoiler", "excluded"})
TIMESTAMPS = frozenset(
    {"created_at", "last_review_at", "computed_at", "published_at", "first_seen_at", "last_seen_at", "crawled_at"}
)
CHUNK = 1000


def plain(column: str, value: Any) -> Any:
    """A view value as exported: typed the same on SQLite and PostgreSQL.

    >>> plain("tbd", 1), plain("computed_at", "2022-04-20 12:40:00.000000"), plain("score", 81.5)
    (True, '2022-04-20T12:40:00+00:00', 81.5)
    """
    if value is None:
        return None
    if column in BOOLEANS:
        return bool(value)
    if column in TIMESTAMPS:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        return when.isoformat()
    return value


def view_rows(conn: Connection, what: str, chunk: int = CHUNK) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The view's column names and its rows (plain values), fetched `chunk` rows at a time."""
    if what not in VIEWS:
        raise ValueError(f"what must be one of {', '.join(VIEWS)}, got {what!r}")
    view, key = VIEWS[what]
    # stream_results: a server-side cursor on PostgreSQL; SQLite's cursor already fetches as it goes.
    result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
        text(f"SELECT * FROM {view} ORDER BY {key}")
    )
    columns = list(result.keys())

    def rows() -> Iterator[dict[str, Any]]:
        for part in result.partitions():
            for row in part:
                yield {c: plain(c, v) for c, v in zip(columns, row, strict=True)}

    return columns, rows()


def _csv_field(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write(columns: list[str], rows: Iterator[dict[str, Any]], fmt: str, out: TextIO) -> int:
    """Write `rows` to `out` as ``csv`` (with a header line) or ``jsonl``; returns how many rows."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_field(row[c]) for c in columns])
            count += 1
    else:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def export(conn: Connection, what: str, fmt: str, out: TextIO, chunk: int = CHUNK) -> int:
    """Export ``dramas`` or ``reviews`` as `fmt` to `out`; returns the number of rows written.

    >>> export(conn, "dramas", "jsonl", sys.stdout)
    {"drama_id": 1, "title": "Soundtrack #1", ..., "tbd": false, ...}
    22
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    columns, rows = view_rows(conn, what, chunk)
    return write(columns, rows, fmt, out)
