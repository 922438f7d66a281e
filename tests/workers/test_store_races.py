"""Several PostgreSQL writers at once: two workers creating the same drama, two refreshing the consensus."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from aggregator.items import ReviewItem
from aggregator.store.engine import (
    make_engine,
    migrate,
    session_factory,
    write_with_retry,
)
from aggregator.store.models import (
    Author,
    Consensus,
    ConsensusSource,
    Drama,
    DramaAlias,
    DuplicateLink,
    Review,
)
from aggregator.store.reviews import get_or_create_source, upsert_reviews

pytestmark = pytest.mark.postgres
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def item(rid: str, site_id: str = "700", title: str = "Paper Lanterns", score: float = 80.0, source="mdl",
         author: str | None = None) -> ReviewItem:  # fmt: skip
    return ReviewItem(
        source=source, source_review_id=rid, url=f"https://example.test/r/{rid}", drama_title=title,
        drama_site_id=site_id, drama_year=2021, author_handle=author or f"user{rid}", score_raw=str(score / 10),
        score=score, score_scale="10", body=f"Review {rid}.", crawled_at=T0,
    )  # fmt: skip


def waiting_on_a_lock(engine, application_name: str) -> bool:
    with engine.connect() as conn:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n AND wait_event_type = 'Lock'")
        return conn.scalar(query, {"n": application_name}) > 0


def with_application_name(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


@pytest.mark.parametrize("new_source", [False, True], ids=["known-source", "new-source"])
def test_two_writers_creating_one_drama_at_once_both_land_on_one_drama(pg_url, new_source):
    engine = make_engine(pg_url)
    migrate(engine)
    factory = session_factory(engine)
    if not new_source:
        write_with_retry(factory, lambda s: get_or_create_source(s, "mdl", kind="mydramalist"))
    name = f"racer{os.getpid()}{int(new_source)}"
    other = make_engine(with_application_name(pg_url, name))
    outcome: dict = {}

    def second_writer():
        try:
            outcome["counts"] = write_with_retry(
                session_factory(other), lambda s: upsert_reviews(s, [item("2", author="same")], seen_at=T0)
            )
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["error"] = exc

    try:
        with factory() as first:
            # The first writer has inserted the drama and its site alias but not committed...
            upsert_reviews(first, [item("1", author="same")], seen_at=T0)
            thread = threading.Thread(target=second_writer)
            thread.start()
            # ...when the second inserts the same alias: PostgreSQL holds it until the first ends.
            deadline = time.monotonic() + 20
            while not waiting_on_a_lock(engine, name) and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert thread.is_alive(), f"the second writer did not wait for the first: {outcome}"
            first.commit()
        thread.join(30)
    finally:
        other.dispose()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["counts"].new == 1
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Drama)) == 1
        assert s.scalar(select(func.count()).select_from(DramaAlias).where(DramaAlias.site_id == "700")) == 1
        assert set(s.scalars(select(Review.drama_id))) == {s.scalar(select(Drama.id))}
        assert s.scalar(select(func.count()).select_from(Review)) == 2
        assert s.scalar(select(func.count()).select_from(Author)) == 1  # one author, written by both
    engine.dispose()


REFRESH = """
import sys, time
from pathlib import Path
from aggregator.scoring import Params
from aggregator.store.consensus import refresh_consensus
from aggregator.store.duplicates import refresh_duplicates
from aggregator.store.engine import make_engine, session_factory, write_with_retry
url, go = sys.argv[1], Path(sys.argv[2])
engine = make_engine(url)
factory = session_factory(engine)
with factory() as s:  # connect before the start signal
    ids = [row[0] for row in s.execute(__import__("sqlalchemy").text("SELECT id FROM dramas"))]
print("ready", flush=True)
while not go.exists():
    time.sleep(0.002)
# What StorePipeline.refresh_dramas does when a worker's crawl ends: duplicates, then the consensus.
print(write_with_retry(factory, lambda s: (refresh_duplicates(s, ids), refresh_consensus(s, ids, Params()))[1]),
      flush=True)
"""


@pytest.mark.slow
def test_two_processes_refreshing_the_consensus_at_once_both_succeed(pg_url, tmp_path):
    engine = make_engine(pg_url)
    migrate(engine)
    factory = session_factory(engine)
    # 80 dramas, reviews from two sources, the blog's first review of each a copy of MyDramaList's: a
    # refresh long enough for the two to overlap, with duplicate links to write as well.
    items = [item(f"{s}{d}-{k}", site_id=str(1000 + d), title=f"Drama {d}", score=40.0 + (d * 7 + k * 13) % 60,
                  source=s) for d in range(80) for k in range(3) for s in ("mdl", "blog")]  # fmt: skip
    for it in items:
        if it.source_review_id.endswith("-0"):
            it.body = f"{it.drama_title}: " + " ".join(f"word{n}" for n in range(40))
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=T0))
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REFRESH, pg_url, str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        go.touch()
        outputs = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    with factory() as s:
        dramas = s.scalar(select(func.count()).select_from(Drama))
        assert [out.strip() for out, _ in outputs] == [str(dramas)] * 2
        assert s.scalar(select(func.count()).select_from(Consensus)) == dramas
        per_source = s.execute(select(ConsensusSource.drama_id, ConsensusSource.source)).all()
        assert len(per_source) == len(set(per_source)) == 2 * dramas
        assert s.scalar(select(func.count()).select_from(DuplicateLink)) == dramas  # one copy per drama
        stored = {c.drama_id: (c.score, c.n_reviews) for c in s.scalars(select(Consensus))}
    # What one refresh alone writes: the racing pair left the same, consistent rows.
    from aggregator.scoring import Params
    from aggregator.store.consensus import refresh_consensus

    write_with_retry(factory, lambda s: refresh_consensus(s, stored, Params()))
    with factory() as s:
        assert {c.drama_id: (c.score, c.n_reviews) for c in s.scalars(select(Consensus))} == stored
    engine.dispose()
