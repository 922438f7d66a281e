"""WordPress review blogs: navigation only; every page is read by ``spiders.extractors.wordpress``.

The REST API first (``api = true``, the default)::

    {base}/wp-json/wp/v2/categories?slug=a,b                      category slugs -> ids
    {base}/wp-json/wp/v2/posts?per_page=N&page=P&_embed=author    [&search=TERM] [&categories=1,2]
    {base}/wp-json/wp/v2/comments?post=ID&per_page=100            [&page=P]   (when ``comments``)

One post listing per search term (restricted to the categories when both are set), one for the categories
alone, or one for all posts. Pages follow ``X-WP-TotalPages`` up to ``max_pages`` (0 = all); a 400
``rest_post_invalid_page_number`` ends a listing cleanly.

The HTML site when the API is off (``api = false``, or a 401/403/404 or non-JSON answer from ``/wp-json/``)::

    {base}/category/<slug>/   {base}/?s=TERM   {base}/          archives; their "next" links; their posts

``post_urls`` are always read as HTML post pages. Stats: ``dramascore/pages/{wp_api,wp_html,wp_comments}``,
``dramascore/review_blocks`` (posts seen) and ``dramascore/wordpress/*`` for what was skipped and why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

import scrapy
from scrapy.http import Response

from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from spiders.base import SourceSpider
from spiders.extractors.wordpress import (
    api_error_code,
    api_kind,
    extract_archive,
    extract_categories,
    extract_comments,
    extract_html_post,
    extract_posts,
    is_post_page,
    post_records,
)

API_STATUSES = [400, 401, 403, 404]
_UNAVAILABLE = {401, 403, 404}
MAX_PER_PAGE = 100  # WordPress refuses per_page above 100


def _page_body(response: Response) -> str | bytes:
    text = getattr(response, "text", None)
    return text if isinstance(text, str) else response.body


def _header_int(response: Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value.decode("latin-1").strip()) if value else None
    except ValueError:
        return None


class WordPressSpider(SourceSpider):
    """Crawls one WordPress blog's review posts (and their comments) through the REST API or its HTML."""

    name = "wordpress"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = ""
        self._configure()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> WordPressSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure()
        return spider

    def _configure(self) -> None:
        self.use_api = bool(self.option("api", default=True))
        self.search_terms = [t.strip() for t in self.option("search", default=[]) if t and t.strip()]
        self.category_slugs = [c.strip().strip("/") for c in self.option("categories", default=[]) if c and c.strip()]
        self.per_page = min(MAX_PER_PAGE, max(1, int(self.option("per_page", default=MAX_PER_PAGE))))
        self.max_pages = max(0, int(self.option("max_pages", default=0)))
        self.post_urls = [u.strip() for u in self.option("post_urls", default=[]) if u and u.strip()]
        self.comments = bool(self.option("comments", default=True))
        self._html_started = False

    # --- shared with `dramascore extract` --------------------------------------------------------------

    @classmethod
    def items_from_page(
        cls,
        body: str | bytes,
        url: str,
        crawled_at: datetime,
        source: SourceConfig | None = None,
        post_title: str | None = None,
    ) -> list[ReviewItem]:
        """Raw items of a REST posts or comments answer or of an HTML post page (archives give []).

        `post_title` names the commented post for a comments answer (the callbacks know it; the CLI does not,
        so comments extracted from a saved file alone have no drama unless WordPress embedded the post).
        """
        kind = api_kind(body, url)
        if kind == "posts":
            items = extract_posts(body, url)
        elif kind == "comments":
            items = extract_comments(body, url, post_title)
        elif kind is not None or not is_post_page(body):
            items = []  # categories, a REST error, an archive page or not a page at all
        else:
            item = extract_html_post(body, url)
            items = [item] if item is not None else []
        return cls.stamp(items, source or SourceConfig(cls.name, cls.name), crawled_at)

    # --- URLs -------------------------------------------------------------------------------------------

    def categories_url(self) -> str:
        return f"{self.base_url}/wp-json/wp/v2/categories?slug={quote(','.join(self.category_slugs), safe=',')}"

    def posts_url(self, page: int, search: str | None = None, categories: str | None = None) -> str:
        url = f"{self.base_url}/wp-json/wp/v2/posts?per_page={self.per_page}&page={page}&_embed=author"
        if search:
            url += f"&search={quote_plus(search)}"
        if categories:
            url += f"&categories={categories}"
        return url

    def comments_url(self, post_id: str, page: int = 1) -> str:
        url = f"{self.base_url}/wp-json/wp/v2/comments?post={post_id}&per_page={MAX_PER_PAGE}"
        return url if page == 1 else f"{url}&page={page}"

    def html_start_urls(self) -> list[str]:
        """Where the HTML crawl starts: category archives and searches, else the home page."""
        urls = [f"{self.base_url}/category/{quote(slug)}/" for slug in self.category_slugs]
        urls += [f"{self.base_url}/?s={quote_plus(term)}" for term in self.search_terms]
        return urls or [f"{self.base_url}/"]

    # --- requests ---------------------------------------------------------------------------------------

    def api_request(self, url: str, callback, **cb_kwargs: Any) -> scrapy.Request:
        # Error statuses reach the callback: they mean "past the last page" or "API off", not failure.
        return scrapy.Request(url, callback=callback, cb_kwargs=cb_kwargs, meta={"handle_httpstatus_list": API_STATUSES})

    def listing_request(self, page: int, search: str | None, categories: str | None) -> scrapy.Request:
        return self.api_request(
            self.posts_url(page, search, categories), self.parse_posts, search=search, categories=categories, page=page
        )

    def listings(self, categories: str | None = None) -> Iterator[scrapy.Request]:
        for term in self.search_terms or [None]:
            yield self.listing_request(1, term, categories)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.post_urls:
            yield scrapy.Request(url, callback=self.parse_html_post)
        if not self.use_api:
            for request in self.html_start():
                yield request
        elif self.category_slugs:
            yield self.api_request(self.categories_url(), self.parse_categories)
        else:
            for request in self.listings():
                yield request

    def html_start(self) -> Iterator[scrapy.Request]:
        """The HTML crawl's first requests, once per crawl however many API listings fell back."""
        if self._html_started:
            return
        self._html_started = True
        for url in self.html_start_urls():
            yield scrapy.Request(url, callback=self.parse_archive, cb_kwargs={"archive_page": 1})

    def fall_back(self, response: Response, why: str) -> Iterator[scrapy.Request]:
        self._inc("dramascore/wordpress/api_fallback")
        self.logger.warning("WordPress API unavailable at %s (%s); crawling the HTML site", response.url, why)
        self.use_api = False
        yield from self.html_start()

    # --- callbacks ----------------------------------------------------------------------------------------

    def _api_answer(self, response: Response, expected: str) -> str | None:
        """None when the answer is the expected list; otherwise why not: "past_last_page", "unavailable",
        "error"."""
        body = _page_body(response)
        if response.status == 400:
            code = api_error_code(body) or ""
            return "past_last_page" if code.endswith("_invalid_page_number") else "error"
        if response.status in _UNAVAILABLE:
            return "unavailable"
        kind = api_kind(body, response.url)
        if kind == expected:
            return None
        # 200 with JSON that is not the list asked for (an error object, HTML from a redirect): the API is off.
        return "unavailable"

    def parse_categories(self, response: Response) -> Iterator[scrapy.Request]:
        self._inc("dramascore/pages/wp_api")
        problem = self._api_answer(response, "categories")
        if problem == "unavailable":
            yield from self.fall_back(response, f"status {response.status}")
            return
        if problem is not None:
            self._inc("dramascore/wordpress/api_error")
            self.logger.warning("WordPress API error at %s: %s", response.url, api_error_code(_page_body(response)))
            return
        found = extract_categories(_page_body(response))
        missing = [slug for slug in self.category_slugs if slug not in found]
        if missing:
            self._inc("dramascore/wordpress/unknown_category", len(missing))
            self.logger.warning("unknown WordPress categories %s at %s", missing, response.url)
        ids = [str(found[slug]) for slug in self.category_slugs if slug in found]
        if not ids:
            # Crawling every post instead would be a different crawl from the one configured.
            self.logger.warning("no configured category exists at %s; nothing to crawl", response.url)
            return
        yield from self.listings(",".join(ids))

    def parse_posts(
        self, response: Response, search: str | None = None, categories: str | None = None, page: int = 1
    ) -> Iterator[ReviewItem | scrapy.Request]:
        self._inc("dramascore/pages/wp_api")
        problem = self._api_answer(response, "posts")
        if problem == "past_last_page":
            self._inc("dramascore/wordpress/past_last_page")
            return
        if problem == "unavailable":
            yield from self.fall_back(response, f"status {response.status}")
            return
        body = _page_body(response)
        if problem == "error":
            self._inc("dramascore/wordpress/api_error")
            self.logger.warning("WordPress API error at %s: %s", response.url, api_error_code(body))
            return
        records = post_records(body)
        self._inc("dramascore/review_blocks", len(records))
        items = self.items_from_page(body, response.url, datetime.now(UTC), self.source_config)
        if len(items) < len(records):
            self._inc("dramascore/wordpress/unreadable_posts", len(records) - len(items))
        for item in items:
            yield item
            if self.comments:
                yield self.comments_request(item.source_review_id, item.title)
        if self._has_next(response, page, len(records), self.max_pages):
            yield self.listing_request(page + 1, search, categories)

    def comments_request(self, post_id: str, post_title: str | None, page: int = 1) -> scrapy.Request:
        return self.api_request(
            self.comments_url(post_id, page), self.parse_comments, post_id=post_id, post_title=post_title, page=page
        )

    def parse_comments(
        self, response: Response, post_id: str = "", post_title: str | None = None, page: int = 1
    ) -> Iterator[ReviewItem | scrapy.Request]:
        self._inc("dramascore/pages/wp_comments")
        body = _page_body(response)
        problem = self._api_answer(response, "comments")
        if problem == "past_last_page":
            self._inc("dramascore/wordpress/past_last_page")
            return
        if problem is not None:
            # Comments closed to the API (401/403/404, an error object); a post without comments answers "[]".
            self._inc("dramascore/wordpress/comments_unavailable")
            return
        records = post_records(body)
        yield from self.items_from_page(body, response.url, datetime.now(UTC), self.source_config, post_title)
        # Every page of a post's comments: max_pages bounds the post listings, not one post's discussion.
        if self._has_next(response, page, len(records), 0, per_page=MAX_PER_PAGE):
            yield self.comments_request(post_id, post_title, page + 1)

    def parse_archive(self, response: Response, archive_page: int = 1) -> Iterator[scrapy.Request]:
        self._inc("dramascore/pages/wp_html")
        post_urls, next_url = extract_archive(_page_body(response), response.url)
        if not post_urls:
            self._inc("dramascore/wordpress/empty_archive")
            self.logger.warning("no post links on archive page %s", response.url)
        for url in post_urls:
            yield scrapy.Request(url, callback=self.parse_html_post)
        if next_url and (self.max_pages == 0 or archive_page < self.max_pages):
            yield scrapy.Request(next_url, callback=self.parse_archive, cb_kwargs={"archive_page": archive_page + 1})

    def parse_html_post(self, response: Response) -> Iterator[ReviewItem | scrapy.Request]:
        self._inc("dramascore/pages/wp_html")
        body = _page_body(response)
        items = self.items_from_page(body, response.url, datetime.now(UTC), self.source_config)
        if not items:
            self._inc("dramascore/wordpress/not_a_post")
            self.logger.warning("no post found on %s", response.url)
            return
        self._inc("dramascore/review_blocks", len(items))
        for item in items:
            yield item
            # Comments come from the API only; a post read as HTML because the API is off has none to offer.
            if self.comments and self.use_api and item.source_review_id.isdigit():
                yield self.comments_request(item.source_review_id, item.title)

    # --- helpers ----------------------------------------------------------------------------------------

    def _has_next(self, response: Response, page: int, seen: int, max_pages: int, per_page: int | None = None) -> bool:
        if max_pages and page >= max_pages:
            return False
        per_page = per_page or self.per_page
        total = _header_int(response, "X-WP-TotalPages")
        if total is None and _header_int(response, "X-WP-Total") is not None:
            total = -(-_header_int(response, "X-WP-Total") // per_page)
        if total is not None:
            return page < total
        # Without the header (a proxy dropped it), a full page may have a successor; a 400 ends the listing.
        return seen > 0 and seen >= per_page

    def _inc(self, key: str, count: int = 1) -> None:
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value(key, count)
