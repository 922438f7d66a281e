"""One drama across sites (aggregator.store.dramas), round-tripped on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import event, func, select, text

from aggregator.items import ReviewItem
from aggregator.store.dramas import DramaResolver, rekey_aliases
from aggregator.store.engine import alembic_config, make_engine, migrate, write_with_retry
from aggregator.store.models import Drama, DramaAlias, Review, Source
from aggregator.store.queries import dramas_needing_review
from aggregator.store.reviews import get_or_create_source, upsert_reviews

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
OKAY = "It's Okay to Not Be Okay"
OKAY_NATIVE = "\uc0ac\uc774\ucf54\uc9c0\ub9cc \uad1c\ucc2e\uc544"


_ids = iter(range(1, 1_000_000))


def item(source: str, title: str | None, **kw) -> ReviewItem:
    rid = str(next(_ids))
    return ReviewItem(
        source=source, source_review_id=rid, url=f"https://{source}.example.test/{rid}", drama_title=title,
        body=f"Review {rid}.", crawled_at=T0, **kw,
    )  # fmt: skip


def upsert(factory, items) -> None:
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=T0))


def drama_of(session, review: ReviewItem) -> Drama:
    rid = session.scalars(
        select(Review.drama_id).where(Review.source_review_id == review.source_review_id)
    ).one()  # fmt: skip
    return session.get(Drama, rid)


def drama_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Drama))


def test_four_sites_naming_one_drama_four_ways_make_one_drama(factory):
    mdl = item("mydramalist", OKAY, drama_site_id="100", drama_native_title=OKAY_NATIVE, drama_year=2020,
               drama_episodes=16)  # fmt: skip
    upsert(factory, [mdl])
    others = [
        item("wordpress", "Its Okay To Not Be Okay"),  # exact key; a year nobody gave
        item("reddit", "It\u2019s Okay Not to Be Okay", drama_year=2020),  # word order: fuzzy, years agree
        item("blog", "It's Okay to Not Be Okay (2020) K-Drama"),  # bracketed year and site suffix
        item("koreansite", None, drama_native_title="\uc0ac\uc774\ucf54\uc9c0\ub9cc\uad1c\ucc2e\uc544"),
    ]
    upsert(factory, others)
    with factory() as s:
        drama = drama_of(s, mdl)
        assert [drama_of(s, o).id for o in others] == [drama.id] * 4
        assert drama_count(s) == 1 and not drama.needs_review and drama.match_note is None
        named = {(a.alias, s.get(Source, a.source_id).name) for a in drama.aliases}
        assert ("It\u2019s Okay Not to Be Okay", "reddit") in named, "the fuzzy variant is kept as an alias"
        assert ("Its Okay To Not Be Okay", "wordpress") in named
        assert (drama.title, drama.year, drama.episodes) == (OKAY, 2020, 16)
    # Known by its alias now: the fuzzy variant matches exactly next time, even without a year.
    again = item("forum", "It's okay not to be okay")
    upsert(factory, [again])
    with factory() as s:
        assert drama_of(s, again).id == drama.id and drama_count(s) == 1


def test_soundtrack_1_and_2_stay_two_and_a_yearless_post_finds_its_drama(factory):
    one = item("mydramalist", "Soundtrack #1", drama_site_id="1", drama_year=2022, drama_episodes=4)
    two = item("mydramalist", "Soundtrack #2", drama_site_id="2", drama_year=2023, drama_episodes=6)
    upsert(factory, [one, two])
    posts = [item("wordpress", "Soundtrack #1"), item("wordpress", "SOUNDTRACK No. 2"),
             item("blog", "Soundtrack Nº1 (2022)"), item("reddit", "Soundtrack No.2", drama_year=2023)]  # fmt: skip
    upsert(factory, posts)
    with factory() as s:
        first, second = drama_of(s, one), drama_of(s, two)
        assert first.id != second.id and drama_count(s) == 2
        assert [drama_of(s, p).id for p in posts] == [first.id, second.id, first.id, second.id]
        assert dramas_needing_review(s) == [], "a different number is certain, not doubtful"


def test_a_doubtful_near_match_creates_a_flagged_drama_with_a_note(factory):
    known = item("mydramalist", "Because This Is My First Life", drama_site_id="9", drama_year=2017)
    upsert(factory, [known])
    near = item("blog", "Because It's My First Life", drama_year=2017)
    upsert(factory, [near])
    with factory() as s:
        original, flagged = drama_of(s, known), drama_of(s, near)
        assert flagged.id != original.id
        assert flagged.needs_review and not original.needs_review
        assert flagged.match_note.startswith(
            f"possible duplicate of drama {original.id} 'Because This Is My First Life' (score 8"
        )
        assert flagged.match_note.endswith(", below the accept score)")
        assert [d.id for d in dramas_needing_review(s)] == [flagged.id]
    # The same site naming it the same way again joins the flagged drama instead of flagging another.
    later = item("blog", "Because It's My First Life", drama_year=2017)
    upsert(factory, [later])
    with factory() as s:
        assert drama_of(s, later).id == flagged.id and drama_count(s) == 2


def test_uncertain_exact_names_are_flagged_not_merged(factory):
    upsert(factory, [
        item("mydramalist", "Full House", drama_site_id="fh1", drama_year=2004),
        item("mydramalist", "Full House", drama_site_id="fh2", drama_year=2014),
        item("mydramalist", "Crash Landing on You", drama_site_id="cloy", drama_year=2019),
    ])  # fmt: skip
    which = item("blog", "Full House")  # no year: either of two
    later = item("blog", "Crash Landing on You", drama_year=2020)  # a year off: perhaps the broadcast year
    remake = item("blog", "Crash Landing on You", drama_year=2024)  # years apart: certainly another show
    upsert(factory, [which, later, remake])
    with factory() as s:
        assert drama_count(s) == 6
        flagged = {d.title: d.match_note for d in dramas_needing_review(s)}
        assert set(flagged) == {"Full House", "Crash Landing on You"}
        assert flagged["Full House"].startswith("same name as several dramas: drama ")
        assert flagged["Crash Landing on You"].endswith("(score 100, years 2020/2019)")
        assert not drama_of(s, remake).needs_review and drama_of(s, remake).year == 2024


def test_a_site_id_already_taken_on_that_site_blocks_fuzzy_and_exact_matches(factory):
    upsert(factory, [item("mydramalist", "Hospital Playlist Season 2", drama_site_id="a", drama_year=2021)])
    other = item("mydramalist", "Hospital Playlist 2", drama_site_id="b", drama_year=2021)
    blog = item("blog", "Hospital Playlist 2", drama_year=2021)
    upsert(factory, [other, blog])
    with factory() as s:
        assert drama_count(s) == 2, "the site says it is another drama: its word wins over a fuzzy score"
        assert drama_of(s, blog).id == drama_of(s, other).id, "exact beats fuzzy"
        assert dramas_needing_review(s) == []


def test_dramas_new_in_a_batch_join_the_cache_and_the_fuzzy_index_loads_once(factory):
    upsert(factory, [item("mydramalist", "Vincenzo", drama_site_id="v", drama_year=2021)])
    batch = [
        item("blog", "Extraordinary Attorney Woo", drama_year=2022),
        item("reddit", "Extra-ordinary Attorney Woo"),  # compact key of a drama new in this batch
        item("wordpress", "The Extraordinary Attorney Woo", drama_year=2022),  # fuzzy, same batch
    ] + [item("blog", f"Unrelated Show {n}", drama_year=2020) for n in range(10)]  # fmt: skip
    loads: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM dramas" in statement and "WHERE" not in statement:
            loads.append(statement)

    engine = factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        upsert(factory, batch)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(loads) == 1, "all dramas are read once per batch, not per item"
    with factory() as s:
        woo = {drama_of(s, i).id for i in batch[:3]}
        assert len(woo) == 1 and drama_count(s) == 1 + 1 + 10


def test_a_resolver_notes_a_doubt_about_a_drama_new_in_its_batch(factory):
    with factory() as s:
        source = get_or_create_source(s, "blog")
        resolver = DramaResolver(s)
        first = resolver.resolve(source, item("blog", "Because This Is My First Life", drama_year=2017))
        second = resolver.resolve(source, item("blog", "Because It's My First Life", drama_year=2017))
        assert first is not second and first.id is None
        assert second.needs_review and second.match_note.startswith(
            "possible duplicate of drama (new in this batch) 'Because This Is My First Life' (score"
        )
        s.rollback()
        source = get_or_create_source(s, "blog")
        first = DramaResolver(s).resolve(source, item("blog", "Because This Is My First Life", drama_year=2017))
        s.flush()
        variant = item("blog", "Because It's My First Life", drama_year=2017)
        assert DramaResolver(s, accept=85).resolve(source, variant) is first, "thresholds are parameters"
        s.rollback()


def test_aliases_keep_normalised_and_compact_keys_and_rekey_restores_them(factory):
    upsert(factory, [item("blog", "Strong Woman Do Bong-soon", drama_year=2017)])
    with factory() as s:
        (alias,) = s.scalars(select(DramaAlias))
        assert (alias.alias_key, alias.compact_key) == ("strong woman do bong soon", "strongwomandobongsoon")
        assert rekey_aliases(s) == 0
        s.execute(text("UPDATE drama_aliases SET alias_key = 'stale', compact_key = 'stale'"))
        assert rekey_aliases(s) == 1
        s.commit()
        assert s.scalar(select(DramaAlias.compact_key)) == "strongwomandobongsoon"


def test_migration_0003_rekeys_existing_aliases_and_downgrades(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
        conn.execute(text("INSERT INTO dramas (id, title, created_at) VALUES (1, 'Soundtrack #1', '2025-01-01')"))
        conn.execute(text("INSERT INTO drama_aliases (drama_id, alias, alias_key) "
                          "VALUES (1, 'Soundtrack No. 1', 'soundtrack no. 1')"))  # fmt: skip
    migrate(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT alias_key, compact_key FROM drama_aliases")).one()
        assert tuple(row) == ("soundtrack 1", "soundtrack1")
        assert conn.execute(text("SELECT needs_review, match_note FROM dramas")).one() == (0, None)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT alias_key FROM drama_aliases")).scalar() == "soundtrack no. 1"
    engine.dispose()
