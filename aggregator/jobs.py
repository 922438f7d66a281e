"""Crawls that survive a crash: a per-source journal of requests, committed as the crawl goes.

Scrapy's own JOBDIR is not crash-safe: its queue index and spider state are written only on a clean close,
and its dupefilter marks a request seen when it is *scheduled*. After a SIGKILL a resumed crawl skips
requests that were seen but never fetched, and pages whose items sat in the store's unflushed batch.

The journal (SQLite in ``<job dir>/journal.sqlite``, one autocommitted statement per change) keeps every
request with a state: pending, sent, done. A page becomes *done* only once everything it produced is
durable: each child request is in the journal and each item has been through the pipelines, the store
included (the runner sets ``DRAMASCORE_STORE_BATCH = 1`` for resumable crawls, so an item that has passed
the store is committed). On start, requests that were sent but not done are pending again: those pages are
fetched once more, and the store's upserts per (source, review id) make their items land once. A crawl that
finishes cleanly deletes its journal, so the next scheduled crawl starts from the beginning.
"""

from __future__ import annotations

import logging
import pickle
import shutil
import sqlite3
from pathlib import Path

from scrapy import Request, signals
from scrapy.utils.request import request_from_dict

logger = logging.getLogger(__name__)

PENDING, SENT, DONE = 0, 1, 2
PARENT = "dramascore_journal_parent"
SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fp TEXT NOT NULL,
    priority INTEGER NOT NULL,
    state INTEGER NOT NULL,
    request BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_fp ON requests (fp);
CREATE INDEX IF NOT EXISTS requests_next ON requests (state, priority DESC, id);
"""


class Journal:
    """One crawler's request journal and the bookkeeping of which pages' output is fully durable."""

    def __init__(self, crawler, job_dir: Path):
        self.crawler = crawler
        self.job_dir = job_dir
        self.db: sqlite3.Connection | None = None
        # Per fingerprint of a page being processed: outputs not yet durable, and whether its callback ended.
        self.outstanding: dict[str, int] = {}
        self.finished: set[str] = set()
        self.pending = 0

    @classmethod
    def for_crawler(cls, crawler) -> Journal:
        """The crawler's journal (the scheduler and the spider middleware share it)."""
        journal = getattr(crawler, "_dramascore_journal", None)
        if journal is None:
            job_dir = Path(crawler.settings["DRAMASCORE_JOB_DIR"])
            journal = crawler._dramascore_journal = cls(crawler, job_dir)
            for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
                crawler.signals.connect(journal.item_done, signal=signal)
        return journal

    def fingerprint(self, request: Request) -> str:
        return self.crawler.request_fingerprinter.fingerprint(request).hex()

    # --- the journal ----------------------------------------------------------------------------------

    def open(self) -> None:
        self.job_dir.mkdir(parents=True, exist_ok=True)
        path = self.job_dir / "journal.sqlite"
        resumed = path.exists()
        # Autocommit: each statement is durable once it returns (WAL survives a killed process).
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        # Pages in flight when the last process died were never confirmed: fetch them again.
        again = self.db.execute("UPDATE requests SET state = ? WHERE state = ?", (PENDING, SENT)).rowcount
        counts = dict(self.db.execute("SELECT state, count(*) FROM requests GROUP BY state").fetchall())
        self.pending = counts.get(PENDING, 0)
        stats = self.crawler.stats
        if resumed and counts:
            stats.set_value("dramascore/jobs/resumed", 1)
            stats.set_value("dramascore/jobs/done_before", counts.get(DONE, 0))
            stats.set_value("dramascore/jobs/pending_before", self.pending)
            stats.set_value("dramascore/jobs/refetched", again)
            logger.info(
                "resuming the crawl journal in %s: %d pages done, %d pending (%d were in flight)",
                self.job_dir, counts.get(DONE, 0), self.pending, again,
            )

    def close(self, reason: str) -> None:
        if self.db is None:
            return
        self.db.close()
        self.db = None
        if reason == "finished":
            # Done: the next crawl of this source starts afresh rather than resuming an empty frontier.
            shutil.rmtree(self.job_dir, ignore_errors=True)

    def add(self, request: Request) -> bool:
        """Journal a request; False when it was already journaled (the dupefilter's job, made durable)."""
        parent = request.meta.pop(PARENT, None)
        fp = self.fingerprint(request)
        try:
            row = self.db.execute("SELECT id, state FROM requests WHERE fp = ? ORDER BY id DESC", (fp,)).fetchone()
            if row is not None and not request.dont_filter:
                self.crawler.stats.inc_value("dramascore/jobs/filtered")
                return False
            blob = pickle.dumps(request.to_dict(spider=self.crawler.spider), protocol=4)
            if row is not None and row[1] != DONE:
                # A retry (dont_filter) of a journaled page takes over its row: one row per page to confirm.
                self.db.execute(
                    "UPDATE requests SET request = ?, priority = ?, state = ? WHERE id = ?",
                    (blob, request.priority, PENDING, row[0]),
                )
                self.pending += row[1] == SENT
            else:
                self.db.execute(
                    "INSERT INTO requests (fp, priority, state, request) VALUES (?, ?, ?, ?)",
                    (fp, request.priority, PENDING, blob),
                )
                self.pending += 1
            return True
        finally:
            # The child is durable (or a duplicate): one output of its parent page less to wait for.
            if parent is not None:
                self._settle(parent)

    def next(self) -> Request | None:
        row = self.db.execute(
            "SELECT id, request FROM requests WHERE state = ? ORDER BY priority DESC, id LIMIT 1", (PENDING,)
        ).fetchone()
        if row is None:
            return None
        self.db.execute("UPDATE requests SET state = ? WHERE id = ?", (SENT, row[0]))
        self.pending -= 1
        return request_from_dict(pickle.loads(row[1]), spider=self.crawler.spider)

    # --- when a page's output is durable --------------------------------------------------------------

    def expect(self, fp: str) -> None:
        self.outstanding[fp] = self.outstanding.get(fp, 0) + 1

    def callback_done(self, fp: str) -> None:
        self.finished.add(fp)
        self.outstanding.setdefault(fp, 0)
        self._check(fp)

    def item_done(self, item=None, response=None, **kwargs) -> None:
        request = getattr(response, "request", None)
        if request is not None:
            self._settle(self.fingerprint(request))

    def _settle(self, fp: str) -> None:
        if fp in self.outstanding:
            self.outstanding[fp] -= 1
            self._check(fp)

    def _check(self, fp: str) -> None:
        if fp in self.finished and self.outstanding.get(fp, 0) <= 0 and self.db is not None:
            self.db.execute("UPDATE requests SET state = ? WHERE fp = ? AND state = ?", (DONE, fp, SENT))
            self.finished.discard(fp)
            self.outstanding.pop(fp, None)
            self.crawler.stats.inc_value("dramascore/jobs/pages_done")


