"""The drama a blog post or forum thread is about, read from its title; plus episode numbers and a year.

Shared by the WordPress and Reddit spiders. Conservative by design: a title that names no drama clearly
(a listicle, a roundup, a sentence) gives ``None``, and the pipeline then counts the item as missing its
drama rather than filing it under an invented one.
"""

from __future__ import annotations

import html
import re

_SPACE = re.compile(r"\s+")
# Separators between a drama's name and what the post is: "-", "–", "—", "|", ":" (and "-" glued to a word).
_SEPS = " \t-–—|:·•,"

# Listicles and roundups name no single drama.
_LISTICLE = re.compile(
    r"^(?:the\s+)?(?:top|best|worst)\s+\d+\b"
    r"|^\d+\s+(?:best|worst|great|must|underrated|romantic|korean|k-?dramas?|dramas?|reasons?|things?)\b"
    r"|\b(?:round-?up|weekly|monthly|ranking|rankings|news|dramas\s+like|shows\s+like|watchlist|"
    r"what\s+to\s+watch|(?:best|top)\s+(?:k-?)?dramas|dramas\s+of\s+(?:19|20)\d{2}|giveaway|announcement)\b",
    re.IGNORECASE,
)

_KIND = r"(?:(?:k|c|j|korean|chinese|japanese|thai|taiwanese|asian)[\s-]?)?(?:drama|series|movie|film|show)"
# A "cue" says: what precedes me is the drama's name, what follows is about the post.
_CUE = re.compile(
    rf"\b(?:{_KIND}\s+)?(?:spoiler[\s-]?free\s+)?(?:review|recap)s?\b"
    r"|\bspoiler[\s-]?free\b"
    r"|\b(?:episodes?|eps?\.?)\s*\d+"
    r"|\bseason\s+(?:1|one)\b"
    r"|\b(?:series\s+|season\s+)?finale\b"
    r"|\bending\b(?=\s*(?:explained|[:\-–—|]|$))"
    r"|\bfirst\s+impressions?\b"
    r"|\bdiscussion\b"
    r"|\bepisode\s+guide\b"
    # "Review" in Korean, Japanese and Chinese posts: "하회의 등불 리뷰: ...".
    r"|(?:리뷰|후기|감상평|レビュー|感想|影评|剧评|观后感)",
    re.IGNORECASE,
)
# Words that mean something only after a separator ("Vincenzo - Final Thoughts", not "My thoughts on...").
_WEAK_CUE = re.compile(r"\s[-–—|:]\s*(?:(?:my\s+|final\s+|some\s+)?thoughts|analysis|opinion|verdict)\b", re.IGNORECASE)
# What may stand before a cue without being a title: "My review of X", "A spoiler-free recap: X".
_FILLER = re.compile(
    rf"^(?:(?:my|our|a|an|the|full|honest|quick|mini|short|final|complete|in-depth|{_KIND})\s*)*$", re.IGNORECASE
)
_OF = re.compile(
    r"^(?:(?:my|our|a|an|full|honest|quick|mini|short|final|some|spoiler[\s-]?free)\s+)*"
    r"(?:review|recap|thoughts|impressions?)s?\s+(?:of|on|for)\s+(?P<rest>(?-i:[^a-z]).*)$",
    re.IGNORECASE,
)
# Leading streaming-platform names: "Disney+ Soundtrack #1 Review".
_PLATFORM = re.compile(
    r"^(?:disney\s*\+|netflix|viki|tvn|jtbc|kbs2?|mbc|sbs|ena|tving|coupang\s+play|wavve|apple\s+tv\s*\+|"
    r"amazon\s+prime(?:\s+video)?|prime\s+video|iqiyi|wetv|viu)(?:['’]s)?\s+",
    re.IGNORECASE,
)
# Bracket and parenthesis tags: "[Spoilers]", "[Episode 4]", "(Discussion)", "(K-Drama)".
_BRACKET = re.compile(r"\[[^\[\]]{0,80}\]")
_PAREN_TAG = re.compile(
    rf"\(\s*(?:spoilers?|no\s+spoilers|spoiler[\s-]?free|discussion|review|recap|{_KIND}|eng\s*sub|"
    r"(?:series\s+|season\s+)?finale|final\s+episodes?|premiere|live\s+thread|"
    r"(?:episodes?|eps?\.?)\s*[\d\s&,\-–and]+)\s*\)",
    re.IGNORECASE,
)
_YEAR_PAREN = re.compile(r"[(\[]\s*((?:19|20)\d{2})\s*[)\]]")
# Quoted names: “...”, "...", «...», „...“; single ‘...’ only when it cannot be an apostrophe.
_QUOTED = re.compile(r"[“\"«„](?P<q>[^“”\"«»„]{1,80})[”\"»“]|(?:^|(?<=\s))‘(?P<s>[^‘’]{1,80})’(?=[\s:,.!?\-–—]|$)")
_QUESTION = re.compile(r"^(?:is|are|should|why|how|does|do|did|will|can|was|were)\b.*\?$", re.IGNORECASE)
_EPISODES = re.compile(
    r"\b(?:episodes?|eps?\.?)\s*(?P<first>\d{1,3})(?P<more>(?:\s*(?:-|–|—|&|\+|,|/|and|to)\s*\d{1,3})*)", re.IGNORECASE
)
# Thread and post titles that are sentences about a drama rather than its name.
_SENTENCE = re.compile(
    r"\b(?:anyone|anybody|someone|recommend(?:ation)?s?|recs?|looking\s+for|need\s+help|help\s+me|"
    r"which\s+(?:drama|show|one|k-?drama)s?|just\s+(?:finished|started|watched)|finally\s+(?:finished|watched)|"
    r"does\s+anyone|do\s+you|did\s+you|unpopular\s+opinion|rant|why\s+is|why\s+does|am\s+i)\b"
    # A title opening with what the poster did is about their viewing: "Finished X - my review".
    r"|^(?:finished|started|watched|watching|rewatched|rewatching|dropped|binged|completed)\b",
    re.IGNORECASE,
)
# First person reads as a sentence too, but drama names use it ("I'm Not a Robot"): only without a cue.
_FIRST_PERSON = re.compile(r"\bi(?:['’]m|['’]ve|['’]d|\s+(?:am|just|think|feel|love|hate|can['’]?t|don['’]t|was))\b", re.IGNORECASE)
# What may end the text before a cue without being part of the name: "Vincenzo - my review".
_TRAILING_FILLER = re.compile(r"(?:[\s\-–—|:]+(?:my|our|a|an|full|honest|quick|mini|short|final|first))+$", re.IGNORECASE)
_COMMENT_SEP = re.compile(r"\s+[-–—|]\s+|:\s+|,\s+")
_MAX_WORDS = 12
# A name read without a cue after it ("[Discussion] X", "Review: X") must look more like a name.
_MAX_WORDS_UNCUED = 8
_MAX_WORDS_QUESTION = 3  # "Why Her?" is a drama; "Which drama made you cry?" is not
_MAX_RANGE = 40
# Patterns used inline below, compiled once.
_MARKUP = re.compile(r"<[^>]{0,200}>")
_OPEN_BRACKET = re.compile(r"\s*[(\[]\s*$")
_SEASON_ONE = re.compile(r"\s+season\s+(?:1|one)$", re.IGNORECASE)
_WORD = re.compile(r"\w")
_SPOILER = re.compile(r"spoiler", re.IGNORECASE)
_LEAD = re.compile(r"^(?:\s*(?:review|recap|and|&|\+))*\s*[:\-–—|]\s*", re.IGNORECASE)
_MORE_EPISODES = re.compile(r"\s*(-|–|—|&|\+|,|/|and|to)\s*(\d{1,3})")


