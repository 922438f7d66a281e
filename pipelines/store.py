"""The last stage: batches normalised reviews into the SQLAlchemy store and records the crawl run."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from scrapy import signals
from sqlalchemy import select

from aggregator.items import ReviewItem
from aggregator.store.engine import (
    make_engine,
    migrate,
    session_factory,
    write_with_retry,
)
from aggregator.store.models import CrawlRun
from aggregator.store.reviews import (
    UpsertCounts,
    finish_crawl_run,
    get_or_create_source,
    start_crawl_run,
    upsert_reviews,
)

logger = logging.getLogger(__name__)


def crawl_status(stats: dict, reason: str) -> str:
    """'finished' only for a clean close with every monitor passing; anything else is a failed run."""
    if reason != "finished" or stats.get("dramascore/monitor/failures"):
        return "failed"
    return "finished"


def close_abandoned_runs(session, spider: str, source: str, now: datetime) -> int:
    """Marks as failed the runs of this source still 'running': a new run of it means their process died.

    (The scheduler never starts two runs of one source at once.)
    """
    stale = session.scalars(select(CrawlRun).where(CrawlRun.spider == spider, CrawlRun.status == "running")).all()
    closed = 0
    for run in stale:
        if (run.stats or {}).get("dramascore/source") == source:
            run.status, run.finished_at = "failed", run.finished_at or now
            run.stats = {**run.stats, "dramascore/monitor/failures": ["the crawl process died before it finished"]}
            closed += 1
    return closed


class StorePipeline:
    """Writes reviews in batched upserts (one transaction per batch, retried when SQLite is locked)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_url = crawler.settings.get("DRAMASCORE_DB")
        self.batch_size = crawler.settings.getint("DRAMASCORE_STORE_BATCH", 200)
        # Refreshing scores at the end of a crawl can be turned off for bulk loads (then `dramascore rescore`).
        self.refresh = crawler.settings.getbool("DRAMASCORE_REFRESH_AFTER_CRAWL", True)
        self.duplicate_options = {
            "threshold": crawler.settings.getfloat("DRAMASCORE_DUPLICATE_THRESHOLD", 0.8),
            "num_perm": crawler.settings.getint("DRAMASCORE_DUPLICATE_NUM_PERM", 128),
            "shingle": crawler.settings.getint("DRAMASCORE_DUPLICATE_SHINGLE", 5),
            "min_words": crawler.settings.getint("DRAMASCORE_DUPLICATE_MIN_WORDS", 30),
        }
        self.match = {
            "accept": crawler.settings.getfloat("DRAMASCORE_MATCH_ACCEPT", 92),
            "doubt": crawler.settings.getfloat("DRAMASCORE_MATCH_DOUBT", 80),
        }
        self.batch: list[ReviewItem] = []
        self.counts = UpsertCounts()
        self.engine = None
        self.factory = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipe = cls(crawler)
        # spider_closed carries the close reason and fires after every pipeline's close_spider.
        crawler.signals.connect(pipe.spider_closed, signal=signals.spider_closed)
        return pipe

    def open_spider(self):
        self.engine = make_engine(self.db_url)
        migrate(self.engine)
        self.factory = session_factory(self.engine)
        spider = self.crawler.spider
        config = getattr(spider, "source_config", None)
        now = datetime.now(UTC)

        def begin(session):
            if config is not None:
                # The sources file is the truth about a source at crawl time (kind, site, consensus weight).
                source = get_or_create_source(session, config.name, kind=config.kind, base_url=config.base_url)
                source.kind, source.weight = config.kind, config.weight
                source.base_url = config.base_url or source.base_url
                close_abandoned_runs(session, spider.name, config.name, now)
            run = start_crawl_run(session, spider.name, started_at=now)
            # The source is known from the start, so a run whose process dies can still be attributed.
            run.stats = {"dramascore/source": config.name} if config is not None else {}
            return run.id

        self.run_id = write_with_retry(self.factory, begin)
        self.stats.set_value("dramascore/run_id", self.run_id)
        if config is not None:
            self.stats.set_value("dramascore/source", config.name)

    def process_item(self, item):
        if isinstance(item, ReviewItem):
            self.batch.append(item)
            if len(self.batch) >= self.batch_size:
                self.flush()
        return item

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        now = datetime.now(UTC)
        counts = write_with_retry(
            self.factory, lambda s: upsert_reviews(s, batch, crawl_run_id=self.run_id, seen_at=now, match=self.match)
        )
        self.counts = self.counts + counts
        self.stats.set_value("dramascore/reviews/new", self.counts.new)
        self.stats.set_value("dramascore/reviews/updated", self.counts.updated)
        self.stats.set_value("dramascore/reviews/unchanged", self.counts.unchanged)

    def close_spider(self):
        self.flush()

    def spider_closed(self, spider, reason):
        stats = self.stats.get_stats()
        status = crawl_status(stats, reason)
        drops = {
            key.removeprefix("dramascore/dropped/"): value
            for key, value in stats.items()
            if key.startswith("dramascore/dropped/")
        }
        # Every response counts, whatever a spider calls its pages in its own stats.
        pages = stats.get("response_received_count", 0)
        errors = stats.get("log_count/ERROR", 0)
        plain = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}
        write_with_retry(
            self.factory,
            lambda s: finish_crawl_run(
                s,
                self.run_id,
                status=status,
                finished_at=datetime.now(UTC),
                pages=pages,
                counts=self.counts,
                drops=drops,
                errors=errors,
                stats=plain,
            ),
        )
        self.stats.set_value("dramascore/status", status)
        if self.counts.drama_ids and self.refresh:
            self.refresh_dramas(self.counts.drama_ids)
        self.engine.dispose()

    def refresh_dramas(self, drama_ids: set[int]) -> None:
        """Duplicates, then the consensus, of the dramas this crawl wrote reviews for (one transaction)."""
        from aggregator.scoring import Params
        from aggregator.store.consensus import refresh_consensus
        from aggregator.store.duplicates import refresh_duplicates

        params = Params.from_settings(self.crawler.settings)

        def refresh(session):
            dupes = refresh_duplicates(session, drama_ids, **self.duplicate_options)
            return dupes, refresh_consensus(session, drama_ids, params)

        dupes, scored = write_with_retry(self.factory, refresh)
        self.stats.set_value("dramascore/consensus/refreshed", scored)
        for rule, n in (dupes.get("links") or {}).items():
            self.stats.set_value(f"dramascore/duplicates/{rule}", n)
