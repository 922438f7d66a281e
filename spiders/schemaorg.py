"""Generic schema.org spider: fetches a configured list of page URLs and yields the reviews their structured
data (JSON-LD, microdata, RDFa) declares; every page is read by ``spiders.extractors.schemaorg``.

Configure a source of kind ``schemaorg`` with ``urls = [...]`` (or ``-a urls=URL1,URL2``). Full URLs are
fetched as given; relative ones are put under the source's base URL (which may carry a path prefix), and
are skipped with a warning when there is none.

Stats: ``dramascore/pages/schemaorg``, ``dramascore/review_blocks`` (review objects found in the structured
data), ``dramascore/schemaorg/no_reviews`` (pages without any, each also logged with its URL),
``dramascore/schemaorg/bad_jsonld`` (JSON-LD blocks that could not be read), and, when they happen,
``dramascore/schemaorg/{repaired_jsonld,empty_reviews,duplicates,syntax_errors,bad_url,no_urls}``.
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
from spiders.extractors.schemaorg import extract_reviews_with_report



class SchemaOrgSpider(SourceSpider):
    """Fetches each configured URL once and yields the schema.org reviews found on it."""

    name = "schemaorg"

    def __init__(self, urls: str | Iterable[str] | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(urls, str):
            urls = urls.split(",")
        self.urls: list[str] = [u.strip() for u in (urls or []) if isinstance(u, str) and u.strip()]
        self.base_url = ""

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> SchemaOrgSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # A spider argument wins over the source file.
        spider.urls = spider.urls or [u.strip() for u in spider.option("urls", default=[]) if u.strip()]
        return spider

    # --- shared with `dramascore extract` --------------------------------------------------------------

    @classmethod
    def items_from_page(
        cls,
        body: str | bytes,
        url: str,
        crawled_at: datetime,
        source: SourceConfig | None = None,
        *,
        report: dict | None = None,
    ) -> list[ReviewItem]:
        """The raw reviews of one page, stamped; `report` (if given) receives the extraction report."""
        items, found = extract_reviews_with_report(body, url)
        if report is not None:
            report.update(found)
        return cls.stamp(items, source or SourceConfig(cls.name, cls.name), crawled_at)

    # --- navigation -------------------------------------------------------------------------------------

    def page_url(self, url: str) -> str | None:
        """A `urls` entry as an absolute URL: full URLs as given, others under the base URL (None without one)."""
        if url.startswith(("http://", "https://")):
            return url
        if not self.base_url:
            return None
        return f"{self.base_url}/{url.lstrip('/')}"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.urls:
            self._inc("dramascore/schemaorg/no_urls")
            self.logger.warning("source %r lists no urls: nothing to crawl", self.source)
        for entry in self.urls:
            url = self.page_url(entry)
            if url is None:
                self._inc("dramascore/schemaorg/bad_url")
                self.logger.warning("skipping relative url %r: source %r has no base_url", entry, self.source)
                continue
            yield scrapy.Request(url, callback=self.parse_page)

    def parse_page(self, response: Response) -> Iterator[ReviewItem]:
        self._inc("dramascore/pages/schemaorg")
        report: dict = {}
        items = self.items_from_page(
            page_body(response), response.url, datetime.now(UTC), self.source_config, report=report
        )
        # Zeros are recorded too: "0 review objects" is what a monitor needs to see when a site drops its markup.
        self._inc("dramascore/review_blocks", report.get("review_nodes", 0))
        self._inc("dramascore/schemaorg/bad_jsonld", report.get("bad_jsonld", 0))
        for key in ("repaired_jsonld", "empty_reviews", "duplicates", "syntax_errors"):
            if report.get(key):
                self._inc(f"dramascore/schemaorg/{key}", report[key])
        if report.get("errors"):
            self.logger.warning("structured data problems on %s: %s", response.url, "; ".join(report["errors"]))
        if not items:
            self._inc("dramascore/schemaorg/no_reviews")
            self.logger.warning("no schema.org reviews on %s", response.url)
        yield from items

    def _inc(self, key: str, count: int = 1) -> None:
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value(key, count)
