"""The SQL views (the read contract): documented column for column in docs/schema.md, and true to the store,
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import inspect, select, text

from aggregator.items import Rating, ReviewItem
from aggregator.scoring import Params
from aggregator.store.consensus import drama_report, rescore_all
from aggregator.store.corrections import record_correction, revoke_correction
from aggregator.store.engine import alembic_config, make_engine, migrate, session_factory, write_with_retry
from aggregator.store.models import Consensus, Drama, DuplicateLink, Review
from aggregator.store.reviews import upsert_reviews

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# docs/schema.md type -> reflected SQLAlchemy type names it may show up as
TYPES = {
    "integer": {"INTEGER", "BIGINT", "SMALLINT"},
    "real": {"DOUBLE", "DOUBLE_PRECISION", "FLOAT", "REAL", "NUMERIC"},
    "text": {"VARCHAR", "TEXT", "STRING"},
    "boolean": {"BOOLEAN"},
    "timestamp": {"TIMESTAMP", "DATETIME"},
}


def documented() -> dict[str, list[tuple[str, str]]]:
    """View -> [(column, type)] from the tables under each ``## `v_...` `` heading of docs/schema.md."""
    views: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"## `(v_\w+)`", line.strip())
        if heading:
            current = views.setdefault(heading.group(1), [])
        elif line.startswith("## "):
            current = None
        elif current is not None and (row := re.match(r"\| `(\w+)` \| (\w+) \|", line)):
            current.append((row.group(1), row.group(2)))
    return views


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = make_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_the_doc_parser_finds_every_view():
    views = documented()
    assert set(views) == {"v_dramas", "v_reviews", "v_drama_sources", "v_drama_episodes"}
    assert all(len(cols) >= 4 for cols in views.values())
    assert {t for cols in views.values() for _, t in cols} <= set(TYPES)


def test_every_view_column_is_documented_and_every_documented_column_exists(engine):
    views = documented()
    inspector = inspect(engine)
    assert set(inspector.get_view_names()) == set(views)
    for view, cols in views.items():
        reflected = inspector.get_columns(view)
        assert [c["name"] for c in reflected] == [name for name, _ in cols], view
        for column, (name, doc_type) in zip(reflected, cols, strict=True):
            # SQLite gives no type to a computed column (EXISTS, COUNT...); PostgreSQL types them all.
            if isinstance(column["type"], sa.types.NullType):
                assert engine.dialect.name == "sqlite", f"{view}.{name} has no type"
                continue
            assert type(column["type"]).__name__.upper() in TYPES[doc_type], (view, name, column["type"])


# --- what the views say -------------------------------------------------------------------------------------


def item(rid: str, score: float | None, *, drama: str = "Soundtrack #1", author: str | None = None, **kw):
    site = {"Soundtrack #1": "100", "Moonlit Ferry": "200", "Quiet Harbour": "300"}[drama]
    base = dict(
        source="mydramalist", source_review_id=rid, url=f"https://reviews.example/r/{rid}", drama_title=drama,
        drama_site_id=site, author_handle=author or f"viewer{rid}", author_name=f"Viewer {rid}",
        published_at=T0 + timedelta(days=int(rid)), score_raw=None if score is None else f"{score / 10:g}",
        score=score, score_scale="10", body=f"Invented text number {rid} for a test.", crawled_at=T0,
    )  # fmt: skip
    base.update(kw)
    return ReviewItem(**base)


@pytest.fixture
def store(engine):
    """Three dramas: one scored by two sources with an episode guide, one with one review, one unscored."""
    factory = session_factory(engine)
    episodes = [Rating(score_raw="4/5", episode=e, score=80.0, scale="5") for e in (1, 2)]
    items = [
        item("1", 80.0, episode_scores=episodes), item("2", 90.0, spoiler=True, spoiler_reason="flag"),
        item("3", 100.0), item("4", 60.0, source="kdramadiary"), item("5", 70.0, drama="Moonlit Ferry"),
        item("6", None, drama="Quiet Harbour", author="anon6"),
    ]  # fmt: skip
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=T0))
    write_with_retry(factory, lambda s: rescore_all(s, Params()))
    with factory() as s:
        ids = dict(s.execute(select(Review.source_review_id, Review.id)).all())
    return factory, ids


def rows(engine, query: str, **params) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(query), params)]


