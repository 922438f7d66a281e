"""The `dramascore` command: parse arguments, call library functions, format output."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from aggregator import cli_editorial, cli_export, cli_runs, cli_schedule, cli_web, cli_worker
from aggregator.crawl import CrawlResult, run_crawls
from aggregator.report import table
from aggregator.sources import SourcesError, load_sources, select_sources

SOURCES_HELP = "sources file (default: ./sources.toml, else the one shipped with dramascore)"
DB_HELP = "SQLAlchemy URL of the store (default: $DRAMASCORE_DB or sqlite:///dramascore.db)"


def format_results(results: Sequence[CrawlResult]) -> str:
    rows = [
        (
            r.spider,
            r.status,
            r.pages,
            r.reviews,
            r.new,
            r.updated,
            r.unchanged,
            ", ".join(f"{k}={v}" for k, v in sorted(r.drops.items())) or "-",
            r.errors,
        )
        for r in results
    ]
    out = table(["source", "status", "pages", "items", "new", "updated", "unchanged", "dropped", "errors"], rows)
    for r in results:
        for failure in r.failures:
            out += f"\nFAILED {r.spider}: {failure}"
    return out


def format_dramas(rows) -> str:
    return table(
        ["drama", "year", "reviews", "scored", "mean score", "sources"],
        [
            (
                r.title,
                r.year,
                r.reviews,
                r.scored,
                "-" if r.mean_score is None else f"{r.mean_score:.1f}",
                ", ".join(r.sources),
            )
            for r in rows
        ],
    )


def _parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"dramascore: {what} must look like NAME=VALUE, got {pair!r}")
        out[key] = value
    return out


def _crawl_overrides(args) -> dict:
    overrides = _parse_pairs(args.set, "--set")
    if args.db:
        overrides["DRAMASCORE_DB"] = args.db
    if getattr(args, "resume", False):
        overrides["DRAMASCORE_RESUMABLE"] = True
    if getattr(args, "cache", False):
        overrides["DRAMASCORE_HTTPCACHE"] = True
    if getattr(args, "full", False):
        overrides["DRAMASCORE_REVISIT_ALL"] = True
    if args.log_level:
        overrides["LOG_LEVEL"] = args.log_level
    elif sys.stderr.isatty():
        # On a terminal the progress line is the report; INFO logs would scroll it away.
        overrides["LOG_LEVEL"] = "WARNING"
    return overrides


def _sources(args, variables=None):
    """The sources a command runs: from --sources (or ./sources.toml, or the shipped file), filtered."""
    path = args.sources or None
    return select_sources(load_sources(path, variables=variables), names=args.source, kinds=args.spiders)


def cmd_crawl(args) -> int:
    overrides = _crawl_overrides(args)
    if args.sources:
        overrides["DRAMASCORE_SOURCES"] = args.sources
    try:
        from aggregator.crawl import project_settings
        from aggregator.distributed import shared_crawl_settings

        # DRAMASCORE_REDIS_URL set: this crawl is a worker of a shared crawl (docs/workers.md) that starts the round.
        overrides.update(shared_crawl_settings(project_settings(overrides)))
        sources = _sources(args)
        if not sources:
            print("dramascore: no enabled source matches", file=sys.stderr)
            return 2
        results = run_crawls(sources, overrides=overrides, spider_args=_parse_pairs(args.arg, "-a"))
    except (ValueError, SourcesError) as exc:
        print(f"dramascore: {exc}", file=sys.stderr)
        return 2
    print(format_results(results))
    return 0 if all(r.ok for r in results) else 1


def cmd_extract(args) -> int:
    from aggregator.extract import extract_file

    try:
        items = extract_file(args.spider, args.url, Path(args.file), source=args.source)
    except (LookupError, OSError, SourcesError) as exc:
        print(f"dramascore: {exc}", file=sys.stderr)
        return 2
    for item in items:
        print(json.dumps(asdict(item), ensure_ascii=False, default=_json_default))
    print(f"{len(items)} review(s)", file=sys.stderr)
    return 0


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def cmd_dramas(args) -> int:
    from aggregator.store.engine import make_engine, migrate, session_factory
    from aggregator.store.queries import drama_table

    engine = make_engine(args.db)
    migrate(engine)
    with session_factory(engine)() as session:
        rows = drama_table(session, search=args.search)
    engine.dispose()
    print(format_dramas(rows) if rows else "no dramas stored yet: run `dramascore crawl` or `dramascore demo`")
    return 0


def _start_demo_site(port: int):
    from aggregator.demo.server import DemoSite

    try:
        return DemoSite(port).start()
    except OSError:
        # Review URLs carry the port, so on another port a re-run sees every review as updated.
        print(f"dramascore: port {port} is taken; serving the demo on a free port", file=sys.stderr)
        return DemoSite(0).start()


def cmd_demo(args) -> int:
    from aggregator.demo.server import demo_sources

    site = _start_demo_site(args.port)
    try:
        print(f"demo site: {site.base_url} (MyDramaList-shaped pages written for dramascore)", file=sys.stderr)
        overrides = _crawl_overrides(args)
        # Everything is local: no need to be polite to ourselves.
        overrides.update(DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False)
        if not args.log_level:
            # The demo is read by a person: the summary tables are the report.
            overrides["LOG_LEVEL"] = "WARNING"
        results = run_crawls(demo_sources(site.base_url), overrides=overrides)
    finally:
        site.stop()
    print(format_results(results))
    print()
    args.search = None
    cmd_dramas(args)
    ok = all(r.ok for r in results)
    if args.no_serve or not ok:
        return 0 if ok else 1
    return _serve_demo(args)


def _serve_demo(args) -> int:
    """After the demo crawl: the editors' page on the store it filled, with a token for this session."""
    import secrets

    from aggregator.web.app import listen, serve

    token = args.editor_token or secrets.token_urlsafe(12)
    config = cli_web.web_config(args.db, {"DRAMASCORE_EDITOR_TOKEN": token})
    try:
        sock = listen("127.0.0.1", args.web_port)
    except OSError:
        print(f"dramascore: port {args.web_port} is taken; serving the editor page on a free port", file=sys.stderr)
        sock = listen("127.0.0.1", 0)
    print()
    print(f"Editor token for this demo: {token}  (sign in with it and your name to correct data)")
    try:
        serve(config, sock, on_ready=lambda url: cli_web.announce(url, config))
    except KeyboardInterrupt:
        pass
    return 0


