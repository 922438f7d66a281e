"""Spoiler detection from explicit signals only: platform flag, spoiler notice, inline spoiler markup, and
what the title or lead paragraph says. The rest of the body is never scanned for phrases: a review says
"no spoilers here" halfway through, or links "Episode 4 Recap" at the end, and neither describes it.
"""

from __future__ import annotations

import re
import unicodedata

_DASH = r"[\s\-‐‑‒–—_]*"
# Checked before the positives in the same text: "Spoiler Free Review" says "spoiler" too.
_NEGATIVES = (
    ("spoiler free", re.compile(rf"\bspoilers?{_DASH}(?:free|less)\b")),
    ("no spoilers", re.compile(r"\bno\s+(?:major\s+|big\s+|real\s+|plot\s+)?spoilers?\b")),
    ("without spoilers", re.compile(r"\bwithout\s+(?:any\s+)?spoilers?\b")),
    ("non-spoiler", re.compile(rf"\bnon{_DASH}spoiler(?:s|y)?\b")),
)
_POSITIVES = (
    ("[spoilers]", re.compile(r"\[\s*spoilers?\s*\]")),
    ("(spoilers)", re.compile(r"\(\s*spoilers?\s*\)")),
    ("spoilers ahead", re.compile(r"\bspoilers?\s+(?:ahead|below)\b")),
    ("spoiler alert", re.compile(r"\bspoiler\s+(?:alert|warning)\b")),
    ("ending explained", re.compile(r"\bending\s+explained\b")),
    ("recap", re.compile(r"\brecaps?\b")),
    ("full spoilers", re.compile(r"\b(?:full|major|heavy)\s+spoilers\b")),
    ("contains spoilers", re.compile(r"\b(?:contains?|may\s+contain)\s+spoilers\b")),
    ("warning: spoilers", re.compile(r"\bwarning\s*[:\-–—!]?\s*spoilers?\b")),
)
# Reddit markdown >!text!< (also HTML-escaped, as the API sends it without raw_json=1), Reddit's rendered
# span, and forum BBCode. Inner length is bounded so many unclosed openers cannot make the scan quadratic.
_INLINE_RE = re.compile(
    r">!(?=\S)[^\n]{1,500}?!<"
    r"|&gt;!(?=\S)[^\n]{1,500}?!&lt;"
    r"|class\s*=\s*[\"'][^\"'>]*\bmd-spoiler-text\b"
    r"|\[spoiler(?:=[^\]]{0,80})?\]",
    re.I,
)
_MARKER_REASON_LEN = 80


def detect_spoiler(
    *,
    flag: bool | None = None,
    marker: str | None = None,
    title: str | None = None,
    lead: str | None = None,
    body: str | None = None,
) -> bool | None:
    """True / False when a signal says so, None when nothing does.

    ``title="“Soundtrack #1” Spoiler Free Review- A Romance Kdrama"`` -> ``False``
    """
    return spoiler_with_reason(flag=flag, marker=marker, title=title, lead=lead, body=body)[0]


def spoiler_with_reason(
    *,
    flag: bool | None = None,
    marker: str | None = None,
    title: str | None = None,
    lead: str | None = None,
    body: str | None = None,
) -> tuple[bool | None, str]:
    """(verdict, reason); the strongest signal wins: flag, marker, inline markup, title, lead.

    ``flag=True`` -> ``(True, "flag")``; ``marker="This review may contain spoilers"``
    -> ``(True, "marker: This review may contain spoilers")``; nothing -> ``(None, "no_signal")``
    """
    # A False flag only means the author did not tick the box; it is no evidence either way.
    if flag is True:
        return True, "flag"
    marker_text = _fold(marker)
    if marker_text and _first(_NEGATIVES, marker_text.lower()) is None:
        return True, f"marker: {marker_text[:_MARKER_REASON_LEN]}"
    if isinstance(body, str) and _INLINE_RE.search(body):
        return True, "inline"
    for where, text in (("title", title), ("lead", lead)):
        verdict = _phrase_verdict(_fold(text).lower())
        if verdict is not None:
            return verdict[0], f"{where}: {verdict[1]}"
    return None, "no_signal"


def _phrase_verdict(text: str) -> tuple[bool, str] | None:
    if not text or "spoil" not in text and "recap" not in text and "explained" not in text:
        return None
    negative = _first(_NEGATIVES, text)
    if negative is not None:
        return False, negative
    positive = _first(_POSITIVES, text)
    if positive is not None:
        return True, positive
    return None


def _first(patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    return next((label for label, regex in patterns if regex.search(text)), None)


def _fold(text: str | None) -> str:
    if not isinstance(text, str):
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).split())
