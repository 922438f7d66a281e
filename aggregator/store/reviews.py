"""Writing to the store: sources, drama resolution, authors, the batched review upsert and crawl runs.

Every function here takes the caller's Session and never commits (see `engine.write_with_retry`).
Reviews, authors and sources are written with INSERT ... ON CONFLICT (PostgreSQL and SQLite dialects), so
two writers racing on the same key update one row instead of failing on the unique constraint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, column, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aggregator.items import ReviewItem

# Drama resolution lives in `aggregator.store.dramas`; `resolve_drama` is re-exported for existing callers.
from aggregator.store.dramas import DramaResolver, resolve_batch, resolve_drama  # noqa: F401
from aggregator.store.engine import BinaryARRAY, one_of
from aggregator.store.models import Author, CrawlRun, Rating, Review, Source

RUN_STATUSES = ("running", "finished", "failed")
# Keeps IN lists well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 500


@dataclass
class UpsertCounts:
    """What a batch upsert did: reviews inserted, changed, and seen again unchanged."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # Dramas whose reviews were inserted or changed: their duplicates and consensus need a refresh.
    drama_ids: set[int] = field(default_factory=set, compare=False)

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.drama_ids | other.drama_ids,
        )


def _chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _per_source(keys: Iterable[tuple[int, str]]) -> Iterable[list[tuple[int, Sequence[str]]]]:
    """`keys` as lists of (source_id, ids) groups of at most `CHUNK` keys in all, one query's worth each.

    >>> list(_per_source([(2, "b"), (1, "a"), (2, "c")]))
    [[(1, ['a']), (2, ['b', 'c'])]]
    """
    ordered = sorted(keys)
    for start in range(0, len(ordered), CHUNK):
        grouped: dict[int, list[str]] = {}
        for source_id, value in ordered[start : start + CHUNK]:
            grouped.setdefault(source_id, []).append(value)
        yield list(grouped.items())


def _where_keys(session: Session, source_col, value_col, groups: list[tuple[int, Sequence[str]]]):
    """``(source_col = 1 AND value_col IN (...)) OR (...)`` for one `_per_source` chunk: one query per batch."""
    return or_(*[(source_col == sid) & one_of(session, value_col, values) for sid, values in groups])


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"dramascore's store supports PostgreSQL and SQLite, not {name}")
    return name


