"""Serve the demo site on 127.0.0.1: one server, a site shaped like each kind of source.

    /                      MyDramaList-shaped pages (mdl_pages; rendered once at start, answered from memory)
    /blogs/kdramadiary/    WordPress blog with the REST API (wp_site, wp_api)
    /blogs/seoulscreen/    WordPress blog with the API turned off (HTML only)
    /reddit/               Reddit-shaped JSON API (reddit_api)
    /critic/               critic reviews with schema.org markup (critic_pages)

The blogs, Reddit and the critic site answer per request (query parameters, paging headers, absolute URLs
on the server's own address).

    with DemoSite() as site:
        site.base_url          # "http://127.0.0.1:<free port>"
        site.hits              # Counter: route key -> requests
        site.user_agents       # Counter: User-Agent header -> requests
        site.not_modified      # Counter: route key -> conditional requests answered 304

Every 200 carries an ETag (a hash of the body) and Last-Modified, with ``Cache-Control: max-age=0,
must-revalidate`` so HTTP caches revalidate each time; ``If-None-Match`` / ``If-Modified-Since`` get a 304 when
the page is unchanged. ``DemoSite(delay=0.2)`` answers slowly (tests kill crawls mid-way), and
``site.edit_page(key, old, new)`` changes a page between crawls.

Run it by hand with ``python -m aggregator.demo.server --port 8000``.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from aggregator.demo import reddit_api, wp_site
from aggregator.demo.critic_pages import CriticSite
from aggregator.demo.mdl_pages import LISTING_PATH, document, load_content, page_key, render_site
from aggregator.demo.reddit_api import RedditApi
from aggregator.demo.reply import Reply, etag, is_not_modified, not_modified, query_values, with_validators
from aggregator.demo.wp_model import load_blogs
from aggregator.sources import SourceConfig, parse_sources

HOST = "127.0.0.1"
NOT_FOUND = document("Page not found", '<h1 class="text-lg">404: no such page on the demo site</h1>').encode()


def demo_sources(base_url: str) -> list[SourceConfig]:
    """The demo's sources (aggregator/demo/sources.toml) pointed at a running demo site."""
    text = resources.files("aggregator.demo").joinpath("sources.toml").read_text(encoding="utf-8")
    return parse_sources(text, origin="aggregator/demo/sources.toml", variables={"demo": base_url})


def demo_drama_titles() -> list[str]:
    """Titles of the demo dramas, in listing order."""
    return [d["title"] for d in load_content()["dramas"]]


def demo_review_count() -> int:
    """Distinct reviews on the MyDramaList-shaped pages (what a crawl of the `mydramalist` source should store)."""
    return sum(len(d["reviews"]) for d in load_content()["dramas"])


# Hit keys of the dynamic sites: path prefix -> key(path, query parameters).
DYNAMIC_KEYS = (
    ("/blogs", wp_site.route_key),
    (reddit_api.PREFIX, reddit_api.route_key),
    ("/critic", lambda path, params: path),
)


