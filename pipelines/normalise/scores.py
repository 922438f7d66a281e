"""Scores: "4/5", "8.5 / 10", "85%", "★★★½", "B+" or a bare "9.0" -> a value on 0-100 and the scale read.

A missing or nonsensical score is ``None`` with a reason, never 0; a real "0/10" is 0.0.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

Result = tuple["Score | None", str | None]


@dataclass(frozen=True)
class Score:
    """A score normalised to 0-100 and the scale it was read on."""

    value: float
    """0-100, rounded to 2 decimals."""
    scale: str
    """``"5"``, ``"10"``, ``"100"``, ``"letter"`` (or another denominator as written, e.g. ``"4"``)."""


# Metacritic's published conversion of letter grades to its 0-100 scale.
LETTER_GRADES = {
    "A+": 100, "A": 100, "A-": 91, "B+": 83, "B": 75, "B-": 67, "C+": 58, "C": 50, "C-": 42,
    "D+": 33, "D": 25, "D-": 16, "F+": 8, "F": 0, "F-": 0,
}  # fmt: skip

_MAX_LEN = 100  # a score is short; longer text is a selector that caught a sentence
_NUM = r"[-+]?(?:\d+(?:\.\d+|,\d{1,2}(?!\d))?|nan|inf(?:inity)?)"
# Optional label before the score: "Review Score –", "Rating:", "Overall". No digits, so it never eats the score.
_LABEL = r"(?:[^\d:：|=%★☆]{1,60}?(?:\s*[:：|=\-–—]+\s*|\s+))?"
_STARS_WORD = r"(?:\s*(?:stars?|points?|pts)\.?)?"

_FRACTION_RE = re.compile(_LABEL + rf"(?P<num>{_NUM})\s*(?:/|out\s+of)\s*(?P<den>{_NUM})" + _STARS_WORD, re.I)
_PERCENT_RE = re.compile(_LABEL + rf"(?P<num>{_NUM})\s*%", re.I)
_STARS_RE = re.compile(_LABEL + rf"(?P<num>{_NUM})\s*stars?\.?", re.I)
_BARE_RE = re.compile(_LABEL + rf"(?P<num>{_NUM})", re.I)
_GRADE_RE = re.compile(r"(?:(?P<label>(?i:grade))\s*[:：\-–—]?\s*)?(?P<letter>[A-DFa-df])\s*(?P<mod>[+\-–—]?)")
_FULL_STARS = "★⭐✭✮✯✪"
_EMPTY_STARS = "☆✩"
_HALF_STARS = "½⯨⯪"
_GLYPHS_RE = re.compile(_LABEL + rf"(?P<glyphs>[{_FULL_STARS}{_EMPTY_STARS}{_HALF_STARS}\s]+)")
# A bare ASCII number ("9.0"), the commonest raw score: no other form can read it, so it skips their parsers.
_PLAIN_RE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6})?")
_SLASH_RE = re.compile(r"\s*/\s*")

_ASPECTS = {
    "story": "story",
    "acting/cast": "acting",
    "acting": "acting",
    "cast": "acting",
    "music": "music",
    "soundtrack": "music",
    "ost": "music",
    "rewatch value": "rewatch",
    "re-watch value": "rewatch",
    "rewatch": "rewatch",
}


def parse_score(raw: str | None, *, default_scale: float | None = None) -> Score | None:
    """The score on 0-100 and its scale, or None.

    ``"Review Score – 4/5"`` -> ``Score(value=80.0, scale="5")``
    """
    return parse_score_with_reason(raw, default_scale=default_scale)[0]


def parse_score_with_reason(raw: str | None, *, default_scale: float | None = None) -> Result:
    """(Score, None) or (None, reason): ``empty``, ``unparseable``, ``out_of_range``, ``zero_scale``, ``nan``,
    ``no_scale`` (a bare number where the source has no default scale).

    ``"9.0"`` with default_scale=10 -> ``(Score(90.0, "10"), None)``; ``"11/10"`` -> ``(None, "out_of_range")``
    """
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        return None, "empty" if raw is None else "unparseable"
    if _PLAIN_RE.fullmatch(raw):
        return _bare(float(raw), default_scale)
    if len(raw) > 4 * _MAX_LEN:
        return None, "unparseable" if raw.strip() else "empty"
    text = _prepare(raw)
    if not text:
        return None, "empty"
    if len(text) > _MAX_LEN:
        return None, "unparseable"
    for parse in (_grade, _glyphs, _fraction, _percent, _stars):
        result = parse(text)
        if result is not None:
            return result
    m = _BARE_RE.fullmatch(text)
    if m is None:
        return None, "unparseable"
    num = _number(m["num"])
    if num is None or math.isnan(num) or (math.isinf(num) and "inf" in m["num"].lower()):
        return None, "nan"
    return _bare(num, default_scale)


def _bare(num: float, default_scale: float | None) -> Result:
    """A number without a scale, on the source's default scale."""
    if default_scale is None:
        return None, "no_scale"
    try:
        scale = float(default_scale)
    except (TypeError, ValueError):
        return None, "no_scale"
    return _on_scale(num, scale, f"{scale:g}")


