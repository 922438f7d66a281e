"""Crawls shared by worker processes on many machines: scrapy-redis's scheduler and duplicate filter.

`worker_settings` switches a crawl to the scrapy-redis subclasses below: one Redis queue and one duplicate
filter per source, shared by every ``dramascore worker`` on every machine; spiders and pipelines are the
project's own. ``dramascore enqueue`` (aggregator.cli_worker) puts a source's start requests in the queue.
Keys, per source: ``<prefix>:<source>:requests`` (sorted set), ``:dupefilter`` (set), ``:claims:<worker>``
(hash), ``:alive:<worker>``, ``:workers``, ``:seq``, ``:requeued``; the prefix is DRAMASCORE_REDIS_PREFIX.

scrapy-redis 0.9.1's known faults, and what handles each (docs/workers.md is the operator's view):

* start URLs made with ``dont_filter=True`` are fetched again by every worker or enqueue: `Scheduler` sends
  start requests through the duplicate filter whatever their flag;
* RedisSpider's idle-close timer is a class attribute set at import, so a worker idle long after import
  closes at once: our spiders stay plain Scrapy spiders and `Scheduler` keeps its own clock, started when
  this worker is idle *and* the whole round is done (DRAMASCORE_WORKER_IDLE_CLOSE seconds; 0 = never);
* an idle worker looks at the queue only on Scrapy's 5 s engine heartbeat: `Scheduler` sets that heartbeat
  to DRAMASCORE_WORKER_POLL seconds;
* with SCHEDULER_PERSIST off the first worker to finish deletes the shared queue: it is forced on, and
  neither `Scheduler.close` nor `DupeFilter.close` clears a shared key;
* it calls APIs Scrapy 2.19 deprecates or removed: ``spider=`` to the stats collector (a warning on every
  request) and ``DUPEFILTER_CLASS.from_settings()`` (gone: a crash with Scrapy's default filter).
  `Scheduler` counts without ``spider=`` and builds its own filter; nothing is silenced.

One more: scrapy-redis pops a request for good, so the pages a killed worker had in flight are lost. Here a
pop *claims* the request (moved into the worker's claims hash, atomically). The claim is confirmed once all
the page produced is durable (child requests queued, items committed by the store); a worker whose
``alive`` key expired (DRAMASCORE_WORKER_TTL) has its claims put back by the first worker to notice. So a
page is stored exactly once, and fetched twice only if a killed worker had claimed it (``:requeued``).
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import secrets
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.request import RequestFingerprinter
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from aggregator.distributed_claims import CLAIM, PARENT, Claims
from aggregator.middleware import NOT_BEFORE

logger = logging.getLogger(__name__)

PREFIX = "dramascore"
IDLE_CLOSE = 10.0  # seconds a worker stays once the round is done (new enqueues are picked up meanwhile)
POLL = 0.5  # engine heartbeat: how often an idle worker looks at the queue
TTL = 30.0  # seconds without a heartbeat before a worker counts as dead and its claims go back
NOT_BEFORE_WALL = "dramascore_not_before_wall"  # NOT_BEFORE as wall-clock time while in the shared queue
STORE = "pipelines.store.StorePipeline"
CLAIMS = "aggregator.distributed_claims"

# KEYS: seen, queue, seq, claims; ARGV: fingerprint ('' = unfiltered), priority, request, claim to release.
# FIFO within a priority: the score is -priority, then the enqueue sequence number.
PUSH = """
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[4], ARGV[4]) end
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], -tonumber(ARGV[2]) * 1e12 + redis.call('INCR', KEYS[3]), ARGV[3])
return 1
"""
# KEYS: queue, claims, seq, workers; ARGV: worker. The first request moves into the claims hash as score|request.
CLAIM_NEXT = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, top[2] .. '|' .. top[1])
redis.call('SADD', KEYS[4], ARGV[1])
return {id, top[1]}
"""
_REQUEUE = """
local n = 0
for _, id in ipairs(ids) do
  local v = redis.call('HGET', KEYS[1], id)
  if v then
    local sep = string.find(v, '|', 1, true)
    redis.call('ZADD', KEYS[2], string.sub(v, 1, sep - 1), string.sub(v, sep + 1))
    redis.call('HDEL', KEYS[1], id)
    n = n + 1
  end
end
if n > 0 then redis.call('INCRBY', KEYS[3], n) end
"""
# KEYS: claims, queue, requeued; ARGV: claim ids (none = all). Claims go back to the queue at their old place.
REQUEUE = "local ids = ARGV\nif #ids == 0 then ids = redis.call('HKEYS', KEYS[1]) end\n" + _REQUEUE + "return n"
# KEYS: claims, queue, requeued, workers, alive; ARGV: worker. A dead worker's claims go back, atomically.
RECOVER = (
    "if redis.call('EXISTS', KEYS[5]) == 1 then return -1 end\nlocal ids = redis.call('HKEYS', KEYS[1])\n"
    + _REQUEUE + "redis.call('SREM', KEYS[4], ARGV[1])\nreturn n"
)  # fmt: skip
# KEYS: queue, workers, seen; ARGV: claims key prefix, 'clear'. {queued, claimed, cleared}: with 'clear', a
# round that is over (nothing queued or claimed) forgets its fingerprints, so the next one starts afresh.
STATE = """
local claimed = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do claimed = claimed + redis.call('HLEN', ARGV[1] .. w) end
local queued = redis.call('ZCARD', KEYS[1])
if ARGV[2] == 'clear' and queued == 0 and claimed == 0 then redis.call('DEL', KEYS[3]) return {0, 0, 1} end
return {queued, claimed, 0}
"""