def route_key(target: str) -> str:
    """Normalise a request target to the key pages are stored (and hits counted) under.

    Paginated routes keep only ``page`` (missing = 1) so ``/shows/popular`` and ``/shows/popular?page=1``
    are one page, as they are on the real site; other MyDramaList routes ignore the query string. The dynamic
    sites keep the parameters that change their answer (``page``, ``per_page``, ``after``, ``q``, ``s``...).
    """
    parts = urlsplit(target)
    path = parts.path or "/"
    for prefix, key in DYNAMIC_KEYS:
        if path == prefix or path.startswith(prefix + "/"):
            return key(path, query_values(parts.query))
    if path == LISTING_PATH or path.endswith("/reviews"):
        values = parse_qs(parts.query).get("page")
        page = values[-1] if values else "1"
        return page_key(path, int(page)) if page.isdigit() else f"{path}?page={page}"
    return path


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a crawler opening more connections at once; each
    # dropped one retries a second later.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A crawler that hangs up mid-response is normal; anything else is a real error worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class DemoSite:
    """The demo site on 127.0.0.1 in a daemon thread; a context manager that starts and stops it."""

    def __init__(self, port: int = 0, delay: float = 0.0):
        self.port = port
        # Seconds each request waits before its answer: a slow site leaves time to kill a crawl mid-way.
        self.delay = delay
        self.pages: dict[str, tuple[str, bytes]] = {
            key: (ctype, text.encode("utf-8")) for key, (ctype, text) in render_site().items()
        }
        self.apps = {site.prefix: site for site in (*map(wp_site.WordPressSite, load_blogs().values()),
                                                    RedditApi(), CriticSite())}
        self.hits: Counter[str] = Counter()
        self.user_agents: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        # Route key -> (ETag, Last-Modified time): a page's time moves only when its body changes.
        self._versions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("DemoSite is not running: call start() or use it as a context manager")
        return f"http://{HOST}:{self._server.server_address[1]}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def start(self) -> DemoSite:
        if self._server is None:
            self._server = _Server((HOST, self.port), self._handler_class())
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-site", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def edit_page(self, key: str, old: str, new: str) -> None:
        """Change a MyDramaList-shaped page (by route key) as a site edit would; its ETag changes with it."""
        ctype, body = self.pages[key]
        text = body.decode("utf-8")
        if old not in text:
            raise ValueError(f"{old!r} is not on {key}")
        self.pages[key] = (ctype, text.replace(old, new).encode("utf-8"))

    def reply(self, target: str, user_agent: str | None = None, headers=None) -> Reply:
        """The answer to a GET of `target` (path and query); counts the hit and the User-Agent.

        `headers` (the request's) make it conditional: an unchanged 200 becomes a 304 with no body.
        """
        key = route_key(target)
        with self._lock:
            self.hits[key] += 1
            self.user_agents[user_agent or ""] += 1
        answer = self._answer(key, target)
        if answer.status != 200:
            return answer
        last_modified = self._last_modified(key, answer.body)
        answer = with_validators(answer, last_modified)
        if headers is not None and is_not_modified(answer, last_modified, headers):
            with self._lock:
                self.not_modified[key] += 1
            return not_modified(answer)
        return answer

    def _last_modified(self, key: str, body: bytes) -> float:
        tag = etag(body)
        with self._lock:
            known = self._versions.get(key)
            if known is None or known[0] != tag:
                # Whole seconds (HTTP dates have no more); a page edited within the second it was first
                # served is still told apart by its ETag, which caches send first.
                known = self._versions[key] = (tag, float(int(time.time())))
            return known[1]

    def _answer(self, key: str, target: str) -> Reply:
        parts = urlsplit(target)
        path = parts.path or "/"
        for prefix, app in self.apps.items():
            if path == prefix or path.startswith(prefix + "/"):
                return app.handle(path, query_values(parts.query), self.base_url)
        if key in self.pages:
            ctype, body = self.pages[key]
            return Reply(200, ctype, body)
        return Reply(404, "text/html; charset=utf-8", NOT_FOUND)

    def respond(self, target: str) -> tuple[int, str, bytes]:
        """Status, content type and body for a request target; counts the hit."""
        answer = self.reply(target)
        return answer.status, answer.content_type, answer.body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "dramascore-demo/1"
            # Headers and body are written separately: with Nagle's algorithm on, each answer would wait for
            # the client's delayed ACK (up to 40 ms).
            disable_nagle_algorithm = True

            def do_GET(self):
                self._reply(send_body=True)

            def do_HEAD(self):
                self._reply(send_body=False)

            def _reply(self, send_body: bool) -> None:
                if site.delay:
                    time.sleep(site.delay)
                answer = site.reply(self.path, self.headers.get("User-Agent"), self.headers)
                self.send_response(answer.status)
                if answer.status != 304:
                    self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                if send_body:
                    self.wfile.write(answer.body)

            def log_message(self, format, *args):
                # Quiet: a crawl makes dozens of requests and tests read stderr.
                pass

        return Handler


def serve_forever(port: int = 8000) -> None:
    """Serve the demo site in the foreground until interrupted."""
    site = DemoSite(port).start()
    print(f"dramascore demo site on {site.base_url}/ (Ctrl-C to stop)", file=sys.stderr)
    try:
        site._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aggregator.demo.server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0 = any free port)")
    serve_forever(parser.parse_args(argv).port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