def aspect_key(label: str | None) -> str | None:
    """Stable key for an aspect label; unknown labels lower-cased with whitespace folded.

    ``"Acting/Cast"`` -> ``"acting"``; ``"Chemistry "`` -> ``"chemistry"``
    """
    if not isinstance(label, str):
        return None
    # Trailing colons and spaces in any mix ("Story: :"), so that a key read again stays the same key.
    key = " ".join(unicodedata.normalize("NFKC", label).split()).lower().rstrip(": ")
    key = _SLASH_RE.sub("/", key)
    if not key:
        return None
    return _ASPECTS.get(key, key)


def _prepare(raw: str) -> str:
    # Before NFKC, which would turn "½" into "1⁄2".
    text = re.sub(r"(\d)\s*½", r"\1.5", raw)
    text = text.replace("\ufe0f", "").replace("\ufe0e", "")
    text = unicodedata.normalize("NFKC", text.replace("½", "\ue000")).replace("\ue000", "½")
    text = " ".join(text.replace("\u2212", "-").split())
    # Brackets and a closing full stop are decoration: "(4/5)", "8/10."
    while len(text) >= 2 and text[0] + text[-1] in ("()", "[]", "{}"):
        text = text[1:-1].strip()
    return text.rstrip(".!").strip()


def _grade(text: str) -> Result | None:
    m = _GRADE_RE.fullmatch(text)
    if m is None or (m["letter"].islower() and not m["label"]):
        return None  # a lone lower-case letter is not a grade
    mod = "-" if m["mod"] in ("–", "—") else m["mod"]
    return Score(float(LETTER_GRADES[m["letter"].upper() + mod]), "letter"), None


def _glyphs(text: str) -> Result | None:
    m = _GLYPHS_RE.fullmatch(text)
    if m is None or not m["glyphs"].strip():
        return None
    glyphs = m["glyphs"]
    full = sum(glyphs.count(g) for g in _FULL_STARS)
    half = sum(glyphs.count(g) for g in _HALF_STARS)
    empty = sum(glyphs.count(g) for g in _EMPTY_STARS)
    if half > 1:
        return None, "unparseable"
    slots = full + half + empty
    if slots > 10:
        return None, "out_of_range"
    scale = 5 if slots <= 5 else 10
    return _on_scale(full + 0.5 * half, scale, str(scale))


def _fraction(text: str) -> Result | None:
    m = _FRACTION_RE.fullmatch(text)
    if m is None:
        return None
    num, den = _number(m["num"]), _number(m["den"])
    if num is None or den is None or math.isnan(num) or math.isnan(den) or _is_written_inf(m, num, den):
        return None, "nan"
    if den == 0:
        return None, "zero_scale"
    if den < 0 or math.isinf(den):
        return None, "out_of_range"
    return _on_scale(num, den, f"{den:g}")


def _percent(text: str) -> Result | None:
    m = _PERCENT_RE.fullmatch(text)
    if m is None:
        return None
    num = _number(m["num"])
    if num is None or math.isnan(num) or _is_written_inf(m, num):
        return None, "nan"
    return _on_scale(num, 100, "100")


def _stars(text: str) -> Result | None:
    m = _STARS_RE.fullmatch(text)
    if m is None:
        return None
    num = _number(m["num"])
    if num is None or math.isnan(num) or _is_written_inf(m, num):
        return None, "nan"
    return _on_scale(num, 5, "5")


def _is_written_inf(m: re.Match[str], *values: float) -> bool:
    # "inf" written out is a non-number; 1e400 digits that overflow are just out of range.
    return any(math.isinf(v) for v in values) and "inf" in m.group(0).lower()


def _number(token: str) -> float | None:
    try:
        return float(token.replace(",", "."))
    except ValueError:
        return None


def _on_scale(num: float, scale: float, scale_name: str) -> Result:
    if math.isnan(scale):
        return None, "nan"
    if scale == 0:
        return None, "zero_scale"
    if scale < 0 or num < 0 or num > scale or math.isinf(scale):
        return None, "out_of_range"
    return Score(round(num / scale * 100, 2) + 0.0, scale_name), None
