"""Offline extraction: run a spider's page extraction and every normaliser on a saved page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapy.spiderloader import get_spider_loader

from aggregator.crawl import project_settings
from aggregator.items import ReviewItem
from pipelines.apply import NormaliseConfig, normalise_item
from spiders.base import resolve_source


def extract_file(
    spider: str, url: str, path: Path, *, source: str | None = None, crawled_at: datetime | None = None
) -> list[ReviewItem]:
    """Reviews of a saved page, normalised exactly as a crawl of `source` (default: the kind's first) would.

    Each spider exposes `items_from_page(body, url, crawled_at, source)`, the function its callbacks use.
    Relative dates resolve against `crawled_at` (default: now, as if the page was fetched now).
    """
    settings = project_settings()
    try:
        spidercls = get_spider_loader(settings).load(spider)
    except KeyError:
        raise LookupError(f"unknown spider {spider!r}") from None
    items_from_page = getattr(spidercls, "items_from_page", None)
    if items_from_page is None:
        raise LookupError(f"spider {spider!r} has no items_from_page(body, url, crawled_at)")
    config = resolve_source(settings, spider, source)
    body = path.read_bytes()
    cfg = NormaliseConfig.from_settings(settings, [config])
    when = crawled_at or datetime.now(UTC)
    return [normalise_item(item, cfg) for item in items_from_page(body, url, when, config)]
