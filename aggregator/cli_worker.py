"""``dramascore worker`` and ``dramascore enqueue``: one crawl shared by worker processes on many machines.

`register(subparsers, add)` adds both to the main parser (``aggregator.cli.build_parser``);
``python -m aggregator.cli_worker worker ...`` runs them without it. The queue, the duplicate filter and
the claims live in Redis (aggregator.distributed); the store is the shared PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError

from aggregator.distributed import PREFIX, ClaimQueue, Keys, worker_settings
from aggregator.sources import SourceConfig, SourcesError, load_sources, select_sources

SOURCES_HELP = "sources file (default: ./sources.toml, else the one shipped with dramascore)"
DB_HELP = "SQLAlchemy URL of the store, PostgreSQL for several workers (default: $DRAMASCORE_DB)"
REDIS_HELP = "Redis URL of the shared queue (default: $DRAMASCORE_REDIS_URL)"
EXAMPLES = {
    "worker": "example: dramascore worker --redis redis://queue-host:6379/0 --db postgresql://crawler@db-host/dramascore",
    "enqueue": "example: dramascore enqueue --source mydramalist --redis redis://queue-host:6379/0",
}
DESCRIPTIONS = {
    "worker": "Crawl from the shared Redis queue with the other workers (any machine); exits once the round is "
              "done everywhere. SIGTERM or Ctrl-C stops it cleanly: what it had claimed goes back to the queue.",
    "enqueue": "Start a round: put the sources' start requests in the shared queue (or show the queue: --status).",
}  # fmt: skip


def _fail(message: object) -> int:
    print(f"dramascore: {message}", file=sys.stderr)
    return 2


def _settings(args, extra: dict | None = None):
    """Project settings with -s overrides, --db and --redis applied; the Redis URL must be known."""
    from aggregator.crawl import project_settings

    overrides = {}
    for pair in args.set or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"-s must look like NAME=VALUE, got {pair!r}")
        overrides[key] = value
    if getattr(args, "db", None):
        overrides["DRAMASCORE_DB"] = args.db
    overrides.update(extra or {})
    settings = project_settings(overrides)
    url = args.redis or settings.get("DRAMASCORE_REDIS_URL") or os.environ.get("DRAMASCORE_REDIS_URL")
    if not url:
        raise ValueError("no Redis URL: pass --redis or set DRAMASCORE_REDIS_URL")
    try:
        redis_client(settings, url).ping()
    except RedisError as exc:  # say it before any crawler starts (their tracebacks bury the cause)
        raise ValueError(f"cannot reach Redis at {url}: {exc}") from None
    return settings, overrides, url


def _sources(args) -> list[SourceConfig]:
    sources = select_sources(load_sources(args.sources or None), names=args.source, kinds=args.spiders)
    if not sources:
        raise SourcesError("no enabled source matches")
    return sources


def cmd_worker(args) -> int:
    from aggregator.cli import format_results
    from aggregator.crawl import run_crawls

    extra = {"DRAMASCORE_WORKER_IDLE_CLOSE": 0 if args.forever else args.idle_close}
    if args.log_level:
        extra["LOG_LEVEL"] = args.log_level
    elif sys.stderr.isatty():
        extra["LOG_LEVEL"] = "WARNING"  # as `crawl`: on a terminal the progress line is the report
    try:
        settings, overrides, url = _settings(args, extra)
        sources = _sources(args)
        if args.sources:
            overrides["DRAMASCORE_SOURCES"] = args.sources
        overrides.update(worker_settings(settings, url))
        results = run_crawls(sources, overrides=overrides)
    except (ValueError, SourcesError) as exc:
        return _fail(exc)
    print(format_results(results))
    return 0 if all(r.ok for r in results) else 1


@dataclass
class Seeded:
    """What `seed` did for one source: a new round or joined, requests queued / already seen, queue size."""

    source: str
    new_round: bool
    pushed: int
    filtered: int
    queued: int


def start_requests(settings, source: SourceConfig) -> tuple:
    """(spider, crawler, requests): what a crawl of `source` starts from (``start()``), without running a crawl."""
    from scrapy.crawler import Crawler
    from scrapy.exceptions import CloseSpider
    from scrapy.spiderloader import get_spider_loader
    from scrapy.statscollectors import MemoryStatsCollector

    spidercls = get_spider_loader(settings).load(source.kind)
    crawler = Crawler(spidercls, settings)
    crawler.stats = MemoryStatsCollector(crawler)  # some start() methods count what they skip
    spider = spidercls.from_crawler(crawler, source=source)

    async def collect():
        return [r async for r in spider.start() if hasattr(r, "url")]

    try:
        return spider, crawler, asyncio.run(collect())
    except CloseSpider as exc:  # the spider refuses to start (Reddit without a proper User-Agent, say)
        raise ValueError(f"source {source.name}: the spider will not start ({exc.reason})") from None


def redis_client(settings, url: str):
    """The client scrapy-redis would make for a worker with these settings (REDIS_PARAMS apply)."""
    from scrapy.settings import BaseSettings
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(BaseSettings({"REDIS_URL": url, "REDIS_PARAMS": settings.getdict("REDIS_PARAMS")}))


def seed(settings, source: SourceConfig, url: str) -> Seeded:
    """Put `source`'s start requests in its shared queue; a finished round's fingerprints are forgotten first."""
    from scrapy.utils.misc import build_from_crawler, load_object

    spider, crawler, requests = start_requests(settings, source)
    fingerprinter = build_from_crawler(load_object(settings["REQUEST_FINGERPRINTER_CLASS"]), crawler)
    queue = ClaimQueue(redis_client(settings, url), spider, Keys(settings.get("DRAMASCORE_REDIS_PREFIX") or PREFIX, source.name),
                       worker="enqueue")  # fmt: skip
    new_round = queue.state(clear_seen=True)[2]
    pushed = 0
    for request in requests:
        # Filtered whatever the spider said: a start URL is fetched once per round (scrapy-redis fault 1).
        request = request.replace(dont_filter=False, meta={**request.meta, "is_start_request": True})
        pushed += queue.push(request, fingerprinter.fingerprint(request).hex())
    return Seeded(source.name, new_round, pushed, len(requests) - pushed, len(queue))


def status(server, keys: Keys) -> dict:
    """What the shared crawl of one source is doing, read from Redis."""
    workers = sorted(w.decode() for w in server.smembers(keys.workers))
    alive = [w for w in workers if server.exists(keys.alive(w))]
    claimed = {w: server.hlen(keys.claims(w)) for w in workers}
    return {
        "queued": server.zcard(keys.queue), "claimed": sum(claimed.values()), "seen": server.scard(keys.seen),
        "workers": len(alive), "dead": len(workers) - len(alive), "requeued": int(server.get(keys.requeued) or 0),
    }  # fmt: skip


def restart(server, keys: Keys) -> None:
    """Forget a source's shared crawl entirely (queue, fingerprints, claims); its workers must be stopped."""
    workers = [w.decode() for w in server.smembers(keys.workers)]
    server.delete(keys.queue, keys.seen, keys.seq, keys.requeued, keys.workers, *map(keys.claims, workers))


