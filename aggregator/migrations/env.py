"""Alembic environment for the dramascore store.

Online, it uses the connection handed over in ``config.attributes["connection"]`` (see
``aggregator.store.engine.migrate``), else it opens one from ``sqlalchemy.url`` / $DRAMASCORE_DB.
Offline (``alembic upgrade --sql``) it renders SQL for that URL's dialect.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from aggregator.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or os.environ.get("DRAMASCORE_DB") or "sqlite:///dramascore.db"


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Imported here so offline SQL generation needs no engine setup.
    from aggregator.store.engine import make_engine

    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
