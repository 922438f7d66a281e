"""What every dramascore spider shares: its source's configuration and the stamping of items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import scrapy

from aggregator.items import ReviewItem
from aggregator.sources import SourceConfig, SourcesError, load_sources, source_by_name


def page_body(response) -> str | bytes:
    """A response's body for the extractors: decoded text (honouring its declared encoding), else raw bytes."""
    text = getattr(response, "text", None)
    return text if isinstance(text, str) else response.body


def resolve_source(settings, kind: str, source: str | SourceConfig | None) -> SourceConfig:
    """The SourceConfig a spider of `kind` crawls: given directly, named (-a source=NAME), or the kind's default.

    Named sources come from DRAMASCORE_SOURCES (a TOML path; default ./sources.toml or the shipped file).
    Without a name, the first source of this kind is used, or a bare one named after the kind.
    """
    if isinstance(source, SourceConfig):
        found = source
    else:
        sources = load_sources(settings.get("DRAMASCORE_SOURCES"))
        if source:
            found = source_by_name(sources, source)
        else:
            found = next((s for s in sources if s.kind == kind), SourceConfig(name=kind, kind=kind))
    if found.kind != kind:
        raise SourcesError(f"source {found.name!r} is of kind {found.kind!r}, not {kind!r}")
    return found


class SourceSpider(scrapy.Spider):
    """A spider that crawls one configured source; subclasses set `name` (the kind) and navigate."""

    default_language: str | None = None

    def __init__(self, *args: Any, source: str | SourceConfig | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._source_arg = source
        self.source_config = source if isinstance(source, SourceConfig) else SourceConfig(name=self.name, kind=self.name)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source_config = resolve_source(crawler.settings, cls.name, spider._source_arg)
        # A base-URL setting (tests, the demo) overrides the file, so one source can point at 127.0.0.1.
        override = crawler.settings.get(f"{cls.name.upper()}_BASE_URL")
        base = override or spider.source_config.base_url
        spider.base_url = base.rstrip("/")
        return spider

    @property
    def source(self) -> str:
        return self.source_config.name

    def option(self, key: str, setting: str | None = None, default: Any = None) -> Any:
        """A crawl option: the source's value, else the Scrapy setting's, else `default`."""
        value = self.source_config.option(key)
        if value is None and setting is not None:
            value = self.settings.get(setting)
        return default if value is None else value

    @classmethod
    def stamp(cls, items: list[ReviewItem], source: SourceConfig, crawled_at: datetime) -> list[ReviewItem]:
        """Marks items as read from `source` at `crawled_at` (shared by callbacks and `dramascore extract`)."""
        for item in items:
            item.source = source.name
            item.crawled_at = crawled_at
            item.language = item.language or source.language or cls.default_language
        return items
