"""Shared web fixtures: the demo crawled once per session into SQLite and into PostgreSQL, and API servers.

The crawl runs in a subprocess (``dramascore demo --no-serve``): Twisted's reactor starts once per process.
The session stores are shared and must stay as crawled; a test that writes copies the SQLite file first
(`copy_sqlite`).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from aggregator.web.app import RunningServer, WebConfig, create_app
from tests.conftest import pg_schema


def crawl_demo(url: str, cwd: Path) -> None:
    """Crawl the bundled demo site into `url` in a subprocess; fails the test with its output if it fails."""
    command = [sys.executable, "-m", "aggregator.cli", "demo", "--db", url, "--port", "0", "--no-serve"]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        pytest.fail(f"demo crawl into {url} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)


def copy_sqlite(url: str, target: Path) -> str:
    """A private copy of a SQLite store (through SQLite's backup, so a -wal file beside it is included)."""
    source = sqlite3.connect(make_url(url).database)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def demo_sqlite_url(tmp_path_factory) -> str:
    """SQLAlchemy URL of a SQLite file holding the crawled demo (read-only for tests: copy it to write)."""
    where = tmp_path_factory.mktemp("demo_sqlite")
    url = f"sqlite:///{where / 'demo.db'}"
    crawl_demo(url, where)
    return url


@pytest.fixture(scope="session")
def demo_pg_url(tmp_path_factory):
    """SQLAlchemy URL of a PostgreSQL schema holding the crawled demo; dropped at the end of the session."""
    with pg_schema("demo") as url:
        crawl_demo(url, tmp_path_factory.mktemp("demo_pg"))
        yield url


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo_url(request) -> str:
    """The crawled demo on each database in turn."""
    return request.getfixturevalue("demo_sqlite_url" if request.param == "sqlite" else "demo_pg_url")


@pytest.fixture(scope="session")
def api_url(demo_url):
    """Base URL of a running server (uvicorn, real HTTP on 127.0.0.1) over the crawled demo."""
    server = RunningServer(create_app(WebConfig(db_url=demo_url, cache_seconds=30))).start()
    yield server.url
    server.stop()
