"""Drama names, episode numbers and years read from blog-post and forum-thread titles."""

from __future__ import annotations

import pytest

from spiders.extractors.post_titles import (
    drama_from_post_title,
    episodes_from_post_title,
    year_from_post_title,
)


@pytest.mark.parametrize(
    ("title", "drama"),
    [
        ("“Soundtrack #1” Spoiler Free Review- A Romance Kdrama You Won’t Regret Watching", "Soundtrack #1"),
        ("&#8220;Soundtrack #1&#8221; Spoiler Free Review- A Romance Kdrama You Won&#8217;t Regret", "Soundtrack #1"),
        ("Disney+ “Soundtrack #1” Ending: Episode 4 Recap And Review", "Soundtrack #1"),
        ("Soundtrack #1 - Korean Drama Review", "Soundtrack #1"),
        ("Soundtrack #1 – Korean Drama Review", "Soundtrack #1"),
        ("Soundtrack #1 &#8211; Korean Drama Review", "Soundtrack #1"),
        ("Review: Crash Landing on You", "Crash Landing on You"),
        ("Crash Landing on You (2019) K-Drama Review", "Crash Landing on You"),
        ("Vincenzo Episode 5 Recap", "Vincenzo"),
        ("Hospital Playlist 2 – Episode 1 Review", "Hospital Playlist 2"),
        ("Hospital Playlist Season 2 Review", "Hospital Playlist Season 2"),
        ("Hospital Playlist Season 1 Review", "Hospital Playlist"),
        ("Soundtrack #1 [Episode 4]", "Soundtrack #1"),
        ("Soundtrack #1 [Episodes 3 & 4]", "Soundtrack #1"),
        ("[Spoilers] Soundtrack #1 - Episode 4 [Discussion]", "Soundtrack #1"),
        ("Soundtrack #1 | Episode 4 Discussion", "Soundtrack #1"),
        ("Love &amp;  War   Episode 2 Recap", "Love & War"),
        ("My review of Vincenzo", "Vincenzo"),
        ("K-Drama Review – Vincenzo", "Vincenzo"),
        ("Vincenzo - Final Thoughts", "Vincenzo"),
        ("Vincenzo: Ending Explained", "Vincenzo"),
        ("Vincenzo - my review", "Vincenzo"),
        ("Recap: Vincenzo Episode 5", "Vincenzo"),
        ("I'm Not a Robot Episode 3 Recap", "I'm Not a Robot"),  # first person is fine before a cue
        ("[Discussion] Soundtrack #1", "Soundtrack #1"),
    ],
)
def test_drama_from_post_title(title, drama):
    assert drama_from_post_title(title) == drama


@pytest.mark.parametrize(
    "title",
    [
        "Top 10 romance dramas of 2022",
        "Weekly roundup",
        "5 best dramas like Vincenzo",
        "Episode 4 Recap",
        "Soundtrack #1",  # no cue at all: could be anything
        "Is Vincenzo worth watching? Review",
        "My thoughts on the ending of Vincenzo",
        "Why I loved this show",
        "[Discussion] Which drama made you cry the most?",
        "[Spoilers] I can't believe the ending of Vincenzo",
        "Just finished Vincenzo - my review",
        "Anyone else watching Vincenzo? [Discussion]",
        "Why “Soundtrack #1” is the best romance of the year",  # about it, but not clearly enough
        "",
        None,
        "   ",
    ],
)
def test_unsure_titles_give_none(title):
    assert drama_from_post_title(title) is None


@pytest.mark.parametrize(
    ("title", "episodes"),
    [
        ("Soundtrack #1 [Episode 4]", [4]),
        ("Soundtrack #1 [Episodes 3 & 4]", [3, 4]),
        ("Soundtrack #1 Episodes 3-4 Recap", [3, 4]),
        ("Big Mouth Episodes 11 and 12 Review", [11, 12]),
        ("Disney+ “Soundtrack #1” Ending: Episode 4 Recap And Review", [4]),
        ("Soundtrack #1 is only four episodes long", []),
        ("Top 10 romance dramas of 2022", []),
        (None, []),
    ],
)
def test_episodes_from_post_title(title, episodes):
    assert episodes_from_post_title(title) == episodes


def test_year_from_post_title_reads_only_a_bracketed_year():
    assert year_from_post_title("Crash Landing on You (2019) K-Drama Review") == 2019
    assert year_from_post_title("Top 10 romance dramas of 2022") is None
    assert year_from_post_title(None) is None


@pytest.mark.parametrize(
    "title, drama",
    [
        # Found by the Reddit extractor's author: a trailing tag after the episode brackets, and a first-person lead.
        ("Jade River Chronicles [Episodes 15 & 16] (Finale)", "Jade River Chronicles"),
        ("Jade River Chronicles (Series Finale) Discussion", "Jade River Chronicles"),
        ("Finished The Salt Merchants - my review", None),
        ("Watched Vincenzo in two days - thoughts", None),
        # Seen in the demo crawl: comments after a separator, and a Korean "review" cue.
        ("[Review] Our Rooftop Summer - eight episodes of pure sunshine", "Our Rooftop Summer"),
        ("The Tea Merchant's Ledger - finished it, my review (spoilers)", "The Tea Merchant's Ledger"),
        ("[Review] Soundtrack #1: a tiny perfect show", "Soundtrack #1"),
        ("하회의 등불 리뷰: 등불 아래에서 다시 만난 사람들", "하회의 등불"),
        ("Guardian: The Lonely and Great God Review", "Guardian: The Lonely and Great God"),
        ("Kill Me, Heal Me Review", "Kill Me, Heal Me"),
    ],
)
def test_reported_title_cases(title, drama):
    assert drama_from_post_title(title) == drama