def _clean(title: str | None) -> str:
    if not isinstance(title, str):
        return ""
    # Entities may be double-encoded by feeds ("&amp;#8220;"); two rounds are enough for real titles.
    text = html.unescape(html.unescape(title))
    text = _MARKUP.sub(" ", text)  # markup in a rendered title
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


def _strip_seps(text: str) -> str:
    return text.strip(_SEPS).strip()


def _plausible(name: str, strict: bool = False) -> str | None:
    """The candidate if it reads like a drama's name, else None; `strict` when no cue follows it."""
    name = _SPACE.sub(" ", _YEAR_PAREN.sub(" ", name)).strip()
    name = _strip_seps(name)
    # A trailing possessive or open quote left by a cut: "Vincenzo’s" stays, "Soundtrack #1 “" does not.
    name = name.strip("“”\"«»„ ").strip()
    # A bracket left open by a cut ("Title (") is not part of the name.
    name = _OPEN_BRACKET.sub("", name).strip()
    # Titles are title-cased: after a separator, a lower-case start is the poster's comment, not a subtitle
    # ("Our Rooftop Summer - eight episodes of...", but "Guardian: The Lonely and Great God" stays whole).
    for sep in _COMMENT_SEP.finditer(name):
        if name[sep.end():][:1].islower():
            name = name[: sep.start()].strip()
            break
    name = _SEASON_ONE.sub("", name).strip()
    if not name or not _WORD.search(name):
        return None
    if len(name.split()) > _MAX_WORDS or len(name) > 100:
        return None
    if _QUESTION.match(name) or _LISTICLE.search(name) or _FILLER.match(name) or _SENTENCE.search(name):
        return None
    words = len(name.split())
    if strict and (
        words > _MAX_WORDS_UNCUED or (name.endswith("?") and words > _MAX_WORDS_QUESTION) or _FIRST_PERSON.search(name)
    ):
        return None
    if _CUE.fullmatch(name):
        return None
    return name


