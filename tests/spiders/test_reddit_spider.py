"""Reddit spider navigation, offline: callbacks are fed fixture responses, no network."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
import warnings
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import scrapy
from scrapy.crawler import AsyncCrawlerRunner, CrawlerRunner
from scrapy.exceptions import CloseSpider
from scrapy.http import TextResponse
from scrapy.utils.reactor import is_reactor_installed
from scrapy.utils.test import get_crawler, get_reactor_settings

from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from spiders.reddit import MAX_LISTING_PAGES, RedditSpider

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:8765/reddit"  # a path prefix, as the demo site serves Reddit's API
UA = "python:dramascore-tests:0.1 (by /u/dramascore-operator)"
EP_TITLE = "Lanterns Over Haedong [Episodes 11 & 12]"
EP_PERMALINK = "/r/KDRAMA/comments/k7q2mx/lanterns_over_haedong_episodes_11_12/"
THREAD = f"{BASE}/comments/k7q2mx.json?raw_json=1&limit=500&sort=old"


def source(**options) -> SourceConfig:
    options = {"subreddits": ["KDRAMA"], "search": ["Lanterns Over Haedong"], "user_agent": UA, **options}
    return SourceConfig(name="reddit_test", kind="reddit", base_url=BASE, language="en", options=options)


def make_spider(**options) -> RedditSpider:
    crawler = get_crawler(RedditSpider)
    return RedditSpider.from_crawler(crawler, source=source(**options))


def unfrozen_crawler(settings: dict | None = None):
    """A crawler as `scrapy crawl` builds it: settings still open while the spider is created."""
    settings = {"REMOTE_CONTROL_ENABLED": False, "TELNETCONSOLE_ENABLED": False, **get_reactor_settings(), **(settings or {})}
    runner = CrawlerRunner(settings) if is_reactor_installed() else AsyncCrawlerRunner(settings)
    return runner.create_crawler(RedditSpider)


def response(fixtures_dir: Path, name: str, url: str) -> TextResponse:
    body = (fixtures_dir / "reddit" / name).read_bytes()
    return TextResponse(url=url, body=body, encoding="utf-8", request=scrapy.Request(url))


def start_requests_of(spider: RedditSpider) -> list[scrapy.Request]:
    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def split(results) -> tuple[list[ReviewItem], list[scrapy.Request]]:
    results = list(results)
    items = [r for r in results if isinstance(r, ReviewItem)]
    requests = [r for r in results if isinstance(r, scrapy.Request)]
    assert len(items) + len(requests) == len(results)
    return items, requests


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def stat(spider: RedditSpider, key: str):
    return spider.crawler.stats.get_value(f"dramascore/reddit/{key}")


# --- start, User-Agent and politeness -------------------------------------------------------------------------


def test_start_requests_searches_and_new_per_subreddit():
    spider = make_spider(subreddits=["KDRAMA", "r/CDrama/"], search=["Lanterns Over Haedong", "jade river"],
                         episode_threads=True)
    requests = start_requests_of(spider)
    assert [r.url for r in requests] == [
        f"{BASE}/r/KDRAMA/search.json?q=Lanterns+Over+Haedong&restrict_sr=1&sort=new&limit=100&raw_json=1",
        f"{BASE}/r/KDRAMA/search.json?q=jade+river&restrict_sr=1&sort=new&limit=100&raw_json=1",
        f"{BASE}/r/KDRAMA/new.json?limit=100&raw_json=1",
        f"{BASE}/r/CDrama/search.json?q=Lanterns+Over+Haedong&restrict_sr=1&sort=new&limit=100&raw_json=1",
        f"{BASE}/r/CDrama/search.json?q=jade+river&restrict_sr=1&sort=new&limit=100&raw_json=1",
        f"{BASE}/r/CDrama/new.json?limit=100&raw_json=1",
    ]
    assert [r.callback.__name__ for r in requests] == ["parse_search"] * 2 + ["parse_new"] + ["parse_search"] * 2 + ["parse_new"]
    assert requests[1].cb_kwargs == {"subreddit": "KDRAMA", "term": "jade river"}
    assert all(r.headers[b"User-Agent"] == UA.encode() for r in requests)


def test_nothing_to_crawl_is_said_not_silent(caplog):
    spider = make_spider(search=[], episode_threads=False)
    with caplog.at_level(logging.WARNING):
        assert start_requests_of(spider) == []
    assert "nothing to crawl" in caplog.text and stat(spider, "nothing_to_crawl") == 1


@pytest.mark.parametrize(
    "agent",
    [None, "", "Mozilla/5.0 (X11; Linux x86_64)", "dramascore/0.1 (+https://github.com/dramascore/dramascore)",
     "python:dramascore:0.1", "python:dramascore (by /u/someone)", "python:dramascore:0.1 by /u/someone"],
)
def test_bad_user_agent_closes_the_spider(agent, caplog):
    spider = make_spider(user_agent=agent)
    with caplog.at_level(logging.ERROR), pytest.raises(CloseSpider) as closed:
        start_requests_of(spider)
    assert closed.value.reason == "bad_user_agent"
    assert "(by /u/<name>)" in caplog.text


@pytest.mark.parametrize(
    "agent", ["android:com.example.myredditapp:v1.2.3 (by /u/kemitche)", "python:dramascore:0.1 (by u/some_one)"]
)
def test_good_user_agents_are_accepted(agent):
    requests = start_requests_of(make_spider(user_agent=agent))
    assert requests and all(r.headers[b"User-Agent"] == agent.encode() for r in requests)


@pytest.mark.parametrize("rpm, delay", [(60, 1.0), (30, 2.0), (120, 0.5), (0, 1.0)])
def test_politeness_settings_from_the_source(rpm, delay):
    crawler = unfrozen_crawler()
    spider = RedditSpider.from_crawler(crawler, source=source(requests_per_minute=rpm))
    assert spider.request_delay == delay
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated spider attributes (download_delay, user_agent)
        crawler._apply_settings()
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == delay
    assert crawler.settings.getfloat("DOWNLOAD_DELAY_JITTER") == 0.0
    assert crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert crawler.settings.get("USER_AGENT") == UA
    assert not hasattr(spider, "download_delay") and not hasattr(spider, "user_agent")


def test_command_line_delay_still_wins():
    crawler = unfrozen_crawler()
    crawler.settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    RedditSpider.from_crawler(crawler, source=source(requests_per_minute=10))
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 0


def test_bad_user_agent_fails_a_real_crawl():
    # A real Scrapy crawl, in a child process (Twisted's reactor cannot restart): no request leaves.
    script = textwrap.dedent(
        """
        import warnings
        from scrapy.exceptions import ScrapyDeprecationWarning
        warnings.simplefilter("error", ScrapyDeprecationWarning)
        from scrapy.crawler import CrawlerProcess
        from aggregator.sources import SourceConfig
        from spiders.reddit import RedditSpider
        process = CrawlerProcess({"ITEM_PIPELINES": {}, "EXTENSIONS": {}, "LOG_LEVEL": "ERROR",
                                  "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
                                  "TELNETCONSOLE_ENABLED": False})
        crawler = process.create_crawler(RedditSpider)
        source = SourceConfig("r", "reddit", base_url="http://127.0.0.1:9", options={"subreddits": ["KDRAMA"],
                              "search": ["x"], "user_agent": "Mozilla/5.0"})
        process.crawl(crawler, source=source)
        process.start()
        stats = crawler.stats.get_stats()
        print("REASON", stats.get("finish_reason"), stats.get("downloader/request_count", 0))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert "REASON bad_user_agent 0" in done.stdout, done.stdout + done.stderr
    assert "is not Reddit's" in done.stderr


