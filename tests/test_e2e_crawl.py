"""End to end: the real `dramascore` command crawls the demo site over HTTP on 127.0.0.1 into a fresh database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from aggregator.demo.server import DemoSite, demo_review_count

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def dramascore(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aggregator.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


def crawl(site: DemoSite, db: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    # An operator's sources file naming one source, pointed at the demo site.
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[sources.mydramalist]\nkind = "mydramalist"\nbase_url = "{site.base_url}"\n'
        'default_scale = 10\nlisting_pages = 0\n'
    )
    return dramascore(
        "crawl", "--sources", str(sources), "--db", db,
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        *extra,
        cwd=tmp_path,
    )


def scalar(db: str, sql: str):
    engine = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_crawl_twice_stores_each_review_once(backend, tmp_path, request):
    db = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    expected = demo_review_count()
    with DemoSite() as site:
        first = crawl(site, db, tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        assert scalar(db, "SELECT count(*) FROM reviews") == expected
        # Every page is fetched once per crawl: the dupefilter, not the store, keeps reviews pages single.
        assert all(n == 1 for path, n in site.hits.items() if "/reviews" in path), site.hits

        second = crawl(site, db, tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
    assert scalar(db, "SELECT count(*) FROM reviews") == expected
    assert scalar(db, "SELECT count(*) FROM crawl_runs WHERE status = 'finished'") == 2
    assert scalar(db, "SELECT sum(reviews_new) FROM crawl_runs") == expected
    assert scalar(db, "SELECT max(reviews_unchanged) FROM crawl_runs") == expected
    # The summary table reports what the second crawl did.
    header, _, row = second.stdout.splitlines()[:3]
    assert header.split()[:7] == ["source", "status", "pages", "items", "new", "updated", "unchanged"]
    assert row.split()[:2] == ["mydramalist", "finished"] and row.split()[4:7] == ["0", "0", str(expected)]


def test_soundtrack_review_keeps_spoiler_flag_and_single_body(tmp_path, sqlite_url):
    with DemoSite() as site:
        result = crawl(site, sqlite_url, tmp_path)
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT r.spoiler, r.spoiler_reason, r.body, r.score, r.score_raw FROM reviews r "
                "JOIN dramas d ON d.id = r.drama_id WHERE d.title = 'Soundtrack #1'"
            )
        ).all()
    engine.dispose()
    assert len(rows) >= 4
    flagged = [r for r in rows if r.spoiler]
    assert flagged and all("marker" in r.spoiler_reason for r in flagged)
    for row in rows:
        paragraphs = [p for p in row.body.split("\n\n") if len(p) > 40]
        assert len(paragraphs) == len(set(paragraphs)), "a body captured twice was stored twice"
    unscored = [r for r in rows if r.score_raw is None]
    assert unscored and all(r.score is None for r in unscored), "a missing score must stay null, not 0"


def test_crawl_that_keeps_nothing_exits_non_zero_and_records_a_failed_run(tmp_path, sqlite_url):
    with DemoSite() as site:
        # A drama the site does not have: only 404s, no review kept.
        result = crawl(site, sqlite_url, tmp_path, "-a", "dramas=999999-no-such-drama")
    assert result.returncode == 1
    assert "FAILED mydramalist" in result.stdout and "minimum is 1" in result.stdout
    assert scalar(sqlite_url, "SELECT status FROM crawl_runs") == "failed"


def test_demo_crawls_every_source_kind_into_one_database(tmp_path):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    # Review URLs carry the port: both runs use the same one, as `dramascore demo` does by default.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    result = dramascore("demo", "--port", port, "--db", db, "--no-serve", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Soundtrack #1" in result.stdout and "mean score" in result.stdout
    kinds = scalar(db, "SELECT count(DISTINCT kind) FROM sources WHERE id IN (SELECT source_id FROM reviews)")
    assert kinds == 4  # mydramalist, wordpress (two blogs), reddit, schemaorg
    # One drama across sites: Soundtrack #1 is one drama reviewed on at least four sources ...
    assert scalar(db, "SELECT count(*) FROM dramas WHERE title = 'Soundtrack #1'") == 1
    sources = scalar(
        db,
        "SELECT count(DISTINCT r.source_id) FROM reviews r JOIN dramas d ON d.id = r.drama_id "
        "WHERE d.title = 'Soundtrack #1'",
    )
    assert sources >= 4
    # ... while its sequel and a same-titled remake of another drama stay apart.
    assert scalar(db, "SELECT count(*) FROM dramas WHERE title = 'Soundtrack #2'") == 1
    assert scalar(db, "SELECT count(*) FROM dramas WHERE title LIKE 'Midnight Bakery on Route 9%'") == 2
    # The episode guide keeps its four episode scores; seed 000's spoiler-free post is marked so.
    assert scalar(db, "SELECT count(*) FROM ratings WHERE kind = 'episode' AND score = 80.0") >= 4
    assert scalar(db, "SELECT count(*) FROM reviews WHERE title LIKE '%Spoiler Free Review%' AND spoiler = 0") >= 1
    # The consensus was refreshed at the end of the crawl: the blog cross-post of an MDL review counts once,
    # the episode guide gives the series 80/80/80/80, the seeds without a number have inferred scores.
    soundtrack = "(SELECT id FROM dramas WHERE title = 'Soundtrack #1')"
    assert scalar(
        db,
        "SELECT count(*) FROM duplicate_links l JOIN reviews r ON r.id = l.review_id "
        f"JOIN reviews c ON c.id = l.canonical_id WHERE r.drama_id = {soundtrack} "
        "AND r.title LIKE '%Small Songs, Big Feelings%' AND c.source_review_id = '900001'",
    ) == 1
    per_episode = json.loads(scalar(db, f"SELECT per_episode FROM consensus WHERE drama_id = {soundtrack}"))
    assert {k: v["mean"] for k, v in per_episode.items()} == {"1": 80.0, "2": 80.0, "3": 80.0, "4": 80.0}
    assert scalar(db, f"SELECT n_inferred FROM consensus WHERE drama_id = {soundtrack}") >= 2
    score = scalar(db, f"SELECT score FROM consensus WHERE drama_id = {soundtrack}")
    assert 0 <= score <= 100
    # A second run changes nothing, the consensus included.
    again = dramascore("demo", "--port", port, "--db", db, "--no-serve", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert scalar(db, "SELECT sum(reviews_new) + sum(reviews_updated) FROM crawl_runs WHERE id > 5") == 0
    assert scalar(db, f"SELECT score FROM consensus WHERE drama_id = {soundtrack}") == score


def test_scrapy_list_works_from_the_project_root():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "scrapy"), "list"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "mydramalist" in result.stdout.split()
