"""Pipeline stages and item-level normalisation, on items shaped like real extractions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from aggregator.crawl import project_settings
from aggregator.items import Rating, ReviewItem
from pipelines import apply
from pipelines.stages import CoveragePipeline, RequiredFieldsPipeline, ScorePipeline
from pipelines.store import crawl_status

CRAWL = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CFG = apply.NormaliseConfig(default_scales={"mydramalist": 10})


def mdl_item(**changes) -> ReviewItem:
    item = ReviewItem(
        source="mydramalist",
        source_review_id="900001",
        url="http://127.0.0.1/profile/SomeHandleXY/review/900001",
        drama_title="Soundtrack #1",
        drama_site_id="700001",
        author_raw="SomeHandleX",
        author_url="http://127.0.0.1/profile/SomeHandleXY",
        published_raw="Mar 25, 2022",
        score_raw="9.0",
        sub_scores=[Rating(score_raw="10", aspect_raw="Story"), Rating(score_raw="8.5", aspect_raw="Acting/Cast")],
        spoiler_marker_raw="This review may contain spoilers",
        title="  Music and   Lyrics ",
        body_raw="<p>First part.</p><br><br>Second part with <b>bold</b> text.",
        watch_status_raw="Completed",
        crawled_at=CRAWL,
    )
    for key, value in changes.items():
        setattr(item, key, value)
    return item


def crawler_for(cls, **settings):
    # Only our own settings: the project's reactor setting would make get_crawler expect a running reactor.
    merged = {k: v for k, v in project_settings().copy_to_dict().items() if k.startswith("DRAMASCORE_")}
    merged.update(settings)
    crawler = get_crawler(settings_dict=merged)
    crawler.stats.open_spider()
    return crawler, cls.from_crawler(crawler)


def test_normalise_item_fills_every_normalised_field_from_raw():
    item = apply.normalise_item(mdl_item(), CFG)
    assert (item.author_handle, item.author_name) == ("SomeHandleXY", "SomeHandleX")
    assert item.published_at == datetime(2022, 3, 25, tzinfo=UTC)
    assert (item.score, item.score_scale) == (90.0, "10")
    assert [(r.aspect, r.score) for r in item.sub_scores] == [("story", 100.0), ("acting", 85.0)]
    assert item.spoiler is True and "marker" in item.spoiler_reason
    assert item.title == "Music and Lyrics"
    assert item.body == "First part.\n\nSecond part with bold text."
    assert item.watch_status == "completed"
    # The review has its own score, so none is inferred (the default mode), and nothing is null.
    assert item.null_reasons == {} and item.inferred_score is None


def test_missing_score_stays_null_without_a_reason_but_nonsense_is_null_with_one():
    counted = []
    missing = apply.normalise_item(mdl_item(score_raw=None), CFG, counted.append)
    assert missing.score is None and "score" not in missing.null_reasons
    bad = apply.normalise_item(mdl_item(score_raw="11/10"), CFG, counted.append)
    assert bad.score is None and bad.null_reasons["score"] == "out_of_range"
    assert "dramascore/null/score/out_of_range" in counted


def test_relative_dates_resolve_against_the_crawl_time_not_the_wall_clock():
    item = apply.normalise_item(mdl_item(published_raw="3 days ago"), CFG)
    assert item.published_at.date() == datetime(2026, 10, 29).date()
    assert item.published_relative is True
    assert apply.normalise_item(mdl_item(), CFG).published_relative is False


def test_future_date_is_null_with_reason_not_today():
    item = apply.normalise_item(mdl_item(published_raw="Dec 30, 2031"), CFG)
    assert item.published_at is None and item.null_reasons["published_at"] == "future"


def test_deleted_author_is_none_and_counted():
    counted = []
    item = apply.normalise_item(mdl_item(author_raw="[deleted]", author_url=None), CFG, counted.append)
    assert item.author_handle is None and item.author_name is None
    assert "dramascore/null/author_handle/anonymous" in counted


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"source_review_id": ""}, "missing_id"),
        ({"drama_title": None, "drama_site_id": None}, "missing_drama"),
        ({"body_raw": None, "score_raw": None}, "empty_review"),
    ],
)
def test_required_fields_drop_with_counted_reason(changes, reason):
    crawler, stage = crawler_for(RequiredFieldsPipeline)
    with pytest.raises(DropItem, match=reason):
        stage.process_item(mdl_item(**changes))
    assert crawler.stats.get_value(f"dramascore/dropped/{reason}") == 1


def test_required_fields_keep_a_score_only_review():
    _, stage = crawler_for(RequiredFieldsPipeline)
    item = mdl_item(body_raw=None)
    assert stage.process_item(item) is item


def test_score_stage_uses_the_source_default_scale_from_settings():
    _, stage = crawler_for(ScorePipeline)
    assert stage.process_item(mdl_item(score_raw="7.5")).score == 75.0


def test_coverage_names_the_field_that_fell():
    crawler, stage = crawler_for(CoveragePipeline)
    for n in range(10):
        item = apply.normalise_item(mdl_item(source_review_id=str(n)), CFG)
        if n < 8:
            item.published_at = None  # a date selector that stopped matching
        stage.process_item(item)
    stage.close_spider()
    failures = crawler.stats.get_value("dramascore/monitor/failures")
    assert len(failures) == 1 and "'date'" in failures[0] and "20%" in failures[0]
    assert crawl_status(crawler.stats.get_stats(), "finished") == "failed"


def test_coverage_fails_when_blocks_are_seen_but_nothing_is_kept():
    crawler, stage = crawler_for(CoveragePipeline)
    crawler.stats.set_value("dramascore/review_blocks", 12)
    stage.close_spider()
    failures = crawler.stats.get_value("dramascore/monitor/failures")
    assert any("review blocks seen" in f for f in failures)


def test_coverage_passes_on_good_items_and_the_run_counts_as_finished():
    crawler, stage = crawler_for(CoveragePipeline)
    for n in range(5):
        stage.process_item(apply.normalise_item(mdl_item(source_review_id=str(n)), CFG))
    stage.close_spider()
    assert crawler.stats.get_value("dramascore/monitor/failures") == []
    assert crawler.stats.get_value("dramascore/coverage_ratio/date") == 1.0
    assert crawl_status(crawler.stats.get_stats(), "finished") == "finished"
    assert crawl_status(crawler.stats.get_stats(), "shutdown") == "failed"


@pytest.mark.parametrize("kind, failed", [("reddit", False), ("mydramalist", True)])
def test_score_coverage_is_judged_by_spider_kind(kind, failed):
    crawler, stage = crawler_for(CoveragePipeline)
    crawler.spider = type("Spider", (), {"name": kind})()
    for n in range(5):
        stage.process_item(apply.normalise_item(mdl_item(source_review_id=str(n), score_raw=None), CFG))
    stage.close_spider()
    failures = crawler.stats.get_value("dramascore/monitor/failures")
    assert bool(failures) is failed
    assert all("'score'" in f for f in failures)
