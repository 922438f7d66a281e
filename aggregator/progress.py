"""Scrapy extension: progress while a crawl runs (pages, reviews, drops, rate).

On a terminal it rewrites one status line on stderr; otherwise (cron, CI, systemd) it logs plain lines.
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)


def progress_line(stats: dict, elapsed: float) -> str:
    """One line of progress from crawler stats: 'pages 12 | reviews 40 | dropped 1 | 3.2 pages/s'."""
    pages = stats.get("response_received_count", 0)
    items = stats.get("item_scraped_count", 0)
    dropped = stats.get("item_dropped_count", 0)
    rate = pages / elapsed if elapsed > 0 else 0.0
    return f"pages {pages} | reviews {items} | dropped {dropped} | {rate:.1f} pages/s"


class ProgressExtension:
    def __init__(self, crawler, interval: float, interactive: bool):
        self.crawler = crawler
        self.interval = interval
        self.interactive = interactive
        self.started = time.monotonic()
        self.task = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("DRAMASCORE_PROGRESS_INTERVAL")
        if not interval:
            raise NotConfigured
        ext = cls(crawler, interval, sys.stderr.isatty())
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started = time.monotonic()
        self.task = create_looping_call(self.report)
        self.task.start(self.interval, now=False)

    def report(self):
        line = f"{self.crawler.spider.name}: " + progress_line(
            self.crawler.stats.get_stats(), time.monotonic() - self.started
        )
        if self.interactive:
            sys.stderr.write("\r\033[K" + line)
            sys.stderr.flush()
        else:
            logger.info(line)

    def spider_closed(self, spider, reason):
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.interactive:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
