"""MyDramaList spider: navigation only; every page is read by ``spiders.extractors.mydramalist``.

Two ways in:

* ``scrapy crawl mydramalist -a dramas=685237-untitled-kim-eun-sook-project,18452-goblin`` crawls those
  dramas (paths, ids or full URLs, comma-separated);
* without ``dramas`` it starts at ``<MYDRAMALIST_BASE_URL>/shows/popular?page=1`` and follows the listing's
  next page up to ``MYDRAMALIST_MAX_LISTING_PAGES`` pages (0 = no limit).

Each drama main page yields its reviews, then its first reviews page is requested; reviews pages yield their
reviews and follow the pagination up to page ``MYDRAMALIST_MAX_REVIEW_PAGES`` (0 = no limit). A review seen on
both the main page and a reviews page is yielded twice; the store keeps one row.

Stats for a later monitor: ``dramascore/pages/{listing,drama,reviews}`` and ``dramascore/review_blocks``
(review blocks seen on pages, to compare with the items that came out of them).

Browser impersonation (optional). MyDramaList answers plain scripted clients with Cloudflare 403s. To crawl
the real site, install ``scrapy-impersonate`` (``pip install 'dramascore[impersonate]'``) and set::

    DOWNLOAD_HANDLERS = {
        "http": "scrapy_impersonate.ImpersonateDownloadHandler",
        "https": "scrapy_impersonate.ImpersonateDownloadHandler",
    }
    MYDRAMALIST_IMPERSONATE = "chrome"

With ``MYDRAMALIST_IMPERSONATE`` set, every request this spider makes carries ``meta["impersonate"]`` with that
browser name, which the handler reads. Without the handler the meta key is simply ignored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response

from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig
from spiders.base import SourceSpider, page_body
from spiders.extractors.mydramalist import (
    extract_listing,
    extract_review_page_urls,
    extract_reviews,
    review_block_count,
    review_page_number,
)

_OFF = {"", "0", "false", "no", "off", "none"}



class MyDramaListSpider(SourceSpider):
    """Crawls MyDramaList drama pages and their reviews pages."""

    name = "mydramalist"
    default_language = "en"

    def __init__(self, dramas: str | Iterable[str] | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(dramas, str):
            dramas = dramas.split(",")
        self.dramas: list[str] = [d.strip() for d in (dramas or []) if d and d.strip()]
        # Defaults until from_crawler reads the settings (a spider built without a crawler still works).
        self.base_url = "https://mydramalist.com"
        self.max_listing_pages = 1
        self.max_review_pages = 0
        self.impersonate: str | None = None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> MyDramaListSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.base_url:
            spider.base_url = "https://mydramalist.com"
        # Spider arguments win over the source file, which wins over the settings.
        spider.dramas = spider.dramas or list(spider.option("dramas", default=[]))
        spider.max_listing_pages = max(0, int(spider.option("listing_pages", "MYDRAMALIST_MAX_LISTING_PAGES", 1)))
        spider.max_review_pages = max(0, int(spider.option("review_pages", "MYDRAMALIST_MAX_REVIEW_PAGES", 0)))
        browser = str(spider.option("impersonate", "MYDRAMALIST_IMPERSONATE", "") or "").strip()
        spider.impersonate = None if browser.lower() in _OFF else browser
        return spider

    # --- shared with `dramascore extract` --------------------------------------------------------------

    @classmethod
    def items_from_page(
        cls, body: str | bytes, url: str, crawled_at: datetime, source: SourceConfig | None = None
    ) -> list[ReviewItem]:
        """The raw reviews of one page, stamped as this spider stamps them (used by the CLI's extract too)."""
        return cls.stamp(extract_reviews(body, url), source or SourceConfig(cls.name, cls.name), crawled_at)

    # --- navigation -------------------------------------------------------------------------------------

    def drama_url(self, drama: str) -> str:
        """A `dramas` entry as an absolute URL: full URLs as given, paths and ids under the base URL."""
        if drama.startswith(("http://", "https://")):
            return drama
        return f"{self.base_url}/{drama.lstrip('/')}"

    def request(self, url: str, callback, **kwargs: Any) -> scrapy.Request:
        meta = dict(kwargs.pop("meta", None) or {})
        if self.impersonate:
            meta["impersonate"] = self.impersonate
        return scrapy.Request(url, callback=callback, meta=meta, **kwargs)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.dramas:
            for drama in self.dramas:
                yield self.request(self.drama_url(drama), self.parse_drama)
            return
        yield self.request(
            f"{self.base_url}/shows/popular?page=1", self.parse_listing, cb_kwargs={"listing_page": 1}
        )

    def parse_listing(self, response: Response, listing_page: int = 1) -> Iterator[scrapy.Request]:
        self._inc("dramascore/pages/listing")
        listings, next_url = extract_listing(page_body(response), response.url)
        if not listings:
            self.logger.warning("no dramas found on listing page %s", response.url)
        for listing in listings:
            yield self.request(listing.url, self.parse_drama)
        if next_url and (self.max_listing_pages == 0 or listing_page < self.max_listing_pages):
            yield self.request(next_url, self.parse_listing, cb_kwargs={"listing_page": listing_page + 1})

    def parse_drama(self, response: Response) -> Iterator[ReviewItem | scrapy.Request]:
        self._inc("dramascore/pages/drama")
        yield from self._page(response)

    def parse_reviews(self, response: Response) -> Iterator[ReviewItem | scrapy.Request]:
        self._inc("dramascore/pages/reviews")
        yield from self._page(response)

    def _page(self, response: Response) -> Iterator[ReviewItem | scrapy.Request]:
        # Links first: the extractors share one parse of the page, and extracting the reviews edits it.
        requests = list(self._review_pages(response))
        yield from self._reviews(response)
        yield from requests

    # --- helpers ----------------------------------------------------------------------------------------

    def _reviews(self, response: Response) -> Iterator[ReviewItem]:
        body = page_body(response)
        self._inc("dramascore/review_blocks", review_block_count(body, response.url))
        yield from self.items_from_page(body, response.url, datetime.now(UTC), self.source_config)

    def _review_pages(self, response: Response) -> Iterator[scrapy.Request]:
        # Every page links its neighbours (and earlier pages); Scrapy's dupefilter fetches each once.
        for url in extract_review_page_urls(page_body(response), response.url):
            page = review_page_number(url)
            if self.max_review_pages == 0 or (page is not None and page <= self.max_review_pages):
                # Review pages of a drama that stopped changing may be revisited less often (aggregator.revisit).
                yield self.request(url, self.parse_reviews, meta={"dramascore_revisit": True})

    def _inc(self, key: str, count: int = 1) -> None:
        # A zero is still recorded: "0 blocks" is what a monitor needs to see when the markup changes.
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value(key, count)
