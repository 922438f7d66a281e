"""Pure parts of the editors' page: charts, correction forms, sign-in helpers, links and outliers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.web.auth import clean_name, cookie_value, token_matches
from aggregator.web.charts import histogram_bins, histogram_svg, series_svg
from aggregator.web.drama_page import is_outlier
from aggregator.web.editor import web_link
from aggregator.web.forms import parse_correction

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("values", "bins", "expected"),
    [
        ([0, 55, 100, 100], 2, [1, 3]),
        ([9.99, 10, 19.9], 10, [1, 2, 0, 0, 0, 0, 0, 0, 0, 0]),
        ([float("nan"), -1, 101, None], 4, [0, 0, 0, 0]),
        ([], 3, [0, 0, 0]),
    ],
)
def test_histogram_bins(values, bins, expected):
    assert histogram_bins(values, bins) == expected


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.none(), max_size=50))
def test_histogram_counts_exactly_the_in_range_values(values):
    counts = histogram_bins(values)
    assert sum(counts) == sum(1 for v in values if v is not None and 0 <= v <= 100)


def test_histogram_svg_is_well_formed_with_one_bar_per_filled_bin():
    root = ET.fromstring(str(histogram_svg([10, 12, 95], title="Scores <b>")))
    bars = root.findall(f"{SVG}rect")
    assert [b.get("data-count") for b in bars] == ["2", "1"]
    assert root.find(f"{SVG}title").text == "Scores <b>"  # escaped in the markup, text again once parsed


def test_series_svg_puts_one_point_per_episode_in_order():
    root = ET.fromstring(str(series_svg([(3, 60.0), (1, 80.0), (2, float("nan"))])))
    points = root.findall(f"{SVG}circle")
    assert [p.get("data-episode") for p in points] == ["1", "3"]
    # Higher scores sit higher (smaller y).
    assert float(points[0].get("cy")) < float(points[1].get("cy"))


def test_series_svg_without_episodes_says_so():
    assert "no episode scores" in str(series_svg([]))


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"kind": "exclude_review", "review_id": "42", "reason": " spam  copy ", "value": "9"},
         ("exclude_review", "spam copy", {"review_id": 42})),
        ({"kind": "source_weight", "source_id": "3", "value": "0.5", "reason": "noisy", "review_id": "7"},
         ("source_weight", "noisy", {"source_id": 3, "value": 0.5})),
        ({"kind": "force_duplicate", "review_id": "5", "other_review_id": "#4", "reason": "copy"},
         ("force_duplicate", "copy", {"review_id": 5, "other_review_id": 4})),
        ({"kind": "split_drama", "drama_id": "2", "review_ids": "3, 4 5", "title": " New  one ", "reason": "remake"},
         ("split_drama", "remake", {"drama_id": 2, "payload": {"review_ids": [3, 4, 5], "title": "New one"}})),
        ({"kind": "exclude_inferred", "reason": "bad guess"}, ("exclude_inferred", "bad guess", {"review_id": None})),
    ],
)  # fmt: skip
def test_parse_correction_reads_only_the_kinds_targets(form, expected):
    assert parse_correction(form) == expected


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "exclude_review", "review_id": "1"}, "needs a reason"),
        ({"kind": "nope", "reason": "x"}, "unknown correction"),
        ({"kind": "exclude_review", "review_id": "1; drop", "reason": "x"}, "must be a number"),
        ({"kind": "source_weight", "source_id": "1", "value": "inf", "reason": "x"}, "finite"),
        ({"kind": "source_weight", "source_id": "1", "value": "lots", "reason": "x"}, "must be a number"),
        ({"kind": "split_drama", "review_ids": "1,x", "reason": "x"}, "numbers separated by commas"),
        ({"kind": "exclude_review", "review_id": "1", "reason": "x" * 2001}, "at most 2000"),
    ],
)
def test_parse_correction_rejects_bad_forms(form, message):
    with pytest.raises(ValueError, match=message):
        parse_correction(form)


@given(st.dictionaries(st.sampled_from(["kind", "review_id", "value", "reason", "review_ids", "x"]), st.text()))
def test_parse_correction_never_fails_other_than_with_value_error(form):
    try:
        kind, reason, _ = parse_correction(form)
    except ValueError:
        return
    assert kind and reason


def test_token_must_be_configured_and_equal():
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cret", "s3cre")
    assert not token_matches(None, "")
    assert not token_matches("", "")


def test_editor_names_are_trimmed_and_bounded():
    assert clean_name("  Ana   Kim ") == "Ana Kim"
    with pytest.raises(ValueError):
        clean_name("   ")
    with pytest.raises(ValueError):
        clean_name("x" * 65)


def test_cookie_depends_on_the_secret():
    assert cookie_value(b"a" * 32, "Ana") != cookie_value(b"b" * 32, "Ana")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://mydramalist.com/1", "https://mydramalist.com/1"),
        ("HTTP://example.com/x", "HTTP://example.com/x"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("", None),
        (None, None),
    ],
)
def test_web_link_keeps_only_http_links(url, expected):
    assert web_link(url) == expected


@pytest.mark.parametrize(
    ("value", "score", "stdev", "expected"),
    [(20.0, 80.0, 8.0, True), (70.0, 80.0, 8.0, False), (30.0, 80.0, 30.0, False), (None, 80.0, 5.0, False),
     (50.0, None, None, False)],
)  # fmt: skip
def test_outliers_are_far_from_the_consensus(value, score, stdev, expected):
    assert is_outlier(value, score, stdev) is expected
