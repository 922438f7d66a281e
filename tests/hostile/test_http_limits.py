"""A 50 MB page and a gzip bomb over real HTTP on 127.0.0.1: a real crawl (``dramascore crawl``, the project's
settings) refuses them under DOWNLOAD_MAXSIZE without holding them in memory, counts them, and stores the
reviews of the sane page crawled beside them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from aggregator.crawl import project_settings

from .pages import review, so_page
from .values import gzip_bomb

pytestmark = pytest.mark.slow
MB = 1024 * 1024
BIG = 50 * MB
# Peak memory of the crawl: ~270 MB here with the limits, 2.2 GB without them (the bomb inflated whole).
MAX_RSS = 600 * MB


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        filler = b"<p>" + b"Filler of a page far too big to be a review page. " * (BIG // 51) + b"</p>"
        ok = so_page([review("1"), review("2"), review("3")]).encode()
        self.pages = {
            "/ok.html": ({}, ok),
            "/big.html": ({}, ok.replace(b"<body>", b"<body>" + filler)),
            "/big-chunked.html": ({"length": False}, ok.replace(b"<body>", b"<body>" + filler)),
            "/bomb.html": ({"Content-Encoding": "gzip"}, gzip_bomb()),
        }
        self.sent: dict[str, int] = {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        headers, body = self.server.pages.get(self.path, ({}, None))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for key, value in headers.items():
            if key != "length":
                self.send_header(key, value)
        if headers.get("length", True):
            self.send_header("Content-Length", str(len(body)))
        else:
            self.close_connection = True  # HTTP/1.0, no length: the body ends when the connection does
        self.end_headers()
        sent = 0
        try:
            for start in range(0, len(body), MB):
                self.wfile.write(body[start : start + MB])
                sent += min(MB, len(body) - start)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up: what a refused download looks like from here
        self.server.sent[self.path] = self.server.sent.get(self.path, 0) + sent

    def log_message(self, *args):
        pass


def crawl(site: Site, tmp_path: Path) -> tuple[subprocess.CompletedProcess, int]:
    """`dramascore crawl` of the four pages as a schema.org source; (the result, the child's peak RSS bytes)."""
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[sources.critic]\nkind = "schemaorg"\nbase_url = "{site.base_url}"\n'
        'urls = ["/ok.html", "/big.html", "/big-chunked.html", "/bomb.html"]\n'
    )
    args = [sys.executable, "-m", "aggregator.cli", "crawl", "--sources", str(sources), "--db",
            f"sqlite:///{tmp_path / 'crawl.db'}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "DRAMASCORE_PROGRESS_INTERVAL=0"]  # fmt: skip
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(args, cwd=tmp_path, stdout=stdout, stderr=stderr)
        # The child's own high-water mark (VmHWM): its ru_maxrss would include the pytest process's memory,
        # which the forked child holds until it execs.
        peak = 0
        deadline = time.monotonic() + 120
        while proc.poll() is None:
            peak = max(peak, _vm_hwm(proc.pid))
            if time.monotonic() > deadline:
                proc.kill()
            time.sleep(0.02)
    result = subprocess.CompletedProcess(args, proc.returncode, out.read_text(), err.read_text())
    return result, peak


def _vm_hwm(pid: int) -> int:
    """Peak resident memory of a running process in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def run_stats(db: str) -> dict:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            raw = conn.execute(sa.text("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")).scalar()
            reviews = conn.execute(sa.text("SELECT count(*) FROM reviews")).scalar()
    finally:
        engine.dispose()
    stats = raw if isinstance(raw, dict) else json.loads(raw or "{}")
    return {**stats, "reviews_stored": reviews}


def test_the_project_caps_downloads():
    settings = project_settings()
    assert 0 < settings.getint("DOWNLOAD_WARNSIZE") < settings.getint("DOWNLOAD_MAXSIZE") <= 32 * MB


def test_a_50_mb_page_and_a_gzip_bomb_are_refused_and_counted_and_the_sane_page_is_kept(tmp_path):
    with Site() as site:
        result, rss = crawl(site, tmp_path)
    stats = run_stats(f"sqlite:///{tmp_path / 'crawl.db'}")
    log = result.stdout + result.stderr
    assert stats["reviews_stored"] == 3, log
    assert stats.get("dramascore/pages/schemaorg") == 1, stats  # only the sane page reached the spider
    # The 50 MB pages: cancelled by size (announced by Content-Length, or counted while arriving), counted.
    assert stats.get("downloader/exception_type_count/scrapy.exceptions.DownloadCancelledError") == 2, stats
    assert site.sent["/big.html"] < BIG and site.sent["/big-chunked.html"] < BIG, site.sent
    # The bomb: downloaded (1 MB), refused while inflating past DOWNLOAD_MAXSIZE, and counted as such.
    assert "exceeded DOWNLOAD_MAXSIZE" in log, log
    assert stats["downloader/response_count"] - stats["response_received_count"] == 1, stats
    assert stats.get("dramascore/refused/decompression_too_large") == 1, stats
    assert rss < MAX_RSS, f"peak memory {rss // MB} MB"
    # Refused downloads are errors: the run fails loudly rather than passing with a third of its pages.
    assert result.returncode == 1 and "FAILED critic: error rate" in result.stdout, result.stdout
