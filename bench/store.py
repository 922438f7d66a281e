"""Batched review upserts against one commit per review, on SQLite (WAL) and PostgreSQL.

Run: ``python bench/store.py [--size 5000] [--batch 200] [--pg URL | --no-pg]``. The same generated,
already normalised reviews (`make_items`: many sources' worth of dramas, authors, aspect scores) go into two
fresh stores per database: once in batches of ``--batch`` (as `pipelines.store.StorePipeline` writes them,
default DRAMASCORE_STORE_BATCH = 200) and once one review per transaction, each through
`engine.write_with_retry` and `reviews.upsert_reviews`. Then the same reviews are written again in batches
(a re-crawl: every row unchanged). Both modes get the same reviews, a freshly migrated store (same schema
and indexes; SQLite in WAL mode) and warm caches (see `measure`). PostgreSQL gets a fresh schema on ``--pg``
(default: the local test database), dropped afterwards. The ratio batched / one-per-commit per database comes
last (target >= 10x, batched >= 5,000 reviews/s).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from aggregator.items import Rating, ReviewItem
from aggregator.store.engine import (
    make_engine,
    migrate,
    session_factory,
    write_with_retry,
)
from aggregator.store.reviews import upsert_reviews

# The tests' server (tests/conftest.py reads the same variable).
PG_URL = os.environ.get("DRAMASCORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SEEN_AT = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SOURCES = ("mydramalist", "kdramadiary", "seoulscreen", "reddit_demo", "critics")
WORDS = ("the drama lead actor actress story ending chemistry soundtrack episode slow rushed lovely warm cold "
         "brilliant boring twist romance family revenge office palace rain kiss finale tears laugh").split()
ASPECTS = (("Story", "story"), ("Acting/Cast", "acting"), ("Music", "music"), ("Rewatch Value", "rewatch"))


def make_items(size: int, seed: int = 7, dramas: int = 300) -> list[ReviewItem]:
    """`size` normalised reviews of `dramas` dramas from `SOURCES`, as the pipelines hand them to the store."""
    rng = random.Random(seed)
    names: dict[str, None] = {}
    while len(names) < dramas:  # distinct invented titles: one drama each
        names[" ".join(w.capitalize() for w in rng.sample(WORDS, rng.randint(2, 4)))] = None
    titles = list(names)
    out = []
    for i in range(size):
        source = SOURCES[i % len(SOURCES)]
        drama = rng.randrange(dramas)
        score = rng.randint(2, 20) / 2
        published = SEEN_AT - timedelta(minutes=rng.randrange(5 * 365 * 24 * 60))
        handle = f"user{rng.randrange(size // 3 + 1)}"
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 220)))
        out.append(ReviewItem(
            source=source,
            source_review_id=str(100_000 + i),
            url=f"https://{source}.test/reviews/{100_000 + i}",
            drama_title=titles[drama],
            drama_site_id=str(700_000 + drama) if source == "mydramalist" else None,
            drama_url=f"https://{source}.test/drama/{drama}",
            drama_year=2015 + drama % 10,
            drama_episodes=16,
            drama_country="South Korea",
            author_raw=handle.title(),
            author_url=f"https://{source}.test/profile/{handle}",
            author_handle=handle,
            author_name=handle.title(),
            published_raw=published.strftime("%b %d, %Y"),
            published_at=published.replace(hour=0, minute=0, second=0, microsecond=0),
            score_raw=f"{score:.1f}",
            score=score * 10,
            score_scale="10",
            sub_scores=[Rating(score_raw=f"{score:.1f}", aspect_raw=raw, aspect=key, score=score * 10, scale="10")
                        for raw, key in ASPECTS] if source == "mydramalist" else [],
            spoiler=rng.random() < 0.3,
            spoiler_reason="marker: This review may contain spoilers",
            title=f"Review {i}",
            body_raw=body,
            body=body,
            helpful_votes=rng.randrange(200),
            episodes_seen=16,
            episodes_total=16,
            watch_status_raw="Completed",
            watch_status="completed",
            language="en",
            crawled_at=SEEN_AT,
        ))  # fmt: skip
    return out


@contextmanager
def fresh_store(kind: str, pg_url: str = PG_URL) -> Iterator[sa.Engine]:
    """A freshly migrated, empty store: a SQLite file in a temporary folder, or a new PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            migrate(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(pg_url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        conn.commit()
    sep = "&" if "?" in pg_url else "?"
    engine = make_engine(f"{pg_url}{sep}options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.commit()
        admin.dispose()


def write(engine: sa.Engine, items: Sequence[ReviewItem], batch: int) -> tuple[float, float, int]:
    """Seconds (wall, and this process's CPU) to store `items` in transactions of `batch` reviews, and how
    many rows the store then holds. CPU time says how much of the wall time was ours on a busy machine."""
    factory = session_factory(engine)
    cpu = time.process_time()
    started = time.perf_counter()
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        write_with_retry(factory, lambda s, chunk=chunk: upsert_reviews(s, chunk, seen_at=SEEN_AT))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM reviews")).scalar_one()
    return elapsed, cpu, rows


@dataclass
class StoreResult:
    database: str
    size: int
    batch: int
    batched_s: float
    single_s: float
    again_s: float
    batched_cpu_s: float
    """Seconds: batched into an empty store, one review per commit into another, batched again (unchanged);
    the CPU seconds of this process while batching (PostgreSQL's own work is not in them)."""

    @property
    def ratio(self) -> float:
        return self.single_s / self.batched_s

    def rate(self, seconds: float) -> float:
        return self.size / seconds


def measure(kind: str, items: Sequence[ReviewItem], batch: int = 200, pg_url: str = PG_URL) -> StoreResult:
    """One-per-commit first, then batched, each into its own fresh store; then the batched store again.

    A first batch written into a throwaway store beforehand fills what a running crawler has warm (imports,
    statement caches, the title parser's cache), so neither timed mode pays for it.
    """
    with fresh_store(kind, pg_url) as engine:
        write(engine, items[:batch], batch)
    with fresh_store(kind, pg_url) as engine:
        single, _, rows_single = write(engine, items, 1)
    with fresh_store(kind, pg_url) as engine:
        batched, batched_cpu, rows = write(engine, items, batch)
        again, _, rows_again = write(engine, items, batch)
    if not rows == rows_single == rows_again == len(items):
        raise AssertionError(f"{kind}: stored {rows}/{rows_single}/{rows_again} rows for {len(items)} reviews")
    return StoreResult(kind, len(items), batch, batched, single, again, batched_cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=5000, help="reviews written each way (default 5000)")
    parser.add_argument("--batch", type=int, default=200, help="reviews per transaction when batched (default 200)")
    parser.add_argument("--pg", default=PG_URL, help=f"PostgreSQL URL (default {PG_URL})")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    items = make_items(args.size)
    # The generated reviews live through the whole run (a crawler's leave with their batch): keep the garbage
    # collector from walking them again in every full collection, which would be charged to the store.
    gc.freeze()
    results = []
    for kind in ("sqlite",) if args.no_pg else ("sqlite", "postgresql"):
        try:
            r = measure(kind, items, args.batch, args.pg)
        except sa.exc.OperationalError as exc:
            print(f"{kind}: cannot use {args.pg}: {exc.orig} (--pg URL for another server, --no-pg to skip)")
            return 1
        results.append(r)
        print(f"{kind:<10} {r.size:,} reviews: batched ({r.batch}/commit) {r.batched_s:6.2f} s (cpu "
              f"{r.batched_cpu_s:4.2f} s) {r.rate(r.batched_s):8,.0f} reviews/s | one per commit {r.single_s:6.2f} s "
              f"{r.rate(r.single_s):7,.0f} reviews/s | batched again, unchanged {r.again_s:5.2f} s "
              f"{r.rate(r.again_s):8,.0f} reviews/s")
    print("ratio batched / one per commit: "
          + ", ".join(f"{r.database} {r.ratio:.1f}x at {r.rate(r.batched_s):,.0f} reviews/s" for r in results)
          + " (target >= 10x and >= 5,000 reviews/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
