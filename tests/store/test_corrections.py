"""Editors' corrections: validation, each kind's effect on the consensus, re-crawls, revocation, audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from aggregator.items import ReviewItem
from aggregator.scoring import Params
from aggregator.store.consensus import drama_report, refresh_consensus, rescore_all
from aggregator.store.corrections import (
    CorrectionSet,
    active_corrections,
    affected_dramas,
    list_corrections,
    record_correction,
    revoke_correction,
)
from aggregator.store.engine import write_with_retry
from aggregator.store.models import Consensus, Correction, Drama, DuplicateLink, Review, Source
from aggregator.store.reviews import upsert_reviews

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PARAMS = Params(prior_weight=0)  # scores equal the weighted mean: easy to check by hand


def item(rid: str, score: float | None = None, *, drama: str = "Soundtrack #1", **kw) -> ReviewItem:
    site = {"Soundtrack #1": "100", "Moonlit Ferry": "200"}[drama]
    base = dict(
        source="mydramalist", source_review_id=rid, url=f"https://reviews.example/r/{rid}", drama_title=drama,
        drama_site_id=site, author_handle=f"viewer{rid}", published_at=T0 + timedelta(days=len(rid)),
        score_raw=None if score is None else str(score), score=score, body="Invented for a test.", crawled_at=T0,
    )  # fmt: skip
    base.update(kw)
    return ReviewItem(**base)


# Soundtrack #1: 80, 90, 100, an inferred 30 and a blog's 20; Moonlit Ferry: 40 and 60.
ITEMS = [
    item("1", 80.0), item("2", 90.0), item("3", 100.0),
    item("4", score_raw=None, inferred_score=30.0, inferred_method="vader-3.3.2/v1"),
    item("b1", 20.0, source="blog", drama_site_id=None),
    item("f1", 40.0, drama="Moonlit Ferry"), item("f2", 60.0, drama="Moonlit Ferry"),
]  # fmt: skip


@pytest.fixture
def world(factory):
    """The ITEMS stored and scored; review ids by source_review_id plus ``st``/``mf`` drama ids."""
    write_with_retry(factory, lambda s: upsert_reviews(s, ITEMS, seen_at=T0))
    write_with_retry(factory, lambda s: rescore_all(s, PARAMS))
    with factory() as s:
        ids = dict(s.execute(select(Review.source_review_id, Review.id)).all())
        ids["st"], ids["mf"] = s.get(Review, ids["1"]).drama_id, s.get(Review, ids["f1"]).drama_id
    return ids


BASELINE = (80 + 90 + 100 + 0.3 * 30 + 20) / 4.3


def correct(factory, kind, **kw):
    """Record a correction and re-score what it affects, as `dramascore correct` does; returns its id."""

    def work(s):
        c = record_correction(s, kind, editor=kw.pop("editor", "ana"), reason=kw.pop("reason", "checked"), **kw)
        refresh_consensus(s, affected_dramas(s, c), PARAMS)
        return c.id

    return write_with_retry(factory, work)


def revoke(factory, correction_id):
    def work(s):
        c = revoke_correction(s, correction_id, editor="ben")
        refresh_consensus(s, affected_dramas(s, c), PARAMS)

    write_with_retry(factory, work)


def score(factory, drama_id):
    with factory() as s:
        got = s.get(Consensus, drama_id)
        return None if got is None else (got.score, got.n_reviews)


def recrawl_and_rescore(factory, world):
    """The same items again (unchanged), one edited (updated in place), then a full re-score."""
    edited = [i if i.source_review_id != "2" else item("2", 90.0, body="Edited later.") for i in ITEMS]
    write_with_retry(factory, lambda s: upsert_reviews(s, edited, seen_at=T0 + timedelta(days=1)))
    write_with_retry(factory, lambda s: rescore_all(s, PARAMS))
    with factory() as s:
        assert dict(s.execute(select(Review.source_review_id, Review.id)).all()) == {
            k: v for k, v in world.items() if k not in ("st", "mf")
        }, "re-crawls keep review ids, which corrections point at"


def test_baseline(factory, world):
    assert score(factory, world["st"]) == (pytest.approx(BASELINE), 5)
    assert score(factory, world["mf"]) == (50.0, 2)


def test_exclude_review_survives_recrawls_and_revoke_restores(factory, world):
    cid = correct(factory, "exclude_review", review_id=world["b1"], reason="spam")
    expected = (80 + 90 + 100 + 9) / 3.3
    assert score(factory, world["st"]) == (pytest.approx(expected), 4)
    recrawl_and_rescore(factory, world)
    assert score(factory, world["st"]) == (pytest.approx(expected), 4)
    with factory() as s:
        line = {x.review_id: x for x in drama_report(s, world["st"]).reviews}[world["b1"]]
        assert (line.status, line.excluded) == ("excluded", True)
    revoke(factory, cid)
    assert score(factory, world["st"]) == (pytest.approx(BASELINE), 5)


def test_merge_dramas_moves_reviews_and_drops_the_merged_row(factory, world):
    cid = correct(factory, "merge_dramas", drama_id=world["mf"], other_drama_id=world["st"])
    assert score(factory, world["mf"]) is None, "the merged drama keeps no consensus row"
    merged = (80 + 90 + 100 + 9 + 20 + 40 + 60) / 6.3
    assert score(factory, world["st"]) == (pytest.approx(merged), 7)
    recrawl_and_rescore(factory, world)
    assert score(factory, world["mf"]) is None and score(factory, world["st"]) == (pytest.approx(merged), 7)
    with factory() as s:
        report = drama_report(s, "Moonlit Ferry")
        assert report.merged_into.id == world["st"] and report.result is None
        moved = [x for x in drama_report(s, world["st"]).reviews if x.moved_from == world["mf"]]
        assert sorted(x.review_id for x in moved) == sorted([world["f1"], world["f2"]])
    revoke(factory, cid)
    assert score(factory, world["mf"]) == (50.0, 2) and score(factory, world["st"]) == (pytest.approx(BASELINE), 5)


def test_split_drama_creates_the_new_drama_and_moves_the_reviews(factory, world):
    cid = correct(factory, "split_drama", payload={"review_ids": [world["3"], world["b1"]]})
    with factory() as s:
        c = s.get(Correction, cid)
        new = s.get(Drama, c.payload["new_drama_id"])
        assert new.title == "Soundtrack #1 (split)" and c.other_drama_id == new.id and c.drama_id == world["st"]
    assert score(factory, new.id) == (60.0, 2)
    assert score(factory, world["st"]) == (pytest.approx((80 + 90 + 9) / 2.3), 3)
    recrawl_and_rescore(factory, world)
    assert score(factory, new.id) == (60.0, 2)
    revoke(factory, cid)
    assert score(factory, world["st"]) == (pytest.approx(BASELINE), 5)
    assert score(factory, new.id) == (None, 0), "the split drama stays, empty, for the audit trail"
    titled = correct(factory, "split_drama", drama_id=world["st"], payload={"review_ids": [world["1"]], "title": "OST"})
    with factory() as s:
        assert s.get(Drama, s.get(Correction, titled).other_drama_id).title == "OST"


def test_source_weight_latest_wins_zero_mutes_revoke_restores(factory, world):
    first = correct(factory, "source_weight", source_id=_source(factory, "blog"), value=3.0)
    assert score(factory, world["st"]) == (pytest.approx((279 + 60) / 6.3), 5)
    correct(factory, "source_weight", source_id=_source(factory, "blog"), value=0.0)
    assert score(factory, world["st"]) == (pytest.approx(279 / 3.3), 5), "a muted source is listed but weighs 0"
    recrawl_and_rescore(factory, world)
    assert score(factory, world["st"]) == (pytest.approx(279 / 3.3), 5)
    revoke(factory, first)
    assert score(factory, world["st"]) == (pytest.approx(279 / 3.3), 5), "the later weight still applies"


def _source(factory, name) -> int:
    with factory() as s:
        return s.scalar(select(Source.id).where(Source.name == name))


def test_override_inferred_is_an_editors_value_with_full_weight(factory, world):
    cid = correct(factory, "override_inferred", review_id=world["4"], value=75.0)
    assert score(factory, world["st"]) == (pytest.approx((80 + 90 + 100 + 75 + 20) / 5), 5)
    with factory() as s:
        assert s.get(Consensus, world["st"]).n_inferred == 0
    recrawl_and_rescore(factory, world)
    assert score(factory, world["st"]) == (pytest.approx(365 / 5), 5)
    revoke(factory, cid)
    assert score(factory, world["st"]) == (pytest.approx(BASELINE), 5)


def test_exclude_inferred_for_one_review_or_everywhere(factory, world):
    one = correct(factory, "exclude_inferred", review_id=world["4"])
    assert score(factory, world["st"]) == (pytest.approx(290 / 4), 5), "listed, no longer scored"
    revoke(factory, one)
    everywhere = correct(factory, "exclude_inferred")
    with factory() as s:
        assert s.get(Consensus, world["st"]).n_inferred == 0
        assert affected_dramas(s, s.get(Correction, everywhere)) == {world["st"], world["mf"]}
    recrawl_and_rescore(factory, world)
    assert score(factory, world["st"]) == (pytest.approx(290 / 4), 5)


def test_split_and_force_duplicate_override_the_detected_links(factory, world):
    with factory() as s:
        s.add(DuplicateLink(review_id=world["2"], canonical_id=world["1"], rule="near_text", similarity=0.9))
        s.commit()
    write_with_retry(factory, lambda s: rescore_all(s, PARAMS))
    assert score(factory, world["st"])[1] == 4
    split = correct(factory, "split_duplicate", review_id=world["1"], other_review_id=world["2"])
    assert score(factory, world["st"]) == (pytest.approx(BASELINE), 5)
    forced = correct(factory, "force_duplicate", review_id=world["3"], other_review_id=world["1"])
    assert score(factory, world["st"]) == (pytest.approx((80 + 90 + 9 + 20) / 3.3), 4)
    recrawl_and_rescore(factory, world)
    assert score(factory, world["st"])[1] == 4
    revoke(factory, forced)
    revoke(factory, split)
    assert score(factory, world["st"])[1] == 4, "the detected link applies again"


INVALID = [
    ("nonsense", {}, "unknown correction kind"),
    ("exclude_review", {}, "exclude_review needs review_id"),
    ("exclude_review", {"review_id": 987654}, "no review with id 987654"),
    ("exclude_review", {"review_id": "1", "value": 3.0}, "does not use value"),
    ("merge_dramas", {"drama_id": "st", "other_drama_id": "st"}, "two different dramas"),
    ("merge_dramas", {"drama_id": "st", "other_drama_id": 987654}, "no drama with id 987654"),
    ("force_duplicate", {"review_id": "1", "other_review_id": "1"}, "two different reviews"),
    ("source_weight", {"source_id": 987654, "value": 1.0}, "no source with id"),
    ("source_weight", {"source_id": "blog", "value": -1.0}, ">= 0"),
    ("override_inferred", {"review_id": "4", "value": 101.0}, "within 0-100"),
    ("override_inferred", {"review_id": "1", "value": 50.0}, "has its own score"),
    ("split_drama", {"payload": {"review_ids": []}}, "non-empty list"),
    ("split_drama", {"payload": {"review_ids": ["1", "f1"]}}, "several dramas"),
    ("split_drama", {"drama_id": "mf", "payload": {"review_ids": ["1"]}}, "not every review counts"),
]


def test_invalid_corrections_are_refused_with_a_clear_message(factory, world):
    def resolve(key, value):
        if key == "source_id" and isinstance(value, str):
            return _source(factory, value)
        if key == "payload":
            return {"review_ids": [world[v] for v in value["review_ids"]]}
        return world[value] if isinstance(value, str) else value

    for kind, targets, message in INVALID:
        with factory() as s, pytest.raises(ValueError, match=message):
            record_correction(s, kind, editor="ana", reason="because", **{k: resolve(k, v) for k, v in targets.items()})
    with factory() as s:
        assert list_corrections(s) == [] and s.scalar(select(func.count()).select_from(Drama)) == 2


def test_editor_and_reason_are_required_and_loops_and_repeats_refused(factory, world):
    with factory() as s:
        with pytest.raises(ValueError, match="reason"):
            record_correction(s, "exclude_review", editor="ana", reason="  ", review_id=world["1"])
        with pytest.raises(ValueError, match="editor"):
            record_correction(s, "exclude_review", editor="", reason="x", review_id=world["1"])
    correct(factory, "merge_dramas", drama_id=world["mf"], other_drama_id=world["st"])
    correct(factory, "exclude_review", review_id=world["1"])
    with factory() as s:
        with pytest.raises(ValueError, match="would loop"):
            record_correction(
                s, "merge_dramas", editor="a", reason="r", drama_id=world["st"], other_drama_id=world["mf"]
            )
        with pytest.raises(ValueError, match="already merged"):
            record_correction(
                s, "merge_dramas", editor="a", reason="r", drama_id=world["mf"], other_drama_id=world["st"]
            )
        with pytest.raises(ValueError, match="already excluded"):
            record_correction(s, "exclude_review", editor="a", reason="r", review_id=world["1"])


def test_revoke_keeps_the_audit_trail(factory, world):
    first = correct(factory, "exclude_review", review_id=world["1"], editor="ana", reason="first")
    second = correct(factory, "exclude_review", review_id=world["2"], editor="ana", reason="second")
    revoke(factory, first)
    with factory() as s:
        trail = list_corrections(s)
        assert [c.id for c in trail] == [second, first] and len(list_corrections(s, limit=1)) == 1
        assert (trail[1].revoked_by, trail[1].revoked_at is not None, trail[1].reason) == ("ben", True, "first")
        assert [c.id for c in active_corrections(s)] == [second]
        assert [c.id for c in active_corrections(s, review_id=world["2"], kind="exclude_review")] == [second]
        assert CorrectionSet.load(s).excluded == {world["2"]}
        with pytest.raises(ValueError, match="already revoked by ben"):
            revoke_correction(s, first, editor="ana")
        with pytest.raises(LookupError, match="no correction #987654"):
            revoke_correction(s, 987654, editor="ana")


def test_affected_dramas_per_kind(factory, world):
    with factory() as s:
        blog = s.scalar(select(Source.id).where(Source.name == "blog"))
        c = record_correction(s, "exclude_review", editor="a", reason="r", review_id=world["f1"])
        assert affected_dramas(s, c) == {world["mf"]}
        c = record_correction(s, "source_weight", editor="a", reason="r", source_id=blog, value=2.0)
        assert affected_dramas(s, c) == {world["st"]}
        c = record_correction(
            s, "merge_dramas", editor="a", reason="r", drama_id=world["mf"], other_drama_id=world["st"]
        )
        assert affected_dramas(s, c) == {world["mf"], world["st"]}
        c = record_correction(s, "exclude_review", editor="a", reason="r", review_id=world["f2"])
        assert affected_dramas(s, c) == {world["mf"], world["st"]}, "where it was crawled and where it counts"
        s.rollback()