def cmd_enqueue(args) -> int:
    from aggregator.report import table

    try:
        settings, _, url = _settings(args)
        sources = _sources(args)
        prefix = settings.get("DRAMASCORE_REDIS_PREFIX") or PREFIX
        server = redis_client(settings, url)
        if args.status:
            rows = [(s.name, *status(server, Keys(prefix, s.name)).values()) for s in sources]
            print(table(["source", "queued", "claimed", "seen", "workers", "dead", "requeued"], rows))
            return 0
        if args.restart:
            for source in sources:
                restart(server, Keys(prefix, source.name))
        results = [seed(settings, source, url) for source in sources]
    except (ValueError, SourcesError) as exc:
        return _fail(exc)
    rows = [(r.source, "yes" if r.new_round else "no (joined)", r.pushed, r.filtered, r.queued) for r in results]
    print(table(["source", "new round", "enqueued", "already seen", "queued now"], rows))
    return 0


def register(subparsers, add: Callable[[str, str], argparse.ArgumentParser] | None = None) -> None:
    """Add ``worker`` and ``enqueue`` to `subparsers` (via the main CLI's `add` when it knows our examples)."""

    def make(name: str) -> argparse.ArgumentParser:
        try:
            parser = add(name, DESCRIPTIONS[name]) if add is not None else None
        except KeyError:  # the main CLI's `add` looks the epilog up in its own EXAMPLES: not ours
            parser = None
        if parser is None:
            parser = subparsers.add_parser(name, help=DESCRIPTIONS[name], description=DESCRIPTIONS[name])
        parser.epilog = EXAMPLES[name]
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.add_argument("spiders", nargs="*", metavar="SPIDER", help="only sources of these spider kinds")
        parser.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
        parser.add_argument("--sources", metavar="FILE", help=SOURCES_HELP)
        parser.add_argument("--redis", metavar="URL", help=REDIS_HELP)
        parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="Scrapy setting override")
        return parser

    worker = make("worker")
    worker.add_argument("--db", help=DB_HELP)
    worker.add_argument("--log-level", help="DEBUG, INFO, WARNING... (default: WARNING on a terminal, else INFO)")
    worker.add_argument("--idle-close", type=float, default=10.0, metavar="SECONDS",
                        help="exit this long after the round is done everywhere (default 10)")  # fmt: skip
    worker.add_argument("--forever", action="store_true", help="never exit on its own; wait for new rounds")
    worker.set_defaults(func=cmd_worker)

    enqueue = make("enqueue")
    enqueue.add_argument("--status", action="store_true", help="show each source's queue instead of enqueuing")
    enqueue.add_argument("--restart", action="store_true",
                         help="first forget the source's queue, fingerprints and claims (stop its workers first)")  # fmt: skip
    enqueue.set_defaults(func=cmd_enqueue)


def main(argv: Sequence[str] | None = None) -> int:
    import logging

    parser = argparse.ArgumentParser(prog="dramascore")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
