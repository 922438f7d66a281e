"""The store's tests run on both databases: `factory` is a session factory on a freshly migrated store."""

from __future__ import annotations

import pytest

from aggregator.store.engine import make_engine, migrate, session_factory


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def factory(request):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = make_engine(url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()