# --- listings ---------------------------------------------------------------------------------------------------


SEARCH_1 = f"{BASE}/r/KDRAMA/search.json?q=Lanterns+Over+Haedong&restrict_sr=1&sort=new&limit=100&raw_json=1"
NEW_1 = f"{BASE}/r/KDRAMA/new.json?limit=100&raw_json=1"


def test_search_requests_threads_and_pages_on(fixtures_dir):
    spider = make_spider()
    cb = {"subreddit": "KDRAMA", "term": "Lanterns Over Haedong"}
    items, requests = split(spider.parse_search(response(fixtures_dir, "search-page1.json", SEARCH_1), **cb))
    assert items == []
    assert [r.url for r in requests] == [
        THREAD,
        f"{BASE}/comments/k6bb01.json?raw_json=1&limit=500&sort=old",
        f"{BASE}/comments/k5aa03.json?raw_json=1&limit=500&sort=old",
        SEARCH_1 + "&after=t3_k5aa03",
    ]
    assert [r.callback.__name__ for r in requests] == ["parse_thread"] * 3 + ["parse_search"]
    assert requests[-1].cb_kwargs == {**cb, "kept": 3, "page": 2}
    _, requests = split(spider.parse_search(response(fixtures_dir, "search-page2.json", requests[-1].url), **requests[-1].cb_kwargs))
    # The last page has no `after`: two threads, no further page.
    assert [r.url.split("?")[0] for r in requests] == [f"{BASE}/comments/k4cc04.json", f"{BASE}/comments/k3dd05.json"]
    assert stat(spider, "threads") == 5 and stat(spider, "pages/listing") == 2


