"""Revisit review pages of dramas that stopped changing less often (a per-source ledger of page changes).

Spiders mark revisitable requests with ``meta["dramascore_revisit"] = True`` (MyDramaList's review pages).
For each such URL the ledger keeps when its body last changed and when it was last fetched. A page unchanged
for DRAMASCORE_REVISIT_STALE_DAYS is fetched again only once DRAMASCORE_REVISIT_EVERY_DAYS have passed since
its last fetch; until then the request is skipped and counted (``dramascore/revisit/skipped``), never lost
silently. ``dramascore crawl --full`` (DRAMASCORE_REVISIT_ALL) fetches everything.

The HTTP cache cannot carry this: on a 304 Scrapy hands back the cached response without storing it again,
so the cache never learns when a page was last confirmed unchanged.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

DAY = 86_400.0
META = "dramascore_revisit"


class RevisitLedger:
    """url -> (body hash, last changed, last fetched), in one SQLite file per source."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, digest TEXT, changed REAL, fetched REAL)"
        )

    def due(self, url: str, now: float, stale_after: float, every: float) -> bool:
        """Whether the page should be fetched now."""
        row = self.db.execute("SELECT changed, fetched FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return True
        changed, fetched = row
        return (now - changed) < stale_after or (now - fetched) >= every

    def record(self, url: str, body: bytes, now: float) -> bool:
        """Notes a fetch; returns whether the body changed since the last one."""
        digest = hashlib.sha256(body).hexdigest()
        row = self.db.execute("SELECT digest FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None or row[0] != digest:
            self.db.execute(
                "INSERT INTO pages VALUES (?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET digest = excluded.digest, "
                "changed = excluded.changed, fetched = excluded.fetched",
                (url, digest, now, now),
            )
            return True
        self.db.execute("UPDATE pages SET fetched = ? WHERE url = ?", (now, url))
        return False

    def close(self) -> None:
        self.db.close()


class RevisitMiddleware:
    """Downloader middleware applying the ledger to requests marked revisitable."""

    def __init__(self, crawler, path: Path, stale_after: float, every: float, clock=time.time):
        self.crawler = crawler
        self.stats = crawler.stats
        self.ledger = RevisitLedger(path)
        self.stale_after, self.every, self.clock = stale_after, every, clock

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        path = settings.get("DRAMASCORE_REVISIT_LEDGER")
        if not path or settings.getbool("DRAMASCORE_REVISIT_ALL"):
            raise NotConfigured
        mw = cls(
            crawler,
            Path(path),
            settings.getfloat("DRAMASCORE_REVISIT_STALE_DAYS", 30) * DAY,
            settings.getfloat("DRAMASCORE_REVISIT_EVERY_DAYS", 7) * DAY,
        )
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def process_request(self, request):
        if request.meta.get(META) and not self.ledger.due(request.url, self.clock(), self.stale_after, self.every):
            self.stats.inc_value("dramascore/revisit/skipped")
            raise IgnoreRequest(f"unchanged for long, fetched recently: {request.url}")
        return None

    def process_response(self, request, response):
        if request.meta.get(META) and response.status == 200:
            changed = self.ledger.record(request.url, response.body, self.clock())
            self.stats.inc_value(f"dramascore/revisit/{'changed' if changed else 'unchanged'}")
        return response

    def spider_closed(self, spider):
        self.ledger.close()