@dataclass(frozen=True)
class Keys:
    """Redis key names of one source's shared crawl.

    >>> Keys("dramascore", "mdl").claims("host:12:ab")
    'dramascore:mdl:claims:host:12:ab'
    """

    prefix: str
    source: str

    def key(self, name: str) -> str:
        return f"{self.prefix}:{self.source}:{name}"

    queue = property(lambda self: self.key("requests"))
    seen = property(lambda self: self.key("dupefilter"))
    seq = property(lambda self: self.key("seq"))
    workers = property(lambda self: self.key("workers"))
    requeued = property(lambda self: self.key("requeued"))

    def claims(self, worker: str) -> str:
        return self.key(f"claims:{worker}")

    def alive(self, worker: str) -> str:
        return self.key(f"alive:{worker}")


def worker_id() -> str:
    """Unique per process: ``host:pid:random`` (a restarted worker is a new worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def source_name(spider) -> str:
    config = getattr(spider, "source_config", None)
    return config.name if config is not None else spider.name


def worker_settings(settings: BaseSettings, redis_url: str, *, seed: bool = False) -> dict:
    """Setting overrides that make a crawl one worker of a shared crawl (`seed`: it also starts a round).

    >>> worker_settings(BaseSettings({"ITEM_PIPELINES": {STORE: 900}}), "redis://127.0.0.1")["ITEM_PIPELINES"]
    {'aggregator.distributed_claims.ClaimingStorePipeline': 900}
    """
    if settings.getbool("DRAMASCORE_RESUMABLE"):
        raise ValueError("--resume keeps a local journal; a shared crawl's queue already survives a killed worker")
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    if STORE in pipelines:
        pipelines[f"{CLAIMS}.ClaimingStorePipeline"] = pipelines.pop(STORE)
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": f"{__name__}.Scheduler",
        "DUPEFILTER_CLASS": f"{__name__}.DupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,  # a blocking pop would stall the reactor
        "SPIDER_MIDDLEWARES": {**settings.getdict("SPIDER_MIDDLEWARES"), f"{CLAIMS}.ClaimMiddleware": 1},
        # Farthest from the downloader: it sees only failures no other middleware turned into a retry.
        "DOWNLOADER_MIDDLEWARES": {**settings.getdict("DOWNLOADER_MIDDLEWARES"), f"{CLAIMS}.ClaimFailureMiddleware": 10},
        "ITEM_PIPELINES": pipelines,
        "DRAMASCORE_WORKER_SEED": seed,
        # One worker's share of a round says nothing about the source: no minimum, no volume comparison.
        "DRAMASCORE_MIN_ITEMS": 0,
        "DRAMASCORE_MONITOR_MAX_VOLUME_FALL": -1.0,
    }  # fmt: skip


def shared_crawl_settings(settings: BaseSettings) -> dict:
    """For `dramascore crawl`: with DRAMASCORE_REDIS_URL set, a worker that also starts the round; else {}.

    >>> shared_crawl_settings(BaseSettings())
    {}
    """
    url = settings.get("DRAMASCORE_REDIS_URL")
    if not url or settings.get("SCHEDULER") == f"{__name__}.Scheduler":
        return {}
    return worker_settings(settings, url, seed=True)


class ClaimQueue(PriorityQueue):
    """scrapy-redis's priority queue (a sorted set, FIFO within a priority) whose pop is a claim."""

    def __init__(self, server, spider, keys: Keys, worker: str, serializer=None):
        super().__init__(server, spider, keys.queue, serializer)
        self.keys, self.worker = keys, worker
        self.scripts = {name: server.register_script(code) for name, code in
                        (("push", PUSH), ("claim", CLAIM_NEXT), ("requeue", REQUEUE), ("recover", RECOVER),
                         ("state", STATE))}  # fmt: skip

    def push(self, request: Request, fingerprint: str = "", release: str | None = None) -> bool:
        """Queue `request` unless `fingerprint` was seen; `release` confirms a claim in the same step."""
        keys = [self.keys.seen, self.keys.queue, self.keys.seq, self.keys.claims(self.worker)]
        args = [fingerprint, request.priority, self._encode_request(request), release or ""]
        return bool(self.scripts["push"](keys=keys, args=args))

    def claim(self) -> tuple[str, bytes] | None:
        """The next request (claim id, encoded), moved into this worker's claims; None when empty."""
        keys = [self.keys.queue, self.keys.claims(self.worker), self.keys.seq, self.keys.workers]
        found = self.scripts["claim"](keys=keys, args=[self.worker])
        return (str(found[0]), found[1]) if found else None

    def pop(self, timeout=0) -> Request | None:
        found = self.claim()
        if found is None:
            return None
        request = self._decode_request(found[1])
        request.meta[CLAIM] = found[0]
        return request

    def ack(self, claims: Iterable[str]) -> None:
        if claims := list(claims):
            self.server.hdel(self.keys.claims(self.worker), *claims)

    def requeue(self, claims: Iterable[str] = ()) -> int:
        """Put claims (all of this worker's when none given) back in the queue."""
        keys = [self.keys.claims(self.worker), self.keys.queue, self.keys.requeued]
        return int(self.scripts["requeue"](keys=keys, args=list(claims)))

    def heartbeat(self, ttl: float) -> None:
        with self.server.pipeline() as pipe:
            pipe.set(self.keys.alive(self.worker), self.worker, ex=max(1, math.ceil(ttl)))
            pipe.sadd(self.keys.workers, self.worker)
            pipe.execute()

    def recover(self) -> int:
        """Requeue the claims of every worker whose ``alive`` key expired; how many requests went back."""
        total = 0
        for member in self.server.smembers(self.keys.workers):
            worker = member.decode() if isinstance(member, bytes) else member
            keys = [self.keys.claims(worker), self.keys.queue, self.keys.requeued, self.keys.workers,
                    self.keys.alive(worker)]  # fmt: skip
            moved = int(self.scripts["recover"](keys=keys, args=[worker]))
            if moved > 0:
                logger.warning("worker %s is gone: %d request(s) it had claimed are queued again", worker, moved)
            total += max(moved, 0)
        return total

    def state(self, *, clear_seen: bool = False) -> tuple[int, int, bool]:
        """(requests queued, requests claimed by any worker, fingerprints cleared for a new round)."""
        keys = [self.keys.queue, self.keys.workers, self.keys.seen]
        queued, claimed, cleared = self.scripts["state"](keys=keys, args=[self.keys.key("claims:"),
                                                                          "clear" if clear_seen else ""])  # fmt: skip
        return int(queued), int(claimed), bool(cleared)

    def leave(self) -> int:
        """This worker stops: anything it still claims goes back, then it leaves the worker set."""
        moved = self.requeue()
        self.server.srem(self.keys.workers, self.worker)
        self.server.delete(self.keys.alive(self.worker))
        return moved