def _strip_tags(text: str) -> tuple[str, bool]:
    """Removes bracketed tags; says whether one of them was a cue ("[Episode 4]", "[Discussion]")."""
    cue = False
    for match in _BRACKET.finditer(text):
        if _CUE.search(match.group()) or _SPOILER.search(match.group()):
            cue = True
    text = _BRACKET.sub(" ", text)
    if _PAREN_TAG.search(text):
        cue = True
        text = _PAREN_TAG.sub(" ", text)
    return _SPACE.sub(" ", text).strip(), cue


def _from_cues(text: str, cued: bool, depth: int = 0) -> str | None:
    """The name before the first cue; or after a leading cue ("Review: X"); None without any cue."""
    text = _PLATFORM.sub("", text).strip()
    of = _OF.match(text)
    if of:
        return _from_cues(of["rest"], True, depth + 1)
    cue = _CUE.search(text)
    weak = _WEAK_CUE.search(text)
    if weak and (cue is None or weak.start() < cue.start()):
        cue = weak
    if cue is None:
        return _plausible(text, strict=True) if cued else None
    before = _strip_seps(_TRAILING_FILLER.sub("", text[: cue.start()].rstrip()))
    if before and not _FILLER.match(before):
        return _plausible(before)
    # The cue leads the title: "Review: Crash Landing on You", "K-Drama Review – Vincenzo".
    rest = text[cue.end():]
    lead = _LEAD.match(rest)
    if lead is None or depth > 2:
        return None
    return _from_cues(rest[lead.end():], True, depth + 1)


def drama_from_post_title(title: str | None) -> str | None:
    """The drama a post or thread title names, or None when unsure.

    ``"“Soundtrack #1” Spoiler Free Review- A Romance Kdrama..."`` -> ``"Soundtrack #1"``;
    ``"Hospital Playlist Season 2 Review"`` -> ``"Hospital Playlist Season 2"``; ``"Weekly roundup"`` -> None
    """
    return _drama(_clean(title))


def drama_and_year(title: str | None, seen: dict | None = None) -> tuple[str | None, int | None]:
    """``(drama_from_post_title(title), year_from_post_title(title))``, the title cleaned once; `seen` (title ->
    answer) spares reading a title again (every comment of a post or thread names the same one).

    ``drama_and_year("Crash Landing on You (2019) K-Drama Review")`` -> ``("Crash Landing on You", 2019)``
    """
    if seen is not None and title in seen:
        return seen[title]
    text = _clean(title)
    year = _YEAR_PAREN.search(text)
    answer = _drama(text), int(year.group(1)) if year else None
    if seen is not None:
        seen[title] = answer
    return answer


def _drama(text: str) -> str | None:
    if not text or _LISTICLE.search(text):
        return None
    untagged, cued = _strip_tags(text)
    quoted = _QUOTED.search(untagged)
    if quoted:
        # A quoted name counts when the title is clearly about it: it leads, or a cue follows elsewhere.
        name = quoted["q"] or quoted["s"]
        elsewhere = untagged[: quoted.start()] + " " + untagged[quoted.end():]
        leads = not _strip_seps(_PLATFORM.sub("", untagged[: quoted.start()]).strip())
        if leads or cued or _CUE.search(elsewhere) or _WEAK_CUE.search(elsewhere):
            return _plausible(name)
    return _from_cues(untagged, cued)


def episodes_from_post_title(title: str | None) -> list[int]:
    """Episode numbers a title names: "[Episodes 3 & 4]" -> [3, 4]; "Episodes 1-3" -> [1, 2, 3]; else []."""
    text = _clean(title)
    found: set[int] = set()
    for match in _EPISODES.finditer(text):
        numbers = [int(match["first"])]
        previous = numbers[0]
        for sep, value in _MORE_EPISODES.findall(match["more"]):
            value = int(value)
            if sep in ("-", "–", "—", "to") and previous < value <= previous + _MAX_RANGE:
                numbers.extend(range(previous + 1, value + 1))
            else:
                numbers.append(value)
            previous = value
        found.update(n for n in numbers if n > 0)
    return sorted(found)


def year_from_post_title(title: str | None) -> int | None:
    """A year in brackets: "Crash Landing on You (2019) K-Drama Review" -> 2019; a bare "2022" is not one."""
    match = _YEAR_PAREN.search(_clean(title))
    return int(match.group(1)) if match else None
