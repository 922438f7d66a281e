"""``dramascore schedule``: crawl each source on its cron `schedule`, one subprocess per run, until stopped.

`register(subparsers, add)` adds the command to the main parser (``aggregator.cli.build_parser``).
``python -m aggregator.cli_schedule schedule ...`` runs it without the main CLI.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from functools import partial

from aggregator.schedule import (
    STOP_TIMEOUT,
    CrawlScheduler,
    crawl_command,
    describe_unscheduled,
    format_next_fires,
    stop_on_signals,
)
from aggregator.sources import SourcesError, load_sources

log = logging.getLogger("dramascore.schedule")

SOURCES_HELP = "sources file (default: ./sources.toml, else the one shipped with dramascore)"
DB_HELP = "SQLAlchemy URL of the store (default: $DRAMASCORE_DB or sqlite:///dramascore.db)"
EXAMPLES = {"schedule": "example: dramascore schedule --sources sources.toml"}
DESCRIPTION = (
    "Crawl each enabled source on its `schedule` (cron expression), one `dramascore crawl --source NAME` "
    "process per run, never two of one source at once; SIGTERM or Ctrl-C stops the crawls gracefully."
)


def _fail(message: object) -> int:
    print(f"dramascore: {message}", file=sys.stderr)
    return 2


def _timezone(name: str | None):
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SourcesError(f"unknown time zone {name!r} (use an IANA name such as Europe/Paris or UTC)") from None


def _crawl_extra(args) -> list[str]:
    """Options every scheduled crawl gets: setting overrides and a log level."""
    extra = []
    for pair in args.set or []:
        extra += ["-s", pair]
    if args.log_level:
        extra += ["--log-level", args.log_level]
    return extra


def _setup_logging() -> None:
    # The scheduler's log lines are its report (a service journal, usually): always at INFO.
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("dramascore.schedule").setLevel(logging.INFO)
    # APScheduler repeats at INFO/WARNING what our own lines say per source; keep only its errors.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def build_scheduler(args) -> CrawlScheduler:
    sources = load_sources(args.sources or None)
    command = partial(crawl_command, sources_file=args.sources, db=args.db, extra=_crawl_extra(args))
    return CrawlScheduler(
        sources,
        command,
        timezone=_timezone(args.timezone),
        run_now=args.run_now,
        stop_timeout=args.stop_timeout,
    )


def cmd_schedule(args) -> int:
    try:
        scheduler = build_scheduler(args)
    except SourcesError as exc:
        return _fail(exc)
    if args.list:
        print(format_next_fires(scheduler))
        return 0
    _setup_logging()
    if not scheduler.sources:
        return _fail(f"no source to schedule: give enabled sources a `schedule`; not scheduled: "
                     f"{describe_unscheduled(scheduler.unscheduled)}")
    log.info("not scheduled: %s", describe_unscheduled(scheduler.unscheduled))
    stop = threading.Event()
    stop_on_signals(stop)

    if args.once:
        log.info("running once: %s", ", ".join(s.name for s in scheduler.sources))
        worker = threading.Thread(target=scheduler.run_once, name="run-once")
        worker.start()
        while worker.is_alive() and not stop.wait(0.2):
            pass
        if stop.is_set():
            scheduler.stop()
            worker.join()
            return 0
        return 0 if all(r.returncode == 0 for r in scheduler.runs) else 1

    scheduler.start()
    for name, when in scheduler.next_fire_times().items():
        source = next(s for s in scheduler.sources if s.name == name)
        log.info("source %s: schedule %r, next run %s", name, source.schedule, "now" if args.run_now else when)
    while not stop.wait(0.5):
        pass
    scheduler.stop()
    log.info("scheduler stopped")
    return 0


def register(subparsers, add: Callable[[str, str], argparse.ArgumentParser] | None = None) -> None:
    """Add ``schedule`` to `subparsers` (via the main CLI's `add` when it knows our example)."""
    try:
        parser = add("schedule", DESCRIPTION) if add is not None else None
    except KeyError:  # the main CLI's `add` looks the epilog up in its own EXAMPLES: not ours
        parser = None
    if parser is None:
        parser = subparsers.add_parser("schedule", help=DESCRIPTION, description=DESCRIPTION)
    parser.epilog = EXAMPLES["schedule"]
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--sources", metavar="FILE", help=SOURCES_HELP)
    parser.add_argument("--db", help=DB_HELP + "; passed to every crawl")
    parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="Scrapy setting override for every crawl")
    parser.add_argument("--log-level", help="log level of the crawls (the scheduler itself logs at INFO)")
    parser.add_argument("--timezone", metavar="ZONE", help="time zone of the cron expressions (default: the machine's)")
    parser.add_argument(
        "--stop-timeout", type=float, default=STOP_TIMEOUT, metavar="SECONDS",
        help=f"on stop, how long running crawls get to close after SIGTERM before they are killed (default {STOP_TIMEOUT:g})",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="print each source's next run time and exit")
    mode.add_argument("--once", action="store_true", help="crawl every scheduled source once now and exit")
    mode.add_argument("--run-now", action="store_true", help="crawl every scheduled source at start, then on schedule")
    parser.set_defaults(func=cmd_schedule)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dramascore")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
