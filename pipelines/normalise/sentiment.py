"""A 0-100 score inferred from a review's text with VADER, for reviews that give no number.

VADER (vaderSentiment) is a lexicon and rule-based English sentiment model; its lexicon ships inside the
wheel, so nothing is downloaded at run time. The result is an *inferred* score: callers keep it apart from
the review's own ``score`` and tag it with :data:`METHOD`. How well it agrees with explicit scores is
measured by ``bench/inferred_scores.py`` and discussed in ``docs/inferred-scores.md``.

Method (v1): the cleaned body (its first :data:`MAX_CHARS` characters) is split into sentences (line
breaks, then ``.``/``!``/``?``); sentences longer than :data:`CHUNK_WORDS` words are cut into chunks. Each piece gets VADER's compound score
(-1..1). VADER's compound saturates near +-1 on a whole long text, so the pieces are scored one by one and
the *mean compound of the pieces that carry sentiment* (compound != 0) is taken: neutral plot summary
neither counts nor drags the mean towards 0. That mean ``x`` maps to ``50 + 50 * x``, clipped to
[0, 100] and rounded to 1 decimal.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import metadata

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Result = tuple[float | None, str | None]


def _vader_version() -> str:
    try:
        return metadata.version("vaderSentiment")
    except metadata.PackageNotFoundError:  # pragma: no cover - only a vendored copy has no metadata
        return "unknown"


MAPPING_VERSION = "v1"
"""Bump whenever the splitting, the aggregation, the thresholds or the mapping to 0-100 change."""
METHOD = f"vader-{_vader_version()}/{MAPPING_VERSION}"
"""Stored in ``ReviewItem.inferred_method``: ``"vader-3.3.2/v1"``; a new lexicon or mapping gives a new tag."""

MIN_WORDS = 20
"""Fewer words (a forum one-liner) carry too little text for a score."""
MAX_CHARS = 100_000
"""Only the start of a longer body is read (~15,000 words; long reviews are 2,000): bounds the time per item."""
MAX_WORDS = 10_000
"""Of that, at most this many words are scored."""
CHUNK_WORDS = 50
"""A "sentence" longer than this (text without punctuation) is cut: VADER is quadratic in sentence length."""
NON_LATIN_SHARE = 0.3
"""A text whose letters are at least this share non-Latin (Hangul, Kana, Han, Cyrillic...) is not English."""
MIN_FUNCTION_WORD_SHARE = 0.1
"""English prose is ~40% function words ("the", "and", "is"); Latin-script text far below is another language."""

# BCP 47 primary subtags that say nothing about the language.
_UNKNOWN_LANGUAGES = frozenset({"", "und", "mul", "zxx", "mis"})
_LETTER_RE = re.compile(r"[^\W\d_]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Sentence ends: after . ! ? or an ellipsis (closing quotes and brackets stay with their sentence).
_SENTENCE_END_RE = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+")
_FUNCTION_WORDS = frozenset(
    """a about after all also an and are as at be because been but by can could did do does for from had has
    have he her his how i if in into is it its just me more most my no not of on one or our really she so
    than that the their them there they this to too very was we were what when which who will with would
    you your""".split()
)


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    """The one analyzer of the process: loading the lexicon files takes tens of milliseconds."""
    return SentimentIntensityAnalyzer()


def infer_score(text: str | None, *, language: str | None = None) -> float | None:
    """The inferred 0-100 score of a review's plain text, or None.

    A glowing review -> ~90; a scathing one -> ~15; a plot summary without opinions -> None.
    """
    return infer_score_with_reason(text, language=language)[0]


def infer_score_with_reason(text: str | None, *, language: str | None = None) -> Result:
    """(score, None) or (None, reason): ``empty``, ``not_english``, ``too_short``, ``no_sentiment``.

    `text` is the cleaned body (plain text, paragraphs kept); `language` the review's BCP 47 tag when known.
    Never raises; the same input always gives the same result.
    """
    if not isinstance(text, str) or not text.strip():
        return None, "empty"
    if not _english_tag(language):
        return None, "not_english"
    text = text[:MAX_CHARS]
    words = _WORD_RE.findall(text)
    if _mostly_non_latin(text):
        return None, "not_english"
    if len(words) < MIN_WORDS:
        return None, "too_short"
    if _function_word_share(words) < MIN_FUNCTION_WORD_SHARE:
        return None, "not_english"
    compounds = [c for c in map(_compound, _pieces(text)) if c != 0.0]
    if not compounds:
        return None, "no_sentiment"
    mean = sum(compounds) / len(compounds)
    return round(min(100.0, max(0.0, 50.0 + 50.0 * mean)), 1) + 0.0, None


def _english_tag(language: str | None) -> bool:
    """An unknown tag passes (the text checks decide); a known one must be English."""
    if not isinstance(language, str):
        return True
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    return primary in _UNKNOWN_LANGUAGES or primary in ("en", "eng")


def _mostly_non_latin(text: str) -> bool:
    letters = len(_LETTER_RE.findall(text))
    if not letters:
        return False
    return (letters - len(_LATIN_RE.findall(text))) / letters >= NON_LATIN_SHARE


def _function_word_share(words: list[str]) -> float:
    return sum(w.lower() in _FUNCTION_WORDS for w in words) / len(words)


def _pieces(text: str) -> list[str]:
    """Sentences, each at most CHUNK_WORDS words, from the first MAX_WORDS words of the text."""
    out: list[str] = []
    budget = MAX_WORDS
    for line in text.splitlines():
        for sentence in _SENTENCE_END_RE.split(line):
            tokens = sentence.split()[:budget]
            budget -= len(tokens)
            out.extend(" ".join(tokens[i : i + CHUNK_WORDS]) for i in range(0, len(tokens), CHUNK_WORDS))
            if budget <= 0:
                return out
    return out


def _compound(piece: str) -> float:
    try:
        return float(analyzer().polarity_scores(piece)["compound"])
    except Exception:  # noqa: BLE001 - a third-party rule tripping on odd text must not lose the review
        return 0.0
