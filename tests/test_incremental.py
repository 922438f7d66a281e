"""Incremental re-crawls: with DRAMASCORE_HTTPCACHE on, unchanged pages cost a 304 and still yield their reviews."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from aggregator.demo.server import DemoSite, demo_review_count

pytestmark = pytest.mark.slow

EDITED_PAGE = "/710101-lanterns-over-hahoe/reviews?page=2"
OLD, NEW = "Six episodes in: charming, slow", "Six episodes in: charming, unhurried"


def crawl(site: DemoSite, db: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    sources = cwd / "sources.toml"
    sources.write_text(
        f'[sources.mydramalist]\nkind = "mydramalist"\nbase_url = "{site.base_url}"\n'
        "default_scale = 10\nlisting_pages = 0\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "aggregator.cli", "crawl", "--sources", str(sources), "--db", db,
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", *extra],
        cwd=cwd, env=dict(os.environ), capture_output=True, text=True, timeout=120,
    )


def last_run(db: str) -> dict:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT reviews_new, reviews_updated, reviews_unchanged, stats FROM crawl_runs "
                        "ORDER BY id DESC LIMIT 1")
            ).one()
    finally:
        engine.dispose()
    stats = row.stats if isinstance(row.stats, dict) else json.loads(row.stats)
    return {"new": row.reviews_new, "updated": row.reviews_updated, "unchanged": row.reviews_unchanged,
            "stats": stats}


def test_second_crawl_revalidates_with_304s_and_refetches_only_the_changed_page(tmp_path, sqlite_url):
    expected = demo_review_count()
    with DemoSite() as site:
        first = crawl(site, sqlite_url, tmp_path, "-s", "DRAMASCORE_HTTPCACHE=True")
        assert first.returncode == 0, first.stdout + first.stderr
        assert sum(site.not_modified.values()) == 0  # an empty cache asks unconditionally
        assert (tmp_path / ".dramascore" / "cache" / "mydramalist").is_dir()
        review_pages = {k for k in site.hits if "/reviews" in k}
        pages = set(site.hits)  # robots.txt included: it has validators too

        site.edit_page(EDITED_PAGE, OLD, NEW)
        site.hits.clear()
        second = crawl(site, sqlite_url, tmp_path, "-s", "DRAMASCORE_HTTPCACHE=True")
        assert second.returncode == 0, second.stdout + second.stderr

    # The demo saw conditional requests: every unchanged page answered 304, the edited one 200 again.
    assert set(site.not_modified) == pages - {EDITED_PAGE}
    assert all(site.hits[k] == 1 for k in review_pages)
    run = last_run(sqlite_url)
    stats = run["stats"]
    assert stats["httpcache/revalidate"] == len(pages) - 1
    # Only the edited page came with a body: its cached copy was invalidated. The cache middleware hands the
    # spider the cached 200 for each 304, so Scrapy's status counts show 200s (the demo counts the 304s).
    assert stats["httpcache/invalidate"] == 1
    assert stats["downloader/response_status_count/200"] == len(pages)
    assert "downloader/response_status_count/304" not in stats
    # The 304 path still parses the cached pages: every review is seen, one of them changed.
    assert (run["new"], run["updated"], run["unchanged"]) == (0, 1, expected - 1)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        body = conn.execute(sa.text("SELECT body FROM reviews WHERE source_review_id = '900111'")).scalar()
    engine.dispose()
    assert NEW in body and OLD not in body


def test_demo_answers_conditional_requests():
    from urllib.request import Request, urlopen
    from urllib.error import HTTPError

    with DemoSite() as site:
        url = site.url("/700001-soundtrack-1")
        with urlopen(url) as first:
            tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
            assert "must-revalidate" in first.headers["Cache-Control"] and first.read()
        for headers in ({"If-None-Match": tag}, {"If-Modified-Since": modified}):
            with pytest.raises(HTTPError) as answer:  # urllib treats a 304 as an error
                urlopen(Request(url, headers=headers))
            assert answer.value.code == 304 and answer.value.read() == b""
        # A stale ETag wins over a matching date: the page is sent again.
        with urlopen(Request(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified})) as again:
            assert again.status == 200 and again.headers["ETag"] == tag
    assert site.not_modified["/700001-soundtrack-1"] == 2
