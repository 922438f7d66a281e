"""`dramascore export`: the views as CSV or JSON Lines, typed the same on SQLite and PostgreSQL, streamed."""

from __future__ import annotations

import argparse
import csv
import io
import json
import types
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from aggregator import cli_export
from aggregator.export import BOOLEANS, TIMESTAMPS, export, plain, view_rows
from aggregator.items import ReviewItem
from aggregator.scoring import Params
from aggregator.store.consensus import rescore_all
from aggregator.store.engine import make_engine, migrate, session_factory, write_with_retry
from aggregator.store.reviews import upsert_reviews

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def item(n: int, score: float | None, drama: str, **kw) -> ReviewItem:
    return ReviewItem(
        source="mydramalist", source_review_id=str(n), url=f"https://reviews.example/r/{n}", drama_title=drama,
        drama_site_id=drama.lower().replace(" ", "-"), author_handle=f"viewer{n}", author_name=f"Viewer {n}",
        published_at=T0 + timedelta(days=n), score_raw=None if score is None else f"{score / 10:g}", score=score,
        score_scale="10", body=f'Text {n}, with "quotes", commas\nand a line break.', crawled_at=T0, **kw,
    )  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    items = [item(n, 60.0 + 10 * n, "Soundtrack #1", spoiler=n == 2) for n in range(1, 4)]
    items += [item(4, None, "Quiet Harbour"), item(5, 70.0, "Moonlit Ferry")]
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=T0))
    write_with_retry(factory, lambda s: rescore_all(s, Params()))
    engine.dispose()
    return url


def run(url: str, what: str, fmt: str, chunk: int = 1000) -> str:
    engine = make_engine(url)
    out = io.StringIO(newline="")
    with engine.connect() as conn:
        assert export(conn, what, fmt, out, chunk=chunk) == {"dramas": 3, "reviews": 5}[what]
    engine.dispose()
    return out.getvalue()


def test_csv_has_the_view_columns_and_plain_values(url):
    lines = list(csv.DictReader(io.StringIO(run(url, "reviews", "csv"), newline="")))
    assert len(lines) == 5 and list(lines[0])[:3] == ["review_id", "drama_id", "drama_title"]
    first = lines[0]
    assert first["body"] == 'Text 1, with "quotes", commas\nand a line break.'  # quoted, round-trips
    assert (first["score"], first["score_raw"], first["spoiler"], first["excluded"]) == ("70.0", "7", "false", "false")
    assert lines[1]["spoiler"] == "true" and first["duplicate_of"] == ""
    assert first["published_at"] == "2025-03-02T12:00:00+00:00"
    dramas = list(csv.DictReader(io.StringIO(run(url, "dramas", "csv"), newline="")))
    quiet = next(d for d in dramas if d["title"] == "Quiet Harbour")
    assert quiet["score"] == "" and quiet["n_reviews_stored"] == "1" and quiet["tbd"] == "true"


def test_jsonl_is_typed_the_same_on_both_databases(url):
    dramas = [json.loads(line) for line in run(url, "dramas", "jsonl").splitlines()]
    assert [d["drama_id"] for d in dramas] == sorted(d["drama_id"] for d in dramas)
    soundtrack = next(d for d in dramas if d["title"] == "Soundtrack #1")
    assert soundtrack["tbd"] is False and soundtrack["needs_review"] is False and soundtrack["n_scored"] == 3
    assert isinstance(soundtrack["score"], float) and soundtrack["merged_into_id"] is None
    assert datetime.fromisoformat(soundtrack["computed_at"]).utcoffset() == timedelta(0)
    reviews = [json.loads(line) for line in run(url, "reviews", "jsonl").splitlines()]
    assert [r["spoiler"] for r in reviews] == [False, True, False, None, None]
    assert {r["excluded"] for r in reviews} == {False}


def test_rows_stream_in_chunks(url):
    assert run(url, "reviews", "jsonl", chunk=2) == run(url, "reviews", "jsonl")
    engine = make_engine(url)
    with engine.connect() as conn:
        columns, rows = view_rows(conn, "reviews", chunk=2)
        assert isinstance(rows, types.GeneratorType) and "excluded" in columns  # lazy: nothing read yet
        assert next(rows)["review_id"] == 1
    engine.dispose()


@pytest.mark.postgres
def test_the_typed_columns_are_the_views_boolean_and_timestamp_columns(pg_url):
    engine = make_engine(pg_url)
    migrate(engine)
    inspector = inspect(engine)
    typed = {"BOOLEAN": set(), "TIMESTAMP": set()}
    for view in ("v_dramas", "v_reviews"):
        for column in inspector.get_columns(view):
            typed.get(type(column["type"]).__name__, set()).add(column["name"])
    engine.dispose()
    assert typed == {"BOOLEAN": set(BOOLEANS), "TIMESTAMP": set(TIMESTAMPS)}


def test_plain_values():
    assert plain("tbd", 0) is False and plain("excluded", None) is None
    assert plain("crawled_at", datetime(2025, 1, 1, 9, tzinfo=UTC)) == "2025-01-01T09:00:00+00:00"
    assert plain("crawled_at", "2025-01-01 09:00:00.000000") == "2025-01-01T09:00:00+00:00"
    assert plain("title", "0") == "0"


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="dramascore")
    cli_export.register(main.add_subparsers(dest="command"))
    return main


def test_the_command_writes_a_file_and_reports(url, tmp_path, capsys):
    target = tmp_path / "reviews.jsonl"
    args = parser().parse_args(["export", "--format", "jsonl", "--what", "reviews", "-o", str(target), "--db", url])
    assert args.func(args) == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5
    assert not (tmp_path / "reviews.jsonl.partial").exists()
    assert f"exported 5 reviews as jsonl to {target}" in capsys.readouterr().err
    args = parser().parse_args(["export", "--db", url])  # defaults: dramas as CSV on standard output
    assert args.func(args) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("drama_id,title,native_title")


def test_the_command_rejects_bad_choices_and_its_help_ends_with_an_example(capsys):
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["export", "--format", "xml"])
    assert exit_.value.code == 2 and "invalid choice: 'xml'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser().parse_args(["export", "--help"])
    example = "dramascore export --format csv --what reviews --output reviews.csv"
    assert capsys.readouterr().out.rstrip().endswith(example)