EXAMPLES = {
    "crawl": "example: dramascore crawl --source mydramalist -a dramas=685237-untitled-kim-eun-sook-project --db sqlite:///reviews.db",
    "extract": "example: dramascore extract --spider mydramalist --url https://mydramalist.com/685237-the-glory page.html",
    "dramas": "example: dramascore dramas --search soundtrack",
    "demo": "example: dramascore demo --db sqlite:///demo.db",
}


EXAMPLES.update(cli_editorial.EXAMPLES)
EXAMPLES.update(cli_runs.EXAMPLES)
EXAMPLES.update(cli_schedule.EXAMPLES)
EXAMPLES.update(cli_web.EXAMPLES)
EXAMPLES.update(cli_export.EXAMPLES)
EXAMPLES.update(cli_worker.EXAMPLES)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dramascore", description="Crawl, normalise and aggregate drama reviews.")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, help=help, description=help, epilog=EXAMPLES[name], formatter_class=argparse.RawDescriptionHelpFormatter
        )

    crawl = add("crawl", "Crawl review sites into the store; non-zero exit when a crawl fails or its coverage drops.")
    crawl.add_argument("spiders", nargs="*", metavar="SPIDER", help="only sources of these spider kinds (default: all)")
    crawl.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
    crawl.add_argument("--sources", metavar="FILE", help=SOURCES_HELP)
    crawl.add_argument("-a", dest="arg", action="append", metavar="NAME=VALUE", help="spider argument")
    crawl.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="Scrapy setting override")
    crawl.add_argument("--log-level", help="DEBUG, INFO, WARNING... (default: WARNING on a terminal, else INFO)")
    crawl.add_argument("--db", help=DB_HELP)
    crawl.add_argument(
        "--resume", action="store_true", help="keep a crash journal per source; a killed crawl run again carries on"
    )
    crawl.add_argument("--cache", action="store_true", help="revalidate cached pages: unchanged ones cost a 304")
    crawl.add_argument("--full", action="store_true", help="with --cache: also revisit pages that stopped changing")
    crawl.set_defaults(func=cmd_crawl)

    extract = add("extract", "Extract and normalise the reviews of a saved page as if fetched from URL; one JSON per line.")
    extract.add_argument("--spider", required=True, help="spider whose extraction to use")
    extract.add_argument("--url", required=True, help="the URL the page was fetched from")
    extract.add_argument("--source", help="configured source whose settings apply (default: the kind's first)")
    extract.add_argument("file", help="saved page (HTML or JSON)")
    extract.set_defaults(func=cmd_extract)

    dramas = add("dramas", "List stored dramas: reviews, mean score, sources.")
    dramas.add_argument("--search", help="only titles containing this text")
    dramas.add_argument("--db", help=DB_HELP)
    dramas.set_defaults(func=cmd_dramas)

    demo = add(
        "demo",
        "Serve the bundled demo site on 127.0.0.1, crawl it into the store, print the dramas, then serve the "
        "editors' page on it (until Ctrl-C).",
    )
    demo.add_argument("--db", help=DB_HELP)
    demo.add_argument("--port", type=int, default=8765, help="port for the demo site on 127.0.0.1 (default 8765)")
    demo.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="Scrapy setting override")
    demo.add_argument("--log-level", help="DEBUG, INFO, WARNING... (default: WARNING on a terminal, else INFO)")
    demo.add_argument("--no-serve", action="store_true", help="exit after the crawl instead of serving the editor page")
    demo.add_argument(
        "--web-port", type=int, default=cli_web.DEFAULT_PORT, help=f"port of the editor page (default {cli_web.DEFAULT_PORT})"
    )
    demo.add_argument("--editor-token", help="token to sign in with (default: a random one, printed)")
    demo.set_defaults(func=cmd_demo)

    cli_editorial.register(sub, add)
    cli_runs.register(sub, add)
    cli_schedule.register(sub, add)
    cli_web.register(sub, add)
    cli_export.register(sub, add)
    cli_worker.register(sub, add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Alembic announces every migration check at INFO; operators need only its warnings.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