def _upsert_insert(session: Session, table: Table):
    """The dialect's INSERT that supports ``on_conflict_*``; the store targets PostgreSQL and SQLite only."""
    return (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(table)


@cache
def _insert_rows(dialect: str, table: Table, names: tuple[str, ...]):
    """The dialect's INSERT of rows with the columns `names`, executed with `_rows` (built once: cached).

    On PostgreSQL the rows come as one array per column, turned back into rows by ``unnest``: the statement
    is short and the same for every batch. SQLAlchemy's multi-row ``INSERT ... VALUES`` has a placeholder per
    value instead, which psycopg parses again on every execution (too long for its cache): a third of a
    batch's time (bench/store.py). SQLite gets the multi-row VALUES.
    """
    if dialect == "sqlite":
        return sqlite.insert(table)
    arrays = func.unnest(*[bindparam(n, type_=BinaryARRAY(table.c[n].type)) for n in names])
    rows = arrays.table_valued(*[column(n, table.c[n].type) for n in names]).render_derived()
    return postgresql.insert(table).from_select(list(names), select(*rows.c))


def _rows(dialect: str, names: tuple[str, ...], rows: Sequence[Mapping[str, Any]]):
    """Parameters of an `_insert_rows` statement: one array per column on PostgreSQL, else the rows."""
    if dialect == "sqlite":
        return rows
    return {n: [row[n] for row in rows] for n in names}


# --- sources ---------------------------------------------------------------------------------------------


def get_or_create_source(
    session: Session, name: str, *, kind: str | None = None, base_url: str | None = None
) -> Source:
    """The source called `name`, created if new; `kind` / `base_url` fill in what it lacks."""
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        # DO NOTHING, then read: another writer creating the same source at the same time is not an error.
        stmt = _upsert_insert(session, Source.__table__).values(name=name, kind=kind, base_url=base_url)
        session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        source = session.scalars(select(Source).where(Source.name == name)).one()
    if kind and not source.kind:
        source.kind = kind
    if base_url and not source.base_url:
        source.base_url = base_url
    return source


def _sources(session: Session, names: set[str]) -> dict[str, Source]:
    """The sources called `names` (one query), creating those that are new with `get_or_create_source`."""
    found = {source.name: source for source in session.scalars(select(Source).where(Source.name.in_(sorted(names))))}
    return {name: found.get(name) or get_or_create_source(session, name) for name in sorted(names)}


# --- reviews ---------------------------------------------------------------------------------------------


def _json_default(value: Any) -> str:
    # Datetimes as UTC ISO text, so equal instants hash alike; anything else exotic as its str().
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return str(value)


def content_hash(item: ReviewItem) -> str:
    """SHA-256 of everything the item says (raw and normalised) except when it was fetched.

    A relative date ("3 days ago") resolves differently on every crawl; its raw text still counts, so a review
    is not "updated" just because it was read a day later (the first resolution is kept).
    """
    # Shallow: json.dumps walks lists and dicts itself and `_hash_default` turns each Rating into the dict
    # asdict() would make, so the text (and the hash of every stored review) is unchanged; asdict's deep
    # copy of every field was a third of a batch upsert's time (bench/store.py).
    data = {name: getattr(item, name) for name in _field_names(type(item))}
    data.pop("crawled_at", None)
    if item.published_relative:
        data.pop("published_at", None)
    return hashlib.sha256(_HASH_JSON.encode(data).encode()).hexdigest()


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _hash_default(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _field_names(type(value))}
    return _json_default(value)


# What ``json.dumps(data, sort_keys=True, default=_hash_default, ensure_ascii=False)`` builds on every call.
_HASH_JSON = json.JSONEncoder(sort_keys=True, default=_hash_default, ensure_ascii=False)


AUTHOR_COLUMNS = ("source_id", "handle", "display_name", "profile_url")


@cache
def _authors_upsert(dialect: str):
    table = Author.__table__
    stmt = _insert_rows(dialect, table, AUTHOR_COLUMNS)
    name = func.coalesce(stmt.excluded.display_name, table.c.display_name)
    url = func.coalesce(stmt.excluded.profile_url, table.c.profile_url)
    return stmt.on_conflict_do_update(
        index_elements=["source_id", "handle"],
        set_={"display_name": name, "profile_url": url},
        # Rewriting an identical row still costs a write (and a dead tuple on PostgreSQL).
        where=or_(name.is_distinct_from(table.c.display_name), url.is_distinct_from(table.c.profile_url)),
    )


def _upsert_authors(session: Session, entries: dict[tuple[int, str], ReviewItem]) -> dict[tuple[int, str], int]:
    """Insert or refresh authors keyed by (source_id, handle); returns their ids."""
    if not entries:
        return {}
    rows = [
        {"source_id": sid, "handle": handle, "display_name": item.author_name, "profile_url": item.author_url}
        for (sid, handle), item in sorted(entries.items())
    ]
    dialect = _dialect(session)
    session.execute(_authors_upsert(dialect), _rows(dialect, AUTHOR_COLUMNS, rows))
    ids: dict[tuple[int, str], int] = {}
    query = select(Author.id, Author.source_id, Author.handle)
    for groups in _per_source(entries):
        rows = session.execute(query.where(_where_keys(session, Author.source_id, Author.handle, groups)))
        ids.update({(sid, handle): author_id for author_id, sid, handle in rows})
    return ids


def _existing(session: Session, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, str]]:
    """(source_id, source_review_id) -> (id, content_hash) of the reviews already stored."""
    found: dict[tuple[int, str], tuple[int, str]] = {}
    query = select(Review.id, Review.source_id, Review.source_review_id, Review.content_hash)
    for groups in _per_source(keys):
        rows = session.execute(query.where(_where_keys(session, Review.source_id, Review.source_review_id, groups)))
        found.update({(sid, rid): (review_id, digest) for review_id, sid, rid, digest in rows})
    return found


