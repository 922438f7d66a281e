"""MyDramaList spider navigation, offline: callbacks are fed fixture responses, no network."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from aggregator.items import ReviewItem
from spiders.mydramalist import MyDramaListSpider

BASE = "http://127.0.0.1:8765"
DRAMA = f"{BASE}/700101-lanterns-over-haedong"
REVIEWS_1 = f"{DRAMA}/reviews?page=1"
REVIEWS_2 = f"{DRAMA}/reviews?page=2"
LISTING_1 = f"{BASE}/shows/popular?page=1"
LISTING_2 = f"{BASE}/shows/popular?page=2"


def make_spider(settings: dict | None = None, **kwargs) -> MyDramaListSpider:
    crawler = get_crawler(MyDramaListSpider, {"MYDRAMALIST_BASE_URL": BASE, **(settings or {})})
    return MyDramaListSpider.from_crawler(crawler, **kwargs)


def response(fixtures_dir: Path, name: str, url: str) -> HtmlResponse:
    body = (fixtures_dir / "mydramalist" / name).read_bytes()
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=scrapy.Request(url))


def start_requests_of(spider: MyDramaListSpider) -> list[scrapy.Request]:
    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def split(results) -> tuple[list[ReviewItem], list[scrapy.Request]]:
    results = list(results)
    items = [r for r in results if isinstance(r, ReviewItem)]
    requests = [r for r in results if isinstance(r, scrapy.Request)]
    assert len(items) + len(requests) == len(results)
    return items, requests


# --- start ---------------------------------------------------------------------------------------------------


def test_start_without_dramas_opens_the_first_listing_page():
    (request,) = start_requests_of(make_spider())
    assert request.url == LISTING_1
    assert request.callback.__name__ == "parse_listing" and request.cb_kwargs == {"listing_page": 1}
    assert "impersonate" not in request.meta


def test_start_with_dramas_opens_each_drama_page():
    spider = make_spider(dramas=" 685237-untitled-kim-eun-sook-project, /18452-goblin,,https://example.org/5-x ,42")
    requests = start_requests_of(spider)
    assert [r.url for r in requests] == [
        f"{BASE}/685237-untitled-kim-eun-sook-project", f"{BASE}/18452-goblin", "https://example.org/5-x", f"{BASE}/42",
    ]
    assert all(r.callback.__name__ == "parse_drama" for r in requests)


def test_base_url_trailing_slash_and_default():
    (request,) = start_requests_of(make_spider({"MYDRAMALIST_BASE_URL": f"{BASE}/"}))
    assert request.url == LISTING_1
    crawler = get_crawler(MyDramaListSpider)
    (request,) = start_requests_of(MyDramaListSpider.from_crawler(crawler, dramas="685237"))
    assert request.url == "https://mydramalist.com/685237"


def test_impersonation_meta_on_every_request(fixtures_dir):
    spider = make_spider({"MYDRAMALIST_IMPERSONATE": "chrome"}, dramas="700101-lanterns-over-haedong")
    requests = start_requests_of(spider)
    requests += split(spider.parse_drama(response(fixtures_dir, "drama-main.html", DRAMA)))[1]
    requests += split(spider.parse_reviews(response(fixtures_dir, "reviews-page1.html", REVIEWS_1)))[1]
    requests += split(spider.parse_listing(response(fixtures_dir, "listing-page1.html", LISTING_1)))[1]
    assert len(requests) >= 6 and all(r.meta.get("impersonate") == "chrome" for r in requests)


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_impersonation_off_values(value):
    (request,) = start_requests_of(make_spider({"MYDRAMALIST_IMPERSONATE": value}))
    assert "impersonate" not in request.meta


# --- listing -------------------------------------------------------------------------------------------------


def test_listing_requests_dramas_and_stops_at_the_page_limit(fixtures_dir):
    spider = make_spider({"MYDRAMALIST_MAX_LISTING_PAGES": 1})
    items, requests = split(spider.parse_listing(response(fixtures_dir, "listing-page1.html", LISTING_1), 1))
    assert items == []
    assert [r.url for r in requests] == [
        f"{BASE}/700101-lanterns-over-haedong",
        f"{BASE}/700202-the-salt-merchants",
        f"{BASE}/700303-a-tea-house-in-kyoto-rain",
    ]
    assert all(r.callback.__name__ == "parse_drama" for r in requests)
    assert spider.crawler.stats.get_value("dramascore/pages/listing") == 1


@pytest.mark.parametrize("limit", [0, 2])
def test_listing_follows_next_page_within_the_limit(fixtures_dir, limit):
    spider = make_spider({"MYDRAMALIST_MAX_LISTING_PAGES": limit})
    _, requests = split(spider.parse_listing(response(fixtures_dir, "listing-page1.html", LISTING_1), 1))
    (nxt,) = [r for r in requests if r.callback.__name__ == "parse_listing"]
    assert nxt.url == LISTING_2 and nxt.cb_kwargs == {"listing_page": 2}
    # Page 2 is the last page: no next link, so nothing more whatever the limit.
    _, requests = split(spider.parse_listing(response(fixtures_dir, "listing-page2.html", LISTING_2), 2))
    assert [r.url for r in requests] == [f"{BASE}/700404-jade-river-chronicles", f"{BASE}/700505-bangkok-night-tutor"]


def test_listing_limit_counts_pages_not_requests(fixtures_dir):
    spider = make_spider({"MYDRAMALIST_MAX_LISTING_PAGES": 2})
    _, requests = split(spider.parse_listing(response(fixtures_dir, "listing-page1.html", LISTING_2), 2))
    assert all(r.callback.__name__ == "parse_drama" for r in requests)


# --- drama and reviews pages --------------------------------------------------------------------------------


def test_drama_page_yields_reviews_then_its_first_reviews_page(fixtures_dir):
    spider = make_spider()
    before = datetime.now(UTC)
    results = list(spider.parse_drama(response(fixtures_dir, "drama-main.html", DRAMA)))
    items, requests = split(results)
    assert [i.source_review_id for i in items] == ["900001", "900002", "900003"]
    assert results[-1] is requests[-1]  # reviews first, then navigation
    for item in items:
        assert item.crawled_at is not None and item.crawled_at.tzinfo is not None
        assert before <= item.crawled_at <= datetime.now(UTC)
        assert item.language == "en" and item.drama_url == DRAMA and item.source == "mydramalist"
    (request,) = requests
    assert request.url == REVIEWS_1 and request.callback.__name__ == "parse_reviews"
    assert not request.dont_filter  # the dupefilter is what keeps each reviews page single
    stats = spider.crawler.stats
    assert stats.get_value("dramascore/pages/drama") == 1
    assert stats.get_value("dramascore/review_blocks") == 3


def test_reviews_pages_follow_pagination(fixtures_dir):
    spider = make_spider({"MYDRAMALIST_MAX_REVIEW_PAGES": 0})
    items, requests = split(spider.parse_reviews(response(fixtures_dir, "reviews-page1.html", REVIEWS_1)))
    assert [i.source_review_id for i in items] == ["900001", "900004"]
    assert [(r.url, r.callback.__name__) for r in requests] == [(REVIEWS_2, "parse_reviews")]
    items, requests = split(spider.parse_reviews(response(fixtures_dir, "reviews-page2.html", REVIEWS_2)))
    assert [i.source_review_id for i in items] == ["900005", "900006"]
    # The last page links back to page 1 only; the dupefilter drops that request in a real crawl.
    assert [r.url for r in requests] == [REVIEWS_1]
    stats = spider.crawler.stats
    assert stats.get_value("dramascore/pages/reviews") == 2 and stats.get_value("dramascore/review_blocks") == 4


def test_review_page_limit(fixtures_dir):
    spider = make_spider({"MYDRAMALIST_MAX_REVIEW_PAGES": 1})
    _, requests = split(spider.parse_drama(response(fixtures_dir, "drama-main.html", DRAMA)))
    assert [r.url for r in requests] == [REVIEWS_1]
    _, requests = split(spider.parse_reviews(response(fixtures_dir, "reviews-page1.html", REVIEWS_1)))
    assert requests == []
    _, requests = split(spider.parse_reviews(response(fixtures_dir, "reviews-page2.html", REVIEWS_2)))
    assert [r.url for r in requests] == [REVIEWS_1]


def test_blocks_without_fields_are_counted(fixtures_dir):
    spider = make_spider()
    items, _ = split(spider.parse_reviews(response(fixtures_dir, "review-blocks-empty.html", REVIEWS_1)))
    assert len(items) == 2 and all(i.author_raw is None and i.body_raw is None for i in items)
    assert spider.crawler.stats.get_value("dramascore/review_blocks") == 2


def test_page_without_reviews_records_zero_blocks():
    spider = make_spider()
    empty = HtmlResponse(url=DRAMA, body=b"<html><body>gone</body></html>", request=scrapy.Request(DRAMA))
    assert list(spider.parse_drama(empty)) == []
    assert spider.crawler.stats.get_value("dramascore/review_blocks") == 0
    assert spider.crawler.stats.get_value("dramascore/pages/drama") == 1


def test_items_from_page_is_what_the_callbacks_yield(fixtures_dir):
    when = datetime(2024, 5, 1, tzinfo=UTC)
    body = (fixtures_dir / "mydramalist" / "reviews-page2.html").read_bytes()
    items = MyDramaListSpider.items_from_page(body, REVIEWS_2, when)
    assert [i.source_review_id for i in items] == ["900005", "900006"]
    assert all(i.crawled_at == when and i.language == "en" for i in items)


def test_no_start_requests_method():
    # Scrapy >= 2.13 uses start(); defining start_requests too would raise a deprecation warning.
    assert "start_requests" not in vars(MyDramaListSpider)
