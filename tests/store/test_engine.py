"""Engine settings, and `write_with_retry` against real SQLite locks, in-process and across processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from aggregator.items import ReviewItem
from aggregator.store.engine import make_engine, migrate, session_factory, write_with_retry
from aggregator.store.models import Author, Drama, Review, Source
from aggregator.store.reviews import UpsertCounts, get_or_create_source, upsert_reviews


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


@pytest.fixture
def migrated(sqlite_url):
    engine = make_engine(sqlite_url, busy_timeout=0.01)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def holder(sqlite_url, migrated):
    """A second, raw connection that can hold SQLite's write lock."""
    conn = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None, check_same_thread=False)
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def lock(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO sources (name, weight) VALUES ('holder', 1.0)")


def test_sqlite_connections_get_wal_busy_timeout_and_foreign_keys(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        names = ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        pragmas = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}
    engine.dispose()
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1, "synchronous": 1}


def test_urls_default_from_the_environment_and_postgresql_means_psycopg(monkeypatch, tmp_path):
    assert make_engine("postgresql://u@db.invalid/x").url.drivername == "postgresql+psycopg"
    assert make_engine("postgresql+psycopg://u@db.invalid/x").url.drivername == "postgresql+psycopg"
    monkeypatch.setenv("DRAMASCORE_DB", f"sqlite:///{tmp_path / 'env.db'}")
    assert make_engine().url.database == str(tmp_path / "env.db")
    monkeypatch.delenv("DRAMASCORE_DB")
    assert make_engine().url.database == "dramascore.db"


def test_foreign_keys_are_enforced_on_sqlite(migrated):
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        with migrated.begin() as conn:
            conn.execute(text("INSERT INTO authors (source_id, handle) VALUES (999, 'ghost')"))


def test_write_with_retry_commits_and_rolls_back_on_error(migrated):
    factory = session_factory(migrated)
    assert write_with_retry(factory, lambda s: get_or_create_source(s, "kept").name) == "kept"

    def fails(session):
        get_or_create_source(session, "lost")
        session.flush()
        raise ValueError("boom")

    with pytest.raises(ValueError):
        write_with_retry(factory, fails)
    with factory() as s:
        assert set(s.scalars(select(Source.name))) == {"kept"}


def retries(caplog) -> int:
    return sum("database busy" in r.getMessage() for r in caplog.records)


def test_write_with_retry_waits_out_a_lock_held_by_another_connection(migrated, holder, caplog):
    factory = session_factory(migrated)
    lock(holder)
    release = threading.Timer(0.4, lambda: holder.execute("COMMIT"))
    release.start()
    calls = []

    def fn(session):
        calls.append(1)
        return get_or_create_source(session, "patient").id

    try:
        assert write_with_retry(factory, fn, attempts=10, base_delay=0.05)
    finally:
        release.join()
    assert retries(caplog) >= 1, "the first attempt should have met the lock"
    # The write lock is taken before fn runs, so fn never does work that a lock error throws away.
    assert calls == [1]
    with factory() as s:
        assert set(s.scalars(select(Source.name))) == {"holder", "patient"}


def test_write_with_retry_gives_up_after_its_attempts(migrated, holder, caplog):
    factory = session_factory(migrated)
    lock(holder)
    calls = []

    def fn(session):
        calls.append(1)
        get_or_create_source(session, "impatient")

    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        write_with_retry(factory, fn, attempts=3, base_delay=0.01)
    assert retries(caplog) == 2 and calls == []
    assert time.monotonic() - started >= 0.01 + 0.02, "it backed off between attempts"
    holder.execute("COMMIT")
    with factory() as s:
        assert set(s.scalars(select(Source.name))) == {"holder"}


def test_write_with_retry_does_not_retry_other_operational_errors(migrated):
    calls = []

    def fn(session):
        calls.append(1)
        session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(OperationalError, match="no such table"):
        write_with_retry(session_factory(migrated), fn, attempts=5, base_delay=0.01)
    assert calls == [1]


# --- two OS processes writing to one SQLite file ---------------------------------------------------------

PER_PROCESS = 400
BATCH = 5


def _writer(url: str, worker: int, start: multiprocessing.synchronize.Event, results) -> None:
    """Child process: write PER_PROCESS reviews in small batches, report counts and the time span."""
    engine = make_engine(url)
    factory = session_factory(engine)
    counts = UpsertCounts()
    start.wait()
    began = time.monotonic()
    for first in range(0, PER_PROCESS, BATCH):
        batch = [
            ReviewItem(
                source="mydramalist",
                source_review_id=f"w{worker}-{n}",
                url=f"https://example.test/w{worker}/{n}",
                # Both processes share dramas and authors, so they race to create the same rows too.
                drama_title=f"Drama {n % 4}",
                drama_site_id=str(n % 4),
                author_handle=f"author{n % 10}",
                score=float(n % 100),
                body="text",
            )
            for n in range(first, first + BATCH)
        ]
        now = datetime.now(UTC)
        counts = counts + write_with_retry(factory, lambda s, b=batch: upsert_reviews(s, b, seen_at=now))
    results.put((worker, counts.new, began, time.monotonic()))
    engine.dispose()


def test_two_processes_writing_concurrently_lose_no_review(sqlite_url, monkeypatch):
    # Spawned children import this module by its pytest name (e.g. "store.test_engine"): give them its root.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[__name__.count(".")]))
    engine = make_engine(sqlite_url)
    migrate(engine)
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(sqlite_url, w, start, results)) for w in (1, 2)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        # Reports are a few bytes, so a child never blocks on the queue: joining first is safe, and a
        # crashed child fails the test at once instead of after a queue timeout.
        p.join(timeout=60)
        if p.exitcode is None:
            p.kill()
        assert p.exitcode == 0
    reports = sorted(results.get(timeout=5) for _ in procs)
    assert [(w, new) for w, new, _, _ in reports] == [(1, PER_PROCESS), (2, PER_PROCESS)]
    (_, _, began1, ended1), (_, _, began2, ended2) = reports
    assert max(began1, began2) < min(ended1, ended2), "the two writers did not overlap"
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == 2 * PER_PROCESS
        assert s.scalar(select(func.count()).select_from(Drama)) == 4, "no drama created twice"
        assert s.scalar(select(func.count()).select_from(Author)) == 10, "no author created twice"
    engine.dispose()
