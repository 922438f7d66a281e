"""Politeness against a real server on 127.0.0.1: Retry-After is waited out, robots.txt is obeyed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import sqlalchemy as sa

from aggregator.demo.reply import Reply
from aggregator.demo.server import DemoSite
from aggregator.middleware import retry_after_seconds

MIDDLEWARES = json.dumps({"aggregator.middleware.RetryAfterMiddleware": 560})


class BusySite(DemoSite):
    """The demo site, answering 429 with ``Retry-After: 1`` to the first request of one page."""

    def __init__(self, busy_path: str, robots: str | None = None):
        super().__init__()
        self.busy_path = busy_path
        self.robots = robots
        self.times: dict[str, list[float]] = {}

    def reply(self, target: str, *args, **kwargs) -> Reply:
        path = target.split("?")[0]
        self.times.setdefault(path, []).append(time.monotonic())
        if path == "/robots.txt" and self.robots is not None:
            return Reply(200, "text/plain; charset=utf-8", self.robots.encode())
        if path == self.busy_path and len(self.times[path]) == 1:
            return Reply(429, "text/plain; charset=utf-8", b"slow down", (("Retry-After", "1"),))
        return super().reply(target, *args, **kwargs)


def crawl(site: DemoSite, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[sources.mydramalist]\nkind = "mydramalist"\nbase_url = "{site.base_url}"\n'
        'default_scale = 10\nlisting_pages = 1\n'
    )
    return subprocess.run(
        [sys.executable, "-m", "aggregator.cli", "crawl", "--sources", str(sources),
         "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--log-level", "WARNING",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", f"DOWNLOADER_MIDDLEWARES={MIDDLEWARES}",
         *extra],
        cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False,
    )


def run_stats(tmp_path: Path) -> dict:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'runs.db'}")
    with engine.connect() as conn:
        stats = conn.execute(sa.text("SELECT stats FROM crawl_runs ORDER BY id DESC")).scalar()
    engine.dispose()
    return json.loads(stats)


def test_retry_after_parses_seconds_and_http_dates_and_rejects_nonsense():
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_429_with_retry_after_is_retried_only_after_the_wait(tmp_path):
    with BusySite("/shows/popular") as site:
        result = crawl(site, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    first, second = site.times["/shows/popular"]
    assert second - first >= 1.0, f"retried after {second - first:.2f} s"
    stats = run_stats(tmp_path)
    assert stats["dramascore/politeness/retry_after"] == 1
    assert stats["retry/count"] == 1
    assert stats["item_scraped_count"] > 0  # the crawl went on from the listing once it was answered


def test_retry_after_beyond_the_maximum_is_not_retried_early(tmp_path):
    with BusySite("/shows/popular") as site:
        result = crawl(site, tmp_path, "-s", "DRAMASCORE_RETRY_AFTER_MAX=0.5")
    assert result.returncode == 1  # nothing crawled: the listing was given up
    assert len(site.times["/shows/popular"]) == 1
    assert run_stats(tmp_path)["dramascore/politeness/retry_after_too_long"] == 1


def test_robots_txt_disallow_keeps_the_listing_unrequested(tmp_path):
    with BusySite("/nothing-busy", robots="User-agent: *\nDisallow: /shows/\n") as site:
        crawl(site, tmp_path)
    assert "/robots.txt" in site.times
    assert "/shows/popular" not in site.times
    assert run_stats(tmp_path)["robotstxt/forbidden"] == 1