def test_search_stops_at_max_threads(fixtures_dir):
    spider = make_spider(max_threads=2)
    _, requests = split(spider.parse_search(response(fixtures_dir, "search-page1.json", SEARCH_1), "KDRAMA", "x"))
    assert [r.callback.__name__ for r in requests] == ["parse_thread", "parse_thread"]  # no next page either
    assert stat(spider, "skipped/over_max_threads") == 1


def test_max_threads_counts_across_pages(fixtures_dir):
    spider = make_spider(max_threads=4)
    _, requests = split(spider.parse_search(response(fixtures_dir, "search-page2.json", SEARCH_1), "KDRAMA", "x", kept=3, page=2))
    assert [r.url for r in requests] == [f"{BASE}/comments/k4cc04.json?raw_json=1&limit=500&sort=old"]


def test_new_keeps_only_episode_threads(fixtures_dir):
    spider = make_spider(search=[], episode_threads=True)
    (start,) = start_requests_of(spider)
    assert start.url == NEW_1
    _, requests = split(spider.parse_new(response(fixtures_dir, "new-page1.json", NEW_1), **start.cb_kwargs))
    assert [r.url for r in requests] == [
        f"{BASE}/comments/n00001.json?raw_json=1&limit=500&sort=old", THREAD, NEW_1 + "&after=t3_n00005",
    ]
    assert requests[-1].cb_kwargs == {"subreddit": "KDRAMA", "kept": 2, "page": 2}
    assert stat(spider, "skipped/not_episode_thread") == 3


@pytest.mark.parametrize("max_threads, kept, page, follows", [(2, 0, 1, False), (3, 0, 1, True), (25, 0, MAX_LISTING_PAGES, False)])
def test_new_paging_limits(fixtures_dir, max_threads, kept, page, follows):
    spider = make_spider(episode_threads=True, max_threads=max_threads)
    _, requests = split(spider.parse_new(response(fixtures_dir, "new-page1.json", NEW_1), "KDRAMA", kept, page))
    assert any(r.callback.__name__ == "parse_new" for r in requests) is follows


def test_a_thread_found_twice_is_fetched_once(fixtures_dir):
    spider = make_spider(episode_threads=True)
    _, first = split(spider.parse_search(response(fixtures_dir, "search-page1.json", SEARCH_1), "KDRAMA", "x"))
    _, second = split(spider.parse_new(response(fixtures_dir, "new-page1.json", NEW_1), "KDRAMA"))
    urls = [r.url for r in first + second]
    assert urls.count(THREAD) == 1 and stat(spider, "skipped/duplicate_thread") == 1


# --- threads and more stubs --------------------------------------------------------------------------------------


def test_thread_yields_items_then_batched_morechildren(fixtures_dir):
    spider = make_spider()
    before = datetime.now(UTC)
    results = list(spider.parse_thread(response(fixtures_dir, "thread-episode-discussion.json", THREAD)))
    items, requests = split(results)
    assert [i.source_review_id for i in items] == [
        "t3_k7q2mx", "t1_m100001", "t1_m100002", "t1_m100004", "t1_m100006", "t1_m100007",
    ]
    for item in items:
        assert item.source == "reddit_test" and item.language == "en" and before <= item.crawled_at <= datetime.now(UTC)
        assert item.url.startswith(f"{BASE}{EP_PERMALINK}")
    # The 3-comment stub: one request; the 120-comment stub: 100 + 20; "continue this thread": none.
    assert [len(query(r.url)["children"][0].split(",")) for r in requests] == [3, 100, 20]
    assert query(requests[0].url) == {
        "api_type": ["json"], "link_id": ["t3_k7q2mx"], "children": ["m100010,m100011,m100012"],
        "raw_json": ["1"], "limit_children": ["false"],
    }
    assert all(r.url.startswith(f"{BASE}/api/morechildren.json?") and r.callback.__name__ == "parse_more" for r in requests)
    assert requests[0].cb_kwargs == {"thread_id": "k7q2mx", "post_title": EP_TITLE, "post_spoiler": False,
                                     "post_permalink": EP_PERMALINK}
    assert all(r.headers[b"User-Agent"] == UA.encode() for r in requests)
    assert stat(spider, "more_requests") == 3 and stat(spider, "continue_threads_skipped") == 1
    assert stat(spider, "more_skipped") == 0  # the continue stub's own count
    assert stat(spider, "skipped/removed") == 1 and stat(spider, "skipped/bot") == 1
    assert spider.crawler.stats.get_value("dramascore/review_blocks") == 8


