"""bench/api.py works end to end on a tiny store: generated rows, consensus rows, uvicorn in one process and
the load generator (bench/api_load.py) in another. Counts and orderings are asserted, never timings."""

from __future__ import annotations

import importlib.util
import json
import sys
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent.parent / "bench"
REVIEWS, DRAMAS = 2000, 50


def _load(name: str):
    """A bench script as a module under a name no other test uses (bench/ is not a package)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load("api")


@pytest.fixture(scope="module")
def store(bench, tmp_path_factory) -> str:
    url, timings = bench.sqlite_store(REVIEWS, DRAMAS, cache=tmp_path_factory.mktemp("bench_api"))
    assert timings is not None and timings["rows_s"] > 0  # built now, not found in a cache
    return url


@pytest.fixture(scope="module")
def served(bench, store):
    """The current app on the tiny store, in its own process: base URL and pid."""
    with bench.server(store) as running:
        yield running


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        return json.loads(answer.read())


def test_the_generated_store_has_every_review_and_a_consensus_row_per_drama(bench, store, tmp_path):
    engine = sa.create_engine(store)
    try:
        with engine.connect() as conn:
            count = lambda table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert count("reviews") == REVIEWS and count("dramas") == count("consensus") == DRAMAS
            assert count("duplicate_links") > 0 and count("ratings") > 0 and count("corrections") == 21
            per_drama = [n for (n,) in conn.execute(sa.text("SELECT count(*) FROM reviews GROUP BY drama_id"))]
    finally:
        engine.dispose()
    assert max(per_drama) > 3 * min(per_drama)  # popular and obscure dramas, as in the full-size store
    again, timings = bench.sqlite_store(REVIEWS, DRAMAS, cache=Path(store.removeprefix("sqlite:///")).parent)
    assert again == store and timings is None  # the second call finds it in the cache


def test_every_request_is_answered_and_the_percentiles_are_ordered(bench, served):
    url, pid = served
    closed, server_cpu = bench.load(url, "/api/dramas/{id}", DRAMAS, clients=4, seconds=1.0, warmup=0.2,
                                    server_pid=pid)  # fmt: skip
    opened, _ = bench.load(url, "/api/dramas/{id}", DRAMAS, clients=4, seconds=1.0, warmup=0.2, rate=20)
    answer = _get(f"{url}/api/dramas/1")
    assert closed.requests > 0 and closed.ok == closed.requests and closed.errors == 0
    assert 0 < closed.p50 <= closed.p90 <= closed.p99 <= closed.max
    assert server_cpu > 0 and closed.client_cpu_s > 0
    # Open loop: exactly the requests due in the counted second, each answered.
    assert opened.requests + opened.backlog == 20 and opened.ok == opened.requests
    assert answer["id"] == 1 and answer["consensus"]["stored"] is True and answer["consensus"]["n_reviews"] > 0
    assert "p99" in bench.line("label", closed, server_cpu)


def test_the_stored_row_answer_is_the_full_report_one(bench, store, served):
    """The drama answer as served (stored consensus row only) equals the old one built from every review."""
    ids = (1, 2, DRAMAS // 2, DRAMAS)
    current = [_get(f"{served[0]}/api/dramas/{i}") for i in ids]
    with bench.server(store, proposed=True) as (url, _):
        proposed = [_get(f"{url}/api/dramas/{i}") for i in ids]
    assert proposed == current
