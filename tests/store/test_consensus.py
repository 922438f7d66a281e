"""Consensus rows from stored reviews (duplicates, ratings, authors, inferred scores) on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from aggregator.items import Rating, ReviewItem
from aggregator.scoring import Params, Result
from aggregator.store.consensus import (
    drama_report,
    find_drama,
    global_mean,
    load_opinions,
    refresh_consensus,
    rescore_all,
)
from aggregator.store.engine import write_with_retry
from aggregator.store.models import Consensus, ConsensusSource, DuplicateLink, Review
from aggregator.store.reviews import upsert_reviews

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FIXED = Params(prior_mean=70)


def item(rid: str, score: float | None = None, *, drama: str = "Soundtrack #1", **kw) -> ReviewItem:
    """A review written for these tests; `drama` picks one of two invented shows."""
    site = {"Soundtrack #1": "100", "Moonlit Ferry": "200"}[drama]
    base = dict(
        source="mydramalist", source_review_id=rid, url=f"https://reviews.example/r/{rid}", drama_title=drama,
        drama_site_id=site, author_handle=f"viewer{rid}", author_name=f"Viewer {rid}",
        published_at=T0 + timedelta(days=int(rid) if rid.isdigit() else 0), score_raw=None if score is None else
        f"{score / 10:g}", score=score, score_scale="10", body="Invented text for a test.", crawled_at=T0,
    )  # fmt: skip
    base.update(kw)
    return ReviewItem(**base)


def store(factory, items, *, seen_at=T0) -> dict[str, int]:
    """Upsert items; returns source_review_id -> review id."""
    write_with_retry(factory, lambda s: upsert_reviews(s, items, seen_at=seen_at))
    with factory() as s:
        return dict(s.execute(select(Review.source_review_id, Review.id)).all())


def refresh(factory, ids, params=FIXED) -> int:
    return write_with_retry(factory, lambda s: refresh_consensus(s, ids, params))


def row(factory, drama_id: int) -> Consensus | None:
    with factory() as s:
        return s.get(Consensus, drama_id)


def drama_of(factory, review_id: int) -> int:
    with factory() as s:
        return s.get(Review, review_id).drama_id


def test_refresh_writes_the_worked_example_with_method_and_params(factory):
    ids = store(factory, [item("1", 80.0), item("2", 90.0), item("3", 100.0)])
    drama = drama_of(factory, ids["1"])
    assert refresh(factory, [drama]) == 1
    got = row(factory, drama)
    assert got.score == pytest.approx(77.5) and got.mean == pytest.approx(90) and got.median == 90
    assert (got.n_reviews, got.n_scored, got.n_inferred, got.tbd) == (3, 3, 0, False)
    assert (got.band, got.agreement) == ("generally favourable", "strong agreement")
    assert got.method == "bayes-v1" and got.params["prior_mean"] == 70 and got.params["prior_weight"] == 5
    assert got.per_source == {"mydramalist": {"n": 3, "mean": 90.0, "weight": 3.0}}
    assert got.computed_at.tzinfo is not None and got.ci_low < 90 < got.ci_high


def test_duplicates_are_left_out(factory):
    ids = store(factory, [item("1", 80.0), item("2", 90.0), item("3", 100.0), item("4", 10.0)])
    with factory() as s:
        s.add(DuplicateLink(review_id=ids["4"], canonical_id=ids["1"], rule="near_text", similarity=0.93))
        s.commit()
        drama = s.get(Review, ids["1"]).drama_id
        assert sorted(o.review_id for o in load_opinions(s, drama)) == sorted([ids["1"], ids["2"], ids["3"]])
    refresh(factory, [drama])
    assert row(factory, drama).score == pytest.approx(77.5) and row(factory, drama).n_reviews == 3


def test_episode_ratings_authors_and_inferred_scores_come_from_the_store(factory):
    guide = item(
        "1", score_raw=None, source="blog", drama_site_id=None,
        episode_scores=[Rating(score_raw="4/5", episode=e, score=80.0, scale="5") for e in (1, 2, 3, 4)],
    )  # fmt: skip
    early = item("2", 40.0, author_handle="same", published_at=T0)
    late = item("3", 60.0, author_handle="same", published_at=T0 + timedelta(days=30), kind="comment")
    felt = item("5", score_raw=None, inferred_score=90.0, inferred_method="vader-3.3.2/v1")
    ids = store(factory, [guide, early, late, felt])
    drama = drama_of(factory, ids["1"])
    with factory() as s:
        opinions = {o.review_id: o for o in load_opinions(s, drama)}
    assert opinions[ids["1"]].episode_scores == {1: 80.0, 2: 80.0, 3: 80.0, 4: 80.0}
    assert opinions[ids["2"]].author_key == opinions[ids["3"]].author_key is not None
    assert opinions[ids["3"]].kind == "comment" and opinions[ids["5"]].inferred == 90.0
    refresh(factory, [drama], Params(prior_weight=0))
    got = row(factory, drama)
    # Voices: the guide (80, w 1), the author's latest comment (60, w 0.5), the inferred review (90, w 0.3).
    assert (got.n_reviews, got.n_scored, got.n_inferred) == (3, 3, 1)
    assert got.score == pytest.approx((80 + 0.5 * 60 + 0.3 * 90) / 1.8)
    assert got.per_episode == {str(e): {"n": 1, "mean": 80.0} for e in (1, 2, 3, 4)}
    stored = Result.from_columns({"method": got.method, "params": got.params, "per_episode": got.per_episode})
    assert stored.per_episode == {e: {"n": 1, "mean": 80.0} for e in (1, 2, 3, 4)}, "episode keys read back as ints"


def test_the_prior_is_the_global_mean_over_every_drama(factory):
    ids = store(factory, [item("1", 80.0), item("2", 90.0), item("3", 100.0), item("4", 40.0, drama="Moonlit Ferry")])
    with factory() as s:
        assert global_mean(s) == pytest.approx(77.5)
    soundtrack = drama_of(factory, ids["1"])
    refresh(factory, [soundtrack], Params())
    got = row(factory, soundtrack)
    assert got.params["prior_mean_used"] == pytest.approx(77.5)
    assert got.score == pytest.approx(3 / 8 * 90 + 5 / 8 * 77.5)


def test_rescore_all_writes_one_row_per_drama_and_stays_idempotent(factory):
    store(factory, [item("1", 80.0), item("2", 40.0, drama="Moonlit Ferry"), item("3", drama="Moonlit Ferry")])
    assert write_with_retry(factory, lambda s: rescore_all(s, FIXED)) == 2
    first = {r.drama_id: (r.score, r.n_reviews, r.tbd) for r in _rows(factory)}
    assert write_with_retry(factory, lambda s: rescore_all(s, FIXED)) == 2
    assert {r.drama_id: (r.score, r.n_reviews, r.tbd) for r in _rows(factory)} == first
    ferry = [v for v in first.values() if v[1] == 2]
    assert ferry == [(pytest.approx(1 / 6 * 40 + 5 / 6 * 70), 2, True)]


def _rows(factory) -> list[Consensus]:
    with factory() as s:
        return list(s.scalars(select(Consensus)))


def test_a_drama_without_reviews_gets_an_empty_tbd_row_and_unknown_ids_are_ignored(factory):
    ids = store(factory, [item("1", 80.0)])
    drama = drama_of(factory, ids["1"])
    with factory() as s:
        s.execute(Review.__table__.delete())
        s.commit()
    assert refresh(factory, [drama, 9999]) == 1
    got = row(factory, drama)
    assert (got.score, got.n_reviews, got.tbd, got.band) == (None, 0, True, None)
    assert row(factory, 9999) is None and refresh(factory, []) == 0


def test_two_refreshes_of_one_drama_at_once_leave_one_row(factory):
    # SQLite serialises the writers with BEGIN IMMEDIATE, PostgreSQL with the refresh's advisory lock:
    # two workers finishing together must both succeed and leave one row (and one set of breakdown rows).
    ids = store(factory, [item("1", 80.0), item("2", 90.0), item("3", 100.0)])
    drama = drama_of(factory, ids["1"])
    barrier = threading.Barrier(2, timeout=10)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(refresh(factory, [drama]))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == [] and results == [1, 1]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Consensus)) == 1
        assert s.get(Consensus, drama).score == pytest.approx(77.5)
        assert s.scalar(select(func.count()).select_from(ConsensusSource)) == 1


def test_drama_report_flags_every_review(factory):
    ids = store(
        factory,
        [
            item("1", 80.0, spoiler=True),
            item("2", 90.0, author_handle="twice", published_at=T0),
            item("3", 70.0, author_handle="twice", published_at=T0 + timedelta(days=9)),
            item("4", 80.0),
            item("5", score_raw=None, inferred_score=65.0, inferred_method="vader-3.3.2/v1"),
        ],
    )
    with factory() as s:
        s.add(DuplicateLink(review_id=ids["4"], canonical_id=ids["1"], rule="same_url"))
        s.commit()
        report = drama_report(s, "soundtrack #1", FIXED)
    assert report.stored is False and report.result.n_reviews == 3 and report.merged_into is None
    lines = {line.review_id: line for line in report.reviews}
    assert lines[ids["1"]].spoiler is True and lines[ids["1"]].status == "counted"
    assert (lines[ids["4"]].status, lines[ids["4"]].duplicate_of) == ("duplicate", ids["1"])
    assert (lines[ids["2"]].status, lines[ids["2"]].superseded_by) == ("superseded", ids["3"])
    assert (lines[ids["5"]].basis, lines[ids["5"]].inferred_method) == ("inferred", "vader-3.3.2/v1")
    assert lines[ids["3"]].author == "Viewer 3" and lines[ids["1"]].score_raw == "8"
    refresh(factory, [report.drama.id])
    with factory() as s:
        again = drama_report(s, str(report.drama.id))
    assert again.stored and again.result.score == pytest.approx(row(factory, report.drama.id).score)


def test_find_drama_by_id_title_alias_or_unique_part(factory):
    ids = store(factory, [item("1", 80.0), item("2", 40.0, drama="Moonlit Ferry")])
    with factory() as s:
        soundtrack = s.get(Review, ids["1"]).drama_id
        assert find_drama(s, soundtrack).id == find_drama(s, "SOUNDTRACK #1").id == soundtrack
        assert find_drama(s, "moonlit").title == "Moonlit Ferry"
        with pytest.raises(LookupError, match="no drama called"):
            find_drama(s, "Nothing Like It")
        with pytest.raises(LookupError, match="no drama called"):
            find_drama(s, "Sound%")  # LIKE wildcards in a title are literal
        with pytest.raises(LookupError, match="several dramas match"):
            find_drama(s, "o")