class JournalScheduler:
    """A Scrapy scheduler whose frontier and seen-set are the journal (SCHEDULER = this class)."""

    def __init__(self, journal: Journal, stats):
        self.journal = journal
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler) -> JournalScheduler:
        return cls(Journal.for_crawler(crawler), crawler.stats)

    def open(self, spider) -> None:
        self.journal.open()

    def close(self, reason: str) -> None:
        self.journal.close(reason)

    def has_pending_requests(self) -> bool:
        return self.journal.pending > 0

    def enqueue_request(self, request: Request) -> bool:
        added = self.journal.add(request)
        if added:
            self.stats.inc_value("scheduler/enqueued")
        return added

    def next_request(self) -> Request | None:
        request = self.journal.next()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued")
        return request

    def __len__(self) -> int:
        return self.journal.pending


class JournalMiddleware:
    """Spider middleware (nearest the engine): counts what each page yields so the journal knows when it is durable."""

    def __init__(self, journal: Journal):
        self.journal = journal

    @classmethod
    def from_crawler(cls, crawler) -> JournalMiddleware:
        return cls(Journal.for_crawler(crawler))

    async def process_spider_output_async(self, response, result):
        fp = self.journal.fingerprint(response.request)
        try:
            async for output in result:
                yield self._count(fp, output)
        except Exception:
            # A callback that raises would raise again on a re-run: its page is as done as it gets.
            self.journal.callback_done(fp)
            raise
        # Not in a `finally`: a generator closed early (shutdown) leaves its page unconfirmed, to fetch again.
        self.journal.callback_done(fp)

    def process_spider_output(self, response, result):
        fp = self.journal.fingerprint(response.request)
        try:
            for output in result:
                yield self._count(fp, output)
        except Exception:
            self.journal.callback_done(fp)
            raise
        self.journal.callback_done(fp)

    def _count(self, fp: str, output):
        if isinstance(output, Request):
            output.meta[PARENT] = fp
        if output is not None:
            self.journal.expect(fp)
        return output
