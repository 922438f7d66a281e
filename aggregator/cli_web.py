"""``dramascore serve``: the JSON API and the editors' page on one port (127.0.0.1 by default)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

DB_HELP = "SQLAlchemy URL of the store (default: $DRAMASCORE_DB or sqlite:///dramascore.db)"
EXAMPLES = {
    "serve": "example: DRAMASCORE_EDITOR_TOKEN=$(openssl rand -hex 16) dramascore serve --db sqlite:///reviews.db --port 8766",
}
DEFAULT_PORT = 8766


def web_config(db: str | None, overrides: dict | None = None):
    """The app's configuration from the project settings (editor token, scoring parameters, cache time)."""
    from aggregator.crawl import project_settings
    from aggregator.scoring import Params
    from aggregator.web.app import WebConfig

    settings = project_settings(overrides or {})
    secret = settings.get("DRAMASCORE_WEB_SECRET")
    extra = {"secret": secret.encode("utf-8")} if secret else {}
    return WebConfig(
        db_url=db or settings.get("DRAMASCORE_DB"),
        editor_token=settings.get("DRAMASCORE_EDITOR_TOKEN") or None,
        params=Params.from_settings(settings),
        cache_seconds=settings.getint("DRAMASCORE_API_CACHE_SECONDS", 60),
        **extra,
    )


def announce(url: str, config) -> None:
    editing = "sign in with the editor token to correct data" if config.editor_token else (
        "read-only (set DRAMASCORE_EDITOR_TOKEN to let editors correct data)"
    )
    print(f"Editor page: {url}/  ({editing})", flush=True)
    print(f"JSON API:    {url}/api/dramas  (OpenAPI: {url}/api/openapi.json)", flush=True)
    print("Press Ctrl-C to stop.", flush=True)


def cmd_serve(args) -> int:
    from aggregator.web.app import listen, serve

    overrides = {}
    if args.editor_token:
        overrides["DRAMASCORE_EDITOR_TOKEN"] = args.editor_token
    config = web_config(args.db, overrides)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"dramascore: serving on {args.host}: anyone who can reach it can read the data", file=sys.stderr)
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        print(f"dramascore: cannot listen on {args.host}:{args.port}: {exc.strerror or exc} (try --port)", file=sys.stderr)
        return 2
    try:
        serve(config, sock, on_ready=lambda url: announce(url, config))
    except KeyboardInterrupt:
        pass
    return 0


def register(subparsers, add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    serve = add("serve", "Serve the read-only JSON API and the editors' web page (127.0.0.1 by default).")
    serve.add_argument("--db", help=DB_HELP)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument(
        "--editor-token",
        default=os.environ.get("DRAMASCORE_EDITOR_TOKEN"),
        help="token editors sign in with (default: $DRAMASCORE_EDITOR_TOKEN; none: read-only pages)",
    )
    serve.set_defaults(func=cmd_serve)
