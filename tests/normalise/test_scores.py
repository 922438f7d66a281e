"""Scores: every scale sites use, rejections with reasons, and the 0-100 invariants."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.normalise.scores import LETTER_GRADES, Score, aspect_key, parse_score, parse_score_with_reason

REASONS = {"empty", "unparseable", "out_of_range", "zero_scale", "nan", "no_scale"}


@pytest.mark.parametrize(
    "raw, value, scale",
    [
        ("4/5", 80.0, "5"),
        ("Review Score – 4/5", 80.0, "5"),  # episode guide, en dash after a label
        ("Review Score - 4/5", 80.0, "5"),
        ("Rating: 8/10", 80.0, "10"),
        ("8.5/10", 85.0, "10"),
        ("8.5 / 10", 85.0, "10"),
        ("8,5/10", 85.0, "10"),
        ("4.5 out of 5", 90.0, "5"),
        ("4.5 out of 5 stars", 90.0, "5"),
        ("Our rating: 4.5/5 stars", 90.0, "5"),
        ("(4/5)", 80.0, "5"),
        ("4½/5", 90.0, "5"),
        ("85/100", 85.0, "100"),
        ("85%", 85.0, "100"),
        ("Score: 85 %", 85.0, "100"),
        ("★★★★☆", 80.0, "5"),
        ("★★★½", 70.0, "5"),
        ("★★★★★", 100.0, "5"),
        ("☆☆☆☆☆", 0.0, "5"),
        ("★★★★★★★★☆☆", 80.0, "10"),
        ("⭐⭐⭐⭐", 80.0, "5"),
        ("4.5 stars", 90.0, "5"),
        ("4 stars", 80.0, "5"),
        ("1 star", 20.0, "5"),
        ("0/10", 0.0, "10"),  # a real zero is 0, not missing
        ("10/10", 100.0, "10"),
        ("３/５", 60.0, "5"),  # full-width digits
        ("2/3", 66.67, "3"),
    ],
)
def test_explicit_scales(raw, value, scale):
    assert parse_score_with_reason(raw) == (Score(value, scale), None)


@pytest.mark.parametrize(
    "raw, value",
    [("10", 100.0), ("9.0", 90.0), ("7.5", 75.0), ("8,5", 85.0), ("0", 0.0), (" 9.5 ", 95.0), ("Overall 10", 100.0)],
)
def test_bare_numbers_use_the_source_default_scale(raw, value):
    # MyDramaList writes "9.0" and means 9 out of 10.
    assert parse_score(raw, default_scale=10) == Score(value, "10")


def test_explicit_scale_wins_over_the_default():
    assert parse_score("4/5", default_scale=10) == Score(80.0, "5")


def test_bare_number_without_a_default_scale_is_no_scale():
    assert parse_score_with_reason("9.0") == (None, "no_scale")
    assert parse_score_with_reason("9.0", default_scale=None) == (None, "no_scale")


@pytest.mark.parametrize("grade, value", sorted(LETTER_GRADES.items()))
def test_letter_grades_follow_metacritic(grade, value):
    assert parse_score(grade) == Score(float(value), "letter")
    assert parse_score(f"Grade: {grade}") == Score(float(value), "letter")


def test_letter_grade_table_is_metacritics():
    assert LETTER_GRADES == {
        "A+": 100, "A": 100, "A-": 91, "B+": 83, "B": 75, "B-": 67, "C+": 58, "C": 50, "C-": 42,
        "D+": 33, "D": 25, "D-": 16, "F+": 8, "F": 0, "F-": 0,
    }  # fmt: skip


@pytest.mark.parametrize("raw", ["Bad", "Plan B", "Grade A drama", "a", "b+", "E", "CD", "A grade", "B movie"])
def test_letters_inside_words_are_not_grades(raw):
    assert parse_score(raw, default_scale=10) is None


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("11/10", "out_of_range"),
        ("6/5", "out_of_range"),
        ("-1/5", "out_of_range"),
        ("101%", "out_of_range"),
        ("6 stars", "out_of_range"),
        ("★★★★★★★★★★★★", "out_of_range"),
        ("4/-5", "out_of_range"),
        ("4/0", "zero_scale"),
        ("0/0", "zero_scale"),
        ("NaN", "nan"),
        ("nan/10", "nan"),
        ("inf", "nan"),
        ("Rating: inf/10", "nan"),
        (None, "empty"),
        ("", "empty"),
        ("   ", "empty"),
        ("great show", "unparseable"),
        ("Was this review helpful to you?", "unparseable"),
        ("8 of 8 episodes seen", "unparseable"),
        ("1,000/10", "unparseable"),
        ("4/5 " * 200, "unparseable"),
    ],
)
def test_rejections_say_why(raw, reason):
    assert parse_score_with_reason(raw, default_scale=None) == (None, reason)


def test_bare_number_above_the_default_scale_is_out_of_range():
    assert parse_score_with_reason("11", default_scale=10) == (None, "out_of_range")


def test_score_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_score("4/5").value = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    "label, key",
    [
        ("Story", "story"),
        ("Acting/Cast", "acting"),
        ("Acting / Cast", "acting"),
        ("Music", "music"),
        ("Rewatch Value", "rewatch"),
        ("  Rewatch\u00a0Value ", "rewatch"),
        ("Story:", "story"),
        ("Chemistry", "chemistry"),
        ("Production  Design", "production design"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_aspect_keys(label, key):
    assert aspect_key(label) == key


# --- invariants -------------------------------------------------------------------------------------------

score_like = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789./%, -–★☆½ABCDF+outfstarGrade:naNI", max_size=20),
    st.builds(lambda a, b: f"{a}/{b}", st.floats(allow_nan=True), st.floats(allow_nan=True)),
)


@given(score_like, st.sampled_from([None, 5, 10, 100]))
def test_never_raises_and_stays_in_range(raw, default_scale):
    score, reason = parse_score_with_reason(raw, default_scale=default_scale)
    if score is None:
        assert reason in REASONS
    else:
        assert reason is None
        assert 0.0 <= score.value <= 100.0
        assert score.value == round(score.value, 2)
        assert parse_score(f"{score.value}/100").value == score.value


@given(st.integers(min_value=1, max_value=100).flatmap(lambda d: st.tuples(st.integers(0, d), st.just(d))))
def test_fractions_are_proportional(pair):
    num, den = pair
    assert parse_score(f"{num}/{den}") == Score(round(num / den * 100, 2), str(den))


@given(st.integers(min_value=0, max_value=10))
def test_star_glyphs_count_half_steps(half_steps):
    full, half = divmod(half_steps, 2)
    glyphs = "★" * full + "½" * half + "☆" * (5 - full - half)
    assert parse_score(glyphs) == Score(half_steps * 10.0, "5")