class DupeFilter(RFPDupeFilter):
    """scrapy-redis's shared fingerprint set, fingerprinted by Scrapy's own fingerprinter, never cleared on close."""

    def __init__(self, server, key: str, debug: bool = False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter or RequestFingerprinter()

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Other workers still use the set: closing one worker must not clear it."""


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler with claims, start requests always filtered, and a per-worker idle clock."""

    clock = staticmethod(time.monotonic)

    @classmethod
    def from_crawler(cls, crawler) -> Scheduler:
        settings = crawler.settings
        serializer = settings.get("SCHEDULER_SERIALIZER")
        server = get_redis_from_settings(settings)
        server.ping()  # fail at start, not at the first request
        # Persisting whatever SCHEDULER_PERSIST says (fault 4); our own filter whatever DUPEFILTER_CLASS says.
        scheduler = cls(server, persist=True, dupefilter_cls=f"{__name__}.DupeFilter",
                        serializer=importlib.import_module(serializer) if isinstance(serializer, str) else serializer)
        scheduler.crawler, scheduler.stats = crawler, crawler.stats
        scheduler.prefix = settings.get("DRAMASCORE_REDIS_PREFIX") or PREFIX
        scheduler.seed_round = settings.getbool("DRAMASCORE_WORKER_SEED")
        scheduler.idle_close = settings.getfloat("DRAMASCORE_WORKER_IDLE_CLOSE", IDLE_CLOSE)
        scheduler.poll = settings.getfloat("DRAMASCORE_WORKER_POLL", POLL)
        scheduler.ttl = settings.getfloat("DRAMASCORE_WORKER_TTL", TTL)
        scheduler.worker = worker_id()
        scheduler.claims = Claims.for_crawler(crawler)
        scheduler.idle_since = None
        scheduler._beat = scheduler._engine = None
        return scheduler

    def open(self, spider) -> None:
        self.attach(spider)
        self._beat = create_looping_call(self._heartbeat)
        self._beat.start(self.ttl / 3, now=False)
        engine = self._engine = self.crawler.engine
        if not hasattr(engine, "_SLOT_HEARTBEAT_INTERVAL"):  # a Scrapy upgrade renamed it: say so, loudly
            raise RuntimeError("Scrapy's engine has no _SLOT_HEARTBEAT_INTERVAL: see aggregator/distributed.py")
        engine._SLOT_HEARTBEAT_INTERVAL = self.poll  # fault 3; read when the engine starts, after open()
        self.crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        logger.info("worker %s: source %s, %d request(s) queued", self.worker, self.keys.source, len(self.queue))

    def attach(self, spider) -> None:
        """Join the source's shared crawl (`open` without the engine's part): queue, filter, claims, heartbeat."""
        self.spider = spider
        self.keys = Keys(self.prefix, source_name(spider))
        self.queue = ClaimQueue(self.server, spider, self.keys, self.worker, serializer=self.serializer)
        fingerprinter = self.crawler.request_fingerprinter
        self.df = DupeFilter(self.server, self.keys.seen, self.crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter)
        self.claims.queue = self.queue
        self.queue.heartbeat(self.ttl)
        self.stats.inc_value("dramascore/workers/recovered", self.queue.recover())
        if self.seed_round and self.queue.state(clear_seen=True)[2]:
            logger.info("source %s: the previous round is over, starting a new one", self.keys.source)

    def _heartbeat(self) -> None:
        try:
            self.queue.heartbeat(self.ttl)
            self.stats.inc_value("dramascore/workers/recovered", self.queue.recover())
        except Exception:  # Redis away for a moment: the next beat tries again (the loop must not die)
            logger.exception("worker heartbeat failed")

    def close(self, reason: str) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        self.claims.finish(closing=True)  # the engine let the requests in flight finish before this
        moved = self.queue.leave()
        if moved:
            logger.warning("worker %s left %d claimed request(s) to the others", self.worker, moved)

    def enqueue_request(self, request: Request) -> bool:
        if request.meta.get("is_start_request"):
            if not self.seed_round:  # rounds start with `dramascore enqueue` (or a shared `crawl`), not per worker
                self.stats.inc_value("dramascore/workers/start_skipped")
                return False
            if request.dont_filter:  # fault 1: a start URL is fetched once per round, not once per seeding
                request = request.replace(dont_filter=False)
        parent, claim = request.meta.pop(PARENT, None), request.meta.pop(CLAIM, None)
        if (not_before := request.meta.pop(NOT_BEFORE, None)) is not None:
            # A monotonic deadline means nothing on another machine: travel as wall-clock time.
            request.meta[NOT_BEFORE_WALL] = time.time() + not_before - time.monotonic()
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        added = self.queue.push(request, fingerprint, release=claim)
        if claim is not None:
            self.claims.transferred(claim)
        if parent is not None:
            self.claims.settle(parent)
        if not added:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        found = self.queue.claim()
        if found is None:
            return None
        claim, data = found
        self.claims.opened(claim)
        try:
            request = self.queue._decode_request(data)
        except Exception:  # a request this code cannot rebuild (a renamed callback): drop it, do not stall
            logger.exception("dropping a queued request that cannot be decoded")
            self.claims.confirm([claim])
            return None
        request.meta[CLAIM] = claim
        if (wall := request.meta.pop(NOT_BEFORE_WALL, None)) is not None:
            request.meta[NOT_BEFORE] = time.monotonic() + wall - time.time()
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def spider_idle(self, spider) -> None:
        """Close only when the round is over everywhere (nothing queued or claimed) for `idle_close` seconds."""
        # The interval the engine really polls at, for the run's stats (fault 3 is checked on it).
        beat = getattr(getattr(self._engine, "_slot", None), "heartbeat", None)
        self.stats.set_value("dramascore/workers/poll_seconds", getattr(beat, "interval", None))
        self.claims.finish()
        queued, claimed, _ = self.queue.state()
        if queued or claimed:
            self.idle_since = None
            raise DontCloseSpider
        now = self.clock()
        self.idle_since = now if self.idle_since is None else self.idle_since
        if self.idle_close <= 0 or now - self.idle_since < self.idle_close:
            raise DontCloseSpider
