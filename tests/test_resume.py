"""Resumable crawls: a crawl killed with SIGKILL at random points and started again stores what a clean run does."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from aggregator.demo.server import DemoSite

pytestmark = pytest.mark.slow
KILLS = 10


def command(site: DemoSite, db: str, cwd: Path, *extra: str) -> list[str]:
    sources = cwd / "sources.toml"
    sources.write_text(
        f'[sources.mydramalist]\nkind = "mydramalist"\nbase_url = "{site.base_url}"\n'
        "default_scale = 10\nlisting_pages = 0\n"
    )
    return [sys.executable, "-m", "aggregator.cli", "crawl", "--sources", str(sources), "--db", db,
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DRAMASCORE_PROGRESS_INTERVAL=0",
            # Two requests at a time, whatever the server's backlog: kill points spread over the whole crawl.
            "-s", "CONCURRENT_REQUESTS=2", *extra]


def stored(db: str) -> tuple[set[tuple[str, str]], int]:
    """The (source, review id) pairs in the store, and the number of review rows."""
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT s.name, r.source_review_id FROM reviews r JOIN sources s ON s.id = r.source_id")
            ).all()
    finally:
        engine.dispose()
    return {tuple(r) for r in rows}, len(rows)


def test_crawl_killed_ten_times_and_resumed_stores_exactly_the_clean_runs_reviews(tmp_path):
    # Random kill points, reproducible: set DRAMASCORE_RESUME_SEED to try others.
    seed = int(os.environ.get("DRAMASCORE_RESUME_SEED", "2611"))
    rng = random.Random(seed)
    clean_dir, crash_dir = tmp_path / "clean", tmp_path / "crash"
    clean_dir.mkdir(), crash_dir.mkdir()
    clean_db, crash_db = f"sqlite:///{clean_dir / 'clean.db'}", f"sqlite:///{crash_dir / 'crash.db'}"
    job_dir = crash_dir / ".dramascore" / "jobs" / "mydramalist"

    # One slow site for both (review URLs carry the port): about 20 pages at 0.08 s each, two at a time.
    with DemoSite(delay=0.08) as site:
        clean = subprocess.run(command(site, clean_db, clean_dir), cwd=clean_dir, capture_output=True, text=True,
                               timeout=60)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        resumable = command(site, crash_db, crash_dir, "-s", "DRAMASCORE_RESUMABLE=True")
        kills = resumed = 0
        for _ in range(KILLS):
            before = sum(site.hits.values())
            proc = subprocess.Popen(resumable, cwd=crash_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            resumed += job_dir.exists()
            deadline = time.monotonic() + 30
            while sum(site.hits.values()) == before and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            # Anywhere from the first request to past the end of a short resumed crawl.
            time.sleep(rng.uniform(0, 1.2))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)
        final = subprocess.run(resumable, cwd=crash_dir, capture_output=True, text=True, timeout=60)

    assert kills >= KILLS // 2, f"seed {seed}: only {kills} crawls were still running when killed"
    assert resumed >= 3, f"seed {seed}: the journal was resumed only {resumed} times"
    assert final.returncode == 0, f"seed {seed}\n{final.stdout}{final.stderr}"
    assert not job_dir.exists(), "a finished crawl removes its journal"
    expected, _ = stored(clean_db)
    got, rows = stored(crash_db)
    assert expected and got == expected, f"seed {seed}: lost {expected - got}, extra {got - expected}"
    assert rows == len(got), f"seed {seed}: a review was stored twice"
    # Every killed run was closed as failed when the next one started: none is left "running".
    engine = sa.create_engine(crash_db)
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.text("SELECT status, count(*) FROM crawl_runs GROUP BY status")).all())
    engine.dispose()
    # (A process killed while starting up may die before it records a run at all.)
    assert "running" not in statuses and statuses.get("failed", 0) >= 1, statuses


def test_killed_crawl_leaves_a_journal_that_the_next_run_resumes(tmp_path, sqlite_url):
    """One kill mid-crawl: the journal keeps done and pending pages; the resumed run skips the done ones."""
    with DemoSite(delay=0.1) as site:
        cmd = command(site, sqlite_url, tmp_path, "-s", "DRAMASCORE_RESUMABLE=True")
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while sum(n for k, n in site.hits.items() if "/reviews" in k) < 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        journal = tmp_path / ".dramascore" / "jobs" / "mydramalist" / "journal.sqlite"
        assert journal.exists()
        first_hits = dict(site.hits)
        site.hits.clear()
        final = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "resuming the crawl journal" in final.stderr
    # Pages confirmed done before the kill were not asked for again; the rest of the site was.
    assert sum(site.hits.values()) < sum(first_hits.values()) + 21
    assert set(first_hits) | set(site.hits) >= {k for k in first_hits if "/reviews" in k}
    assert any(k not in site.hits for k in first_hits if k != "/robots.txt")
