"""Scores written in a review's plain text: an overall verdict and per-episode scores.

Shared by the WordPress and Reddit spiders. Only explicit scores count: a labelled one ("Rating: 8/10",
"Review Score – 4/5", "Verdict: ★★★★☆"), an episode guide line ("Episode 5: 8/10") or a first-person
verdict in forum prose ("I'd give it a 9/10", "9/10 for me"). Numbers in prose ("four episodes long",
"12 songs", "25-21", "3/4/2022", "1/2 of the cast") are never scores. What is returned is the matched raw
fragment, which ``pipelines.normalise.scores.parse_score`` reads.

Also here, for the same callers: ``html_to_text`` (a content fragment as lines of plain text, the input
``find_scores`` expects) and ``spoiler_warning`` (an explicit spoiler warning at the head of a paragraph).
"""

from __future__ import annotations

import html
import re

from lxml import etree
from lxml import html as lxml_html

_NUM = r"\d{1,3}(?:[.,]\d{1,2})?"
# A fraction on a usual scale; never part of a date ("3/4/2022") or a longer number.
_FRACTION = rf"(?<![\d/.,]){_NUM}\s*(?:/|out\s+of)\s*(?:100|20|10|5|4)(?!\d)(?![/.,]\d)(?:\s*stars?)?"
_PLAIN_FRACTION = rf"(?<![\d/.,]){_NUM}\s*(?:/|out\s+of)\s*(?:100|10|5)(?!\d)(?![/.,]\d)"
_GLYPHS = r"[★☆⭐✭✮✯✪✩½](?:\s?[★☆⭐✭✮✯✪✩½]){0,9}"
_STARS = rf"(?<![\d.,]){_NUM}\s*stars?\b"
_PERCENT = rf"(?<![\d.,]){_NUM}\s*%"
# A letter grade must end its line or sentence: "Final score: B+" but not "Verdict: A must-watch".
_GRADE = r"(?-i:[A-DF])[+\-−]?(?=[^\S\n]*(?:$|\n|[.;,!)]))"

_VALUE = rf"(?:{_FRACTION}|{_GLYPHS}|{_PERCENT}|{_STARS})"
_SEP = r"[^\S\n]*(?:[:：\-–—|=]+[^\S\n]*)?\n?[^\S\n]*"
_LABEL = (
    r"\b(?:(?:review|overall|final|our|my|total|drama|series)[^\S\n]+)?(?:score|rating|verdict|grade)"
    r"|\boverall\b"
)
_LABELLED = re.compile(rf"(?:{_LABEL}){_SEP}(?P<value>{_VALUE})", re.IGNORECASE | re.MULTILINE)
# Grades only after a score/grade label: a "Rating: A" is too often the start of a sentence.
_LABELLED_GRADE = re.compile(
    r"\b(?:(?:review|overall|final|our|my|total)[^\S\n]+)?(?P<label>score|grade)"
    rf"{_SEP}(?P<value>{_GRADE})",
    re.IGNORECASE | re.MULTILINE,
)
_EPISODE = re.compile(
    r"\b(?:episode|ep\.?)[^\S\n]*(?P<ep>\d{1,3})(?![\d/])[^\S\n]*[:\-–—|.]*[^\S\n]*"
    rf"(?P<score>(?:(?:review[^\S\n]+)?(?:score|rating)[^\S\n]*[:\-–—|=]*[^\S\n]*)?(?:{_FRACTION}|{_GLYPHS}))",
    re.IGNORECASE,
)
# First-person forum verdicts.
_OBJECT = r"(?:it|this|this\s+(?:one|drama|show|series)|the\s+(?:drama|show|series))[^\S\n]+"
# "give" is the viewer's own verdict; "rate" only with an object ("rated it 8/10"), since "rated 8.5/10 on
# IMDb" and "scored 8.5 out of 10" report someone else's number.
_VERB = re.compile(
    rf"\b(?:(?:give|gave|giving|gives)[^\S\n]+(?:{_OBJECT})?|(?:rate|rated|rating|rates)[^\S\n]+{_OBJECT})"
    r"(?:(?:an?|a\s+(?:solid|strong|generous|firm|hard|easy))[^\S\n]+)?"
    rf"(?P<value>{_PLAIN_FRACTION}(?:\s*stars?)?|{_STARS})",
    re.IGNORECASE,
)
_FOR_ME = re.compile(rf"(?P<value>{_PLAIN_FRACTION})[^\S\n]+(?:for|from)[^\S\n]+me\b", re.IGNORECASE)
_SOLID = re.compile(
    rf"\b(?:solid|strong|generous|firm|easy|hard|well[-\s]deserved)[^\S\n]+(?P<value>{_PLAIN_FRACTION})", re.IGNORECASE
)
# A line that is nothing but a score: "9/10" or "8.5/10!".
_ALONE = re.compile(rf"^[^\S\n]*(?P<value>{_PLAIN_FRACTION})[^\S\n]*[.!]*[^\S\n]*$", re.MULTILINE | re.IGNORECASE)


# A label owned by someone else: "IMDb rating: 8.5/10", "MDL score 9/10", "viewership rating 10%".
_THIRD_PARTY = re.compile(
    r"(?:imdb|mdl|mydramalist|douban|rotten\s+tomatoes|tomatometer|metacritic|nielsen|viewership|audience|"
    r"average|user|fans?['’]?)\W{0,3}$",
    re.IGNORECASE,
)


