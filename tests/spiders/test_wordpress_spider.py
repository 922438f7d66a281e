"""WordPress spider navigation, offline: callbacks are fed fixture responses with real statuses and headers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import scrapy
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler

from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from spiders.wordpress import WordPressSpider

BASE = "http://127.0.0.1:8765/blog"  # a base URL with a path prefix: every URL must keep it
API = f"{BASE}/wp-json/wp/v2"


def make_spider(**options) -> WordPressSpider:
    source = SourceConfig(name="quietcouch", kind="wordpress", base_url=BASE, options=options)
    return WordPressSpider.from_crawler(get_crawler(WordPressSpider, {}), source=source)


def start_requests_of(spider: WordPressSpider) -> list[scrapy.Request]:
    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def api_response(fixtures_dir: Path, name: str | None, url: str, status: int = 200, **headers) -> TextResponse:
    body = (fixtures_dir / "wordpress" / name).read_bytes() if name else b""
    headers = {"Content-Type": "application/json; charset=UTF-8", **{k.replace("_", "-"): str(v) for k, v in headers.items()}}
    return TextResponse(url=url, status=status, body=body, headers=headers, encoding="utf-8", request=scrapy.Request(url))


def html_response(fixtures_dir: Path, name: str, url: str, status: int = 200) -> HtmlResponse:
    body = (fixtures_dir / "wordpress" / name).read_bytes()
    return HtmlResponse(url=url, status=status, body=body, encoding="utf-8", request=scrapy.Request(url))


def split(results) -> tuple[list[ReviewItem], list[scrapy.Request]]:
    results = list(results)
    items = [r for r in results if isinstance(r, ReviewItem)]
    requests = [r for r in results if isinstance(r, scrapy.Request)]
    assert len(items) + len(requests) == len(results)
    return items, requests


def stat(spider: WordPressSpider, key: str):
    return spider.crawler.stats.get_value(key)


# --- start ---------------------------------------------------------------------------------------------------


def test_start_lists_all_posts_without_search_or_categories():
    (request,) = start_requests_of(make_spider())
    assert request.url == f"{API}/posts?per_page=100&page=1&_embed=author"
    assert request.callback.__name__ == "parse_posts" and request.cb_kwargs["page"] == 1
    assert request.meta["handle_httpstatus_list"] == [400, 401, 403, 404]


def test_start_one_listing_per_search_term_with_per_page_capped():
    requests = start_requests_of(make_spider(search=["kdrama review", "recap"], per_page=500))
    assert [r.url for r in requests] == [
        f"{API}/posts?per_page=100&page=1&_embed=author&search=kdrama+review",
        f"{API}/posts?per_page=100&page=1&_embed=author&search=recap",
    ]


def test_start_resolves_categories_first_and_reads_post_urls_as_html():
    spider = make_spider(categories=["kdrama-reviews", "recaps"], post_urls=[f"{BASE}/some-post/"])
    post, categories = start_requests_of(spider)
    assert post.url == f"{BASE}/some-post/" and post.callback.__name__ == "parse_html_post"
    assert "handle_httpstatus_list" not in post.meta  # only API requests take error statuses
    assert categories.url == f"{API}/categories?slug=kdrama-reviews,recaps"
    assert categories.callback.__name__ == "parse_categories"


def test_start_without_api_crawls_html_archives_and_searches():
    requests = start_requests_of(make_spider(api=False, categories=["recaps"], search=["soundtrack #1"]))
    assert [r.url for r in requests] == [f"{BASE}/category/recaps/", f"{BASE}/?s=soundtrack+%231"]
    assert {r.callback.__name__ for r in requests} == {"parse_archive"}
    (root,) = start_requests_of(make_spider(api=False))
    assert root.url == f"{BASE}/"


# --- categories ----------------------------------------------------------------------------------------------


def test_categories_become_listing_filters(fixtures_dir):
    spider = make_spider(categories=["kdrama-reviews", "recaps", "gone"], search=["love"])
    response = api_response(fixtures_dir, "categories.json", f"{API}/categories?slug=kdrama-reviews,recaps,gone")
    _, (request,) = split(spider.parse_categories(response))
    assert request.url == f"{API}/posts?per_page=100&page=1&_embed=author&search=love&categories=12,14"
    assert stat(spider, "dramascore/wordpress/unknown_category") == 1


def test_no_known_category_crawls_nothing_rather_than_everything(fixtures_dir):
    spider = make_spider(categories=["gone"])
    response = api_response(fixtures_dir, "categories.json", f"{API}/categories?slug=gone")
    response = response.replace(body=b"[]")
    assert list(spider.parse_categories(response)) == []
    assert stat(spider, "dramascore/wordpress/unknown_category") == 1


# --- posts pagination -----------------------------------------------------------------------------------------


def test_posts_page_yields_items_comments_and_the_next_page(fixtures_dir):
    spider = make_spider(search=["love"])
    url = f"{API}/posts?per_page=100&page=1&_embed=author&search=love"
    response = api_response(fixtures_dir, "posts-page1.json", url, X_WP_Total=4, X_WP_TotalPages=2)
    items, requests = split(spider.parse_posts(response, search="love", categories=None, page=1))
    assert [i.source_review_id for i in items] == ["4101", "4102", "4103"]
    assert {i.source for i in items} == {"quietcouch"} and all(i.crawled_at for i in items)
    comments = [r for r in requests if r.callback.__name__ == "parse_comments"]
    assert [r.url for r in comments] == [f"{API}/comments?post={n}&per_page=100" for n in (4101, 4102, 4103)]
    assert comments[0].cb_kwargs["post_title"].startswith("“Soundtrack #1”")
    (next_page,) = [r for r in requests if r.callback.__name__ == "parse_posts"]
    assert next_page.url == f"{API}/posts?per_page=100&page=2&_embed=author&search=love"
    assert next_page.cb_kwargs == {"search": "love", "categories": None, "page": 2}
    assert stat(spider, "dramascore/pages/wp_api") == 1
    assert stat(spider, "dramascore/review_blocks") == 4
    assert stat(spider, "dramascore/wordpress/unreadable_posts") == 1


def test_last_page_and_max_pages_stop_the_listing(fixtures_dir):
    spider = make_spider(comments=False)
    last = api_response(fixtures_dir, "posts-page2.json", f"{API}/posts?per_page=100&page=2&_embed=author", X_WP_TotalPages=2)
    items, requests = split(spider.parse_posts(last, page=2))
    assert len(items) == 1 and requests == []  # no comments either: they are switched off
    limited = make_spider(max_pages=1, comments=False)
    first = api_response(fixtures_dir, "posts-page1.json", f"{API}/posts?per_page=100&page=1&_embed=author", X_WP_TotalPages=5)
    _, requests = split(limited.parse_posts(first, page=1))
    assert requests == []


def test_total_posts_header_alone_is_enough_to_page(fixtures_dir):
    spider = make_spider(per_page=2, comments=False)
    url = f"{API}/posts?per_page=2&page=1&_embed=author"
    _, (request,) = split(spider.parse_posts(api_response(fixtures_dir, "posts-page1.json", url, X_WP_Total=3), page=1))
    assert request.url == f"{API}/posts?per_page=2&page=2&_embed=author"


def test_page_past_the_last_ends_the_listing_cleanly(fixtures_dir):
    spider = make_spider()
    url = f"{API}/posts?per_page=100&page=3&_embed=author"
    assert list(spider.parse_posts(api_response(fixtures_dir, "error-invalid-page.json", url, status=400), page=3)) == []
    assert stat(spider, "dramascore/wordpress/past_last_page") == 1
    assert stat(spider, "dramascore/wordpress/api_fallback") is None


# --- HTML fallback ---------------------------------------------------------------------------------------------


def test_api_404_falls_back_to_html_once(fixtures_dir):
    spider = make_spider(categories=["kdrama-reviews"], search=["love"])
    url = f"{API}/categories?slug=kdrama-reviews"
    _, requests = split(spider.parse_categories(api_response(fixtures_dir, "error-no-route.json", url, status=404)))
    assert [r.url for r in requests] == [f"{BASE}/category/kdrama-reviews/", f"{BASE}/?s=love"]
    assert all(r.callback.__name__ == "parse_archive" and "handle_httpstatus_list" not in r.meta for r in requests)
    # A second listing that finds the API off counts too, but the HTML crawl has already started.
    again = api_response(fixtures_dir, "error-no-route.json", f"{API}/posts?per_page=100&page=1", status=403)
    assert list(spider.parse_posts(again, page=1)) == []
    assert stat(spider, "dramascore/wordpress/api_fallback") == 2


def test_non_json_api_answer_falls_back_to_the_home_page(fixtures_dir):
    spider = make_spider()
    url = f"{API}/posts?per_page=100&page=1&_embed=author"
    _, (request,) = split(spider.parse_posts(html_response(fixtures_dir, "archive-page1.html", url), page=1))
    assert request.url == f"{BASE}/" and request.callback.__name__ == "parse_archive"
    assert stat(spider, "dramascore/wordpress/api_fallback") == 1


def test_archive_page_requests_posts_and_the_next_page_within_max_pages(fixtures_dir):
    url = f"{BASE}/category/kdrama-reviews/"
    spider = make_spider(api=False, max_pages=2)
    _, requests = split(spider.parse_archive(html_response(fixtures_dir, "archive-page1.html", url), archive_page=1))
    assert [(r.url, r.callback.__name__) for r in requests] == [
        (f"{BASE}/second-chorus-korean-drama-review/", "parse_html_post"),
        (f"{BASE}/soundtrack-1-korean-drama-review/", "parse_html_post"),
        (f"{BASE}/category/kdrama-reviews/page/2/", "parse_archive"),
    ]
    assert requests[-1].cb_kwargs == {"archive_page": 2}
    _, requests = split(spider.parse_archive(html_response(fixtures_dir, "archive-page1.html", url), archive_page=2))
    assert all(r.callback.__name__ == "parse_html_post" for r in requests)
    assert stat(spider, "dramascore/pages/wp_html") == 2


def test_html_post_yields_its_review_and_asks_for_comments_only_while_the_api_is_on(fixtures_dir):
    url = f"{BASE}/second-chorus-korean-drama-review/"
    spider = make_spider()
    (item,), (comments,) = split(spider.parse_html_post(html_response(fixtures_dir, "post-yoast.html", url)))
    assert item.source_review_id == "5120" and item.source == "quietcouch"
    assert comments.url == f"{API}/comments?post=5120&per_page=100"
    off = make_spider(api=False)
    items, requests = split(off.parse_html_post(html_response(fixtures_dir, "post-yoast.html", url)))
    assert len(items) == 1 and requests == []
    assert list(off.parse_html_post(html_response(fixtures_dir, "archive-page2.html", url))) == []
    assert stat(off, "dramascore/wordpress/not_a_post") == 1


# --- comments ------------------------------------------------------------------------------------------------


def test_comments_are_items_about_the_posts_drama_and_page_on(fixtures_dir):
    spider = make_spider()
    url = f"{API}/comments?post=4101&per_page=100"
    response = api_response(fixtures_dir, "comments.json", url, X_WP_TotalPages=2)
    items, (next_page,) = split(spider.parse_comments(response, post_id="4101", post_title="Soundtrack #1 Review", page=1))
    assert [(i.kind, i.source_review_id, i.drama_title) for i in items] == [
        ("comment", "comment-771", "Soundtrack #1"),
        ("comment", "comment-772", "Soundtrack #1"),
    ]
    assert next_page.url == f"{url}&page=2" and next_page.cb_kwargs["post_title"] == "Soundtrack #1 Review"
    assert stat(spider, "dramascore/pages/wp_comments") == 1


def test_closed_comments_are_counted_not_fatal(fixtures_dir):
    spider = make_spider()
    url = f"{API}/comments?post=4101&per_page=100"
    assert list(spider.parse_comments(api_response(fixtures_dir, "error-no-route.json", url, status=401), post_id="4101")) == []
    assert stat(spider, "dramascore/wordpress/comments_unavailable") == 1
    assert stat(spider, "dramascore/wordpress/api_fallback") is None  # posts still come from the API


def test_other_api_errors_are_counted_and_end_the_listing(fixtures_dir):
    spider = make_spider(categories=["recaps"])
    response = api_response(fixtures_dir, "error-no-route.json", f"{API}/categories?slug=recaps", status=400)
    assert list(spider.parse_categories(response)) == []
    posts = api_response(fixtures_dir, "error-no-route.json", f"{API}/posts?per_page=100&page=1", status=400)
    assert list(spider.parse_posts(posts, page=1)) == []
    assert stat(spider, "dramascore/wordpress/api_error") == 2
    assert stat(spider, "dramascore/wordpress/api_fallback") is None
