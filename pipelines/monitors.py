"""Crawl monitors beyond field coverage: drop rate, error rate, and a comparison with the previous run.

`MonitorPipeline` is `CoveragePipeline` plus these checks; it takes CoveragePipeline's place in ITEM_PIPELINES
(one stage, so the order in which Scrapy closes pipelines cannot let one check overwrite another's result).
All failures go to the stats key ``dramascore/monitor/failures``, which makes the run 'failed' in the store
(pipelines/store.py) and `dramascore crawl` exit 1.

Settings (fractions 0-1; a negative value turns that check off):

* DRAMASCORE_MONITOR_MAX_DROP_RATE: items dropped / items seen (kept + dropped).
* DRAMASCORE_MONITOR_MAX_ERROR_RATE: (ERROR log lines + spider exceptions + download errors) / requests.
* DRAMASCORE_MONITOR_MAX_VOLUME_FALL: reviews kept, as a fall from the same source's previous finished run.
* DRAMASCORE_MONITOR_MAX_COVERAGE_FALL: per-field coverage, fall in points (0.2 = 20 points) from that run.

The previous run is only a fair reference when it crawled the same thing: runs are compared only when their
scope (the spider's ``monitor_scope`` or its ``dramas`` argument) is the same.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from pipelines.stages import CoveragePipeline

logger = logging.getLogger(__name__)

FAILURES = "dramascore/monitor/failures"
SCOPE = "dramascore/monitor/scope"
# How many of the spider's latest runs are searched for the source's previous finished run.
PREVIOUS_RUNS_SEARCHED = 50


def scope_of(spider) -> str:
    """What a crawl covered, so that a one-drama crawl is not compared with a full one."""
    scope = getattr(spider, "monitor_scope", None)
    if scope is None:
        scope = getattr(spider, "dramas", None) or ""
    if isinstance(scope, (list, tuple, set)):
        scope = ",".join(sorted(str(s) for s in scope))
    return str(scope)


def previous_run_stats(db_url: str, spider: str, source: str | None, scope: str, exclude: int | None) -> tuple[int, dict] | None:
    """(id, stats) of the source's latest finished run with the same scope, other than run `exclude`."""
    from aggregator.store.engine import make_engine, session_factory
    from aggregator.store.models import CrawlRun

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            query = (
                select(CrawlRun.id, CrawlRun.stats)
                .where(CrawlRun.spider == spider, CrawlRun.status == "finished")
                .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                .limit(PREVIOUS_RUNS_SEARCHED)
            )
            for run_id, stats in session.execute(query):
                stats = stats or {}
                # The source name lives in the stats (pipelines/store.py); crawl_runs only has the spider kind.
                if run_id == exclude or stats.get("dramascore/source") != source:
                    continue
                if (stats.get(SCOPE) or "") != scope:
                    continue
                return run_id, stats
    finally:
        engine.dispose()
    return None


def _kept(stats: dict) -> int:
    return int(stats.get("dramascore/coverage/items", stats.get("item_scraped_count", 0)) or 0)


