"""Scores found in review text: labelled verdicts, episode guides, forum verdicts, and never prose numbers."""

from __future__ import annotations

import pytest

from pipelines.normalise.scores import parse_score
from spiders.extractors.text_scores import find_scores, html_to_text, spoiler_warning, text_and_warning


@pytest.mark.parametrize(
    ("text", "raw", "value"),
    [
        ("Lovely leads, a tidy ending.\nReview Score – 4/5", "Review Score – 4/5", 80.0),
        ("Rating: 8/10", "Rating: 8/10", 80.0),
        ("In short, a winner. Our score: 8.5/10", "Our score: 8.5/10", 85.0),
        ("Verdict: ★★★★☆", "Verdict: ★★★★☆", 80.0),
        ("Overall 4.5 out of 5", "Overall 4.5 out of 5", 90.0),
        ("Score: 85/100", "Score: 85/100", 85.0),
        ("Final score: B+", "B+", 83.0),
        ("Grade: A-", "Grade: A-", 91.0),
        ("Score: 85%", "Score: 85%", 85.0),
        ("I'd give it a 9/10, easily.", "9/10", 90.0),
        ("Honestly 9/10 for me", "9/10", 90.0),
        ("A solid 8.5 out of 10 from this viewer.", "8.5 out of 10", 85.0),
        ("Rating: 6/10 after week one.\n...\nFinal verdict: 9/10", "Final verdict: 9/10", 90.0),
    ],
)
def test_overall_scores_parse_to_the_intended_value(text, raw, value):
    overall, episodes = find_scores(text)
    assert overall == raw
    assert parse_score(overall).value == value
    assert episodes == []


@pytest.mark.parametrize(
    "text",
    [
        "It is only four episodes long, 4 episodes in all, far from the 16 episode format.",
        "No less than 12 songs, the best of 2022 after 25-21.",
        "8 of 8 episodes seen; 1/2 of the cast is new; aired 3/4/2022.",
        "Verdict: A must-watch for romance fans.",
        "Overall, I think 12/10 lol",
        "",
        None,
    ],
)
def test_prose_numbers_are_never_scores(text):
    assert find_scores(text) == (None, [])


def test_episode_guide_of_seed_003_gives_four_episode_scores_and_no_overall(seed):
    overall, episodes = find_scores(seed("003"))
    assert overall is None
    assert [number for number, _ in episodes] == [1, 2, 3, 4]
    assert {raw for _, raw in episodes} == {"Review Score – 4/5"}
    assert all(parse_score(raw).value == 80.0 for _, raw in episodes)


@pytest.mark.parametrize("prefix", ["000", "001", "002"])
def test_seeds_without_scores_give_nothing(seed, prefix):
    assert find_scores(seed(prefix)) == (None, [])


def test_episode_lines_and_a_final_verdict_are_kept_apart():
    overall, episodes = find_scores("Episode 5: 8/10\nEpisode 6: 7/10\nFinal Score: 9/10")
    assert overall == "Final Score: 9/10"
    assert episodes == [(5, "8/10"), (6, "7/10")]
    assert [parse_score(raw).value for _, raw in episodes] == [80.0, 70.0]


def test_html_to_text_keeps_blocks_as_lines_and_drops_scripts():
    fragment = "<p>One <b>two</b><!-- x --> three &amp; four</p><script>var s = '9/10';</script><ul><li>Episode 1: 8/10</li></ul>"
    assert html_to_text(fragment) == "One two three & four\nEpisode 1: 8/10"
    assert find_scores(html_to_text(fragment)) == (None, [(1, "8/10")])
    assert html_to_text(None) == "" and html_to_text("plain\ntext") == "plain\ntext"


@pytest.mark.parametrize(
    ("fragment", "warning"),
    [
        ("<p><strong>Warning: Spoilers</strong> ahead for the finale.</p>", "Warning: Spoilers ahead for the finale."),
        ("<p>Spoiler alert!</p><p>The end.</p>", "Spoiler alert!"),
        ('<div class="spoiler-warning">Read after episode 8</div>', "Read after episode 8"),
        ("<p>This post contains spoilers for all of season one.</p>", "This post contains spoilers for all of season one."),
        ("<p>No spoilers here, promise.</p><p>There is no spoiler warning needed.</p>", None),
        ("<p>Spoiler free review: just the vibes.</p>", None),
        (None, None),
    ],
)
def test_spoiler_warning_must_open_its_line(fragment, warning):
    assert spoiler_warning(fragment) == warning


@pytest.mark.parametrize(
    ("text", "overall"),
    [
        ("It scored 8.5 out of 10 on IMDb.", None),  # someone else's number
        ("Rated 8.5/10 on MyDramaList at the moment.", None),
        ("Episode 10/16 was great, and I watched 10/10 episodes.", None),
        ("5/5 stars for the OST alone.", None),
        ("Its IMDb rating: 8.5/10 and the MDL score 9/10.", None),
        ("The MDL score: 9/10 is fair. Our score: 8/10", "Our score: 8/10"),
        ("I rated it 8/10.", "8/10"),
        ("Giving this one a solid 7/10.", "7/10"),
        ("I give it 4 stars.", "4 stars"),
    ],
)
def test_forum_verdicts_are_the_viewers_own(text, overall):
    assert find_scores(text)[0] == overall


@pytest.mark.parametrize("fragment", ["<html>", "<html><head></head>", "<html/>x", "a\x0cb<div>\x0b</div>"])
def test_fragments_lxml_refuses_give_text_not_a_crash(fragment):
    # lxml's fragment parser asserts on a fragment that opens a whole document ("too many bodies").
    text, warning = text_and_warning(fragment)
    assert isinstance(text, str) and warning is None
