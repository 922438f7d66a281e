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
from collections.abc import Iterator

from lxml import etree
from lxml import html as lxml_html

from spiders.extractors.html_tree import XML_UNSAFE

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


_PARTS = re.compile(rf"({_NUM})\s*(?:/|out\s+of)\s*(\d+)", re.IGNORECASE)


def _ok_fraction(raw: str) -> bool:
    """A fraction's numerator must not exceed its denominator ("12/10" is a joke, not a score)."""
    match = _PARTS.search(raw)
    if match is None:
        return True
    return float(match.group(1).replace(",", ".")) <= float(match.group(2))


def _clean(fragment: str) -> str:
    # Leading separators belong to the line ("Episode 1 -| ..."); a trailing "-" may be a grade's ("A-").
    return " ".join(fragment.split()).lstrip(" -–—|:").rstrip(" |:")


_DIGIT = re.compile(r"\d")  # re's \d (any Unicode decimal digit), as the patterns read it
_GLYPH = re.compile(r"[★☆⭐✭✮✯✪✩½]")
# Under IGNORECASE "ı" matches "i" and "ſ" matches "s", but str.lower() leaves them as they are.
_FOLD_TO_ASCII = str.maketrans({"ı": "i", "ſ": "s"})
# Where a match can begin, for the patterns that open with \b and a word (lower case): at a word boundary,
# at one of the first words ("score"), or at one of the second ones when spaces alone part it from a first
# ("final score").
_WORDS = {
    _LABELLED: (("score", "rating", "verdict", "grade", "overall"),
                ("review", "overall", "final", "our", "my", "total", "drama", "series")),
    _LABELLED_GRADE: (("score", "grade"), ("review", "overall", "final", "our", "my", "total")),
    _EPISODE: (("ep",), ()),
    _VERB: (("giv", "gave", "rat"), ()),
    _SOLID: (("solid", "strong", "generous", "firm", "easy", "hard", "well"), ()),
}  # fmt: skip


class _Text:
    """A text and what it holds that the patterns need: a pattern that cannot match is not run, and one that
    can is tried only where a match could begin (each pattern is otherwise a scan of the whole text)."""

    def __init__(self, text: str) -> None:
        self.text = text
        low = text.lower()
        if "ı" in low or "ſ" in low:
            low = low.translate(_FOLD_TO_ASCII)
        self.low = low
        self.aligned = len(low) == len(text)  # a position in `low` is the same one in `text`
        digit = _DIGIT.search(text) is not None
        self.glyph = _GLYPH.search(text) is not None
        self.fraction = digit and ("/" in text or "out" in low)  # what _FRACTION needs ("out of")
        self.value = self.glyph or (digit and (self.fraction or "%" in text or "star" in low))  # what _VALUE needs

    def has(self, *words: str) -> bool:
        return any(w in self.low for w in words)

    def matches(self, pattern: re.Pattern) -> Iterator[re.Match]:
        """The matches ``pattern.finditer(text)`` gives, found trying only where one can begin."""
        if pattern is _ALONE:
            starts = [0, *(i + 1 for i in _find_all(self.text, "\n"))]  # MULTILINE ^
        elif pattern is _FOR_ME:
            starts = self._number_starts() if "me" in self.low else []
        elif self.aligned:
            starts = self._word_starts(*_WORDS[pattern])
        else:
            return pattern.finditer(self.text) if self.has(*_WORDS[pattern][0]) else iter(())
        return _matches_at(pattern, self.text, starts)

    def _word_starts(self, words: tuple[str, ...], before: tuple[str, ...]) -> list[int]:
        text, low = self.text, self.low
        found = set()
        for word in words:
            for at in _find_all(low, word):
                if not _boundary(text, at):
                    continue
                found.add(at)
                gap = at
                while gap > 0 and text[gap - 1] != "\n" and text[gap - 1].isspace():  # [^\S\n]+
                    gap -= 1
                for first in before if gap < at else ():
                    start = gap - len(first)
                    if start >= 0 and low.startswith(first, start) and _boundary(text, start):
                        found.add(start)
        return sorted(found)

    def _number_starts(self) -> list[int]:
        """Where a number can begin: a digit after anything but a digit, "/", "." or ","."""
        text = self.text
        return [
            m.start() for m in _DIGIT.finditer(text)
            if m.start() == 0 or not (text[m.start() - 1] in "/.," or text[m.start() - 1].isdecimal())
        ]  # fmt: skip


def _boundary(text: str, at: int) -> bool:
    """re's \\b before a word character at `at`: nothing, or no word character, before it."""
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")


def _find_all(text: str, word: str) -> list[int]:
    found = []
    at = text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def _matches_at(pattern: re.Pattern, text: str, starts: list[int]) -> Iterator[re.Match]:
    """``pattern.finditer(text)`` when every match begins at one of `starts` (ascending) and none is empty:
    a search tries each position in turn, as this does, and resumes where its last match ended."""
    end = 0
    for at in starts:
        if at >= end:
            match = pattern.match(text, at)
            if match:
                end = match.end()
                yield match