def test_v_dramas_is_the_drama_with_its_consensus(engine, store):
    factory, _ = store
    got = {r["title"]: r for r in rows(engine, "SELECT * FROM v_dramas")}
    assert set(got) == {"Soundtrack #1", "Moonlit Ferry", "Quiet Harbour"}
    with factory() as s:
        for title, view in got.items():
            stored = s.get(Consensus, view["drama_id"])
            for column in ("score", "ci_low", "ci_high", "mean", "median", "stdev", "n_reviews", "n_scored", "band"):
                assert view[column] == pytest.approx(getattr(stored, column)), (title, column)
            assert bool(view["tbd"]) is stored.tbd and view["method"] == "bayes-v1"
    st = got["Soundtrack #1"]
    assert st["n_reviews_stored"] == 4 and st["n_scored"] == 4 and st["merged_into_id"] is None
    assert got["Quiet Harbour"]["score"] is None and got["Quiet Harbour"]["n_reviews_stored"] == 1


def test_breakdown_views_match_the_consensus_json(engine, store):
    factory, _ = store
    with factory() as s:
        for row in s.scalars(select(Consensus)):
            sources = rows(engine, "SELECT * FROM v_drama_sources WHERE drama_id = :d ORDER BY source", d=row.drama_id)
            # The same doubles, written once from one Result: equal, not just close.
            assert {r["source"]: {"n": r["n_scored"], "mean": r["mean"], "weight": r["weight"]} for r in sources} == (
                row.per_source
            )
            assert all(r["source_id"] is not None for r in sources)
            episodes = rows(engine, "SELECT * FROM v_drama_episodes WHERE drama_id = :d", d=row.drama_id)
            assert {str(r["episode"]): {"n": r["n_scored"], "mean": r["mean"]} for r in episodes} == row.per_episode
    (soundtrack,) = rows(engine, "SELECT drama_id FROM v_dramas WHERE title = 'Soundtrack #1'")
    sources = rows(engine, "SELECT source FROM v_drama_sources WHERE drama_id = :d", d=soundtrack["drama_id"])
    assert sorted(r["source"] for r in sources) == ["kdramadiary", "mydramalist"]
    assert len(rows(engine, "SELECT * FROM v_drama_episodes WHERE drama_id = :d", d=soundtrack["drama_id"])) == 2


def test_a_rescore_replaces_the_breakdown_rows(engine, store):
    factory, _ = store
    with factory() as s:
        s.execute(Review.__table__.delete().where(Review.source_review_id == "4"))
        s.commit()
    write_with_retry(factory, lambda s: rescore_all(s, Params()))
    assert [r["source"] for r in rows(engine, "SELECT source FROM v_drama_sources")] == ["mydramalist"] * 2


def duplicate_of_in_reports(factory) -> dict[int, int | None]:
    with factory() as s:
        drama_ids = list(s.scalars(select(Drama.id)))
        return {line.review_id: line.duplicate_of for d in drama_ids for line in drama_report(s, d).reviews}


def test_v_reviews_flags_follow_the_corrections_as_scoring_does(engine, store):
    factory, ids = store
    view = {r["review_id"]: r for r in rows(engine, "SELECT * FROM v_reviews")}
    assert len(view) == 6 and not any(r["excluded"] or r["duplicate_of"] for r in view.values())
    two = view[ids["2"]]
    assert (two["source"], two["author"], two["drama_title"], two["score_raw"], two["score"]) == (
        "mydramalist", "Viewer 2", "Soundtrack #1", "9", 90.0,
    )  # fmt: skip
    assert bool(two["spoiler"]) and two["spoiler_reason"] == "flag"

    steps = []

    def correct(kind, **targets):
        def step(s):
            return record_correction(s, kind, editor="ed", reason="test", **targets).id

        steps.append(write_with_retry(factory, step))

    def check():
        view = {r["review_id"]: r for r in rows(engine, "SELECT * FROM v_reviews")}
        assert {rid: r["duplicate_of"] for rid, r in view.items()} == duplicate_of_in_reports(factory)
        return view

    with factory() as s:  # the detector's link: 3 repeats 1
        s.add(DuplicateLink(review_id=ids["3"], canonical_id=ids["1"], rule="near_text", similarity=0.9))
        s.commit()
    assert check()[ids["3"]]["duplicate_rule"] == "near_text"
    correct("split_duplicate", review_id=ids["1"], other_review_id=ids["3"])
    assert check()[ids["3"]]["duplicate_of"] is None
    correct("force_duplicate", review_id=ids["3"], other_review_id=ids["1"])  # a later force wins again
    assert check()[ids["3"]]["duplicate_of"] == ids["1"]
    correct("force_duplicate", review_id=ids["2"], other_review_id=ids["4"])
    got = check()[ids["2"]]
    assert (got["duplicate_of"], got["duplicate_rule"]) == (ids["4"], "editor")
    correct("exclude_review", review_id=ids["5"])
    assert bool(check()[ids["5"]]["excluded"])
    write_with_retry(factory, lambda s: revoke_correction(s, steps[-1], editor="ed"))
    assert not check()[ids["5"]]["excluded"]


