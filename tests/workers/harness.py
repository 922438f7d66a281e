"""Running real `dramascore worker` / `enqueue` processes against a generated site, PostgreSQL and Redis."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from aggregator.demo.generated import GeneratedSite

# Local site, no politeness needed; a short TTL so a killed worker's claims come back within seconds.
FAST = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "DRAMASCORE_PROGRESS_INTERVAL=0", "-s", "DRAMASCORE_WORKER_TTL=3")  # fmt: skip
CONCURRENCY = 8  # at most this many of a worker's requests are in flight at once


def sources_file(directory: Path, site: GeneratedSite) -> Path:
    path = directory / "sources.toml"
    path.write_text(
        f'[sources.mydramalist]\nkind = "mydramalist"\nbase_url = "{site.base_url}"\n'
        "default_scale = 10\nlisting_pages = 0\n"
    )
    return path


def command(name: str, sources: Path, redis_url: str, prefix: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "aggregator.cli_worker", name, "--sources", str(sources), "--redis", redis_url,
            "-s", f"DRAMASCORE_REDIS_PREFIX={prefix}", *extra]  # fmt: skip


def start_worker(cwd: Path, sources: Path, redis_url: str, prefix: str, db: str, log: str, *extra: str):
    """A worker process that exits a second after the round is done; its output goes to ``cwd/log``."""
    out = (cwd / log).open("w")
    argv = command("worker", sources, redis_url, prefix, "--db", db, "--idle-close", "1", "--log-level", "INFO",
                   *FAST, *extra)  # fmt: skip
    return subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def enqueue(cwd: Path, sources: Path, redis_url: str, prefix: str, *extra: str) -> str:
    done = subprocess.run(command("enqueue", sources, redis_url, prefix, *extra), cwd=cwd, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def wait_all(procs, cwd: Path, logs: list[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            raise AssertionError("workers did not finish:\n" + tails(cwd, logs)) from None
    assert [p.returncode for p in procs] == [0] * len(procs), tails(cwd, logs)


def tails(cwd: Path, logs: list[str], lines: int = 40) -> str:
    return "\n".join(f"--- {log}\n" + "\n".join((cwd / log).read_text().splitlines()[-lines:]) for log in logs)


def stored_reviews(db: str) -> list[str]:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.text("SELECT source_review_id FROM reviews"))]
    finally:
        engine.dispose()


def runs(db: str) -> list[tuple[str, int, dict]]:
    """(status, pages, stats) of every crawl run, oldest first."""
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text("SELECT status, pages, stats FROM crawl_runs ORDER BY id"))]
    finally:
        engine.dispose()


def seed_in_process(sources: Path, redis_url: str, prefix: str):
    """What `dramascore enqueue` does, without a process start (the CLI itself is tested once)."""
    from aggregator.cli_worker import seed
    from aggregator.crawl import project_settings
    from aggregator.sources import load_sources

    settings = project_settings({"DRAMASCORE_REDIS_PREFIX": prefix, "DRAMASCORE_SOURCES": str(sources)})
    return [seed(settings, source, redis_url) for source in load_sources(sources)]
