"""`dramascore runs`: the crawl runs recorded in the store, newest first, with why a run failed.

`register(subparsers, add)` adds the command to the main parser (``aggregator.cli.build_parser``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.models import CrawlRun
from aggregator.store.queries import failures_of, source_of

DB_HELP = "SQLAlchemy URL of the store (default: $DRAMASCORE_DB or sqlite:///dramascore.db)"
EXAMPLES = {"runs": "example: dramascore runs --failed"}
HEADERS = ["id", "source", "spider", "started", "duration", "status", "pages", "new/upd/same", "dropped", "errors"]
BATCH = 200


def select_runs(session: Session, *, source: str | None = None, limit: int = 20, failed: bool = False) -> list[CrawlRun]:
    """The latest runs, newest first; `source` matches the source name or the spider kind."""
    return list(_filtered(session, source=source, failed=failed, limit=limit))


def _filtered(session: Session, *, source: str | None, failed: bool, limit: int) -> Iterator[CrawlRun]:
    # The source name is inside the JSON stats, which SQLite and PostgreSQL query differently: filter here.
    query = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
    if failed:
        query = query.where(CrawlRun.status == "failed")
    found, offset = 0, 0
    while found < limit:
        batch = list(session.scalars(query.offset(offset).limit(BATCH)))
        for run in batch:
            if source and source not in (source_of(run), run.spider):
                continue
            yield run
            found += 1
            if found >= limit:
                return
        if len(batch) < BATCH:
            return
        offset += BATCH


def _duration(run: CrawlRun) -> str:
    if run.finished_at is None:
        return "-"
    seconds = max(0, int((run.finished_at - run.started_at).total_seconds()))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _started(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def format_runs(runs: Sequence[CrawlRun]) -> str:
    from aggregator.report import table

    rows = [
        (
            run.id,
            source_of(run),
            run.spider,
            _started(run.started_at),
            _duration(run),
            run.status,
            run.pages,
            f"{run.reviews_new}/{run.reviews_updated}/{run.reviews_unchanged}",
            ", ".join(f"{k}={v}" for k, v in sorted((run.drops or {}).items())) or "-",
            run.errors,
        )
        for run in runs
    ]
    out = table(HEADERS, rows)
    for run in runs:
        for failure in failures_of(run):
            out += f"\nFAILED #{run.id} {source_of(run)}: {failure}"
    return out


def cmd_runs(args) -> int:
    from aggregator.store.engine import make_engine, migrate, session_factory

    if args.limit < 1:
        print("dramascore: --limit must be at least 1", file=sys.stderr)
        return 2
    engine = make_engine(args.db)
    try:
        migrate(engine)
        with session_factory(engine)() as session:
            runs = select_runs(session, source=args.source, limit=args.limit, failed=args.failed)
            text = format_runs(runs) if runs else None
    finally:
        engine.dispose()
    if text is None:
        what = "failed crawl runs" if args.failed else "crawl runs"
        print(f"no {what}{' of ' + args.source if args.source else ''} recorded yet")
    else:
        print(text)
    return 0


def register(subparsers, add: Callable[[str, str], argparse.ArgumentParser] | None = None) -> None:
    """Add ``runs`` to `subparsers` (via the main CLI's `add` when it knows our example)."""
    help = "List crawl runs, newest first: status, pages, new/updated/unchanged, drops, errors, and why a run failed."
    try:
        parser = add("runs", help) if add is not None else None
    except KeyError:  # the main CLI's `add` looks the epilog up in its own EXAMPLES: not ours
        parser = None
    if parser is None:
        parser = subparsers.add_parser("runs", help=help, description=help)
    parser.epilog = EXAMPLES["runs"]
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--source", metavar="NAME", help="only runs of this source (or spider kind)")
    parser.add_argument("--limit", type=int, default=20, help="at most this many runs (default 20)")
    parser.add_argument("--failed", action="store_true", help="only failed runs")
    parser.add_argument("--db", help=DB_HELP)
    parser.set_defaults(func=cmd_runs)
