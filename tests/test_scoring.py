"""The consensus score (aggregator.scoring): worked numbers, labels, parameters, and invariants (hypothesis)."""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.scoring import (
    Opinion,
    Params,
    Result,
    agreement_for,
    assess,
    band_for,
    consensus,
    value_of,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
NO_PRIOR = Params(prior_weight=0)


def op(review_id: int, score: float | None = None, **kw) -> Opinion:
    return Opinion(review_id=review_id, source=kw.pop("source", "mdl"), score=score, **kw)


def test_worked_example_bayesian_average_and_interval():
    result = consensus([op(1, 80), op(2, 90), op(3, 100)], Params(prior_mean=70))
    assert result.score == pytest.approx(3 / 8 * 90 + 5 / 8 * 70) == pytest.approx(77.5)
    assert (result.mean, result.median, result.pct_positive) == (90.0, 90.0, 100.0)
    sd = math.sqrt(200 / 3)
    assert result.stdev == pytest.approx(sd)
    half = 1.96 * sd / math.sqrt(3)
    assert (result.ci_low, result.ci_high) == (pytest.approx(90 - half), pytest.approx(90 + half))
    assert (result.n_reviews, result.n_scored, result.n_inferred) == (3, 3, 0)
    assert (result.band, result.agreement, result.tbd) == ("generally favourable", "strong agreement", False)
    assert result.per_source == {"mdl": {"n": 3, "mean": 90.0, "weight": 3.0}}
    assert result.params["prior_mean_used"] == 70 and result.params["method"] == "bayes-v1"


def test_prior_defaults_to_the_global_mean_and_without_one_the_score_is_the_mean():
    ops = [op(1, 80), op(2, 90), op(3, 100)]
    assert consensus(ops, Params(), global_mean=70).score == pytest.approx(77.5)
    assert consensus(ops, Params(prior_mean=50), global_mean=70).score == pytest.approx(3 / 8 * 90 + 5 / 8 * 50)
    alone = consensus(ops, Params(), global_mean=None)
    assert alone.score == pytest.approx(90) and alone.params["prior_mean_used"] is None


def test_many_opinions_approach_their_own_mean():
    few = consensus([op(i, 90) for i in range(3)], Params(prior_mean=50)).score
    many = consensus([op(i, 90) for i in range(300)], Params(prior_mean=50)).score
    assert few == pytest.approx(65) and many == pytest.approx(300 / 305 * 90 + 5 / 305 * 50)


def test_an_episode_guide_is_the_mean_of_its_episodes_and_feeds_the_series():
    guide = op(1, episode_scores={1: 80.0, 2: 80.0, 3: 80.0, 4: 80.0}, source="blog")
    assert value_of(guide, Params()) == (80.0, "episodes")
    result = consensus([guide], NO_PRIOR)
    assert result.score == 80.0 and result.per_source["blog"]["mean"] == 80.0
    assert result.per_episode == {e: {"n": 1, "mean": 80.0} for e in (1, 2, 3, 4)}

    other = op(2, 70, episode_scores={1: 100.0, 5: 40.0}, author_key="9:1")
    series = consensus([guide, other], NO_PRIOR).per_episode
    assert series[1] == {"n": 2, "mean": 90.0} and series[5] == {"n": 1, "mean": 40.0}
    assert value_of(other, Params()) == (70.0, "explicit"), "an explicit overall score comes first"


def test_an_episode_guide_split_over_posts_keeps_every_episode_and_the_latest_post_speaks():
    posts = [
        op(1, episode_scores={1: 60.0}, author_key="3:7", when=T0),
        op(2, episode_scores={2: 100.0}, author_key="3:7", when=T0 + timedelta(days=7)),
    ]
    result = consensus(posts, NO_PRIOR)
    assert result.per_episode == {1: {"n": 1, "mean": 60.0}, 2: {"n": 1, "mean": 100.0}}
    assert (result.n_reviews, result.score) == (1, 100.0)


def test_inferred_scores_weigh_less_and_can_be_switched_off():
    ops = [op(1, 80), op(2, inferred=40.0)]
    result = consensus(ops, NO_PRIOR)
    assert result.mean == pytest.approx((80 + 0.3 * 40) / 1.3) and result.n_inferred == 1
    assert result.per_source["mdl"]["weight"] == pytest.approx(1.3)
    assert consensus(ops, Params(prior_weight=0, inferred_weight=1)).mean == pytest.approx(60)
    assert consensus(ops, Params(prior_weight=0, use_inferred=False)).mean == 80
    blocked = consensus([op(1, 80), op(2, inferred=40.0, inferred_allowed=False)], NO_PRIOR)
    assert (blocked.mean, blocked.n_scored, blocked.n_reviews) == (80, 1, 2)


def test_an_editors_value_replaces_the_inferred_one_with_full_weight():
    edited = op(2, inferred=40.0, editor_score=20.0)
    assert value_of(edited, Params()) == (20.0, "editor")
    result = consensus([op(1, 80), edited], NO_PRIOR)
    assert result.mean == pytest.approx(50) and result.n_inferred == 0
    assert value_of(op(3, 90, editor_score=20.0), Params()) == (90.0, "explicit")


def test_forum_comments_weigh_less():
    result = consensus([op(1, 80), op(2, 20, kind="comment")], NO_PRIOR)
    assert result.mean == pytest.approx((80 + 0.5 * 20) / 1.5) == pytest.approx(60)
    inferred_comment = consensus([op(1, 80), op(2, kind="comment", inferred=20.0)], NO_PRIOR)
    assert inferred_comment.per_source["mdl"]["weight"] == pytest.approx(1.15)


def test_source_weights_and_a_muted_source():
    ops = [op(1, 90, source="a", source_weight=2.0), op(2, 60, source="b")]
    result = consensus(ops, NO_PRIOR)
    assert result.mean == pytest.approx(80)
    assert result.per_source == {"a": {"n": 1, "mean": 90.0, "weight": 2.0}, "b": {"n": 1, "mean": 60.0, "weight": 1.0}}
    muted = consensus([op(1, 90, source="a", source_weight=0.0), op(2, 60, source="b")], NO_PRIOR)
    assert (muted.mean, muted.n_scored, muted.n_reviews) == (60, 1, 2)
    assert muted.per_source["a"] == {"n": 1, "mean": 90.0, "weight": 0.0}, "a muted source still shows what it said"


def test_one_opinion_per_author_the_latest_counts_across_reviews_and_comments():
    ops = [
        op(1, 60, author_key="1:7", when=T0),
        op(2, 90, author_key="1:7", when=T0 + timedelta(days=60), kind="comment"),
        op(3, 80, author_key="1:8", when=T0),
    ]
    result = consensus(ops, NO_PRIOR)
    assert (result.n_reviews, result.n_scored) == (2, 2)
    assert result.mean == pytest.approx((0.5 * 90 + 80) / 1.5)
    status = {a.review_id: (a.status, a.superseded_by) for a in assess(ops, NO_PRIOR)}
    assert status == {1: ("superseded", 2), 2: ("counted", None), 3: ("counted", None)}


def test_an_authors_later_opinion_without_a_score_does_not_silence_the_scored_one():
    ops = [op(1, 60, author_key="1:7", when=T0), op(2, author_key="1:7", when=T0 + timedelta(days=1), kind="comment")]
    assert consensus(ops, NO_PRIOR).mean == 60
    assert [a.status for a in assess(ops, NO_PRIOR)] == ["counted", "superseded"]


def test_same_date_the_later_review_id_wins_and_an_unknown_date_counts_as_oldest():
    same_day = [op(5, 40, author_key="k", when=T0), op(4, 90, author_key="k", when=T0)]
    assert consensus(same_day, NO_PRIOR).mean == 40
    undated = [op(9, 40, author_key="k"), op(1, 90, author_key="k", when=T0)]
    assert consensus(undated, NO_PRIOR).mean == 90


def test_an_excluded_opinion_counts_nowhere_and_the_authors_earlier_one_speaks():
    ops = [op(1, 70, author_key="k", when=T0), op(2, 10, author_key="k", when=T0 + timedelta(days=1), excluded=True)]
    result = consensus(ops, NO_PRIOR)
    assert (result.mean, result.n_reviews) == (70, 1)
    assert [a.status for a in assess(ops, NO_PRIOR)] == ["counted", "excluded"]


def test_tbd_below_min_reviews_but_the_band_is_still_given():
    two = consensus([op(1, 90), op(2, 95), op(3)], Params(prior_mean=90))
    assert two.tbd and two.band == "universal acclaim" and two.n_reviews == 3 and two.n_scored == 2
    assert not consensus([op(1, 90), op(2, 95), op(3, 99)], Params()).tbd
    assert consensus([op(1, 90)], Params(min_reviews=1)).tbd is False


@pytest.mark.parametrize(
    "score, band",
    [
        (100, "universal acclaim"), (81, "universal acclaim"), (80.95, "universal acclaim"),
        (80.9, "generally favourable"), (61, "generally favourable"), (60.9, "mixed or average"),
        (40, "mixed or average"), (39.9, "generally unfavourable"), (20, "generally unfavourable"),
        (19.9, "overwhelming dislike"), (0, "overwhelming dislike"), (None, None),
    ],
)  # fmt: skip
def test_bands_at_their_cutoffs(score, band):
    assert band_for(score, Params()) == band


@pytest.mark.parametrize(
    "sd, label",
    [(0, "strong agreement"), (9.99, "strong agreement"), (10, "some disagreement"), (19.99, "some disagreement"),
     (20, "divided"), (50, "divided"), (None, None)],
)  # fmt: skip
def test_agreement_labels(sd, label):
    assert agreement_for(sd, Params()) == label


def test_a_divided_drama_with_a_clipped_interval():
    result = consensus([op(1, 0), op(2, 100)], NO_PRIOR)
    assert (result.mean, result.stdev, result.agreement) == (50, 50, "divided")
    assert (result.ci_low, result.ci_high) == (0.0, 100.0) and result.pct_positive == 50
    assert result.median == 50, "an even split takes the mean of the middle values"


def test_one_value_has_no_spread_no_interval_and_no_agreement():
    result = consensus([op(1, 70)], Params(prior_mean=70))
    assert result.score == 70 and result.stdev is None and result.ci_low is result.ci_high is None
    assert result.agreement is None and result.tbd


def test_the_median_is_weighted():
    ops = [op(1, 10), op(2, 20), op(3, 90, source_weight=3.0)]
    assert consensus(ops, NO_PRIOR).median == 90


def test_the_interval_uses_kish_effective_n():
    ops = [op(1, 60, source_weight=3.0), op(2, 100)]
    result = consensus(ops, NO_PRIOR)
    n_eff = 16 / 10
    sd = math.sqrt((3 * 10**2 + 1 * 30**2) / 4)
    assert result.mean == 70 and result.stdev == pytest.approx(sd)
    assert result.ci_high - result.ci_low == pytest.approx(2 * 1.96 * sd / math.sqrt(n_eff))


def test_nonsense_values_are_cleaned_not_raised():
    ops = [op(1, float("nan"), inferred=55.0), op(2, 140.0), op(3, -5.0)]
    values = {a.review_id: (a.value, a.basis) for a in assess(ops, NO_PRIOR)}
    assert values == {1: (55.0, "inferred"), 2: (100.0, "explicit"), 3: (0.0, "explicit")}


def test_params_from_settings_text_and_typed_and_stored_as_a_dict():
    from scrapy.settings import Settings

    text = {
        "DRAMASCORE_SCORE_PRIOR_WEIGHT": "10",
        "DRAMASCORE_SCORE_PRIOR_MEAN": "none",
        "DRAMASCORE_SCORE_BANDS": "90,70,50,30",
        "DRAMASCORE_SCORE_USE_INFERRED": "false",
        "DRAMASCORE_SCORE_MIN_REVIEWS": "5",
    }
    params = Params.from_settings(text)
    assert (params.prior_weight, params.prior_mean, params.bands) == (10.0, None, (90.0, 70.0, 50.0, 30.0))
    assert (params.use_inferred, params.min_reviews, params.inferred_weight) == (False, 5, 0.3)
    typed = Params.from_settings(Settings({"DRAMASCORE_SCORE_AGREEMENT": [5, 15], "DRAMASCORE_SCORE_PRIOR_MEAN": 65}))
    assert (typed.agreement, typed.prior_mean) == ((5.0, 15.0), 65.0)
    assert Params.from_settings({}) == Params()
    stored = Params().as_dict()
    assert stored["bands"] == [81.0, 61.0, 40.0, 20.0] and Params(**stored) == Params()
    with pytest.raises(ValueError, match="bands"):
        Params(bands=(20, 40, 61, 81))
    with pytest.raises(ValueError, match="inferred_weight"):
        Params.from_settings({"DRAMASCORE_SCORE_INFERRED_WEIGHT": "-1"})


def test_result_columns_round_trip_with_text_episode_keys():
    result = consensus([op(1, 80, episode_scores={2: 60.0, 10: 100.0})], NO_PRIOR)
    columns = result.columns()
    assert list(columns["per_episode"]) == ["2", "10"]
    assert Result.from_columns(columns) == result


def test_empty_input_never_raises():
    for ops in ([], [op(1)], [op(1, excluded=True)], [op(1, 50, source_weight=0.0)]):
        result = consensus(ops, Params(), global_mean=None)
        assert result.score is None and result.tbd and result.band is None and result.n_scored == 0


# --- invariants ------------------------------------------------------------------------------------------

scores = st.one_of(st.none(), st.floats(0, 100))
opinions = st.builds(
    Opinion,
    review_id=st.integers(1, 12),
    source=st.sampled_from(["a", "b", "c"]),
    kind=st.sampled_from(["review", "comment"]),
    author_key=st.sampled_from([None, "1:1", "1:2", "2:1"]),
    when=st.one_of(st.none(), st.integers(0, 5).map(lambda d: T0 + timedelta(days=d))),
    score=scores,
    episode_scores=st.dictionaries(st.integers(1, 4), st.floats(0, 100), max_size=3),
    inferred=scores,
    source_weight=st.sampled_from([0.0, 0.5, 1.0, 2.5]),
    excluded=st.booleans(),
    inferred_allowed=st.booleans(),
    editor_score=st.one_of(st.none(), st.floats(0, 100)),
)
params = st.builds(
    Params,
    prior_weight=st.floats(0, 20),
    prior_mean=st.one_of(st.none(), st.floats(0, 100)),
    inferred_weight=st.floats(0, 1),
    comment_weight=st.floats(0, 1),
    min_reviews=st.integers(0, 5),
    use_inferred=st.booleans(),
)
priors = st.one_of(st.none(), st.floats(0, 100))


@settings(max_examples=80, deadline=None)
@given(st.lists(opinions, max_size=10), params, priors, st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_opinions(ops, p, prior, rnd):
    shuffled = list(ops)
    rnd.shuffle(shuffled)
    assert consensus(shuffled, p, prior) == consensus(ops, p, prior)


@settings(max_examples=80, deadline=None)
@given(st.lists(opinions, min_size=1, max_size=10), params, priors, st.data())
def test_a_recrawled_copy_changes_nothing(ops, p, prior, data):
    again = copy.deepcopy(data.draw(st.sampled_from(ops)))
    assert consensus([*ops, again], p, prior) == consensus(ops, p, prior)


@settings(max_examples=120, deadline=None)
@given(st.lists(opinions, max_size=10), params, priors)
def test_outputs_in_range_and_the_score_between_the_values_and_the_prior(ops, p, prior):
    result = consensus(ops, p, prior)
    counted = [a.value for a in assess(ops, p) if a.status == "counted"]
    assert result.n_scored == len(counted) <= result.n_reviews
    assert result.tbd == (result.n_scored < p.min_reviews)
    if not counted:
        assert result.score is None and result.mean is None
        return
    c = p.prior_mean if p.prior_mean is not None else prior
    bounds = counted + ([c] if c is not None else [])
    assert min(bounds) - 1e-9 <= result.score <= max(bounds) + 1e-9
    assert min(counted) - 1e-9 <= result.mean <= max(counted) + 1e-9
    for value in (result.score, result.mean, result.median, result.pct_positive, result.ci_low, result.ci_high):
        assert value is None or 0 <= value <= 100
    assert result.stdev is None or 0 <= result.stdev <= 50
    if result.ci_low is not None:
        assert result.ci_low <= result.mean + 1e-9 <= result.ci_high + 2e-9
    assert result.band is not None
    for stats in [*result.per_source.values(), *result.per_episode.values()]:
        assert 0 <= stats["mean"] <= 100 and stats["n"] >= 1