# ReviewItem fields stored as they are in same-named review columns.
COPIED = (
    "source_review_id", "url", "kind", "author_raw", "title", "body", "body_raw", "published_raw", "published_at",
    "score_raw", "score", "score_scale", "inferred_score", "inferred_method", "spoiler", "spoiler_reason",
    "spoiler_flag_raw", "spoiler_marker_raw",
    "helpful_votes", "episodes_seen", "episodes_total", "watch_status_raw", "watch_status", "language",
)  # fmt: skip
RATING_FIELDS = ("aspect_raw", "aspect", "episode", "score_raw", "score", "scale")
REVIEW_COLUMNS = (*COPIED, "source_id", "drama_id", "author_id", "null_reasons", "content_hash", "first_seen_at",
                  "last_seen_at", "crawled_at", "crawl_run_id")  # fmt: skip
RATING_COLUMNS = ("review_id", "kind", *RATING_FIELDS)


def _rating_rows(review_id: int, item: ReviewItem) -> list[dict[str, Any]]:
    return [
        {"review_id": review_id, "kind": kind, **{f: getattr(r, f) for f in RATING_FIELDS}}
        for kind, ratings in (("aspect", item.sub_scores), ("episode", item.episode_scores))
        for r in ratings
    ]


def upsert_reviews(
    session: Session,
    items: Sequence[ReviewItem],
    *,
    crawl_run_id: int | None = None,
    seen_at: datetime,
    match: Mapping[str, float] | None = None,
) -> UpsertCounts:
    """Store a batch of reviews: insert new ones, rewrite changed ones, touch ``last_seen_at`` of the rest.

    Items are keyed by (source, source_review_id); within a batch the last item for a key wins. A changed
    review (different `content_hash`) gets all its fields and ratings replaced. `match` passes the title
    matcher's thresholds (``accept``, ``doubt``) to drama resolution.
    """
    latest: dict[tuple[str, str], ReviewItem] = {}
    for item in items:
        latest.pop((item.source, item.source_review_id), None)  # re-insert so order follows the winner
        latest[(item.source, item.source_review_id)] = item
    if not latest:
        return UpsertCounts()

    sources = _sources(session, {s for s, _ in latest})
    batch = {(sources[s].id, rid): item for (s, rid), item in latest.items()}
    existing = _existing(session, batch)
    counts = UpsertCounts()
    unchanged_ids: list[int] = []
    changed: dict[tuple[int, str], tuple[ReviewItem, str]] = {}
    for key, item in batch.items():
        digest = content_hash(item)
        if key in existing and existing[key][1] == digest:
            unchanged_ids.append(existing[key][0])
            counts.unchanged += 1
        else:
            changed[key] = (item, digest)
            if key in existing:
                counts.updated += 1
            else:
                counts.new += 1

    touched: dict[str, Any] = {"last_seen_at": seen_at}
    if crawl_run_id is not None:
        touched["crawl_run_id"] = crawl_run_id
    for chunk in _chunks(sorted(unchanged_ids)):
        session.execute(update(Review.__table__).where(one_of(session, Review.id, chunk)).values(**touched))
    if changed:
        counts.drama_ids = _write_changed(session, changed, sources, crawl_run_id, seen_at, match or {})
    return counts


