"""The batched write paths (arrays on PostgreSQL, executemany on SQLite), round-tripped on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import Float, Integer, String, event, select

from aggregator.items import Rating, ReviewItem
from aggregator.store.dramas import DramaResolver
from aggregator.store.engine import _one_type, one_of, write_with_retry
from aggregator.store.models import DramaAlias, Review
from aggregator.store.models import Rating as RatingRow
from aggregator.store.reviews import get_or_create_source, upsert_reviews

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# What a text array would have to quote or escape: quotes, backslashes, braces, commas, the word NULL, Unicode.
AWKWARD = ['say "hi"', "back\\slash", "{braces}, commas", "NULL", "", "  spaces  ", "줄\n바꿈\ttab", "😀"]


def item(rid: str, **kw) -> ReviewItem:
    base = {"source": "blog", "source_review_id": rid, "url": f"https://blog.test/{rid}", "drama_year": 2021,
            "drama_title": "Move to Heaven", "body": f"Review {rid}.", "crawled_at": T0}  # fmt: skip
    return ReviewItem(**(base | kw))


@contextmanager
def statements(session) -> Iterator[list[str]]:
    """The SQL the session's engine sends inside the block."""
    seen: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listen)


def test_awkward_text_and_nulls_come_back_as_written(factory):
    items = [item(str(n), body=text, title=None if n % 2 else text, author_handle=text or None)
             for n, text in enumerate(AWKWARD)]  # fmt: skip
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=T0))
    with factory() as s:
        rows = {r.source_review_id: r for r in s.scalars(select(Review))}
        assert [rows[str(n)].body for n in range(len(AWKWARD))] == AWKWARD
        assert [rows[str(n)].title for n in range(len(AWKWARD))] == [i.title for i in items]


def test_one_batch_may_mix_int_and_float_scores(factory):
    ratings = [Rating(score_raw="4", aspect="story", score=80, scale="5"),
               Rating(score_raw="4.5", aspect="music", score=90.0, scale="5")]  # fmt: skip
    items = [item("int", score=80, sub_scores=ratings), item("float", score=85.5), item("none", score=None)]
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=T0))
    with factory() as s:
        scores = {rid: score for rid, score in s.execute(select(Review.source_review_id, Review.score))}
        assert scores == {"int": 80.0, "float": 85.5, "none": None}
        assert sorted(s.scalars(select(RatingRow.score))) == [80.0, 90.0]


def test_one_of_is_in_on_both_databases(factory):
    write_with_retry(factory, lambda s: upsert_reviews(s, [item("a"), item("b"), item("c")], seen_at=T0))
    with factory() as s:
        def ids(values: list[str]) -> list[str]:
            return sorted(s.scalars(select(Review.source_review_id).where(one_of(s, Review.source_review_id, values))))

        assert ids(["a", "c", "zz"]) == ["a", "c"]
        assert ids([]) == []


def test_the_statement_for_many_values_is_the_one_for_few(factory):
    """On PostgreSQL an array parameter keeps one statement text (psycopg and the server cache it)."""
    write_with_retry(factory, lambda s: upsert_reviews(s, [item(str(n)) for n in range(30)], seen_at=T0))
    with factory() as s, statements(s) as seen:
        for values in (["1"], [str(n) for n in range(30)]):
            s.execute(select(Review.id).where(one_of(s, Review.source_review_id, values))).all()
        postgres = s.get_bind().dialect.name == "postgresql"
    few, many = [q for q in seen if "FROM reviews" in q]
    if postgres:
        assert few == many and "ANY" in few
    else:
        assert many.count("?") == few.count("?") + 29


def test_a_bulk_resolver_writes_its_aliases_in_one_statement_after_the_flush(factory):
    batch = [item(str(n), drama_title=f"Show {n}", drama_site_id=str(n), source="mydramalist") for n in range(5)]
    with factory() as s:
        source = get_or_create_source(s, "mydramalist")
        resolver = DramaResolver(s, bulk_aliases=True)
        dramas = [resolver.resolve(source, i) for i in batch]
        s.flush()
        assert s.scalars(select(DramaAlias)).all() == [], "kept as rows until write_aliases"
        with statements(s) as inserts:
            resolver.write_aliases()
        assert len(inserts) == 1
        rows = s.execute(select(DramaAlias.drama_id, DramaAlias.site_id).order_by(DramaAlias.site_id)).all()
        assert rows == [(d.id, str(n)) for n, d in enumerate(dramas)]
        assert resolver.pending_aliases == []
        s.rollback()


@pytest.mark.parametrize(
    ("values", "item_type", "expected"),
    [
        ([2.5, 2, None], Float(), [2.5, 2.0, None]),  # PostgreSQL casts 2 to 2.0 as well
        (["a", 7, None], String(), ["a", "7", None]),
        ([1, 2.5], Integer(), [1, 2.5]),  # 2.5 -> 3 in PostgreSQL, 2 in Python: left for psycopg to refuse
        ([True, 1], Integer(), [True, 1]),
        ([1.5, None], Float(), [1.5, None]),
    ],
)
def test_array_items_get_one_python_type_only_where_the_cast_is_exact(values, item_type, expected):
    assert _one_type(values, item_type) == expected
    assert [type(v) for v in _one_type(values, item_type)] == [type(v) for v in expected]