def test_more_skipped_counted_when_follow_more_is_off(fixtures_dir):
    spider = make_spider(follow_more=False)
    items, requests = split(spider.parse_thread(response(fixtures_dir, "thread-episode-discussion.json", THREAD)))
    assert requests == [] and len(items) == 6
    assert stat(spider, "more_skipped") == 3 + 130 and stat(spider, "more_requests") is None


def test_morechildren_answer_yields_items_and_follows_nested_stubs(fixtures_dir):
    spider = make_spider()
    _, (request, *_) = split(spider.parse_thread(response(fixtures_dir, "thread-episode-discussion.json", THREAD)))
    items, requests = split(spider.parse_more(response(fixtures_dir, "morechildren-m100010.json", request.url), **request.cb_kwargs))
    assert [i.source_review_id for i in items] == ["t1_m100010", "t1_m100011"]
    assert all(i.drama_title == "Lanterns Over Haedong" and i.source == "reddit_test" for i in items)
    (nested,) = requests
    assert query(nested.url)["children"] == ["m100020,m100021,m100022,m100023"]
    assert nested.cb_kwargs == request.cb_kwargs and stat(spider, "pages/morechildren") == 1
    assert stat(spider, "skipped/removed") == 2  # one in the thread, one in the answer


def test_thread_page_that_is_not_a_thread(caplog):
    spider = make_spider()
    bad = TextResponse(url=THREAD, body=b"<html>Too Many Requests</html>", request=scrapy.Request(THREAD))
    with caplog.at_level(logging.WARNING):
        assert list(spider.parse_thread(bad)) == []
    assert "no thread found" in caplog.text and stat(spider, "pages/thread") == 1


# --- items_from_page (dramascore extract) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, url, ids",
    [
        ("thread-episode-discussion.json", THREAD, 6),
        ("morechildren-m100010.json", f"{BASE}/api/morechildren.json?link_id=t3_k7q2mx", 2),
        ("user-comments.json", f"{BASE}/user/river_lamp/comments.json", 2),
        ("search-page1.json", SEARCH_1, 0),  # a listing of threads holds no comments
    ],
)
def test_items_from_page_reads_every_shape(fixtures_dir, name, url, ids):
    when = datetime(2024, 5, 10, tzinfo=UTC)
    body = (fixtures_dir / "reddit" / name).read_bytes()
    items = RedditSpider.items_from_page(body, url, when, source())
    assert len(items) == ids
    assert all(i.crawled_at == when and i.source == "reddit_test" and i.language == "en" for i in items)
    assert all(i.url.startswith(f"{BASE}/r/KDRAMA/comments/") for i in items)


def test_items_from_page_on_real_pages(realpages):
    when = datetime(2025, 6, 1, tzinfo=UTC)
    inbox = (realpages / "reddit" / "message-unread-with-spoiler-markup.json").read_bytes()
    items = RedditSpider.items_from_page(inbox, "https://www.reddit.com/message/unread/.json", when)
    assert len(items) == 43 and all(i.source == "reddit" for i in items)
    thread = (realpages / "reddit" / "r-funny-3hahrw-comments-limit10.json").read_bytes()
    items = RedditSpider.items_from_page(thread, "https://www.reddit.com/comments/3hahrw.json", when)
    assert len(items) == 10 and items[0].url.startswith("https://www.reddit.com/r/funny/comments/3hahrw/")


def test_callbacks_and_items_from_page_agree(fixtures_dir):
    spider = make_spider()
    items, _ = split(spider.parse_thread(response(fixtures_dir, "thread-episode-discussion.json", THREAD)))
    body = (fixtures_dir / "reddit" / "thread-episode-discussion.json").read_bytes()
    offline = RedditSpider.items_from_page(body, THREAD, items[0].crawled_at, source())
    assert [(i.source_review_id, i.url, i.body_raw) for i in offline] == [(i.source_review_id, i.url, i.body_raw) for i in items]


def test_no_start_requests_method():
    assert "start_requests" not in vars(RedditSpider)
