"""schema.org spider navigation, offline: callbacks are fed fixture responses, no network."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from spiders.schemaorg import SchemaOrgSpider

BASE = "http://127.0.0.1:8765/critics"  # a base URL with a path prefix, as sources may have


def make_spider(listed: list[str] | None = None, base_url: str = BASE, settings: dict | None = None, **kwargs):
    source = SourceConfig(name="hallyudesk", kind="schemaorg", base_url=base_url, language="en",
                          options={"urls": listed or []})  # fmt: skip
    crawler = get_crawler(SchemaOrgSpider, settings or {})
    return SchemaOrgSpider.from_crawler(crawler, source=source, **kwargs)


def response(fixtures_dir: Path, name: str, url: str) -> HtmlResponse:
    body = (fixtures_dir / "schemaorg" / name).read_bytes()
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=scrapy.Request(url))


def start_requests_of(spider: SchemaOrgSpider) -> list[scrapy.Request]:
    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def stat(spider: SchemaOrgSpider, key: str):
    return spider.crawler.stats.get_value(key)


# --- start ---------------------------------------------------------------------------------------------------


def test_start_requests_each_url_relative_ones_under_the_base_url():
    spider = make_spider(["https://hallyudesk.example/reviews/a/", "/reviews/b", "reviews/c?page=2"])
    requests = start_requests_of(spider)
    assert [r.url for r in requests] == [
        "https://hallyudesk.example/reviews/a/", f"{BASE}/reviews/b", f"{BASE}/reviews/c?page=2",
    ]
    assert all(r.callback.__name__ == "parse_page" for r in requests)


def test_base_url_setting_overrides_the_source_and_arguments_override_the_list():
    spider = make_spider(["/x"], settings={"SCHEMAORG_BASE_URL": "http://127.0.0.1:9000/p/"}, urls="/a, ,/b")
    assert [r.url for r in start_requests_of(spider)] == ["http://127.0.0.1:9000/p/a", "http://127.0.0.1:9000/p/b"]


def test_relative_url_without_base_url_is_skipped_and_counted(caplog):
    spider = make_spider(["/reviews/b", "https://hallyudesk.example/r"], base_url="")
    with caplog.at_level(logging.WARNING):
        assert [r.url for r in start_requests_of(spider)] == ["https://hallyudesk.example/r"]
    assert stat(spider, "dramascore/schemaorg/bad_url") == 1
    assert "/reviews/b" in caplog.text


def test_no_urls_is_counted_and_logged(caplog):
    spider = make_spider([])
    with caplog.at_level(logging.WARNING):
        assert start_requests_of(spider) == []
    assert stat(spider, "dramascore/schemaorg/no_urls") == 1 and "no urls" in caplog.text


# --- pages ---------------------------------------------------------------------------------------------------


def test_critic_page_yields_its_review_stamped(fixtures_dir):
    spider = make_spider()
    url = f"{BASE}/reviews/moonlit-ferry-review/"
    before = datetime.now(UTC)
    items = list(spider.parse_page(response(fixtures_dir, "critic-review.html", url)))
    (item,) = items
    assert isinstance(item, ReviewItem) and item.source == "hallyudesk" and item.score_raw == "8.5/10"
    assert before <= item.crawled_at <= datetime.now(UTC) and item.language == "en"
    assert stat(spider, "dramascore/pages/schemaorg") == 1
    assert stat(spider, "dramascore/review_blocks") == 1
    assert stat(spider, "dramascore/schemaorg/bad_jsonld") == 0
    assert stat(spider, "dramascore/schemaorg/no_reviews") is None


def test_user_reviews_page_counts_every_review(fixtures_dir):
    spider = make_spider()
    url = f"{BASE}/shows/salt-road-detectives"
    items = list(spider.parse_page(response(fixtures_dir, "series-user-reviews.html", url)))
    assert [i.source_review_id for i in items] == [f"{url}#review-{n}" for n in (1, 2, 3)]
    assert stat(spider, "dramascore/review_blocks") == 3


def test_malformed_block_is_counted(fixtures_dir, caplog):
    spider = make_spider()
    url = f"{BASE}/neon-monsoon-first-impressions"
    with caplog.at_level(logging.WARNING):
        items = list(spider.parse_page(response(fixtures_dir, "mixed-jsonld.html", url)))
    assert [i.title for i in items] == ["Neon Monsoon – first impressions"]
    assert stat(spider, "dramascore/schemaorg/bad_jsonld") == 1
    assert url in caplog.text and "json-ld block 1" in caplog.text


def test_page_without_reviews_is_counted_and_logged(fixtures_dir, caplog):
    spider = make_spider()
    url = f"{BASE}/news/moonlit-ferry-s2"
    with caplog.at_level(logging.WARNING):
        assert list(spider.parse_page(response(fixtures_dir, "no-reviews.html", url))) == []
    assert stat(spider, "dramascore/schemaorg/no_reviews") == 1
    assert stat(spider, "dramascore/pages/schemaorg") == 1 and stat(spider, "dramascore/review_blocks") == 0
    assert f"no schema.org reviews on {url}" in caplog.text


def test_items_from_page_is_what_the_callbacks_yield(fixtures_dir):
    when = datetime(2024, 5, 1, tzinfo=UTC)
    body = (fixtures_dir / "schemaorg" / "yoast-graph.html").read_bytes()
    report: dict = {}
    items = SchemaOrgSpider.items_from_page(body, "https://jadescreen.example/p", when, report=report)
    (item,) = items
    assert item.source == "schemaorg" and item.crawled_at == when and item.score_raw == "4/5"
    assert report["review_nodes"] == 1 and report["bad_jsonld"] == 0


def test_no_start_requests_method():
    # Scrapy >= 2.13 uses start(); defining start_requests too would raise a deprecation warning.
    assert "start_requests" not in vars(SchemaOrgSpider)
