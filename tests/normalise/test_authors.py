"""Authors: bylines as sites print them, profile URLs, and the handle-over-display-name identity rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.normalise.authors import (
    MAX_NAME_LEN,
    author_identity,
    clean_author,
    clean_author_with_reason,
    handle_from_profile_url,
)


@pytest.mark.parametrize(
    "raw, name",
    [
        ("By Jass K.", "Jass K."),  # WordPress byline
        ("by Jass K.", "Jass K."),
        ("By: Jass K.", "Jass K."),
        ("Posted by u/kdrama_fan", "kdrama_fan"),  # Reddit
        ("u/kdrama_fan", "kdrama_fan"),
        ("/u/kdrama_fan", "kdrama_fan"),
        ("Written by Jane Doe", "Jane Doe"),
        ("Reviewed by Jane Doe", "Jane Doe"),
        ("Author: Jane Doe", "Jane Doe"),
        ("— Jane Doe", "Jane Doe"),
        ("- Jane Doe", "Jane Doe"),
        ("~ Jane Doe", "Jane Doe"),
        ("unterwegsimkoreanischenD", "unterwegsimkoreanischenD"),  # MyDramaList link text, as written
        ("Jane\u00a0Doe", "Jane Doe"),
        ("Jane\u200b Doe\ufeff", "Jane Doe"),
        ("  Jane \n\t Doe  ", "Jane Doe"),
        ("Ｊａｎｅ", "Jane"),  # NFKC folds full-width letters
        ("Byron", "Byron"),  # "By" only as a word
        ("Bystander", "Bystander"),
        ("Authority Fan", "Authority Fan"),
        ("김지수", "김지수"),
        ("By — u/kdrama_fan", "kdrama_fan"),
    ],
)
def test_bylines_are_cleaned(raw, name):
    assert clean_author(raw) == name


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("[deleted]", "anonymous"),
        ("[removed]", "anonymous"),
        ("Anonymous", "anonymous"),
        ("anonymous", "anonymous"),
        ("N/A", "anonymous"),
        ("Posted by [deleted]", "anonymous"),
        ("u/[deleted]", "anonymous"),
        ("???", "anonymous"),
        ("—", "empty"),
        ("", "empty"),
        ("   ", "empty"),
        ("\u200b", "empty"),
        (None, "empty"),
    ],
)
def test_placeholders_are_not_names(raw, reason):
    assert clean_author_with_reason(raw) == (None, reason)


def test_a_huge_name_is_capped():
    name = clean_author("x" * 1_000_000)
    assert name == "x" * MAX_NAME_LEN


@pytest.mark.parametrize(
    "url, handle",
    [
        ("https://mydramalist.com/profile/unterwegsimkoreanischenDE", "unterwegsimkoreanischenDE"),
        ("/profile/unterwegsimkoreanischenDE/reviews", "unterwegsimkoreanischenDE"),
        ("/profile/unterwegsimkoreanischenDE/review/249745", "unterwegsimkoreanischenDE"),
        ("http://127.0.0.1:8000/profile/SomeHandleXY", "SomeHandleXY"),
        ("https://www.reddit.com/user/Some_One/", "Some_One"),
        ("https://old.reddit.com/u/Some_One?sort=new", "Some_One"),
        ("/user/Some_One/comments/", "Some_One"),
        ("https://kdramablog.example/author/jass-k/", "jass-k"),
        ("https://kdramablog.example/blog/author/jass-k/page/2/", "jass-k"),
        ("https://example.com/author/J%C3%A4ss%20K/", "Jäss K"),
        ("//mydramalist.com/profile/TaliaToo#reviews", "TaliaToo"),
    ],
)
def test_handles_from_profile_urls(url, handle):
    assert handle_from_profile_url(url) == handle


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "https://mydramalist.com/685237-the-glory",
        "https://mydramalist.com/profile/",
        "https://www.reddit.com/r/KDRAMA/comments/abc/title/",
        "http://[::1",  # malformed IPv6 host
        "not a url",
    ],
)
def test_no_handle_without_a_profile_path(url):
    assert handle_from_profile_url(url) is None


@pytest.mark.parametrize(
    "raw, url, identity",
    [
        # MyDramaList truncates display names: the URL handle is the identity.
        (
            "unterwegsimkoreanischenD",
            "https://mydramalist.com/profile/unterwegsimkoreanischenDE",
            ("unterwegsimkoreanischenDE", "unterwegsimkoreanischenD"),
        ),
        ("By Jass K.", None, ("Jass K.", "Jass K.")),
        ("Posted by u/kdrama_fan", "https://www.reddit.com/user/kdrama_fan", ("kdrama_fan", "kdrama_fan")),
        ("[deleted]", None, (None, None)),
        ("Anonymous", None, (None, None)),
        ("[deleted]", "https://www.reddit.com/user/kdrama_fan", ("kdrama_fan", None)),
        (None, None, (None, None)),
        ("Jane Doe", "https://kdramablog.example/category/reviews/", ("Jane Doe", "Jane Doe")),
    ],
)
def test_author_identity(raw, url, identity):
    assert author_identity(raw, url) == identity


# --- invariants -------------------------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_clean_author_is_idempotent_and_bounded(raw):
    name = clean_author(raw)
    assert clean_author(name) == name
    if name is not None:
        assert 0 < len(name) <= MAX_NAME_LEN
        assert name == name.strip() and "  " not in name


@given(
    st.sampled_from(["By ", "Posted by u/", "— ", "Written by ", "u/", ""]),
    st.from_regex(r"[A-Za-z][\w.]{0,20}", fullmatch=True),
)
def test_byline_prefixes_do_not_change_the_name(prefix, name):
    assert clean_author(prefix + name) == clean_author(name)


@given(st.text(max_size=200), st.one_of(st.none(), st.text(max_size=200)))
def test_identity_never_raises_and_handle_implies_consistency(raw, url):
    handle, display = author_identity(raw, url)
    url_handle = handle_from_profile_url(url)
    assert handle == (url_handle if url_handle is not None else display)
    assert display == clean_author(raw)
