"""Batched review upserts, drama resolution and crawl runs, round-tripped on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select, text

from aggregator.items import Rating, ReviewItem
from aggregator.store.engine import write_with_retry
from aggregator.store.models import Author, CrawlRun, Drama, DramaAlias, Review, Source
from aggregator.store.models import Rating as RatingRow
from aggregator.store.queries import crawl_runs, drama_table, review_count
from aggregator.store.reviews import (
    DramaResolver,
    UpsertCounts,
    finish_crawl_run,
    get_or_create_source,
    resolve_drama,
    start_crawl_run,
    upsert_reviews,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def item(rid: str, **kw) -> ReviewItem:
    base = dict(
        source="mydramalist",
        source_review_id=rid,
        url=f"https://example.test/reviews/{rid}",
        drama_title="The Glory",
        drama_site_id="685237",
        drama_native_title="더 글로리",
        drama_year=2022,
        author_handle=f"user{rid}",
        author_name=f"User {rid}",
        author_url=f"https://example.test/profile/user{rid}",
        published_raw="Dec 30, 2022",
        published_at=datetime(2022, 12, 30, tzinfo=UTC),
        score_raw="9.0",
        score=90.0,
        score_scale="10",
        sub_scores=[
            Rating(score_raw="9.5", aspect_raw="Story", aspect="story", score=95.0, scale="10"),
            Rating(score_raw="8.0", aspect_raw="Music", aspect="music", score=80.0, scale="10"),
        ],
        episode_scores=[Rating(score_raw="4/5", episode=1, score=80.0, scale="5")],
        body_raw="<p>Great.</p>",
        body="Great.",
        null_reasons={},
        crawled_at=T0,
    )
    base.update(kw)
    return ReviewItem(**base)


def upsert(factory, items, *, seen_at=T0, run_id=None) -> UpsertCounts:
    return write_with_retry(factory, lambda s: upsert_reviews(s, items, crawl_run_id=run_id, seen_at=seen_at))


def review(session, rid: str) -> Review:
    return session.scalars(select(Review).where(Review.source_review_id == rid)).one()


def ratings(session, review_id: int) -> list[tuple]:
    rows = session.scalars(select(RatingRow).where(RatingRow.review_id == review_id).order_by(RatingRow.id))
    return [(r.kind, r.aspect, r.episode, r.score_raw, r.score, r.scale) for r in rows]


def test_new_items_are_stored_with_drama_author_and_ratings(factory):
    run_id = write_with_retry(factory, lambda s: start_crawl_run(s, "mydramalist", started_at=T0).id)
    counts = upsert(factory, [item("1"), item("2", author_handle=None, author_name=None)], run_id=run_id)
    assert counts == UpsertCounts(new=2)
    with factory() as s:
        r = review(s, "1")
        assert (r.score, r.score_raw, r.score_scale, r.body) == (90.0, "9.0", "10", "Great.")
        assert r.body_raw == "<p>Great.</p>" and r.null_reasons == {}
        assert r.published_at == datetime(2022, 12, 30, tzinfo=UTC) and r.published_at.tzinfo is not None
        assert r.first_seen_at == r.last_seen_at == T0 and r.crawled_at == T0
        assert r.crawl_run_id == run_id and len(r.content_hash) == 64
        assert ratings(s, r.id) == [
            ("aspect", "story", None, "9.5", 95.0, "10"),
            ("aspect", "music", None, "8.0", 80.0, "10"),
            ("episode", None, 1, "4/5", 80.0, "5"),
        ]
        author = s.get(Author, r.author_id)
        assert (author.handle, author.display_name, author.profile_url) == (
            "user1",
            "User 1",
            "https://example.test/profile/user1",
        )
        assert review(s, "2").author_id is None
        drama = s.get(Drama, r.drama_id)
        assert (drama.title, drama.native_title, drama.year) == ("The Glory", "더 글로리", 2022)
        assert review(s, "2").drama_id == drama.id
        assert sorted(a.alias for a in drama.aliases) == ["The Glory", "더 글로리"]
        assert s.scalar(select(Source.name)) == "mydramalist"


def test_same_items_again_are_unchanged_and_only_last_seen_moves(factory):
    items = [item(str(i)) for i in range(5)]
    upsert(factory, items)
    with factory() as s:
        before = {r.source_review_id: (r.id, r.content_hash) for r in s.scalars(select(Review))}
        rating_ids = set(s.scalars(select(RatingRow.id)))
    later = T0 + timedelta(days=1)
    assert upsert(factory, items, seen_at=later) == UpsertCounts(unchanged=5)
    with factory() as s:
        assert review_count(s) == 5
        after = {r.source_review_id: (r.id, r.content_hash) for r in s.scalars(select(Review))}
        assert after == before
        assert set(s.scalars(select(RatingRow.id))) == rating_ids, "unchanged reviews keep their ratings rows"
        r = review(s, "3")
        assert r.last_seen_at == later and r.first_seen_at == T0


def test_a_relative_date_read_a_day_later_is_unchanged_and_keeps_its_first_resolution(factory):
    first = item("rel", published_raw="3 days ago", published_at=T0 - timedelta(days=3), published_relative=True)
    upsert(factory, [first])
    later = T0 + timedelta(days=1)
    again = item("rel", published_raw="3 days ago", published_at=later - timedelta(days=3), published_relative=True)
    assert upsert(factory, [again], seen_at=later) == UpsertCounts(unchanged=1)
    with factory() as s:
        assert review(s, "rel").published_at == T0 - timedelta(days=3)
    # An absolute date that changes is a real update.
    moved = item("rel", published_raw="Dec 31, 2022", published_at=datetime(2022, 12, 31, tzinfo=UTC))
    assert upsert(factory, [moved], seen_at=later) == UpsertCounts(updated=1)


def test_a_changed_review_is_updated_and_its_ratings_replaced(factory):
    upsert(factory, [item("1"), item("2")])
    changed = item(
        "1",
        score_raw="7.0",
        score=70.0,
        body="Good, on reflection.",
        sub_scores=[Rating(score_raw="6.0", aspect_raw="Story", aspect="story", score=60.0, scale="10")],
        episode_scores=[],
    )
    later = T0 + timedelta(hours=5)
    assert upsert(factory, [changed, item("2")], seen_at=later) == UpsertCounts(updated=1, unchanged=1)
    with factory() as s:
        assert review_count(s) == 2
        r = review(s, "1")
        assert (r.score, r.score_raw, r.body) == (70.0, "7.0", "Good, on reflection.")
        assert r.first_seen_at == T0 and r.last_seen_at == later
        assert ratings(s, r.id) == [("aspect", "story", None, "6.0", 60.0, "10")]
        assert len(ratings(s, review(s, "2").id)) == 3


def test_deleting_a_review_deletes_its_ratings(factory):
    upsert(factory, [item("1"), item("2")])
    with factory() as s:
        doomed = review(s, "1").id
        s.execute(text("DELETE FROM reviews WHERE id = :id"), {"id": doomed})
        s.commit()
        assert ratings(s, doomed) == [] and s.scalar(select(func.count()).select_from(RatingRow)) == 3


def test_missing_score_and_date_stay_null_not_zero(factory):
    blank = item("1", score_raw=None, score=None, score_scale=None, published_raw=None, published_at=None)
    junk = item("2", score_raw="n/a", score=None, null_reasons={"score": "unparseable"})
    upsert(factory, [blank, junk])
    with factory() as s:
        nulls = s.execute(text("SELECT count(*) FROM reviews WHERE score IS NULL")).scalar()
        assert nulls == 2
        assert review(s, "1").published_at is None and review(s, "1").published_raw is None
        assert review(s, "2").null_reasons == {"score": "unparseable"}
        (row,) = drama_table(s)
        assert (row.reviews, row.scored, row.mean_score) == (2, 0, None)


def test_duplicates_in_one_batch_last_wins_counted_once(factory):
    assert upsert(factory, [item("1", score=10.0), item("1", score=55.0)]) == UpsertCounts(new=1)
    with factory() as s:
        assert review_count(s) == 1 and review(s, "1").score == 55.0


def test_non_utc_datetimes_come_back_as_the_same_instant_in_utc(factory):
    seoul = timezone(timedelta(hours=9))
    upsert(factory, [item("1", published_at=datetime(2023, 1, 1, 8, 30, tzinfo=seoul))])
    with factory() as s:
        published = review(s, "1").published_at
    assert published == datetime(2022, 12, 31, 23, 30, tzinfo=UTC) and published.utcoffset() == timedelta(0)


def test_author_is_shared_and_refreshed_by_handle(factory):
    upsert(factory, [item("1", author_handle="jass", author_name="Jass", author_url=None)])
    upsert(factory, [item("2", author_handle="jass", author_name="Jass K.", author_url="https://x.test/jass")])
    with factory() as s:
        (author,) = s.scalars(select(Author))
        assert (author.display_name, author.profile_url) == ("Jass K.", "https://x.test/jass")
        assert review(s, "1").author_id == review(s, "2").author_id == author.id


def test_drama_found_by_site_id_whatever_the_title(factory):
    upsert(factory, [item("1")])
    renamed = item("2", drama_title="The Glory (Part 2)", drama_native_title=None, drama_episodes=16)
    upsert(factory, [renamed])
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Drama)) == 1
        drama = s.get(Drama, review(s, "2").drama_id)
        assert drama.episodes == 16, "a later item fills a field the drama lacked"
        assert drama.title == "The Glory"
        assert "The Glory (Part 2)" in {a.alias for a in drama.aliases}


def test_drama_found_by_title_across_sources_ignoring_case_and_year_rules(factory):
    upsert(factory, [item("1", drama_country=None)])
    other = dict(source="blog", drama_site_id=None, drama_native_title=None)
    upsert(
        factory,
        [
            item("b1", drama_title="the  GLORY", drama_year=2022, drama_country="South Korea", **other),
            item("b2", drama_title="The Glory", drama_year=None, **other),
            item("b3", drama_title="The Glory", drama_year=1999, **other),
        ],
    )
    with factory() as s:
        glory = review(s, "1").drama_id
        assert review(s, "b1").drama_id == glory and review(s, "b2").drama_id == glory
        assert review(s, "b3").drama_id != glory, "same title but another year is another drama"
        assert s.get(Drama, glory).country == "South Korea"
        assert s.get(Drama, review(s, "b3").drama_id).year == 1999


def test_another_site_id_from_the_same_source_is_another_drama(factory):
    upsert(factory, [item("1", drama_site_id="100"), item("2", drama_site_id="200")])
    with factory() as s:
        assert review(s, "1").drama_id != review(s, "2").drama_id
        sites = s.execute(select(DramaAlias.site_id).where(DramaAlias.site_id.is_not(None))).scalars()
        assert sorted(sites) == ["100", "200"]


def test_resolve_drama_standalone_and_site_only_placeholder(factory):
    with factory() as s:
        source = get_or_create_source(s, "mydramalist", kind="site")
        first = resolve_drama(s, source, item("1", drama_title=None, drama_native_title=None))
        s.flush()
        assert first.title == "[mydramalist 685237]"
        again = resolve_drama(s, source, item("2"))
        assert again is first and first.title == "The Glory", "a named item replaces the placeholder title"
        with pytest.raises(ValueError):
            resolve_drama(s, source, item("3", drama_title=None, drama_native_title=None, drama_site_id=None))
        assert get_or_create_source(s, "mydramalist").kind == "site"
        s.rollback()


def test_a_prefetched_resolver_answers_from_its_cache(factory):
    upsert(factory, [item("1")])
    batch = [item("2", drama_site_id="777", drama_title="Moving", drama_native_title=None), item("3")]
    with factory() as s:
        source = get_or_create_source(s, "mydramalist")
        resolver = DramaResolver(s)
        resolver.prefetch((source, i) for i in batch)
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(s.get_bind(), "before_cursor_execute", listener)
        try:
            moving = [resolve_drama(s, source, batch[0], resolver=resolver) for _ in range(2)]
            glory = resolve_drama(s, source, batch[1], resolver=resolver)
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", listener)
        assert seen == [], "after prefetch, resolving hits no database"
        assert moving[0] is moving[1] and moving[0].id is None, "a drama new in this batch is found again"
        assert glory.title == "The Glory" and glory.id is not None
        s.rollback()


def test_a_batch_queries_per_batch_not_per_item(factory):
    def statements(n: int, offset: int) -> int:
        batch = [item(str(offset + i), drama_site_id=str(i % 3), author_handle=f"a{i % 4}") for i in range(n)]
        seen: list[str] = []
        engine = factory.kw["bind"]
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            upsert(factory, batch)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    statements(3, 0)  # creates the source, the three dramas and the four authors
    small, large = statements(8, 100), statements(80, 200)
    assert small == large, "statements per batch must not grow with its size"


def test_crawl_run_lifecycle_and_listing(factory):
    first = write_with_retry(factory, lambda s: start_crawl_run(s, "mydramalist", started_at=T0).id)
    second = write_with_retry(factory, lambda s: start_crawl_run(s, "blog", started_at=T0 + timedelta(hours=1)).id)
    write_with_retry(
        factory,
        lambda s: finish_crawl_run(
            s,
            first,
            status="finished",
            finished_at=T0 + timedelta(minutes=3),
            pages=7,
            counts=UpsertCounts(new=5, updated=1, unchanged=2),
            drops={"empty_review": 2, "missing_id": 1},
            errors=0,
            stats={"finish_time": T0, "item_scraped_count": 8},
        ),
    )
    with factory() as s:
        runs = crawl_runs(s)
        assert [r.id for r in runs] == [second, first]
        done = s.get(CrawlRun, first)
        assert (done.status, done.pages, done.reviews_new, done.reviews_updated, done.reviews_unchanged) == (
            "finished", 7, 5, 1, 2,
        )
        assert done.items_dropped == 3 and done.drops == {"empty_review": 2, "missing_id": 1}
        assert done.stats == {"finish_time": T0.isoformat(), "item_scraped_count": 8}
        assert done.finished_at == T0 + timedelta(minutes=3)
        assert runs[0].status == "running" and runs[0].finished_at is None
        assert len(crawl_runs(s, limit=1)) == 1
        with pytest.raises(ValueError):
            finish_crawl_run(s, first, status="done", finished_at=T0, pages=0, counts=UpsertCounts(),
                             drops={}, errors=0, stats={})


def test_drama_table_counts_means_sources_and_search(factory):
    upsert(factory, [item("1", score=80.0), item("2", score=None), item("3", score=60.0)])
    upsert(factory, [item("4", source="blog", drama_site_id=None, score=100.0)])
    upsert(factory, [item("9", drama_site_id="1", drama_title="Moving", drama_native_title="무빙", drama_year=2023)])
    with factory() as s:
        glory, moving = drama_table(s)
        assert (glory.title, glory.reviews, glory.scored, glory.mean_score) == ("The Glory", 4, 3, 80.0)
        assert glory.sources == ["blog", "mydramalist"] and glory.native_title == "더 글로리"
        assert (moving.title, moving.reviews, moving.year) == ("Moving", 1, 2023)
        assert [r.title for r in drama_table(s, search="GLOR")] == ["The Glory"]
        assert [r.title for r in drama_table(s, search="무빙")] == ["Moving"], "aliases are searched too"
        assert drama_table(s, search="no such show") == []
        assert drama_table(s, search="100%_") == [], "LIKE wildcards in a search are literal"
        assert review_count(s) == 5


def test_counts_name_the_dramas_a_batch_wrote_and_only_those(factory):
    counts = upsert(factory, [item("d1"), item("d2", drama_title="Soundtrack #1", drama_site_id="700001")])
    assert len(counts.drama_ids) == 2
    again = upsert(factory, [item("d1"), item("d2", drama_title="Soundtrack #1", drama_site_id="700001")])
    assert again == UpsertCounts(unchanged=2) and again.drama_ids == set()
    changed = upsert(factory, [item("d1", score_raw="8.0", score=80.0)])
    assert changed.drama_ids < counts.drama_ids and len(changed.drama_ids) == 1
