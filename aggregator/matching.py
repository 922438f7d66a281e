"""Is this the same drama? Title normalisation and matching across sites, as pure functions.

Every site names a show its own way ("Soundtrack #1", "SOUNDTRACK No. 1", "Soundtrack No.1 (2022)"). The
store resolves an item to a drama by site id, then by the exact keys computed here, then by a fuzzy score
(rapidfuzz). Merging two different shows is the worse error (their reviews would be mixed for good), so the
rules are one-sided: numbers in a title, a known year and a known episode count must agree; anything close
but not certain is reported as *doubtful* (a new drama flagged for review) rather than merged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

ACCEPT = 92.0
"""Fuzzy score (0-100) from which a title match is accepted (see ``bench/title_matching.py``)."""
DOUBT = 80.0
"""Fuzzy score from which a non-accepted best candidate makes the new drama "needs review"."""
MIN_FUZZY_LENGTH = 8
"""Shorter titles are never fuzzy-accepted: "Goblin"/"Goblins" or "Kill Me"/"Kill It" are a letter apart."""

# --- normalisation -----------------------------------------------------------------------------------------

# Hangul (jamo, compatibility jamo, syllables), kana, Han (CJK, extension A/B, compatibility) and Thai.
_NATIVE = re.compile(
    "[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\u0e00-\u0e7f\uff66-\uff9f\U00020000-\U0002a6df]"
)
_BRACKET_YEAR = re.compile(r"[(\[]\s*((?:19|20)\d\d)\s*[)\]]")
_APOSTROPHES = re.compile("['\u2018\u2019\u201b\u02bc\u02b9`\u00b4\u2032]")
_KDRAMA_SUFFIX = re.compile(r"[\s\-\u2013\u2014:|,(\[]+(?:k\s*-?\s*drama|korean\s+drama)s?\s*[)\]]?\s*$")
# "#1", "No. 1", "No.1", "No 1", "Number 1" and "Nº1" (NFKC has already turned "º" into "o").
_NUMBER_MARK = re.compile(r"(?:#\s*|\bno\.?\s*|\bnumber\s+)(\d+)")
_WORD_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "i": "1", "ii": "2",
                 "iii": "3", "iv": "4", "v": "5", "first": "1", "second": "2", "third": "3"}  # fmt: skip
_SEASON_WORD = re.compile(r"\b(season|part)\s+(one|two|three|four|five|iii|ii|iv|v|i)\b")
_ORDINAL_SEASON = re.compile(r"\b(?:(\d+)(?:st|nd|rd|th)|(first|second|third))\s+(season|part)\b")
_SHORT_SEASON = re.compile(r"\bs(\d+)\b")
_PART = re.compile(r"\b(?:pt|part)\.?\s*(\d+)\b")
_SEASON_ONE = re.compile(r"\bseason\s+0*1\b")
_TRAILING_ROMAN = re.compile(r"\b(iii|ii|iv)$")
_LEADING_ZEROS = re.compile(r"\b0+(\d)")
_PUNCT = re.compile(r"[^\w\s]|_")
_HYPHENS_SPACES = re.compile("[\\s\\-\u2010-\u2015]+")


def _latin_once(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text)  # "King's" -> "kings", not "king s"
    text = text.replace("&", " and ")
    text = _BRACKET_YEAR.sub(" ", text)  # the year belongs to the facts (see `title_year`), not the name
    text = _KDRAMA_SUFFIX.sub("", text)
    text = _NUMBER_MARK.sub(r" \1", text)
    text = _SEASON_WORD.sub(lambda m: f"{m[1]} {_WORD_NUMBERS[m[2]]}", text)
    text = _ORDINAL_SEASON.sub(lambda m: f"{m[3]} {m[1] or _WORD_NUMBERS[m[2]]}", text)
    text = _SHORT_SEASON.sub(r"season \1", text)
    text = _PART.sub(r"part \1", text)
    text = _SEASON_ONE.sub(" ", text)  # "Season 1" is the show itself; season 2+ is another entry
    text = re.sub(r"\bmister\b", "mr", text)
    text = re.sub(r"\bdoctor\b", "dr", text)
    text = " ".join(_PUNCT.sub(" ", text).split())
    text = _TRAILING_ROMAN.sub(lambda m: _WORD_NUMBERS[m[1]], text)
    return _LEADING_ZEROS.sub(r"\1", text)


def _native_once(text: str) -> str:
    # Native scripts are compared as written: no transliteration, no stripping of their punctuation.
    return " ".join(_BRACKET_YEAR.sub(" ", text).split())


@lru_cache(maxsize=65536)
def _key(title: str) -> str:
    text = title
    # Each pass can expose another pattern ("S'2" -> "s2" -> "season 2"): repeat to a fixed point, which
    # makes title_key idempotent.
    for _ in range(8):
        before = text
        text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        text = _native_once(text) if _NATIVE.search(text) else _latin_once(text)
        if text == before:
            break
    return text


def title_key(title: str | None) -> str | None:
    """The exact-match form of a title (see the module docstring); ``None`` when nothing is left of it.

    >>> title_key("Soundtrack No. 1 (2022)"), title_key("It's Okay, 2nd Season"), title_key("사랑의  불시착")
    ('soundtrack 1', 'its okay season 2', '사랑의 불시착')
    """
    if title is None:
        return None
    return _key(title) or None


def compact_key(title: str | None) -> str | None:
    """`title_key` without spaces or hyphens: romanisations split words freely ("Do Bong Soon", "Dobongsoon")."""
    key = title_key(title)
    return (_HYPHENS_SPACES.sub("", key) or None) if key else None


def title_numbers(title: str | None) -> tuple[str, ...]:
    """The numbers of a normalised title, in order ("Reply 1988" -> ("1988",)); titles that differ here differ."""
    key = title_key(title) or ""
    return tuple(str(int(n)) for n in re.findall(r"\d+", key))


def title_year(title: str | None) -> int | None:
    """A year the title carries in brackets ("Meteor Garden (2018)"), which `title_key` removes."""
    found = _BRACKET_YEAR.search(unicodedata.normalize("NFKC", title or ""))
    return int(found[1]) if found else None


_ARTICLE = re.compile(r"^(?:the|a|an) ")
_FILLER = re.compile(r"\b(?:season|part)\b")
_STOPWORDS = frozenset(
    ["the", "a", "an", "of", "and", "to", "in", "on", "at", "my", "is", "for", "with", "you", "your", "me", "be",
     "it", "its", "mr", "ms", "dr"]
)  # fmt: skip


def fuzzy_form(key: str) -> str:
    """What the fuzzy scorer compares: the key without a leading article or the words season/part.

    Numbers are checked separately, so "Love Alarm Part 2" and "Love Alarm 2" may score 100 here.
    """
    return " ".join(_FILLER.sub(" ", _ARTICLE.sub("", key)).split()) or key


def _blocks(form: str) -> set[str]:
    """Prefilter keys: significant words, plus the start of the compact form (for unspaced romanisations)."""
    words = [w for w in form.split() if not w.isdigit()]
    blocks = {w for w in words if len(w) > 1 and w not in _STOPWORDS} or set(words)
    compact = form.replace(" ", "")
    if len(compact) >= 4:
        blocks.add("^" + compact[:4])
    return blocks


# --- matching ----------------------------------------------------------------------------------------------


@dataclass
class TitleFacts:
    """What is known of a drama for matching: its titles (main, native, aliases), first-air year, episodes."""

    titles: list[str]
    year: int | None = None
    episodes: int | None = None


@dataclass
class Match:
    """Result of `match_title`: ``drama_id`` is set for an accepted match (rule ``exact`` or ``fuzzy``).

    Otherwise ``rule`` is ``doubtful`` (``doubtful`` true, ``note`` says with what and why, ``near`` holds
    the ids the note names) or ``new``.
    """

    drama_id: int | None
    score: float
    rule: str
    doubtful: bool = False
    note: str | None = None
    near: tuple[int, ...] = ()


def effective_year(facts: TitleFacts) -> int | None:
    """The known year, else one a title gives in brackets."""
    if facts.year:
        return facts.year
    return next(filter(None, map(title_year, facts.titles)), None)


def conflicts(candidate: TitleFacts, known: TitleFacts, *, fuzzy: bool) -> tuple[bool, str | None]:
    """(definitely another drama, reason it is only doubtful) for two sets of facts.

    Years more than one apart are different shows (remakes: "Meteor Garden" 2001 and 2018). One year apart
    is doubtful, never accepted: sites disagree on air year vs first broadcast (a December premiere), but
    same-title shows a year apart exist too. A fuzzy match also needs both years known: a near title with
    no year to confirm it is only a guess.
    """
    year_a, year_b = effective_year(candidate), effective_year(known)
    if year_a and year_b and abs(year_a - year_b) > 1:
        return True, None
    if year_a and year_b and year_a != year_b:
        return False, f"years {year_a}/{year_b}"
    if candidate.episodes and known.episodes and candidate.episodes != known.episodes:
        return False, f"episodes {candidate.episodes}/{known.episodes}"
    if fuzzy and not (year_a and year_b):
        return False, "year unknown"
    return False, None


@dataclass(frozen=True)
class _Title:
    key: str
    compact: str
    form: str
    numbers: tuple[str, ...]


@lru_cache(maxsize=65536)
def _title(title: str) -> _Title | None:
    key = title_key(title)
    if key is None:
        return None
    return _Title(key, compact_key(title) or key, fuzzy_form(key), title_numbers(title))


def _titles(facts: TitleFacts) -> list[_Title]:
    return [t for t in map(_title, dict.fromkeys(filter(None, facts.titles))) if t is not None]


@dataclass
class TitleIndex:
    """Known dramas indexed for matching: exact keys in dicts, fuzzy candidates prefiltered by block keys.

    Build it once (`add` per drama; adding again merges titles and refreshes year/episodes) and call `match`
    per item: the exact step is a dict lookup and the fuzzy step scores only the dramas sharing a block key.
    """

    facts: dict[int, TitleFacts] = field(default_factory=dict)
    _exact: dict[str, set[int]] = field(default_factory=dict)
    _compact: dict[str, dict[int, set[tuple[str, ...]]]] = field(default_factory=dict)
    _forms: dict[int, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    _blocks: dict[str, set[int]] = field(default_factory=dict)

    def add(self, drama_id: int, facts: TitleFacts) -> None:
        known = self.facts.setdefault(drama_id, TitleFacts([]))
        known.year = facts.year or known.year
        known.episodes = facts.episodes or known.episodes
        for title in facts.titles:
            self.add_title(drama_id, title)

    def add_title(self, drama_id: int, title: str | None) -> None:
        parsed = _title(title) if title else None
        known = self.facts.setdefault(drama_id, TitleFacts([]))
        if parsed is None or title in known.titles:
            return
        known.titles.append(title)
        self._exact.setdefault(parsed.key, set()).add(drama_id)
        self._compact.setdefault(parsed.compact, {}).setdefault(drama_id, set()).add(parsed.numbers)
        self._forms.setdefault(drama_id, {})[parsed.form] = parsed.numbers
        for block in _blocks(parsed.form):
            self._blocks.setdefault(block, set()).add(drama_id)

    def match(
        self,
        candidate: TitleFacts,
        *,
        accept: float = ACCEPT,
        doubt: float = DOUBT,
        fuzzy: bool = True,
        exclude: Collection[int] = (),
        prefer: Collection[int] = (),
    ) -> Match:
        """Match `candidate` against the index. `exclude`: ids known to be other dramas (another site id of
        the same source); `prefer`: ids to take when several dramas share the exact name (e.g. the ones the
        same source used that name for)."""
        titles = _titles(candidate)
        exact = self._match_exact(candidate, titles, exclude, prefer)
        if exact is not None or not fuzzy:
            return exact or Match(None, 0.0, "new")
        return self._match_fuzzy(candidate, titles, accept, doubt, exclude)

    def _match_exact(
        self, candidate: TitleFacts, titles: list[_Title], exclude: Collection[int], prefer: Collection[int]
    ) -> Match | None:
        ids: set[int] = set()
        for t in titles:
            ids |= self._exact.get(t.key, set())
            # Equal without spaces, but "Love 0 2" is not "Love 02": the numbers must agree too.
            ids |= {i for i, nums in self._compact.get(t.compact, {}).items() if t.numbers in nums}
        passing, doubtful = [], []
        for drama_id in sorted(ids - set(exclude)):
            other, reason = conflicts(candidate, self.facts[drama_id], fuzzy=False)
            if reason:
                doubtful.append((drama_id, reason))
            elif not other:
                passing.append(drama_id)
        if len(passing) > 1:
            year = effective_year(candidate)
            passing = [i for i in passing if effective_year(self.facts[i]) == year] or passing
            passing = [i for i in passing if i in prefer] or passing
        if len(passing) == 1:
            return Match(passing[0], 100.0, "exact")
        if passing:
            names = ", ".join(self._describe(i) for i in passing)
            return Match(None, 100.0, "doubtful", True, f"same name as several dramas: {names}", tuple(passing))
        if doubtful:
            drama_id, reason = doubtful[0]
            return Match(None, 100.0, "doubtful", True, self._note(drama_id, 100.0, reason), (drama_id,))
        return None

    def _match_fuzzy(
        self, candidate: TitleFacts, titles: list[_Title], accept: float, doubt: float, exclude: Collection[int]
    ) -> Match:
        ids: set[int] = set()
        for t in titles:
            for block in _blocks(t.form):
                ids |= self._blocks.get(block, set())
        ids -= set(exclude)
        choices: list[str] = []
        owners: list[tuple[int, tuple[str, ...]]] = []
        for drama_id in sorted(ids):
            for form, numbers in self._forms[drama_id].items():
                choices.append(form)
                owners.append((drama_id, numbers))
        best: dict[int, tuple[float, int]] = {}  # drama id -> (score, length of the shorter form compared)
        for t in titles:
            found = process.extract(
                t.form, choices, scorer=fuzz.token_sort_ratio, processor=default_process,
                score_cutoff=doubt, limit=None,
            )  # fmt: skip
            for form, score, index in found:
                drama_id, numbers = owners[index]
                # Different numbers are different shows (Reply 1988/1997, Soundtrack #1/#2): not even doubtful.
                if numbers == t.numbers and score > best.get(drama_id, (0.0, 0))[0]:
                    best[drama_id] = (score, min(len(form), len(t.form)))
        ranked = sorted(best.items(), key=lambda pair: (-pair[1][0], pair[0]))
        # The best candidate that is not certainly another show decides: accepted, or doubtful and why.
        for drama_id, (score, length) in ranked:
            other, reason = conflicts(candidate, self.facts[drama_id], fuzzy=True)
            if other:
                continue
            if reason is None and score < accept:
                reason = "below the accept score"
            if reason is None and length < MIN_FUZZY_LENGTH:
                reason = "title too short to be sure"
            rivals = [i for i, (s, _) in ranked if s == score and i != drama_id]
            rivals = [i for i in rivals if not conflicts(candidate, self.facts[i], fuzzy=True)[0]]
            if reason is None and rivals:
                reason = f"as close to drama {rivals[0]}"
            if reason is None:
                return Match(drama_id, score, "fuzzy")
            return Match(None, score, "doubtful", True, self._note(drama_id, score, reason), (drama_id,))
        # Nothing close, or only shows that are certainly others (a year apart by more than one).
        return Match(None, 0.0, "new")

    def _describe(self, drama_id: int) -> str:
        titles = self.facts[drama_id].titles
        return f"drama {drama_id} '{titles[0] if titles else '?'}'"

    def _note(self, drama_id: int, score: float, reason: str | None) -> str:
        why = f", {reason}" if reason else ""
        return f"possible duplicate of {self._describe(drama_id)} (score {score:.0f}{why})"


def match_title(
    candidate: TitleFacts,
    known: Mapping[int, TitleFacts] | TitleIndex,
    *,
    accept: float = ACCEPT,
    doubt: float = DOUBT,
) -> Match:
    """The known drama `candidate` is, if certain enough: exact key first, then fuzzy above `accept`.

    Never across numbers ("Reply 1988"/"Reply 1997"), years more than one apart, or (accepted) differing
    years or episode counts. A best candidate that is close (from `doubt`) but not accepted gives a
    ``doubtful`` match whose note names it. Pass a prebuilt `TitleIndex` when matching many candidates.
    """
    index = known if isinstance(known, TitleIndex) else build_index(known.items())
    return index.match(candidate, accept=accept, doubt=doubt)


def build_index(known: Iterable[tuple[int, TitleFacts]]) -> TitleIndex:
    """A `TitleIndex` of (drama id, facts) pairs."""
    index = TitleIndex()
    for drama_id, facts in known:
        index.add(drama_id, facts)
    return index
