"""The web application: `create_app(WebConfig)` builds the FastAPI app serving the JSON API under ``/api`` and
the editors' pages under ``/``; `serve` runs it with uvicorn (``dramascore serve``)."""

from __future__ import annotations

import secrets
import socket
from contextlib import asynccontextmanager
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from aggregator import __version__
from aggregator.scoring import Params
from aggregator.store.engine import make_engine, migrate, session_factory

STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class WebConfig:
    """What the app needs: the store, the scoring parameters, and the editor token (None: read-only pages)."""

    db_url: str | None = None
    editor_token: str | None = None
    params: Params = field(default_factory=Params)
    # Signs editor cookies and CSRF tokens; a random one per process logs editors out on restart.
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    # Cache-Control max-age of API responses, in seconds.
    cache_seconds: int = 60


def create_app(config: WebConfig) -> FastAPI:
    """The app, with its engine migrated and kept in ``app.state`` (disposed at shutdown)."""
    from aggregator.web import api, editor

    engine = make_engine(config.db_url)
    migrate(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="dramascore",
        version=__version__,
        description="Read-only API over dramascore's aggregate database: dramas with their consensus score, "
        "their reviews, sources and crawl runs. See docs/api.md.",
        openapi_url="/api/openapi.json",
        # The interactive docs load scripts from a CDN; the page must work offline.
        docs_url=None,
        redoc_url=None,
    )
    app.state.config = config
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(editor.router)
    return app


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one read session per request, closed afterwards (writers use write_with_retry)."""
    with request.app.state.sessions() as session:
        yield session


def get_config(request: Request) -> WebConfig:
    return request.app.state.config


class RunningServer:
    """A uvicorn server on a background thread (tests, benchmarks); ``url`` is its base URL."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        import threading

        import uvicorn

        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, name="dramascore-web", daemon=True)
        self.url = ""

    def start(self, timeout: float = 15.0) -> RunningServer:
        import time

        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start (port taken?)")
            time.sleep(0.02)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningServer:
        return self if self.url else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); OSError (port taken, address not ours) for the caller to report."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def serve(config: WebConfig, sock: socket.socket, *, on_ready=None) -> None:
    """Serve the app on a listening socket (`listen`) in the foreground until Ctrl-C; `on_ready(url)` is called
    once it accepts connections."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning"))
    if on_ready is not None:
        original = server.startup

        async def startup(sockets=None):
            await original(sockets=sockets)
            if server.started:
                bound = sock.getsockname()
                on_ready(f"http://{bound[0]}:{bound[1]}")

        server.startup = startup
    server.run(sockets=[sock])
