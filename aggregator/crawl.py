"""Running crawls in this process and reading back what each one did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from aggregator.sources import SourceConfig


@dataclass
class CrawlResult:
    """What one spider's crawl did, read from its stats after it closed."""

    spider: str
    status: str
    """'finished' or 'failed' (a bad close reason or a failed coverage check)."""
    reason: str
    pages: int
    reviews: int
    new: int
    updated: int
    unchanged: int
    errors: int
    drops: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    run_id: int | None = None

    @classmethod
    def from_stats(cls, spider: str, stats: Mapping) -> CrawlResult:
        reason = stats.get("finish_reason", "not started")
        failures = list(stats.get("dramascore/monitor/failures") or [])
        status = stats.get("dramascore/status") or "failed"
        if reason != "finished" and not failures:
            failures.append(f"spider closed: {reason}")
        return cls(
            spider=spider,
            status=status,
            reason=reason,
            pages=stats.get("response_received_count", 0),
            reviews=stats.get("item_scraped_count", 0),
            new=stats.get("dramascore/reviews/new", 0),
            updated=stats.get("dramascore/reviews/updated", 0),
            unchanged=stats.get("dramascore/reviews/unchanged", 0),
            errors=stats.get("log_count/ERROR", 0),
            drops={
                k.removeprefix("dramascore/dropped/"): v
                for k, v in stats.items()
                if k.startswith("dramascore/dropped/")
            },
            failures=failures,
            run_id=stats.get("dramascore/run_id"),
        )

    @property
    def ok(self) -> bool:
        return self.status == "finished"


def project_settings(overrides: Mapping | None = None) -> Settings:
    """The project's Scrapy settings with command-line overrides applied."""
    settings = get_project_settings()
    settings.setmodule("aggregator.settings", priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def state_dir(settings: Settings, *parts: str) -> Path:
    """A directory under DRAMASCORE_STATE_DIR (default ./.dramascore), absolute so Scrapy uses it as given."""
    return Path(settings.get("DRAMASCORE_STATE_DIR") or ".dramascore").resolve().joinpath(*parts)


def source_settings(settings: Settings, source: SourceConfig) -> dict:
    """Settings one source's crawler gets on top of the shared ones (HTTP cache and crash journal dirs)."""
    out: dict = {}
    if settings.getbool("DRAMASCORE_HTTPCACHE"):
        # Revalidate every page (RFC 2616 rules): an unchanged page costs a 304 and is parsed from the cache.
        out.update(
            HTTPCACHE_ENABLED=True,
            HTTPCACHE_POLICY="scrapy.extensions.httpcache.RFC2616Policy",
            HTTPCACHE_DIR=str(state_dir(settings, "cache", source.name)),
            HTTPCACHE_EXPIRATION_SECS=0,
            # Incremental crawls also revisit review pages of dramas that stopped changing less often.
            DRAMASCORE_REVISIT_LEDGER=str(state_dir(settings, "revisit", f"{source.name}.sqlite")),
        )
    if settings.getbool("DRAMASCORE_RESUMABLE"):
        # aggregator.jobs: a crash-safe request journal; a page is done once its items are committed,
        # which batch size 1 makes true as soon as an item has passed the store.
        middlewares = {**settings.getdict("SPIDER_MIDDLEWARES"), "aggregator.jobs.JournalMiddleware": 1}
        out.update(
            SCHEDULER="aggregator.jobs.JournalScheduler",
            SPIDER_MIDDLEWARES=middlewares,
            DRAMASCORE_JOB_DIR=str(state_dir(settings, "jobs", source.name)),
            DRAMASCORE_STORE_BATCH=1,
        )
    return out


def spider_names(settings: Settings | None = None) -> list[str]:
    from scrapy.spiderloader import get_spider_loader

    return sorted(get_spider_loader(settings or project_settings()).list())


def run_crawls(
    sources: Sequence[SourceConfig],
    *,
    overrides: Mapping | None = None,
    spider_args: Mapping[str, str] | None = None,
) -> list[CrawlResult]:
    """Crawl each source with its spider kind (concurrently, in this process); one result per source.

    Twisted's reactor cannot restart, so call this once per process.
    """
    settings = project_settings(overrides)
    known = spider_names(settings)
    unknown = sorted({s.kind for s in sources if s.kind not in known})
    if unknown:
        raise ValueError(f"no spider for kind(s) {', '.join(unknown)}; known: {', '.join(known)}")
    process = CrawlerProcess(settings)
    crawlers = []
    for source in sources:
        crawler = process.create_crawler(source.kind)
        for key, value in source_settings(settings, source).items():
            crawler.settings.set(key, value, priority="cmdline")
        crawlers.append((source, crawler))
        process.crawl(crawler, source=source, **dict(spider_args or {}))
    process.start()
    return [CrawlResult.from_stats(source.name, crawler.stats.get_stats()) for source, crawler in crawlers]