class MonitorPipeline(CoveragePipeline):
    """Coverage checks plus drop rate, error rate and the fall from the previous finished run."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.max_drop_rate = settings.getfloat("DRAMASCORE_MONITOR_MAX_DROP_RATE", 0.25)
        self.max_error_rate = settings.getfloat("DRAMASCORE_MONITOR_MAX_ERROR_RATE", 0.1)
        self.max_volume_fall = settings.getfloat("DRAMASCORE_MONITOR_MAX_VOLUME_FALL", 0.5)
        self.max_coverage_fall = settings.getfloat("DRAMASCORE_MONITOR_MAX_COVERAGE_FALL", 0.2)
        self.db_url = settings.get("DRAMASCORE_DB")

    def failures(self) -> list[str]:
        # Coverage first: it sets the coverage ratios the comparison reads.
        return super().failures() + self.rate_failures() + self.previous_run_failures()

    def rate_failures(self) -> list[str]:
        get = self.stats.get_value
        out = []
        dropped = get("item_dropped_count", 0)
        seen = dropped + get("item_scraped_count", 0)
        if seen:
            rate = dropped / seen
            self.stats.set_value("dramascore/monitor/drop_rate", round(rate, 4))
            if 0 <= self.max_drop_rate < rate:
                reasons = self._drop_reasons()
                out.append(
                    f"drop rate {rate:.0%} ({dropped} of {seen} items dropped{reasons}), "
                    f"maximum is {self.max_drop_rate:.0%}"
                )
        # Deliberately pessimistic: a failed download is often also an ERROR line, so it may count twice.
        errors = get("log_count/ERROR", 0) + get("spider_exceptions/count", 0) + get("downloader/exception_count", 0)
        requests = max(get("downloader/request_count", 0), get("response_received_count", 0))
        if requests:
            rate = errors / requests
            self.stats.set_value("dramascore/monitor/error_rate", round(rate, 4))
            if 0 <= self.max_error_rate < rate:
                out.append(
                    f"error rate {rate:.0%} ({errors} errors for {requests} requests), "
                    f"maximum is {self.max_error_rate:.0%}"
                )
        return out

    def _drop_reasons(self) -> str:
        reasons = {
            k.removeprefix("dramascore/dropped/"): v
            for k, v in self.stats.get_stats().items()
            if k.startswith("dramascore/dropped/")
        }
        return (": " + ", ".join(f"{k}={v}" for k, v in sorted(reasons.items()))) if reasons else ""

    def previous_run_failures(self) -> list[str]:
        spider = self.crawler.spider
        # A resumed crawl is a fragment of one crawl: its volume says nothing, and it must not become the
        # reference a later full crawl is judged against, so it gets a scope of its own.
        resumed = bool(self.stats.get_value("dramascore/jobs/resumed"))
        scope = scope_of(spider) + (" (resumed)" if resumed else "")
        self.stats.set_value(SCOPE, scope)
        if spider is None or not self.db_url or (self.max_volume_fall < 0 and self.max_coverage_fall < 0):
            return []
        config = getattr(spider, "source_config", None)
        source = config.name if config is not None else self.stats.get_value("dramascore/source")
        try:
            found = previous_run_stats(
                self.db_url, spider.name, source, scope, exclude=self.stats.get_value("dramascore/run_id")
            )
        except SQLAlchemyError as exc:  # the store may be unreachable: say so, do not hide the other checks
            logger.warning("previous-run comparison skipped: %s", exc)
            self.stats.set_value("dramascore/monitor/previous_run_error", str(exc))
            return []
        if found is None:
            return []
        run_id, previous = found
        self.stats.set_value("dramascore/monitor/previous_run", run_id)
        out = []
        now, before = _kept(self.stats.get_stats()), _kept(previous)
        if before and 0 <= self.max_volume_fall and not resumed:
            change = (now - before) / before
            if change < -self.max_volume_fall:
                out.append(
                    f"reviews: {now} kept, previous finished run #{run_id} kept {before} "
                    f"({change:+.0%}, tolerance -{self.max_volume_fall:.0%})"
                )
        if now and 0 <= self.max_coverage_fall:
            for key, value in sorted(self.stats.get_stats().items()):
                if not key.startswith("dramascore/coverage_ratio/") or key not in previous:
                    continue
                name = key.removeprefix("dramascore/coverage_ratio/")
                fall = float(previous[key]) - float(value)
                if fall > self.max_coverage_fall + 1e-9:
                    out.append(
                        f"field '{name}' coverage {float(value):.0%}, previous finished run #{run_id} had "
                        f"{float(previous[key]):.0%} (-{fall * 100:.0f} points, tolerance -{self.max_coverage_fall * 100:.0f})"
                    )
        return out
