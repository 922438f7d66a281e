"""InferScorePipeline: inferred scores on review items, their stats, and their place in the pipeline."""

from __future__ import annotations

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from aggregator.crawl import project_settings
from aggregator.items import Rating, ReviewItem
from pipelines.infer import InferScorePipeline, infer_mode, infer_review_score
from pipelines.normalise.sentiment import METHOD
from pipelines.stages import TextPipeline

PRAISE = (
    "<p>A warm, funny and beautiful little drama.</p><p>The leads are wonderful together, the songs are "
    "lovely and the ending made me very happy. I would gladly recommend it to anyone who loves romance.</p>"
)
PANNING = (
    "<p>A dull, lazy and badly written drama.</p><p>The leads are wooden, the songs are forgettable and the "
    "ending made me angry. I would not recommend this boring mess to anyone, it was a painful waste of time.</p>"
)


def item(**changes) -> ReviewItem:
    review = ReviewItem(
        source="mydramalist",
        source_review_id="900001",
        url="http://127.0.0.1/profile/SomeHandleXY/review/900001",
        drama_title="Soundtrack #1",
        score_raw="9.0",
        score=90.0,
        body_raw=PRAISE,
        language="en",
    )
    for key, value in changes.items():
        setattr(review, key, value)
    return review


def crawler_for(cls, **settings):
    # Only our own settings: the project's reactor setting would make get_crawler expect a running reactor.
    merged = {k: v for k, v in project_settings().copy_to_dict().items() if k.startswith("DRAMASCORE_")}
    merged.update(settings)
    crawler = get_crawler(settings_dict=merged)
    crawler.stats.open_spider()
    return crawler, cls.from_crawler(crawler)


def run(*items: ReviewItem, **settings):
    """Items through TextPipeline then InferScorePipeline, as a crawl runs them; returns items and stats.

    Mode "all" unless a test says otherwise: the items carry explicit scores.
    """
    settings.setdefault("DRAMASCORE_INFER_SCORES", "all")
    crawler, infer = crawler_for(InferScorePipeline, **settings)
    text = TextPipeline.from_crawler(crawler)
    out = [infer.process_item(text.process_item(i)) for i in items]
    return out, crawler.stats.get_stats()


def test_by_default_only_reviews_without_a_score_of_their_own_get_one():
    unscored = item(source_review_id="u", score_raw=None, score=None)
    episodes = item(source_review_id="e", score_raw=None, score=None,
                    episode_scores=[Rating(score_raw="4/5", episode=1, score=80.0)])  # fmt: skip
    (scored, unscored, episodes), stats = run(item(), unscored, episodes, DRAMASCORE_INFER_SCORES=True)
    assert unscored.inferred_method == METHOD and unscored.inferred_score > 70
    assert (scored.inferred_score, episodes.inferred_score) == (None, None)
    assert "inferred_score" not in scored.null_reasons
    assert stats["dramascore/inferred/skipped/has_score"] == 2 and stats["dramascore/inferred/scored"] == 1


@pytest.mark.parametrize(
    ("value", "mode"),
    [(True, "unscored"), ("unscored", "unscored"), ("ALL", "all"), ("all", "all"), (False, None), ("off", None),
     ("0", None)],
)  # fmt: skip
def test_infer_mode_reads_the_setting(value, mode):
    assert infer_mode(value) == mode


def test_an_unknown_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="DRAMASCORE_INFER_SCORES"):
        infer_mode("sometimes")


def test_in_mode_all_every_review_with_a_body_gets_an_inferred_score_beside_its_own():
    (praised, panned), stats = run(item(), item(source_review_id="900002", body_raw=PANNING, score=30.0))
    assert praised.inferred_method == panned.inferred_method == METHOD
    assert praised.inferred_score > 70 and panned.inferred_score < 30
    assert (praised.score, panned.score) == (90.0, 30.0)  # the explicit scores are left alone
    assert praised.null_reasons == {} and panned.null_reasons == {}
    assert stats["dramascore/inferred/scored"] == 2


def test_a_body_that_gives_no_score_records_and_counts_why():
    (short, korean, neutral), stats = run(
        item(body_raw="<p>Loved it, 10/10!</p>"),
        item(source_review_id="2", body_raw=PRAISE, language="ko"),
        item(source_review_id="3", body_raw="<p>" + "The show has twelve episodes set in Busan. " * 4 + "</p>"),
    )
    for review, reason in ((short, "too_short"), (korean, "not_english"), (neutral, "no_sentiment")):
        assert (review.inferred_score, review.inferred_method) == (None, None)
        assert review.null_reasons == {"inferred_score": reason}
        assert stats[f"dramascore/inferred/skipped/{reason}"] == 1
    assert "dramascore/inferred/scored" not in stats


def test_a_review_without_a_body_is_counted_but_has_no_null_reason():
    (scored_only,), stats = run(item(body_raw=None))
    assert scored_only.inferred_score is None and "inferred_score" not in scored_only.null_reasons
    assert stats["dramascore/inferred/skipped/empty"] == 1


def test_a_rerun_replaces_values_from_an_earlier_method():
    stale = item(body="Loved it!", inferred_score=99.0, inferred_method="vader-0.0/v0", score=None)
    infer_review_score(stale)
    assert (stale.inferred_score, stale.inferred_method) == (None, None)
    stale.body = "A warm and lovely drama with wonderful leads, and the ending made me very happy for a long, long time afterwards."
    infer_review_score(stale)
    assert stale.inferred_method == METHOD and stale.inferred_score > 50
    assert "inferred_score" not in stale.null_reasons


def test_other_items_pass_through_untouched():
    _, stage = crawler_for(InferScorePipeline)
    other = {"not": "a review"}
    assert stage.process_item(other) is other


def test_the_stage_can_be_switched_off():
    with pytest.raises(NotConfigured):
        crawler_for(InferScorePipeline, DRAMASCORE_INFER_SCORES=False)


def test_when_registered_it_runs_after_the_text_stage():
    pipelines = project_settings().getdict("ITEM_PIPELINES")
    ours = pipelines.get("pipelines.infer.InferScorePipeline")
    if ours is None:
        pytest.skip("pipelines.infer.InferScorePipeline is not in ITEM_PIPELINES yet")
    assert ours > pipelines["pipelines.stages.TextPipeline"]
    assert ours < pipelines["pipelines.store.StorePipeline"]