def _episode_scores(text: _Text) -> tuple[dict[int, str], list[tuple[int, int]]]:
    episodes: dict[int, str] = {}
    taken: list[tuple[int, int]] = []
    if not (text.fraction or text.glyph):
        return episodes, taken
    for match in text.matches(_EPISODE):
        raw = _clean(match["score"])
        if not _ok_fraction(raw):
            continue
        episode = int(match["ep"])
        if episode > 0:
            episodes[episode] = raw  # a guide repeated later in the text: the last one wins
            taken.append(match.span())
    return episodes, taken


def _prose_patterns(text: _Text) -> list[re.Pattern]:
    if not text.fraction:
        return [_VERB] if text.value and text.has("star") else []
    return [_VERB, *([_FOR_ME] if text.has("for", "from") else []), _SOLID, _ALONE]


def find_scores(text: str | None) -> tuple[str | None, list[tuple[int, str]]]:
    """(overall raw score or None, [(episode, raw score), ...]) found in plain review text.

    ``"Episode 1 -| Review Score – 4/5 Episode 2 -| Review Score – 4/5"`` -> ``(None, [(1, "Review Score –
    4/5"), (2, "Review Score – 4/5")])``; ``"... Rating: 8/10"`` -> ``("Rating: 8/10", [])``
    """
    if not isinstance(text, str) or not text.strip():
        return None, []
    read = _Text(text)
    episodes, taken = _episode_scores(read)

    def free(match: re.Match) -> bool:
        # An episode's score is never the overall one.
        start, end = match.span()
        return not any(s < end and start < e for s, e in taken)

    labelled: list[tuple[int, str]] = []
    if read.value:  # what _VALUE needs
        for match in read.matches(_LABELLED):
            if free(match) and _ok_fraction(match["value"]) and _own(text, match):
                labelled.append((match.start(), _clean(match.group())))
    for match in read.matches(_LABELLED_GRADE):
        if free(match) and _own(text, match):
            # parse_score reads "Grade: B+" or "B+", not "Final score: B+".
            raw = match.group() if match["label"].lower() == "grade" and match.group().lower().startswith("grade") else match["value"]
            labelled.append((match.start(), _clean(raw)))
    overall = None
    if labelled:
        overall = max(labelled)[1]  # the verdict comes last
    else:
        prose: list[tuple[int, str]] = []
        for pattern in _prose_patterns(read):
            for match in read.matches(pattern):
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
        return lxml_html.fragment_fromstring(XML_UNSAFE.sub("", fragment), create_parent="div")
    except (ValueError, AssertionError, etree.LxmlError):
        # lxml asserts on fragments that open a whole document ("<html>..."): no fragment, not a crash.
        return None


def _lines(root) -> list[str]:
    """The text of `root`'s subtree, one line per block element (not its tail); scripts and styles say nothing,
    comments and processing instructions neither, but the text after any of them (its tail) does."""
    parts: list[str] = []
    add = parts.append
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))  # iterative: any depth
    for event, element in walker:
        if event == "start":
            if element.tag in ("script", "style"):
                walker.skip_subtree()
                continue
            if element.tag in _BLOCKS:
                add("\n")
            add(element.text or "")
            continue
        if event == "end" and element.tag in _BLOCKS:
            add("\n")
        if element is not root:
            add(element.tail or "")
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return [line for line in lines if line]


def html_to_text(fragment: str | None) -> str:
    """An HTML fragment as plain text, one line per block element (entities decoded); "" for nothing."""
    return text_and_warning(fragment)[0]


def spoiler_warning(fragment: str | None) -> str | None:
    """The text of an explicit spoiler warning in content HTML: a ``.spoiler-warning`` element, or a short
    line opening with "Warning: Spoilers", "Spoiler alert", "This post contains spoilers"...; else None."""
    return text_and_warning(fragment)[1]


# Elements whose class attribute may hold a warning class (the exact class test follows in Python).
_MAYBE_WARNING = etree.XPath(
    "descendant-or-self::*[" + " or ".join(f"contains(@class, '{c}')" for c in _WARNING_CLASSES) + "]"
)


def text_and_warning(fragment: str | None) -> tuple[str, str | None]:
    """``(html_to_text(fragment), spoiler_warning(fragment))`` from one parse of the fragment.

    ``text_and_warning("<p>Spoiler alert!</p><p>Great.</p>")`` -> ``("Spoiler alert!\\nGreat.", "Spoiler alert!")``
    """
    root = _fragment_root(fragment)
    if root is None:
        return "", None
    lines = _lines(root)
    return "\n".join(lines), _warning(root, lines)


def _warning(root, lines: list[str]) -> str | None:
    """spoiler_warning's answer, from the parsed fragment and its lines."""
    for element in _MAYBE_WARNING(root):
        if any(c in _WARNING_CLASSES for c in (element.get("class") or "").split()):
            text = " ".join(html.unescape(element.text_content()).split())
            if text:
                return text
    for line in lines:
        if len(line) <= _MAX_WARNING and _WARNING.search(line):
            return line
    return None
