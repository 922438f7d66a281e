"""`dramascore export`: dramas or reviews from the SQL views as CSV or JSON Lines (`aggregator.export`).

`register(subparsers, add)` adds the command to the main parser (``aggregator.cli.build_parser``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from aggregator.export import FORMATS, VIEWS, export

DB_HELP = "SQLAlchemy URL of the store (default: $DRAMASCORE_DB or sqlite:///dramascore.db)"
EXAMPLES = {"export": "example: dramascore export --format csv --what reviews --output reviews.csv"}


def cmd_export(args) -> int:
    from aggregator.store.engine import make_engine, migrate

    engine = make_engine(args.db)
    try:
        migrate(engine)
        with engine.connect() as conn:
            if args.output in (None, "-"):
                try:
                    count = export(conn, args.what, args.format, sys.stdout)
                    sys.stdout.flush()
                except BrokenPipeError:  # `| head`: the reader has what it wanted
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    return 0
                where = "standard output"
            else:
                target = Path(args.output)
                # Written beside the target and renamed at the end: a failed export leaves no half file.
                partial = target.with_name(target.name + ".partial")
                try:
                    with open(partial, "w", encoding="utf-8", newline="") as out:
                        count = export(conn, args.what, args.format, out)
                    os.replace(partial, target)
                finally:
                    partial.unlink(missing_ok=True)
                where = str(target)
    finally:
        engine.dispose()
    print(f"exported {count} {args.what} as {args.format} to {where}", file=sys.stderr)
    return 0


def register(subparsers, add: Callable[[str, str], argparse.ArgumentParser] | None = None) -> None:
    """Add ``export`` to `subparsers` (via the main CLI's `add` when it knows our example)."""
    help = "Export dramas or reviews (the v_dramas / v_reviews views, docs/schema.md) as CSV or JSON Lines."
    try:
        parser = add("export", help) if add is not None else None
    except KeyError:  # the main CLI's `add` looks the epilog up in its own EXAMPLES: not ours
        parser = None
    if parser is None:
        parser = subparsers.add_parser("export", help=help, description=help)
    parser.epilog = EXAMPLES["export"]
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--format", choices=FORMATS, default="csv", help="csv (default, with a header) or jsonl")
    parser.add_argument("--what", choices=list(VIEWS), default="dramas", help="dramas (default) or reviews")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default: standard output)")
    parser.add_argument("--db", help=DB_HELP)
    parser.set_defaults(func=cmd_export)
