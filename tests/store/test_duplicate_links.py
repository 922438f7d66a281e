"""Duplicate links in the store (aggregator.store.duplicates) on SQLite and PostgreSQL: refresh, re-runs,
editors' corrections, and the canonical reviews scoring reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from aggregator.duplicates import Link
from aggregator.items import Rating, ReviewItem
from aggregator.store.duplicates import canonical_ids, duplicate_links, editor_decisions, refresh_duplicates
from aggregator.store.engine import write_with_retry
from aggregator.store.models import Correction, DuplicateLink, Review
from aggregator.store.reviews import upsert_reviews

GLORY = """Revenge is served so cold in this one that I kept checking the room temperature. The heroine plans \
for years, quietly, and the show lets every step of her plan breathe instead of rushing to the next shock.

The cast is uneven: the heroine and her mother are superb, while two of the bullies are played like cartoon \
villains who only sneer. The music is sparse and clever, mostly silence and a cello in the worst moments.

Part two drags in its middle episodes and one romance never convinced me at all. The last hour, though, ties \
almost every knot it tied earlier, and I closed the laptop feeling that justice had been done."""
# The blog cross-post: a clause trimmed, a signature line added.
GLORY_BLOG = GLORY.replace(" and one romance never convinced me at all", "") + "\n\n— cross-posted from my blog"
OTHER_GLORY = """I expected to love it and ended up admiring it instead. The plan is smart, the photography is \
beautiful and the lead never puts a foot wrong, but the pace is glacial and most supporting characters exist \
only to be punished. I am glad I watched it once; I will not watch it twice, and I gave it seven stars."""
MOVING = """Superpowers are the least interesting thing about this show, and I mean that as praise. It is a story \
about parents who hide what they are to keep their children safe, told with patience, humour and some of the \
best action scenes on television. The flashback episodes alone are worth the subscription."""

T0 = datetime(2023, 1, 2, tzinfo=UTC)
SEEN = datetime(2025, 3, 1, tzinfo=UTC)


def item(source: str, rid: str, body: str, *, days: int = 0, drama: str = "The Glory", **kw) -> ReviewItem:
    base = dict(
        source=source,
        source_review_id=rid,
        url=f"https://{source}.example/reviews/{rid}",
        drama_title=drama,
        drama_year=2022 if drama == "The Glory" else 2023,
        author_handle=f"{source}-{rid}",
        published_raw=f"{days} days after",
        published_at=T0 + timedelta(days=days),
        score_raw="9.0",
        score=90.0,
        score_scale="10",
        sub_scores=[
            Rating(score_raw="9.5", aspect_raw="Story", aspect="story", score=95.0, scale="10"),
            Rating(score_raw="8.0", aspect_raw="Music", aspect="music", score=80.0, scale="10"),
        ],
        body_raw=body,
        body=body,
        crawled_at=SEEN,
    )
    base.update(kw)
    return ReviewItem(**base)


BLOG_URL = "https://kdramadiary.example/2023/01/the-glory-review/"
ITEMS = [
    item("mydramalist", "m1", GLORY),
    item("kdramadiary", "b1", GLORY_BLOG, days=3, url=BLOG_URL),
    # The same blog post read through a feed reader: another source, the same address, an excerpt.
    item(
        "feeds",
        "f1",
        GLORY_BLOG.split("\n\n")[0],
        days=4,
        url="HTTPS://KDramaDiary.example:443/2023/01/the-glory-review?utm_source=rss",
    ),
    item("reddit", "r1", GLORY.upper(), days=6),
    item("reddit", "c1", "Loved it!", days=7),
    item("reddit", "c2", "Loved it!", days=8),
    item("mydramalist", "o1", OTHER_GLORY, days=9),
    item("mydramalist", "x1", MOVING, drama="Moving"),
    # A copy of the Glory review filed under Moving: a drama resolution error, counted and left alone.
    item("kdramadiary", "x2", GLORY, days=12, drama="Moving"),
]


def store(factory, items=ITEMS) -> dict[str, int]:
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=SEEN))
    with factory() as s:
        return {rid: id for id, rid in s.execute(select(Review.id, Review.source_review_id))}


def refresh(factory, drama_ids=None, **kw) -> dict:
    return write_with_retry(factory, lambda s: refresh_duplicates(s, drama_ids, **kw))


def links(factory) -> set[tuple[int, int, str, float | None]]:
    with factory() as s:
        rows = s.execute(select(DuplicateLink.review_id, DuplicateLink.canonical_id, DuplicateLink.rule,
                                DuplicateLink.similarity))  # fmt: skip
        return {tuple(row) for row in rows}


def drama_of(factory, review_id: int) -> int:
    with factory() as s:
        return s.get(Review, review_id).drama_id


def correct(factory, kind: str, review_id: int, other_id: int, *, revoked: bool = False) -> None:
    def add(s):
        s.add(Correction(kind=kind, review_id=review_id, other_review_id=other_id, payload={}, editor="mina",
                         reason="checked both pages", revoked_at=SEEN if revoked else None))  # fmt: skip

    write_with_retry(factory, add)


def test_refresh_links_copies_to_the_earliest_review_and_is_stable_on_rerun(factory):
    ids = store(factory)
    first = refresh(factory)
    got = links(factory)
    by_review = {r: (c, rule, sim) for r, c, rule, sim in got}
    m1 = ids["m1"]
    assert set(by_review) == {ids["b1"], ids["f1"], ids["r1"]}
    assert by_review[ids["b1"]][:2] == (m1, "near_text") and 0.8 <= by_review[ids["b1"]][2] < 1
    assert by_review[ids["r1"]] == (m1, "same_text", 1.0)
    assert by_review[ids["f1"]][:2] == (m1, "same_url"), "joined through the blog post's address"
    assert first["links"] == {"same_url": 1, "same_text": 1, "near_text": 1, "editor": 0}
    assert first["reviews"] == len(ITEMS) and first["written"] == 3
    assert first["cross_drama_candidates"] >= 1
    assert {ex["review_id"] for ex in first["cross_drama"]} == {ids["x2"]}

    with factory() as s:
        created = {r: t for r, t in s.execute(select(DuplicateLink.review_id, DuplicateLink.created_at))}
        glory = drama_of(factory, m1)
        assert canonical_ids(s, glory) == {m1, ids["c1"], ids["c2"], ids["o1"]}
        assert canonical_ids(s, drama_of(factory, ids["x1"])) == {ids["x1"], ids["x2"]}
        assert [link.review_id for link in duplicate_links(s, glory)] == sorted(by_review)
        assert all(isinstance(link, Link) for link in duplicate_links(s, glory))

    again = refresh(factory)
    assert links(factory) == got
    assert (again["written"], again["deleted"], again["unchanged"]) == (0, 0, 3)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(DuplicateLink)) == 3, "no duplicate rows"
        assert {r: t for r, t in s.execute(select(DuplicateLink.review_id, DuplicateLink.created_at))} == created


def test_editors_split_and_force_survive_reruns_and_revoked_ones_do_not_count(factory):
    ids = store(factory)
    refresh(factory)
    correct(factory, "split_duplicate", ids["b1"], ids["m1"])
    correct(factory, "force_duplicate", ids["o1"], ids["m1"])
    correct(factory, "split_duplicate", ids["r1"], ids["m1"], revoked=True)
    for _ in range(2):
        stats = refresh(factory)
        by_review = {r: (c, rule, sim) for r, c, rule, sim in links(factory)}
        assert ids["b1"] not in by_review, "the split blog post stays canonical on its own"
        assert by_review[ids["f1"]][:2] == (ids["b1"], "same_url"), "its feed copy now points at it"
        assert by_review[ids["o1"]] == (ids["m1"], "editor", None)
        assert by_review[ids["r1"]] == (ids["m1"], "same_text", 1.0), "a revoked split does nothing"
        assert stats["links"]["editor"] == 1 and stats["split_by_editor"] >= 1

    # The newest decision on a pair wins: forcing the split pair back together links it again.
    correct(factory, "force_duplicate", ids["b1"], ids["m1"])
    refresh(factory)
    assert (ids["b1"], ids["m1"], "editor", None) in links(factory)


def test_editor_decisions_newest_wins_per_pair(factory):
    ids = store(factory)
    m1, b1, o1 = ids["m1"], ids["b1"], ids["o1"]
    correct(factory, "force_duplicate", o1, m1)
    correct(factory, "force_duplicate", o1, b1)  # the editor changed their mind about o1's original
    correct(factory, "split_duplicate", b1, m1)
    correct(factory, "force_duplicate", b1, m1)
    correct(factory, "split_duplicate", b1, m1)
    with factory() as s:
        never, forced = editor_decisions(s, {m1, b1, o1})
        assert never == {frozenset({b1, m1})}
        assert forced == {o1: b1}
        assert editor_decisions(s, {ids["x1"]}) == (set(), {}), "decisions about other reviews are not loaded"


def test_refreshing_some_dramas_leaves_the_others_alone(factory):
    ids = store(factory)
    glory, moving = drama_of(factory, ids["m1"]), drama_of(factory, ids["x1"])
    assert refresh(factory, [])["reviews"] == 0
    stats = refresh(factory, [moving])
    assert stats["reviews"] == 2 and links(factory) == set(), "the Glory copy under Moving is no duplicate"
    refresh(factory, [glory])
    before = links(factory)
    assert len(before) == 3
    refresh(factory, [moving])
    assert links(factory) == before
    # An editor files the Moving review as a copy of the blog post, itself a copy of m1: the link ends at m1.
    correct(factory, "force_duplicate", ids["x1"], ids["b1"])
    assert refresh(factory, [moving])["links"]["editor"] == 1
    assert links(factory) == before | {(ids["x1"], ids["m1"], "editor", None)}


def test_a_changed_review_loses_its_stale_link_and_a_foreign_link_is_kept(factory):
    ids = store(factory)
    refresh(factory)
    rewritten = item("reddit", "r1", MOVING.replace("superhero", "caped"), days=6)
    write_with_retry(factory, lambda s: upsert_reviews(s, [rewritten], seen_at=SEEN + timedelta(days=1)))
    with factory() as s:  # a link some other tool wrote, with its own rule
        s.add(DuplicateLink(review_id=ids["c2"], canonical_id=ids["c1"], rule="imported", similarity=None))
        s.commit()
    stats = refresh(factory)
    got = links(factory)
    assert not any(r == ids["r1"] for r, *_ in got), "the rewritten review is no copy any more"
    assert (ids["c2"], ids["c1"], "imported", None) in got
    assert stats["deleted"] == 1 and stats["foreign_kept"] == 1


def test_undated_reviews_fall_back_to_first_seen(factory):
    early = item("blog", "u1", GLORY, published_raw=None, published_at=None)
    ids = store(factory, [early])
    later = item("mydramalist", "u2", GLORY.lower(), published_raw=None, published_at=None)
    ids = store(factory, [early, later])
    with factory() as s:
        s.execute(update(Review).where(Review.id == ids["u2"]).values(first_seen_at=SEEN + timedelta(days=2)))
        s.commit()
    refresh(factory)
    assert links(factory) == {(ids["u2"], ids["u1"], "same_text", 1.0)}