def _own(text: str, match: re.Match) -> bool:
    """Whether a labelled score is the writer's, not another site's number quoted before it."""
    line_start = text.rfind("\n", 0, match.start()) + 1
    return not _THIRD_PARTY.search(text[max(line_start, match.start() - 40): match.start()])


def _ok_fraction(raw: str) -> bool:
    """A fraction's numerator must not exceed its denominator ("12/10" is a joke, not a score)."""
    match = re.search(rf"({_NUM})\s*(?:/|out\s+of)\s*(\d+)", raw, re.IGNORECASE)
    if match is None:
        return True
    return float(match.group(1).replace(",", ".")) <= float(match.group(2))


def _clean(fragment: str) -> str:
    # Leading separators belong to the line ("Episode 1 -| ..."); a trailing "-" may be a grade's ("A-").
    return " ".join(fragment.split()).lstrip(" -–—|:").rstrip(" |:")


def find_scores(text: str | None) -> tuple[str | None, list[tuple[int, str]]]:
    """(overall raw score or None, [(episode, raw score), ...]) found in plain review text.

    ``"Episode 1 -| Review Score – 4/5 Episode 2 -| Review Score – 4/5"`` -> ``(None, [(1, "Review Score –
    4/5"), (2, "Review Score – 4/5")])``; ``"... Rating: 8/10"`` -> ``("Rating: 8/10", [])``
    """
    if not isinstance(text, str) or not text.strip():
        return None, []
    episodes: dict[int, str] = {}
    taken: list[tuple[int, int]] = []
    for match in _EPISODE.finditer(text):
        raw = _clean(match["score"])
        if not _ok_fraction(raw):
            continue
        episode = int(match["ep"])
        if episode > 0:
            episodes[episode] = raw  # a guide repeated later in the text: the last one wins
            taken.append(match.span())

    def free(match: re.Match) -> bool:
        # An episode's score is never the overall one.
        start, end = match.span()
        return not any(s < end and start < e for s, e in taken)

    labelled: list[tuple[int, str]] = []
    for match in _LABELLED.finditer(text):
        if free(match) and _ok_fraction(match["value"]) and _own(text, match):
            labelled.append((match.start(), _clean(match.group())))
    for match in _LABELLED_GRADE.finditer(text):
        if free(match) and _own(text, match):
            # parse_score reads "Grade: B+" or "B+", not "Final score: B+".
            raw = match.group() if match["label"].lower() == "grade" and match.group().lower().startswith("grade") else match["value"]
            labelled.append((match.start(), _clean(raw)))
    overall = None
    if labelled:
        overall = max(labelled)[1]  # the verdict comes last
    else:
        prose: list[tuple[int, str]] = []
        for pattern in (_VERB, _FOR_ME, _SOLID, _ALONE):
            for match in pattern.finditer(text):
                if free(match) and _ok_fraction(match["value"]):
                    prose.append((match.start("value"), _clean(match["value"])))
        if prose:
            overall = max(prose)[1]
    return overall, sorted(episodes.items())


# --- HTML fragments -----------------------------------------------------------------------------------------

_BLOCKS = frozenset(
    {"p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "section"}
)
# A warning must open its paragraph: "Warning: Spoilers ahead", not "no spoiler warning needed".
_WARNING = re.compile(
    r"^\W{0,4}(?:(?:warning|caution|heads\s+up)\s*[:\-–—!]?\s*(?:major\s+|heavy\s+|minor\s+)?spoilers?"
    r"|spoiler\s+(?:warning|alert)"
    r"|(?:major\s+|heavy\s+)?spoilers?\s+(?:ahead|below|for\s+episodes?\b)"
    r"|(?:this\s+(?:post|review|recap|article|thread)\s+)?(?:contains?|may\s+contain|has)\s+(?:major\s+|heavy\s+)?spoilers)",
    re.IGNORECASE,
)
_MAX_WARNING = 200
_WARNING_CLASSES = ("spoiler-warning", "spoiler-alert")


def _fragment_root(fragment: str | None):
    if not isinstance(fragment, str) or not fragment.strip():
        return None
    try:
        return lxml_html.fragment_fromstring(fragment.replace("\x00", ""), create_parent="div")
    except (ValueError, etree.LxmlError):
        return None


def _lines(root) -> list[str]:
    parts: list[str] = []

    def walk(element) -> None:
        # Comments and processing instructions add nothing, but the text after them (their tail) does.
        if isinstance(element.tag, str) and element.tag not in ("script", "style"):
            block = element.tag in _BLOCKS
            parts.append("\n" if block else "")
            parts.append(element.text or "")
            for child in element:
                walk(child)
                parts.append(child.tail or "")
            parts.append("\n" if block else "")

    walk(root)
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return [line for line in lines if line]


def html_to_text(fragment: str | None) -> str:
    """An HTML fragment as plain text, one line per block element (entities decoded); "" for nothing."""
    root = _fragment_root(fragment)
    return "\n".join(_lines(root)) if root is not None else ""


def spoiler_warning(fragment: str | None) -> str | None:
    """The text of an explicit spoiler warning in content HTML: a ``.spoiler-warning`` element, or a short
    line opening with "Warning: Spoilers", "Spoiler alert", "This post contains spoilers"...; else None."""
    root = _fragment_root(fragment)
    if root is None:
        return None
    for element in root.iter():
        classes = (element.get("class") or "").split() if isinstance(element.tag, str) else []
        if any(c in _WARNING_CLASSES for c in classes):
            text = " ".join(html.unescape(element.text_content()).split())
            if text:
                return text
    for line in _lines(root):
        if len(line) <= _MAX_WARNING and _WARNING.search(line):
            return line
    return None