def test_v_dramas_names_the_drama_a_merged_one_went_into(engine, store):
    factory, _ = store
    by_title = {r["title"]: r["drama_id"] for r in rows(engine, "SELECT drama_id, title FROM v_dramas")}
    merged, into = by_title["Moonlit Ferry"], by_title["Soundtrack #1"]
    write_with_retry(factory, lambda s: record_correction(s, "merge_dramas", editor="ed", reason="same",
                                                          drama_id=merged, other_drama_id=into))  # fmt: skip
    write_with_retry(factory, lambda s: rescore_all(s, Params()))
    got = {r["drama_id"]: r for r in rows(engine, "SELECT * FROM v_dramas")}
    assert got[merged]["merged_into_id"] == into and got[merged]["score"] is None
    assert got[into]["merged_into_id"] is None
    assert rows(engine, "SELECT * FROM v_drama_sources WHERE drama_id = :d", d=merged) == []


def test_upgrading_fills_the_breakdown_tables_from_stored_consensus(engine):
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
    assert "consensus_sources" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO dramas (id, title, created_at, needs_review) VALUES (1, 'X', :t, :f)"),
                     {"t": T0, "f": False})  # fmt: skip
        consensus = sa.table(
            "consensus", sa.column("drama_id"), sa.column("method"), sa.column("params", sa.JSON()),
            sa.column("computed_at"), sa.column("n_reviews"), sa.column("n_scored"), sa.column("n_inferred"),
            sa.column("tbd", sa.Boolean()), sa.column("per_source", sa.JSON()), sa.column("per_episode", sa.JSON()),
        )  # fmt: skip
        conn.execute(
            consensus.insert(),
            {"drama_id": 1, "method": "bayes-v1", "params": {}, "computed_at": T0, "n_reviews": 2, "n_scored": 2,
             "n_inferred": 0, "tbd": True, "per_source": {"a": {"n": 2, "mean": 75.0, "weight": 1.5}},
             "per_episode": {"10": {"n": 1, "mean": 60.0}, "2": {"n": 2, "mean": 70.0}}},
        )  # fmt: skip
    migrate(engine)
    assert rows(engine, "SELECT drama_id, source, n_scored, mean, weight FROM v_drama_sources") == [
        {"drama_id": 1, "source": "a", "n_scored": 2, "mean": 75.0, "weight": 1.5}
    ]
    assert [(r["episode"], r["mean"]) for r in rows(engine, "SELECT * FROM v_drama_episodes ORDER BY episode")] == [
        (2, 70.0), (10, 60.0),
    ]  # fmt: skip


def test_the_sqlite_file_opens_in_plain_sqlite(sqlite_url, tmp_path):
    """Python's own sqlite3 module and the sqlite3 shell read the views: no SQLAlchemy, no dramascore code."""
    engine = make_engine(sqlite_url)
    migrate(engine)
    factory = session_factory(engine)
    write_with_retry(factory, lambda s: upsert_reviews(s, [item("1", 80.0), item("2", 60.0)], seen_at=T0))
    write_with_retry(factory, lambda s: rescore_all(s, Params()))
    engine.dispose()
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT title, n_reviews_stored FROM v_dramas").fetchall() == [("Soundtrack #1", 2)]
        assert conn.execute("SELECT COUNT(*) FROM v_reviews WHERE NOT excluded").fetchone() == (2,)
    shell = shutil.which("sqlite3")
    if shell is None:
        pytest.skip("no sqlite3 shell on this machine (the stdlib check above passed)")
    out = subprocess.run([shell, path, "select title, score from v_dramas"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("Soundtrack #1|7")
