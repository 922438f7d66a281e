"""Shared fixtures: paths to fixtures and real pages, and real services (PostgreSQL) or a clear skip.

With DRAMASCORE_REQUIRE_SERVICES=1 (CI sets it) a missing service fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REALPAGES = ROOT.parent / "shared" / "realpages"
SEEDS = ROOT.parent / "shared" / "seeds"
PG_ADMIN_URL = os.environ.get("DRAMASCORE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def services_required() -> bool:
    return os.environ.get("DRAMASCORE_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def service_missing(what: str) -> None:
    """Skip (locally) or fail (in CI) because a service the test needs is not there."""
    if services_required():
        pytest.fail(f"required service missing: {what}", pytrace=False)
    pytest.skip(f"service missing: {what}")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def realpages() -> Path:
    """../shared/realpages, or a skip that says why (CI always has it)."""
    if not REALPAGES.is_dir():
        if services_required():
            pytest.fail(f"{REALPAGES} is absent", pytrace=False)
        pytest.skip(f"{REALPAGES} is absent: real-page tests need ../shared/realpages beside the project")
    return REALPAGES


@pytest.fixture(scope="session")
def seed():
    """Reads a real review from ../shared/seeds by its prefix ("001"), in place; skips (or fails in CI) if absent."""

    def read(prefix: str) -> str:
        found = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
        if not found:
            if services_required():
                pytest.fail(f"seed {prefix} missing under {SEEDS}", pytrace=False)
            pytest.skip(f"seed {prefix} missing under {SEEDS}")
        return found[0].read_text(encoding="utf-8")

    return read


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file per test."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@contextmanager
def pg_schema(prefix: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL schema on the local server as a SQLAlchemy URL; dropped afterwards."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        service_missing(f"PostgreSQL at {PG_ADMIN_URL}: {exc.orig}")
    sep = "&" if "?" in PG_ADMIN_URL else "?"
    try:
        yield f"{PG_ADMIN_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL schema per test on the local server; dropped afterwards."""
    with pg_schema("t") as url:
        yield url
