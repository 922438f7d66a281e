"""Our date normaliser against ``dateparser.parse`` (default settings) on one mixed corpus: speed and answers.

Run: ``python bench/dates.py [--size 10000] [--seed 7] [--examples 2]``. The corpus (`make_corpus`, seeded)
mixes English, numeric, relative, Korean, Chinese and Japanese dates as review sites print them, each with
the moment its writer meant. Both sides get the same strings and the same "now" (dateparser's
RELATIVE_BASE); ours also gets what the pipeline knows of the string's source (``day_first``, language).
Timings alternate between the two in chunks so machine noise falls on both alike. Every answer that differs
is classified against the intended moment (`classify`), with one explanation per kind; the speed ratio
comes last (target >= 10x).
"""

from __future__ import annotations

import argparse
import calendar
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dateparser

from pipelines.normalise.dates import parse_date_with_reason

# The crawl time of every string; a day 15 so "N months ago" never needs day clamping on either side.
NOW = datetime(2025, 6, 15, 14, 30, tzinfo=UTC)
EARLIEST = datetime(2012, 1, 1, tzinfo=UTC)
CHUNKS = 20


@dataclass(frozen=True)
class Sample:
    text: str
    kind: str
    """english, numeric, relative, korean, chinese or japanese."""
    meant: datetime
    """The moment the writer meant (UTC); day words ("yesterday") mean that day's midnight."""
    day_first: bool = False
    language: str = "en"


# --- the corpus ----------------------------------------------------------------------------------------

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_KO_DAYS, _CJK_DAYS = "월화수목금토일", "一二三四五六日"
_JA_DAYS = "月火水木金土日"


def _ordinal(day: int) -> str:
    return f"{day}{'th' if 10 <= day % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


def _clock12(m: datetime) -> tuple[int, str]:
    return (m.hour % 12 or 12), ("AM" if m.hour < 12 else "PM")


def _english(m: datetime, rng: random.Random) -> tuple[str, datetime]:
    mon, month = calendar.month_abbr[m.month], calendar.month_name[m.month]
    h12, ampm = _clock12(m)
    day_only = m.replace(hour=0, minute=0, second=0)
    choices = [
        (f"{mon} {m.day}, {m.year}", day_only),  # MyDramaList
        (f"{month} {m.day}, {m.year}", day_only),  # WordPress's default
        (f"{m.day} {month} {m.year}", day_only),
        (f"{month} {_ordinal(m.day)}, {m.year}", day_only),
        (f"{_DAY_NAMES[m.weekday()]}, {month} {m.day}, {m.year}", day_only),
        (f"{mon} {m.day}, {m.year} {h12}:{m.minute:02d} {ampm}", m.replace(second=0)),
        (f"{month} {m.day}, {m.year} at {h12}:{m.minute:02d} {ampm.lower()}", m.replace(second=0)),
        (f"{m.day} {mon} {m.year}", day_only),
        (f"{_DAY_NAMES[m.weekday()][:3]}, {m.day:02d} {mon} {m.year} {m:%H:%M:%S} +0000", m),  # RSS
        (m.strftime("%Y-%m-%d"), day_only),
        (m.strftime("%Y-%m-%dT%H:%M:%SZ"), m),
        (m.strftime("%Y-%m-%d %H:%M:%S"), m),
    ]
    text, meant = rng.choice(choices)
    if rng.random() < 0.15:  # an ISO time with an offset, as JSON-LD and the WordPress API print them
        hours = rng.choice((-5, 1, 2, 8, 9))
        local = m + timedelta(hours=hours)
        text, meant = local.strftime("%Y-%m-%dT%H:%M:%S") + f"{'+' if hours >= 0 else '-'}{abs(hours):02d}:00", m
    return text, meant