def _write_changed(
    session: Session,
    changed: dict,
    sources: dict[str, Source],
    run_id: int | None,
    seen_at: datetime,
    match: Mapping[str, float],
) -> set[int]:
    """Insert-or-update new and changed reviews ((source_id, review id) -> (item, hash)); replace their ratings.

    Returns the ids of the dramas the written reviews belong to.
    """
    # New dramas and aliases get their ids; another writer creating one of them at the same moment is retried.
    dramas = resolve_batch(session, {key: (sources[item.source], item) for key, (item, _) in changed.items()}, **match)

    authors = {(sid, item.author_handle): item for (sid, _), (item, _) in changed.items() if item.author_handle}
    author_ids = _upsert_authors(session, authors)

    rows = []
    for key, (item, digest) in sorted(changed.items()):  # a fixed order keeps PostgreSQL writers deadlock-free
        sid = key[0]
        row = {name: getattr(item, name) for name in COPIED}
        row.update(
            source_id=sid,
            drama_id=dramas[key].id,
            author_id=author_ids.get((sid, item.author_handle)) if item.author_handle else None,
            null_reasons=dict(item.null_reasons),
            content_hash=digest,
            first_seen_at=seen_at,
            last_seen_at=seen_at,
            crawled_at=item.crawled_at or seen_at,
            crawl_run_id=run_id,
        )
        rows.append(row)

    dialect = _dialect(session)
    found = session.execute(_reviews_upsert(dialect), _rows(dialect, REVIEW_COLUMNS, rows))
    ids = {(sid, rid): review_id for review_id, sid, rid in found}

    # New reviews have no ratings yet, but one inserted meanwhile by another writer may: clear them all.
    for chunk in _chunks(sorted(ids.values())):
        session.execute(delete(Rating.__table__).where(one_of(session, Rating.review_id, chunk)))
    rating_rows = [r for key, (item, _) in sorted(changed.items()) for r in _rating_rows(ids[key], item)]
    if rating_rows:
        stmt = _insert_rows(dialect, Rating.__table__, RATING_COLUMNS)
        session.execute(stmt, _rows(dialect, RATING_COLUMNS, rating_rows))
    return {drama.id for drama in dramas.values()}


@cache
def _reviews_upsert(dialect: str):
    """Insert reviews, or rewrite them but for their key and ``first_seen_at``; returns (id, source, review id)."""
    table = Review.__table__
    stmt = _insert_rows(dialect, table, REVIEW_COLUMNS)
    kept = {"id", "source_id", "source_review_id", "first_seen_at"}
    set_ = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in kept}
    set_["crawl_run_id"] = func.coalesce(stmt.excluded.crawl_run_id, table.c.crawl_run_id)
    stmt = stmt.on_conflict_do_update(index_elements=["source_id", "source_review_id"], set_=set_)
    return stmt.returning(table.c.id, table.c.source_id, table.c.source_review_id)


# --- crawl runs ------------------------------------------------------------------------------------------


def start_crawl_run(session: Session, spider: str, *, started_at: datetime) -> CrawlRun:
    """Record a crawl as running; flushed, so its ``id`` is set."""
    run = CrawlRun(spider=spider, started_at=started_at, status="running", drops={}, stats={})
    session.add(run)
    session.flush()
    return run


def finish_crawl_run(
    session: Session, run_id: int, *, status: str, finished_at: datetime, pages: int, counts: UpsertCounts,
    drops: dict[str, int], errors: int, stats: dict,
) -> None:  # fmt: skip
    """Record how crawl `run_id` ended."""
    if status not in RUN_STATUSES:
        raise ValueError(f"crawl run status must be one of {RUN_STATUSES}, not {status!r}")
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"no crawl run {run_id}")
    run.status = status
    run.finished_at = finished_at
    run.pages = pages
    run.reviews_new = counts.new
    run.reviews_updated = counts.updated
    run.reviews_unchanged = counts.unchanged
    run.drops = dict(drops)
    run.items_dropped = sum(drops.values())
    run.errors = errors
    # Scrapy stats may hold datetimes or other objects: store their text rather than fail the run's record.
    run.stats = json.loads(json.dumps(stats, default=_json_default))
