"""Inferred scores: polarity on clear cases, the reasons for no score, and the 0-100 invariants."""

from __future__ import annotations

import socket
from importlib import metadata
from pathlib import Path

import pytest
import vaderSentiment
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.normalise import sentiment
from pipelines.normalise.sentiment import METHOD, infer_score, infer_score_with_reason
from pipelines.normalise.text import clean_body

REASONS = {"empty", "too_short", "not_english", "no_sentiment"}

GLOWING = (
    "I loved every minute of this drama. The two leads are wonderful together and their chemistry is "
    "sweet, warm and completely believable. The soundtrack is beautiful, the writing is smart and funny, and the "
    "ending left me happy for days. A brilliant, heartwarming show that I will gladly watch again."
)

MIXED = (
    "The first half is charming and the leads are likeable, with some funny scenes in the office. Then "
    "the story drags: the middle episodes are slow, the villain is boring and the melodrama gets tiresome. The "
    "ending is fine but rushed. Good acting, weak script; watch it if you have nothing better."
)

SCATHING = (
    "What a terrible waste of time. The plot is stupid, the acting is awful and the romance is "
    "painful to watch. Every episode felt worse than the last, the jokes are dull and the ending is a lazy, "
    "ugly mess. I hated it and regret finishing this boring, disappointing disaster."
)

# A plot summary: 20+ words and none of them in VADER's lexicon.
PLOT = (
    "The series follows a photographer and a lyricist who live in one house in Seoul for four weeks in the "
    "summer. Each episode covers one song they write together for a new album."
)


def test_method_names_the_installed_vader_and_the_mapping_version():
    assert METHOD == f"vader-{metadata.version('vaderSentiment')}/v1"
    if metadata.version("vaderSentiment") == "3.3.2":
        assert METHOD == "vader-3.3.2/v1"


def test_the_analyzer_loads_its_lexicon_from_the_installed_package_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("VADER tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    fresh = sentiment.SentimentIntensityAnalyzer()
    assert len(fresh.lexicon) > 7000 and fresh.lexicon["good"] > 0 > fresh.lexicon["bad"]
    assert (Path(vaderSentiment.__file__).parent / "vader_lexicon.txt").is_file()  # shipped in the wheel
    assert sentiment.analyzer() is sentiment.analyzer()  # one per process


def test_a_glowing_review_scores_above_a_mixed_one_above_a_scathing_one():
    glowing, mixed, scathing = infer_score(GLOWING), infer_score(MIXED), infer_score(SCATHING)
    assert glowing > mixed > scathing
    assert glowing >= 80 and scathing <= 25 and 30 <= mixed <= 70


def test_neutral_sentences_do_not_pull_the_score_towards_the_middle():
    # Only sentences that carry sentiment are averaged: a long plot summary around a verdict changes nothing.
    assert infer_score(PLOT + "\n\n" + GLOWING + "\n\n" + PLOT) == infer_score(GLOWING)


@pytest.mark.parametrize("text", [None, "", "   \n\n ", 42, b"bytes are not text"])
def test_nothing_to_read_is_empty(text):
    assert infer_score_with_reason(text) == (None, "empty")


@pytest.mark.parametrize(
    "text",
    ["Loved it!", "Best drama of the year, 10/10 would cry again.", "Ep 5 was so good omg the ending!!!"],
)
def test_forum_one_liners_are_too_short(text):
    assert infer_score_with_reason(text, language="en") == (None, "too_short")


@pytest.mark.parametrize("language", ["ko", "ja", "zh-Hant", "es-419", "de_DE", " FR "])
def test_a_known_non_english_language_is_not_read(language):
    assert infer_score_with_reason(GLOWING, language=language) == (None, "not_english")


@pytest.mark.parametrize("language", [None, "en", "en-GB", "EN_us", "und", ""])
def test_english_or_unknown_language_is_read(language):
    assert infer_score(GLOWING, language=language) == infer_score(GLOWING)


@pytest.mark.parametrize(
    "text",
    [
        "이 드라마는 정말 최고였어요. 두 주인공의 케미가 너무 좋았고 음악도 아름다웠습니다. 마지막 회까지 행복했어요.",
        "このドラマは本当に素晴らしかったです。二人の主人公の相性がとても良くて、音楽も美しかったです。",
        "这部剧真的很好看，两位主演的化学反应非常好，音乐也很美，结局让我很开心。",
        # Latin script, not English: almost no English function words.
        (
            "El drama es muy bueno y los actores son excelentes. La historia de amor entre los protagonistas me "
            "encantó, aunque el final fue un poco lento para mi gusto personal."
        ),
        (
            "Drama ini sangat bagus dan para aktornya luar biasa. Kisah cinta antara kedua tokoh utama sangat "
            "menyentuh, walaupun akhirnya agak lambat menurut saya pribadi."
        ),
    ],
)
def test_text_that_is_not_english_is_detected_without_a_language_tag(text):
    assert infer_score_with_reason(text) == (None, "not_english")


def test_an_english_review_quoting_a_native_title_is_still_read():
    assert infer_score(GLOWING + " (사운드트랙 #1)") is not None


def test_text_without_any_lexicon_word_has_no_sentiment():
    assert infer_score_with_reason(PLOT) == (None, "no_sentiment")


def test_long_text_without_punctuation_is_cut_into_chunks_and_still_scored():
    text = " ".join(["the leads are wonderful and the story is lovely"] * 3000)  # 27,000 words, no full stop
    value = infer_score(text)
    assert value is not None and value > 70


_WORDS = "good bad not very the and it is but never great awful kind of no n't BUT so :) 😀 loved hated . ! ?"


@settings(max_examples=200, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(_WORDS.split() + ["\n", "\n\n"]), max_size=80).map(" ".join),
    ),
    language=st.one_of(st.none(), st.sampled_from(["en", "en-US", "ko", "und", ""]), st.text(max_size=6)),
)
def test_never_raises_stays_in_range_and_is_deterministic(text, language):
    value, reason = infer_score_with_reason(text, language=language)
    assert (value is None) != (reason is None)
    assert reason is None or reason in REASONS
    if value is not None:
        assert 0.0 <= value <= 100.0 and value == round(value, 1)
    assert infer_score_with_reason(text, language=language) == (value, reason)
    assert infer_score(text, language=language) == value


@pytest.mark.parametrize("prefix", ["000", "002"])
def test_real_reviews_that_give_no_number_get_a_positive_inferred_score(seed, prefix):
    # Two real, clearly favourable blog reviews without any score: the point of inferring one.
    value, reason = infer_score_with_reason(clean_body(seed(prefix)), language="en")
    assert reason is None and 60 <= value <= 95
