"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, inspect, text

from aggregator.store.engine import alembic_config, make_engine, migrate
from aggregator.store.models import Base

TABLES = {"sources", "dramas", "drama_aliases", "authors", "reviews", "ratings", "crawl_runs"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def schema_diff(engine, metadata=Base.metadata) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, metadata)


def test_migrated_schema_equals_the_models(engine):
    migrate(engine)
    assert schema_diff(engine) == []
    assert TABLES <= set(inspect(engine).get_table_names())
    indexed = {col for ix in inspect(engine).get_indexes("reviews") for col in ix["column_names"]}
    assert {"drama_id", "author_id"} <= indexed


def test_the_comparison_would_see_a_drift(engine):
    """Guards the test above: a model the migrations do not know about must show up as a difference."""
    migrate(engine)
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["reviews"].append_column(Column("sentiment", Integer, nullable=True))
    diff = schema_diff(engine, drifted)
    assert [(d[0], d[3].name) for d in diff] == [("add_column", "sentiment")]


def test_migrate_is_idempotent_and_at_head(engine):
    migrate(engine)
    migrate(engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]


def test_downgrade_to_base_and_back(engine):
    migrate(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate(engine)
    assert schema_diff(engine) == []


@pytest.mark.parametrize("url", ["sqlite:///offline.db", "postgresql://offline/db"])
def test_offline_mode_renders_sql(url):
    out = io.StringIO()
    config = alembic_config()
    config.output_buffer = out
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head", sql=True)
    sql = out.getvalue()
    assert "CREATE TABLE reviews" in sql and "CREATE INDEX ix_reviews_drama_id" in sql
    assert "INSERT INTO alembic_version" in sql
