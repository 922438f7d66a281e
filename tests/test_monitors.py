"""Crawl monitors: drop and error rates, the fall from the previous finished run, and a real crawl of pages
whose date markup changed failing with the field named."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from scrapy.utils.test import get_crawler

from aggregator.crawl import project_settings
from aggregator.demo.server import DemoSite
from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from aggregator.store.engine import (
    make_engine,
    migrate,
    session_factory,
    write_with_retry,
)
from aggregator.store.reviews import UpsertCounts, finish_crawl_run, start_crawl_run
from pipelines.monitors import SCOPE, MonitorPipeline
from pipelines.store import crawl_status

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def review(n: int, **changes) -> ReviewItem:
    """An item as it leaves the normalisation stages (only what coverage looks at is filled)."""
    item = ReviewItem(
        source="mdl", source_review_id=str(n), url=f"http://127.0.0.1/review/{n}", drama_title="Soundtrack #1",
        author_handle="SomeHandle", published_at=START, score=80.0, body="A fine show, told well.",
    )
    for key, value in changes.items():
        setattr(item, key, value)
    return item


def monitor(db_url: str | None = None, *, dramas=(), **settings):
    merged = {k: v for k, v in project_settings().copy_to_dict().items() if k.startswith("DRAMASCORE_")}
    merged.update(DRAMASCORE_DB=db_url, **settings)
    crawler = get_crawler(settings_dict=merged)
    crawler.stats.open_spider()
    crawler.spider = SimpleNamespace(name="mydramalist", source_config=SourceConfig("mdl", "mydramalist"),
                                     dramas=list(dramas))
    return crawler, MonitorPipeline.from_crawler(crawler)


def record_run(db_url: str, *, status: str = "finished", source: str = "mdl", stats: dict) -> int:
    engine = make_engine(db_url)
    migrate(engine)

    def write(session):
        run = start_crawl_run(session, "mydramalist", started_at=START)
        finish_crawl_run(session, run.id, status=status, finished_at=START + timedelta(seconds=30), pages=5,
                         counts=UpsertCounts(), drops={}, errors=0,
                         stats={"dramascore/source": source, SCOPE: "", **stats})
        return run.id

    run_id = write_with_retry(session_factory(engine), write)
    engine.dispose()
    return run_id


def close(crawler, stage, items) -> list[str]:
    for item in items:
        stage.process_item(item)
    crawler.stats.set_value("item_scraped_count", len(items))
    stage.close_spider()
    return crawler.stats.get_value("dramascore/monitor/failures")


def test_drop_rate_above_threshold_fails_with_the_reasons():
    crawler, stage = monitor(DRAMASCORE_MONITOR_MAX_DROP_RATE=0.25)
    crawler.stats.set_value("item_dropped_count", 6)
    crawler.stats.set_value("dramascore/dropped/empty_review", 6)
    failures = close(crawler, stage, [review(n) for n in range(4)])
    assert failures == ["drop rate 60% (6 of 10 items dropped: empty_review=6), maximum is 25%"]
    assert crawl_status(crawler.stats.get_stats(), "finished") == "failed"


def test_error_rate_counts_errors_exceptions_and_download_errors_per_request():
    crawler, stage = monitor(DRAMASCORE_MONITOR_MAX_ERROR_RATE=0.1)
    for key, value in {"log_count/ERROR": 1, "spider_exceptions/count": 1, "downloader/exception_count": 1,
                       "downloader/request_count": 10}.items():
        crawler.stats.set_value(key, value)
    failures = close(crawler, stage, [review(n) for n in range(5)])
    assert len(failures) == 1 and failures[0].startswith("error rate 30% (3 errors for 10 requests)")


def test_a_clean_crawl_without_history_passes_and_records_its_rates():
    crawler, stage = monitor()
    crawler.stats.set_value("downloader/request_count", 5)
    assert close(crawler, stage, [review(n) for n in range(5)]) == []
    assert crawler.stats.get_value("dramascore/monitor/drop_rate") == 0
    assert crawler.stats.get_value("dramascore/monitor/error_rate") == 0


def test_volume_and_coverage_fall_from_the_previous_finished_run_fail(sqlite_url):
    previous = record_run(sqlite_url, stats={"dramascore/coverage/items": 10, "dramascore/coverage_ratio/date": 1.0})
    # A failed run or another source's run is never the reference.
    record_run(sqlite_url, status="failed", stats={"dramascore/coverage/items": 100})
    record_run(sqlite_url, source="other", stats={"dramascore/coverage/items": 100})
    crawler, stage = monitor(sqlite_url, DRAMASCORE_MIN_COVERAGE={"date": 0.5})
    # 4 reviews (-60%) and dates on 3 of 4 (75%: above the 50% minimum, but 25 points below the last run).
    failures = close(crawler, stage, [review(n, published_at=None if n == 0 else START) for n in range(4)])
    assert failures == [
        f"reviews: 4 kept, previous finished run #{previous} kept 10 (-60%, tolerance -50%)",
        f"field 'date' coverage 75%, previous finished run #{previous} had 100% (-25 points, tolerance -20)",
    ]
    assert crawler.stats.get_value("dramascore/monitor/previous_run") == previous


def test_falls_within_tolerance_and_other_scopes_pass(sqlite_url):
    record_run(sqlite_url, stats={"dramascore/coverage/items": 6, "dramascore/coverage_ratio/date": 0.9})
    crawler, stage = monitor(sqlite_url)
    assert close(crawler, stage, [review(n) for n in range(4)]) == []  # -33%, coverage up
    # A one-drama crawl is not compared with the full crawl before it.
    crawler, stage = monitor(sqlite_url, dramas=["700001-soundtrack-1"])
    assert close(crawler, stage, [review(1)]) == []
    assert crawler.stats.get_value(SCOPE) == "700001-soundtrack-1"
    assert crawler.stats.get_value("dramascore/monitor/previous_run") is None


class RenamedDateSite(DemoSite):
    """The demo's MyDramaList-shaped pages after a redesign renamed the review date's class."""

    def __init__(self):
        super().__init__()
        for key, (ctype, body) in self.pages.items():
            self.pages[key] = (ctype, body.replace(b'class="datetime"', b'class="posted-on"'))


def test_crawl_of_pages_whose_date_class_changed_exits_1_naming_the_field(tmp_path, sqlite_url):
    with RenamedDateSite() as site:
        assert not any(b'class="datetime"' in body for _, body in site.pages.values())
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[sources.mydramalist]\nkind = "mydramalist"\nbase_url = "{site.base_url}"\n'
            'default_scale = 10\nlisting_pages = 0\n'
        )
        result = subprocess.run(
            [sys.executable, "-m", "aggregator.cli", "crawl", "--sources", str(sources), "--db", sqlite_url,
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "--log-level", "WARNING"],
            cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED mydramalist: field 'date' found in 0% of reviews, minimum is 80%" in result.stdout
    # Only the date fell: the other fields still pass their checks.
    assert not [line for line in result.stdout.splitlines() if line.startswith("FAILED") and "'date'" not in line]
    assert Path(tmp_path / "test.db").exists()


def test_a_resumed_crawl_gets_a_scope_of_its_own_so_full_crawls_never_compare_with_it():
    # Its volume check is exercised for real by tests/test_resume.py (a resumed run keeps few reviews).
    from scrapy.utils.test import get_crawler

    from pipelines.monitors import MonitorPipeline

    crawler = get_crawler(settings_dict={"DRAMASCORE_DB": "", "DRAMASCORE_MIN_ITEMS": 1})
    crawler.stats.open_spider()
    crawler.spider = type("Spider", (), {"name": "mydramalist", "dramas": []})()
    stage = MonitorPipeline.from_crawler(crawler)
    crawler.stats.set_value("dramascore/jobs/resumed", 1)
    assert stage.previous_run_failures() == []
    assert crawler.stats.get_value("dramascore/monitor/scope").endswith("(resumed)")
