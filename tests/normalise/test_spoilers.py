"""Spoilers: the signal order, real titles, and the rule that body phrases never decide."""

from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.normalise.spoilers import detect_spoiler, spoiler_with_reason
from pipelines.normalise.text import clean_body, lead_paragraph




@pytest.mark.parametrize(
    "title, expected",
    [
        (
            "“Soundtrack #1” Spoiler Free Review- A Romance Kdrama You Won’t Regret Watching",
            (False, "title: spoiler free"),
        ),
        ("Disney+ “Soundtrack #1” Ending: Episode 4 Recap And Review", (True, "title: recap")),
        ("The Glory review (spoiler-free)", (False, "title: spoiler free")),
        ("The Glory – Spoiler\u2011Free Review", (False, "title: spoiler free")),
        ("Soundtrack #1 review: no spoilers", (False, "title: no spoilers")),
        ("Our thoughts on Part 2, without spoilers", (False, "title: without spoilers")),
        ("A non-spoiler review of The Glory", (False, "title: non-spoiler")),
        ("[Spoilers] The Glory Part 2 discussion", (True, "title: [spoilers]")),
        ("The Glory Part 2 (Spoilers)", (True, "title: (spoilers)")),
        ("Spoilers ahead: what that finale means", (True, "title: spoilers ahead")),
        ("Spoiler alert! The ending", (True, "title: spoiler alert")),
        ("The Glory Part 2 Ending Explained", (True, "title: ending explained")),
        ("Episode 16 recap", (True, "title: recap")),
        ("Full spoilers review of the finale", (True, "title: full spoilers")),
        ("Spoiler Free Review (Spoilers for episode 1 only)", (False, "title: spoiler free")),  # negatives first
        ("Soundtrack #1 - Korean Drama Review", (None, "no_signal")),
        ("Spoiled rotten: a rich-kid drama", (None, "no_signal")),
        ("Music and Lyrics", (None, "no_signal")),
    ],
)
def test_titles(title, expected):
    assert spoiler_with_reason(title=title) == expected


@pytest.mark.parametrize(
    "lead, expected",
    [
        ("Spoiler-free thoughts on the whole series below.", (False, "lead: spoiler free")),
        ("Warning: spoilers for all 16 episodes.", (True, "lead: warning: spoilers")),
        ("Major spoilers below, you have been warned.", (True, "lead: spoilers ahead")),
        ("Soundtrack #1 is my number one feel-good drama of the year.", (None, "no_signal")),
    ],
)
def test_lead_paragraph(lead, expected):
    assert spoiler_with_reason(lead=lead) == expected


def test_flag_wins_over_everything():
    assert spoiler_with_reason(flag=True, title="Spoiler Free Review") == (True, "flag")


def test_a_false_flag_is_no_evidence():
    assert spoiler_with_reason(flag=False) == (None, "no_signal")
    assert spoiler_with_reason(flag=False, title="Episode 4 Recap") == (True, "title: recap")


def test_marker_text_is_the_reason():
    # MyDramaList's div.review-spoiler, IMDb's warning
    assert spoiler_with_reason(marker="This review may contain spoilers", title="Spoiler Free") == (
        True,
        "marker: This review may contain spoilers",
    )
    assert spoiler_with_reason(marker="  Warning:\n Spoilers ") == (True, "marker: Warning: Spoilers")
    assert spoiler_with_reason(marker="   ") == (None, "no_signal")


@pytest.mark.parametrize(
    "body",
    [
        "Loved it. >!She dies in episode 8!< Still worth it.",
        "Loved it. &gt;!She dies in episode 8!&lt; Still worth it.",  # Reddit API without raw_json
        '<p>Loved it. <span class="md-spoiler-text">She dies in episode 8</span></p>',
        "Loved it. [spoiler]She dies[/spoiler]",
    ],
)
def test_inline_spoiler_markup(body):
    assert spoiler_with_reason(body=body, title="Spoiler free review") == (True, "inline")


@pytest.mark.parametrize("body", ["Is it good? >! no !<", "a >! b", "x !< y", "<span class='spoiler-free'>x</span>"])
def test_things_that_only_look_like_inline_markup(body):
    assert detect_spoiler(body=body) is None


def test_body_phrases_never_decide():
    body = "Great show.\n\nNo spoilers here, but the finale is great.\n\nRelated: Episode 4 Recap And Review"
    assert spoiler_with_reason(body=body) == (None, "no_signal")


def test_seed_spoiler_free_review_with_a_recap_link_at_the_end(seed):
    text = seed("000")
    title, _, rest = text.partition("\n")
    body = clean_body(rest)
    assert "Episode 4 Recap" in body  # the related-post link is there ...
    assert spoiler_with_reason(title=title, lead=lead_paragraph(body), body=rest) == (False, "title: spoiler free")
    # ... and without the title nothing in the body decides
    assert detect_spoiler(lead=lead_paragraph(body), body=rest) is None


def test_seed_no_spoilers_here_deep_in_the_body_does_not_decide(seed):
    body = clean_body(seed("003"))
    assert "No spoilers here" in body
    assert spoiler_with_reason(lead=lead_paragraph(body), body=body) == (None, "no_signal")


def test_seed_mydramalist_marker(seed):
    text = seed("001")
    marker = text.splitlines()[0]
    assert spoiler_with_reason(marker=marker, body=text) == (True, "marker: This review may contain spoilers")


# --- invariants -------------------------------------------------------------------------------------------

optional_text = st.one_of(st.none(), st.text(max_size=80))


@given(st.one_of(st.none(), st.booleans()), optional_text, optional_text, optional_text, optional_text)
def test_never_raises_and_always_says_why(flag, marker, title, lead, body):
    verdict, reason = spoiler_with_reason(flag=flag, marker=marker, title=title, lead=lead, body=body)
    assert verdict in (True, False, None)
    assert isinstance(reason, str) and reason
    assert (verdict is None) == (reason == "no_signal")
    assert detect_spoiler(flag=flag, marker=marker, title=title, lead=lead, body=body) is verdict
    if flag is True:
        assert (verdict, reason) == (True, "flag")


@given(st.text(max_size=60), st.text(max_size=60))
def test_spoiler_free_in_a_title_always_reads_false(before, after):
    verdict, reason = spoiler_with_reason(title=f"{before} Spoiler-Free {after}")
    assert verdict is False and reason.startswith("title: ")