def _numeric(m: datetime, rng: random.Random, day_first: bool) -> tuple[str, datetime]:
    day_only = m.replace(hour=0, minute=0, second=0)
    a, b = (m.day, m.month) if day_first else (m.month, m.day)
    pad = rng.random() < 0.5
    fa, fb = (f"{a:02d}", f"{b:02d}") if pad else (str(a), str(b))
    year = m.year % 100 if rng.random() < 0.2 else m.year
    year_text = f"{year:02d}" if year < 100 else str(year)
    seps = ("/", "-", ".") if day_first else ("/", "-")  # dotted dates are European: day first
    sep = rng.choice(seps)
    text = f"{fa}{sep}{fb}{sep}{year_text}"
    if rng.random() < 0.2:
        text, day_only = f"{text} {m:%H:%M}", m.replace(second=0)
    return text, day_only


_EN_UNITS = (("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400), ("week", 7 * 86400))
_KO_UNITS = {"second": "초", "minute": "분", "hour": "시간", "day": "일", "week": "주", "month": "개월", "year": "년"}
_ZH_UNITS = {"second": "秒", "minute": "分钟", "hour": "小时", "day": "天", "week": "周", "month": "个月", "year": "年"}
_JA_UNITS = {"second": "秒", "minute": "分", "hour": "時間", "day": "日", "week": "週間", "month": "ヶ月", "year": "年"}
_YESTERDAY = {"en": "yesterday", "ko": "어제", "zh": "昨天", "ja": "昨日"}
_DAY_WORDS = frozenset(_YESTERDAY.values())
_AGO = {"en": "{n} {unit} ago", "ko": "{n}{unit} 전", "zh": "{n}{unit}前", "ja": "{n}{unit}前"}


def _months_before(moment: datetime, months: int) -> datetime:
    year, month0 = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    return moment.replace(year=year, month=month0 + 1)


def _relative(rng: random.Random, language: str) -> tuple[str, datetime]:
    """``3 days ago`` / ``3일 전`` / ``3天前`` / ``3日前`` and the moment it means at NOW."""
    if rng.random() < 0.08:
        return _YESTERDAY[language], (NOW - timedelta(days=1)).replace(hour=0, minute=0)
    unit = rng.choice(("minute", "hour", "hour", "day", "day", "week", "month", "year"))
    n = rng.randint(1, {"minute": 59, "hour": 23, "day": 6, "week": 3, "month": 11, "year": 5}[unit])
    if unit == "month":
        meant = _months_before(NOW, n)
    elif unit == "year":
        meant = _months_before(NOW, 12 * n)
    else:
        meant = NOW - timedelta(seconds=n * dict(_EN_UNITS)[unit])
    if language == "en":
        word = unit if n == 1 else unit + "s"
        count = rng.choice(("an" if unit == "hour" else "a", "1")) if n == 1 else str(n)
        return f"{count} {word} ago", meant
    units = {"ko": _KO_UNITS, "zh": _ZH_UNITS, "ja": _JA_UNITS}[language]
    return _AGO[language].format(n=n, unit=units[unit]), meant


def _asian(m: datetime, rng: random.Random, language: str) -> tuple[str, datetime]:
    day_only = m.replace(hour=0, minute=0, second=0)
    minute = m.replace(second=0)
    h12 = m.hour % 12 or 12
    if language == "ko":
        ampm = "오전" if m.hour < 12 else "오후"
        choices = [
            (f"{m.year}년 {m.month}월 {m.day}일", day_only),
            (f"{m.year}년 {m.month}월 {m.day}일 ({_KO_DAYS[m.weekday()]})", day_only),
            (f"{m.year}.{m.month:02d}.{m.day:02d}", day_only),
            (f"{m.year}. {m.month}. {m.day}.", day_only),
            (f"{m.year}.{m.month:02d}.{m.day:02d} {ampm} {h12}:{m.minute:02d}", minute),
            (f"{m.year}년 {m.month}월 {m.day}일 {ampm} {h12}:{m.minute:02d}", minute),
            (f"{m:%Y-%m-%d %H:%M}", minute),
        ]
    else:
        ampm = ("午前" if m.hour < 12 else "午後") if language == "ja" else ("上午" if m.hour < 12 else "下午")
        weekday = f"({_JA_DAYS[m.weekday()]})" if language == "ja" else f" 星期{_CJK_DAYS[m.weekday()]}"
        choices = [
            (f"{m.year}年{m.month}月{m.day}日", day_only),
            (f"{m.year}年{m.month}月{m.day}日{weekday}", day_only),
            (f"{m.year}年{m.month}月{m.day}日 {m:%H:%M}", minute),
            (f"{m.year}年{m.month}月{m.day}日 {ampm}{h12}:{m.minute:02d}", minute),
            (f"{m:%Y/%m/%d %H:%M}", minute),
            (f"{m:%Y-%m-%d}", day_only),
        ]
    return rng.choice(choices)


# kind -> share of the corpus; a fifth of each Asian language's strings are relative ("3일 전").
MIX = {"english": 0.32, "numeric": 0.18, "relative": 0.14, "korean": 0.12, "chinese": 0.12, "japanese": 0.12}
_LANG = {"korean": "ko", "chinese": "zh", "japanese": "ja"}


def make_corpus(size: int = 10_000, seed: int = 7) -> list[Sample]:
    """`size` date strings in the proportions of `MIX`, the same for the same seed."""
    rng = random.Random(seed)
    span = int((NOW - timedelta(days=2) - EARLIEST).total_seconds())
    kinds, weights = list(MIX), list(MIX.values())
    out = []
    for _ in range(size):
        kind = rng.choices(kinds, weights)[0]
        moment = EARLIEST + timedelta(seconds=rng.randrange(span))
        if kind == "english":
            text, meant = _english(moment, rng)
            out.append(Sample(text, kind, meant))
        elif kind == "numeric":
            day_first = rng.random() < 0.4  # British, European and Asian-English sites
            text, meant = _numeric(moment, rng, day_first)
            out.append(Sample(text, kind, meant, day_first=day_first))
        elif kind == "relative":
            text, meant = _relative(rng, "en")
            out.append(Sample(text, kind, meant))
        else:
            language = _LANG[kind]
            text, meant = _relative(rng, language) if rng.random() < 0.2 else _asian(moment, rng, language)
            out.append(Sample(text, kind, meant, language=language))
    return out


# --- the two sides -------------------------------------------------------------------------------------


def ours(sample: Sample) -> datetime | None:
    """What the pipeline stores: our normaliser with the source's day order and language."""
    return parse_date_with_reason(
        sample.text, crawl_time=NOW, day_first=sample.day_first, languages=[sample.language]
    )[0]


_DATEPARSER_SETTINGS = {"RELATIVE_BASE": NOW.replace(tzinfo=None)}


def theirs(sample: Sample) -> datetime | None:
    """``dateparser.parse`` with its defaults; only "now" is fixed. Naive answers are read as UTC."""
    moment = dateparser.parse(sample.text, settings=_DATEPARSER_SETTINGS)
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- comparing -----------------------------------------------------------------------------------------

EXPLAIN = {
    "day_order": "dateparser's default DATE_ORDER is month first; the source prints day first (its day_first "
    "setting, and dotted dates are European): dateparser's error, it cannot know the site's convention",
    "day_word_clock": "a day word ('yesterday'): the same day; ours stores that day's midnight, dateparser "
    "keeps now's clock time, which the page never said",
    "dateparser_none": "dateparser found no date in a string that holds one: dateparser's error",
    "dateparser_wrong": "dateparser read another moment than the one written: dateparser's error",
    "ours_none": "our normaliser found no date where dateparser did: OUR error",
    "ours_wrong": "our normaliser read another moment than the one written: OUR error",
    "both_wrong": "neither side read the moment written",
}


def classify(sample: Sample, a: datetime | None, b: datetime | None) -> str | None:
    """Why ours (`a`) and dateparser's (`b`) answers differ, judged by the moment meant; None when they agree."""
    if a == b:
        return None
    meant = sample.meant
    if a == meant:
        if b is None:
            return "dateparser_none"
        if sample.text in _DAY_WORDS and b.date() == meant.date():
            return "day_word_clock"
        if (b.month, b.day) == (meant.day, meant.month) and b.year == meant.year:
            return "day_order"
        return "dateparser_wrong"
    if b == meant:
        return "ours_none" if a is None else "ours_wrong"
    if sample.text in _DAY_WORDS and a is not None and b is not None and a.date() == b.date() == meant.date():
        return "day_word_clock"
    return "both_wrong"


@dataclass
class Comparison:
    ours_s: float
    theirs_s: float
    differences: Counter
    examples: dict[str, list[tuple[Sample, datetime | None, datetime | None]]]
    agree: int
    # Answers both sides gave alike that are still not the moment written (not a difference, worth a look).
    agree_off: list[tuple[Sample, datetime | None]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.theirs_s / self.ours_s if self.ours_s else float("inf")


def _timed(fn: Callable[[Sample], datetime | None], chunk: Sequence[Sample]) -> tuple[float, list]:
    started = time.perf_counter()
    answers = [fn(s) for s in chunk]
    return time.perf_counter() - started, answers


def compare(corpus: Sequence[Sample], chunks: int = CHUNKS, keep: int = 2) -> Comparison:
    """Both sides over the corpus, chunk by chunk in turn (ours first, then dateparser, per chunk)."""
    size = max(1, -(-len(corpus) // chunks))
    result = Comparison(0.0, 0.0, Counter(), {}, 0)
    for start in range(0, len(corpus), size):
        chunk = corpus[start : start + size]
        t_ours, mine = _timed(ours, chunk)
        t_theirs, other = _timed(theirs, chunk)
        result.ours_s += t_ours
        result.theirs_s += t_theirs
        for sample, a, b in zip(chunk, mine, other, strict=True):
            why = classify(sample, a, b)
            if why is None:
                result.agree += 1
                if a != sample.meant:
                    result.agree_off.append((sample, a))
                continue
            result.differences[why] += 1
            shown = result.examples.setdefault(why, [])
            if len(shown) < keep:
                shown.append((sample, a, b))
    return result


def _fmt(moment: datetime | None) -> str:
    return "None" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="strings in the corpus (default 10000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--examples", type=int, default=2, help="examples shown per kind of difference")
    args = parser.parse_args(argv)
    corpus = make_corpus(args.size, args.seed)
    dateparser.parse("warm up", settings=_DATEPARSER_SETTINGS)  # its language data loads on first use
    ours(corpus[0])
    mix = Counter(s.kind for s in corpus)
    print(f"corpus: {len(corpus):,} strings, seed {args.seed}, now {NOW:%Y-%m-%d %H:%M} UTC: "
          + ", ".join(f"{k} {mix[k]:,}" for k in MIX))
    result = compare(corpus, keep=args.examples)
    n = len(corpus)
    print(f"ours       {result.ours_s:8.3f} s  {result.ours_s / n * 1e6:8.1f} µs/string")
    print(f"dateparser {result.theirs_s:8.3f} s  {result.theirs_s / n * 1e6:8.1f} µs/string")
    total = sum(result.differences.values())
    print(f"answers: {result.agree:,} agree, {total:,} differ (target 0, or each explained)")
    for why, count in result.differences.most_common():
        print(f"  {why:<17} {count:6,}  {EXPLAIN[why]}")
        for sample, a, b in result.examples[why]:
            order = "day first" if sample.day_first else "month first"
            print(f"      {sample.text!r} ({sample.language}, {order}): meant {_fmt(sample.meant)}, "
                  f"ours {_fmt(a)}, dateparser {_fmt(b)}")
    if result.agree_off:
        kinds = Counter(s.text if s.text in _DAY_WORDS else s.kind for s, _ in result.agree_off)
        print(f"alike on both sides but not the moment written: {len(result.agree_off):,} "
              f"({', '.join(f'{k} {v}' for k, v in kinds.most_common())})")
        for sample, a in result.agree_off[: args.examples]:
            print(f"      {sample.text!r} ({sample.language}): meant {_fmt(sample.meant)}, both {_fmt(a)}")
    print(f"speed ratio dateparser / ours: {result.ratio:.1f}x (target >= 10x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
