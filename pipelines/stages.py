"""Scrapy pipeline stages: one concern each; drops raise DropItem and count `dramascore/dropped/<reason>`."""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from aggregator.items import ReviewItem
from pipelines import apply

logger = logging.getLogger(__name__)


class _Stage:
    """Holds the crawler's stats and the per-source normalisation config."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self._cfg: apply.NormaliseConfig | None = None

    @property
    def cfg(self) -> apply.NormaliseConfig:
        # Built on first use: the spider (and so its source configuration) may not exist at construction.
        if self._cfg is None:
            source = getattr(self.crawler.spider, "source_config", None)
            self._cfg = apply.NormaliseConfig.from_settings(self.crawler.settings, [source] if source else [])
        return self._cfg

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def count(self, key: str) -> None:
        self.stats.inc_value(key)


class RequiredFieldsPipeline(_Stage):
    """Drops what cannot become a stored review, with the reason counted."""

    def process_item(self, item):
        if not isinstance(item, ReviewItem):
            return item
        reason = None
        if not (item.source and item.source_review_id):
            reason = "missing_id"
        elif not (item.drama_title or item.drama_site_id):
            reason = "missing_drama"
        elif not (item.body_raw or item.score_raw or item.episode_scores):
            reason = "empty_review"
        if reason:
            self.count(f"dramascore/dropped/{reason}")
            raise DropItem(f"{reason}: {item.source}:{item.source_review_id} at {item.url}")
        return item


class _StepStage(_Stage):
    """Applies one normalisation step from `pipelines.apply` to review items."""

    step = staticmethod(lambda item, cfg, count: None)

    def process_item(self, item):
        if isinstance(item, ReviewItem):
            self.step(item, self.cfg, self.count)
        return item


class AuthorPipeline(_StepStage):
    step = staticmethod(apply.normalise_author)


class TextPipeline(_StepStage):
    step = staticmethod(apply.normalise_text)


class DatePipeline(_StepStage):
    step = staticmethod(apply.normalise_date)


class ScorePipeline(_StepStage):
    step = staticmethod(apply.normalise_scores)


class SpoilerPipeline(_StepStage):
    step = staticmethod(apply.normalise_spoiler)


class WatchStatusPipeline(_StepStage):
    step = staticmethod(apply.normalise_status)


# Fields whose coverage is watched, and the item attribute that must be non-null for each.
COVERED_FIELDS = {
    "drama": "drama_title",
    "author": "author_handle",
    "date": "published_at",
    "score": "score",
    "body": "body",
}


class CoveragePipeline(_Stage):
    """Counts how many kept items have each watched field, and fails the crawl loudly when coverage drops.

    A selector that silently returns nothing is the worst bug a scraper has: when a site changes its markup,
    items keep flowing with one field empty. Thresholds are per field in DRAMASCORE_MIN_COVERAGE (0-1);
    a source without scores sets its score threshold to 0 in DRAMASCORE_MIN_COVERAGE_BY_SOURCE.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.min_items = settings.getint("DRAMASCORE_MIN_ITEMS")
        self.thresholds = dict(settings.getdict("DRAMASCORE_MIN_COVERAGE"))
        self.by_kind = settings.getdict("DRAMASCORE_MIN_COVERAGE_BY_KIND")
        self.by_source = settings.getdict("DRAMASCORE_MIN_COVERAGE_BY_SOURCE")
        self.sources: set[str] = set()

    def process_item(self, item):
        if isinstance(item, ReviewItem):
            self.count("dramascore/coverage/items")
            self.sources.add(item.source)
            for name, attr in COVERED_FIELDS.items():
                if getattr(item, attr) is not None:
                    self.count(f"dramascore/coverage/{name}")
        return item

    def failures(self) -> list[str]:
        """Reasons the crawl's output is not trustworthy; empty when all checks pass."""
        get = self.stats.get_value
        items = get("dramascore/coverage/items", 0)
        blocks = get("dramascore/review_blocks", 0)
        out = []
        if blocks and not items:
            out.append(f"review blocks seen on pages ({blocks}) but no review kept")
        # A resumed crawl may have little left to do: its earlier runs stored the rest.
        if items < self.min_items and not self.stats.get_value("dramascore/jobs/resumed"):
            out.append(f"only {items} reviews kept, minimum is {self.min_items}")
        if not items:
            return out
        thresholds = dict(self.thresholds)
        kind = getattr(self.crawler.spider, "name", None)
        thresholds.update(self.by_kind.get(kind, {}))
        for source in self.sources:
            thresholds.update(self.by_source.get(source, {}))
        for name, minimum in thresholds.items():
            ratio = get(f"dramascore/coverage/{name}", 0) / items
            self.stats.set_value(f"dramascore/coverage_ratio/{name}", round(ratio, 4))
            if ratio < float(minimum):
                out.append(f"field '{name}' found in {ratio:.0%} of reviews, minimum is {float(minimum):.0%}")
        return out

    def close_spider(self):
        failures = self.failures()
        for reason in failures:
            logger.error("Coverage check failed: %s", reason)
        self.stats.set_value("dramascore/monitor/failures", failures)
