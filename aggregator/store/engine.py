"""Engines, migrations, sessions, the one place the crawl pipeline commits (`write_with_retry`), and arrays as
PostgreSQL parameters (`one_of`, `BinaryARRAY`)."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, Engine, Float, String, TypeDecorator, any_, bindparam, create_engine, event, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_URL = "sqlite:///dramascore.db"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Execution option read by the SQLite "begin" hook: open the transaction with BEGIN IMMEDIATE.
IMMEDIATE = "dramascore_sqlite_immediate"
# Transient failures worth another go: SQLite's lock errors and PostgreSQL's deadlock/serialisation aborts.
RETRYABLE = ("database is locked", "database is busy", "deadlock detected", "could not serialize access")
# Any constant will do: it only has to be the same for every dramascore process migrating one database.
_PG_MIGRATE_LOCK = 0x6472616D


def make_engine(url: str | None = None, *, busy_timeout: float = 30.0) -> Engine:
    """An engine for `url` (default: $DRAMASCORE_DB, else ``sqlite:///dramascore.db``).

    ``postgresql://`` means psycopg 3, whose connections send `BinaryList`s as binary arrays. SQLite gets WAL, a
    busy timeout of `busy_timeout` seconds, foreign keys and explicit transactions (so writers can take the
    lock up front, see `write_with_retry`).
    """
    url = url or os.environ.get("DRAMASCORE_DB") or DEFAULT_URL
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if make_url(url).get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.driver == "psycopg":
            from psycopg.types.array import ListBinaryDumper

            @event.listens_for(engine, "connect")
            def _binary_arrays(dbapi_conn, _record) -> None:
                dbapi_conn.adapters.register_dumper(BinaryList, ListBinaryDumper)

        return engine

    engine = create_engine(url, connect_args={"timeout": busy_timeout})
    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record) -> None:
        # pysqlite's own implicit BEGIN is deferred and skipped for DDL; SQLAlchemy emits BEGIN instead.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # busy_timeout first, so switching to WAL waits for a concurrent connection instead of failing.
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn) -> None:
        # A deferred transaction that reads and then writes fails at once ("database is locked", no busy
        # wait) when another writer committed in between; BEGIN IMMEDIATE waits for the lock instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")

    return engine


class BinaryList(list):
    """A list that psycopg sends as a binary array on `make_engine`'s PostgreSQL connections (else as text).

    A text array is quoted and escaped element by element in Python: for the batched review insert that was
    most of psycopg's work. The binary form copies each element's bytes.
    """


class BinaryARRAY(TypeDecorator):
    """PostgreSQL ``ARRAY(item_type)`` whose bound values are `BinaryList`s, e.g. ``BinaryARRAY(Text())``."""

    impl = ARRAY
    cache_ok = True

    def __init__(self, item_type) -> None:
        super().__init__(item_type)
        self.item_type = item_type  # an __init__ argument kept as an attribute: part of the statement cache key

    def bind_processor(self, dialect):
        # Wraps ARRAY's processor: it makes a new plain list of the processed items, so process_bind_param
        # (which runs before it) could not keep the BinaryList.
        process = self.impl_instance.bind_processor(dialect)

        def bind(value):
            if value is None:
                return None
            items = process(value) if process else list(value)
            return BinaryList(_one_type(items, self.item_type))

        return bind


def _one_type(items: list, item_type) -> list:
    """`items` of one Python type (besides None), as psycopg's arrays need, where a cast is exact.

    Ints among floats become floats, ints among strings strings, as PostgreSQL would cast each value alone;
    other mixtures are left for psycopg to refuse.

    >>> _one_type([2.5, 2, None], Float()), _one_type(["a", 7], String())
    ([2.5, 2.0, None], ['a', '7'])
    """
    kinds = {type(x) for x in items} - {type(None)}
    if len(kinds) < 2:
        return items
    for column_type, kind, cast in ((Float, float, float), (String, str, str)):
        if isinstance(item_type, column_type) and kinds == {kind, int}:
            return [x if x is None else cast(x) for x in items]
    return items


def one_of(session: Session, column: ColumnElement, values: Collection) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(array)``, e.g. ``reviews.id = ANY(%(ids)s)``.

    One array parameter keeps the statement the same for any number of values: psycopg parses a statement
    of more than 50 parameters again on every execution, and SQLAlchemy renders each IN list anew.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=BinaryARRAY(column.type)))
    return column.in_(values)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (``upgrade head``); safe to call on every start."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{IMMEDIATE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                # Two crawlers starting together must not both create the tables.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATE_LOCK})
            command.upgrade(alembic_config(conn), "head")


def alembic_config(connection=None) -> Config:
    """Alembic configuration for the packaged migrations, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine` whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def is_retryable(exc: OperationalError) -> bool:
    message = str(exc.orig if exc.orig is not None else exc).lower()
    return any(marker in message for marker in RETRYABLE)


def write_with_retry(
    factory: sessionmaker[Session],
    fn: Callable[[Session], T],
    *,
    attempts: int = 8,
    base_delay: float = 0.05,
) -> T:
    """Run ``fn(session)`` in a fresh session and commit; retry (backoff + jitter) while the database is locked.

    Each attempt starts over in a new session, so `fn` must be safe to run again. Other errors, and a lock
    that outlasts `attempts`, are raised.
    """
    for attempt in range(1, attempts + 1):
        with factory() as session:
            try:
                # On SQLite take the write lock before fn reads, so no other writer can slip in between.
                session.connection(execution_options={IMMEDIATE: True})
                result = fn(session)
                session.commit()
                return result
            except OperationalError as exc:
                session.rollback()
                if attempt == attempts or not is_retryable(exc):
                    raise
                delay = base_delay * 2 ** (attempt - 1)
                delay += random.uniform(0, delay)
                logger.warning("database busy (try %d/%d), again in %.2fs: %s", attempt, attempts, delay, exc.orig)
                time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
