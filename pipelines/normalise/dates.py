"""Publication dates: strings or epochs -> timezone-aware UTC datetimes, relative dates against the crawl time.

Known formats go through a fast path of regexes; only the rest reaches ``dateparser``, which is two orders
of magnitude slower and guesses more (``"1"`` -> 1 January of this year), so it runs on a short leash.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

import dateparser
from dateparser.conf import Settings

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Sites print local dates: a Korean site's "today" is up to a day ahead of UTC.
FUTURE_TOLERANCE = timedelta(hours=24)
# Real dates are short; a long string is a selector that grabbed a paragraph.
_MAX_LEN = 120

Result = tuple[datetime | None, str | None]

# Not calendar.month_abbr: that follows the process locale.
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_MON = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TZ = r"(?:\s*(?P<tz>z|utc|gmt|[+-]\d{2}(?::?\d{2})?))?"
_TIME = (
    r"(?:\s*,?\s*(?:at\s+|@\s*)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?)?"
)
_ASIAN_TIME = (
    r"(?:\s*(?P<ampm>오전|오후|午前|午後|上午|下午|am|pm)?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?P<ampm2>am|pm)?)?"
)

_ISO_RE = re.compile(
    r"(?P<year>\d{4})(?P<sep>[-/])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    r"(?:(?:t|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?"
    + _TZ
    + r")?"
    # A bare date marked UTC ("2024-02-30Z", as WordPress's date_gmt + "Z" can be) stays on the fast path:
    # dateparser reads an impossible one as some other day.
    r"(?:\s*(?:z|utc|gmt))?"
)
_MDY_RE = re.compile(_WEEKDAY + _MON + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME + _TZ)
_DMY_RE = re.compile(
    _WEEKDAY + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?" + _MON + r",?\s+(?P<year>\d{4})" + _TIME + _TZ
)
_NUMERIC_RE = re.compile(r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})" + _TIME + _TZ)
_YMD_DOTTED_RE = re.compile(r"(?P<year>\d{4})\s*\.\s*(?P<month>\d{1,2})\s*\.\s*(?P<day>\d{1,2})\s*\.?" + _ASIAN_TIME)
_KOREAN_RE = re.compile(
    r"(?P<year>\d{4})\s*년\s*(?P<month>\d{1,2})\s*월\s*(?P<day>\d{1,2})\s*일"
    r"(?:\s*\(?[월화수목금토일](?:요일)?\)?)?" + _ASIAN_TIME
)
_CJK_RE = re.compile(
    r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号號]"
    r"(?:\s*[(（][^)）]{1,4}[)）]|\s*(?:星期|周|週)[一二三四五六日天])?" + _ASIAN_TIME
)
_FAST_FORMATS = (
    (_ISO_RE, "ymd"),
    (_MDY_RE, "mon"),
    (_DMY_RE, "mon"),
    (_NUMERIC_RE, "numeric"),
    (_YMD_DOTTED_RE, "ymd"),
    (_KOREAN_RE, "ymd"),
    (_CJK_RE, "ymd"),
)

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a few": 3, "few": 3, "several": 3,
}  # fmt: skip
_RELATIVE_RE = re.compile(
    r"(?:about|around|over|almost|approximately|nearly)?\s*"
    r"(?P<n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+few|few|several)\s*"
    r"(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|y)"
    r"\s+ago"
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_NOW_WORDS = frozenset(
    {"now", "just now", "right now", "moments ago", "a moment ago", "few moments ago", "a few moments ago"}
)
_PREFIX_RE = re.compile(r"^(?:(?:posted|published|reviewed|written|date)\b\s*(?::\s*|on\s+)?|on\s+)")
# Only digits and separators left over: dateparser would pick "today" or a year start out of these.
_NUMBERISH_RE = re.compile(r"[\d\s.,:/+\-e]+")
_DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")

_AM = frozenset({"am", "오전", "午前", "上午"})
_PM = frozenset({"pm", "오후", "午後", "下午"})


def parse_date(
    raw: str | int | float | None,
    *,
    crawl_time: datetime,
    day_first: bool = False,
    languages: Sequence[str] | None = None,
) -> datetime | None:
    """The publication time in UTC, or None.

    ``"Dec 30, 2022"`` -> ``datetime(2022, 12, 30, tzinfo=UTC)``
    """
    return parse_date_with_reason(raw, crawl_time=crawl_time, day_first=day_first, languages=languages)[0]


# Two crawl times a day and an hour apart: a value that parses the same at both does not depend on when it was read.
_PROBES = (datetime(2024, 6, 1, 12, 0, tzinfo=UTC), datetime(2024, 6, 2, 13, 0, tzinfo=UTC))


def is_relative_date(
    raw: str | int | float | None, *, day_first: bool = False, languages: Sequence[str] | None = None
) -> bool:
    """Whether the value's meaning depends on the crawl time (so re-crawls resolve it differently).

    ``"3 days ago"`` -> ``True``; ``"Dec 30, 2022"`` -> ``False``; ``None`` -> ``False``
    """
    a, b = (parse_date(raw, crawl_time=t, day_first=day_first, languages=languages) for t in _PROBES)
    return a != b


def parse_date_with_reason(
    raw: str | int | float | None,
    *,
    crawl_time: datetime,
    day_first: bool = False,
    languages: Sequence[str] | None = None,
) -> Result:
    """(UTC datetime, None) or (None, reason): ``empty``, ``unparseable``, ``future``, ``too_old``.

    ``"3 days ago"`` with crawl_time 2026-11-01 12:00 UTC -> ``(datetime(2026, 10, 29, 12, 0, tzinfo=UTC), None)``
    """
    try:
        crawl = _as_utc(crawl_time)
    except (TypeError, AttributeError, ValueError, OverflowError):
        crawl = datetime.now(UTC)  # only for a caller bug; relative dates will then be wrong but not crash
    if raw is None:
        return None, "empty"
    try:
        if isinstance(raw, datetime):
            return _check(_as_utc(raw), crawl)
        if isinstance(raw, bool):
            return None, "unparseable"
        if isinstance(raw, (int, float)):
            return _check_epoch(raw, crawl)
        if not isinstance(raw, str):
            return None, "unparseable"
        return _parse_text(raw, crawl, day_first, languages)
    except (ValueError, OverflowError, OSError, TypeError):
        return None, "unparseable"


def _parse_text(raw: str, crawl: datetime, day_first: bool, languages: Sequence[str] | None) -> Result:
    text = " ".join(unicodedata.normalize("NFKC", raw).split()).lower()
    if not text:
        return None, "empty"
    if len(text) > _MAX_LEN:
        return None, "unparseable"
    text = _PREFIX_RE.sub("", text, count=1) or text
    if _DIGITS_RE.fullmatch(text):
        return _parse_digits(text, crawl)
    fast = _fast_path(text, crawl, day_first)
    if fast is not None:
        return fast
    if _NUMBERISH_RE.fullmatch(text):
        return None, "unparseable"
    return _fallback(text, crawl, languages, day_first)


def _parse_digits(text: str, crawl: datetime) -> Result:
    """Epoch seconds ("1648023000", "1648023000.5"), epoch ms (13 digits) or YYYYMMDD."""
    whole = text.split(".")[0]
    if len(whole) == 8 and "." not in text:
        try:
            return _check(datetime(int(whole[:4]), int(whole[4:6]), int(whole[6:]), tzinfo=UTC), crawl)
        except ValueError:
            return None, "unparseable"
    if len(whole) < 9:
        return None, "unparseable"  # a bare year or count, not a moment
    return _check_epoch(float(text), crawl)


def _check_epoch(value: float, crawl: datetime) -> Result:
    value = float(value)
    if not math.isfinite(value):
        return None, "unparseable"
    if abs(value) >= 1e14:
        return None, "unparseable"
    if abs(value) >= 1e11:
        value /= 1000  # milliseconds (JavaScript timestamps)
    try:
        moment = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None, "future" if value > 0 else "too_old"
    return _check(moment, crawl)


def _fast_path(text: str, crawl: datetime, day_first: bool) -> Result | None:
    """The known formats without dateparser; None when none of them matches."""
    relative = _relative(text, crawl)
    if relative is not None:
        return relative
    for regex, kind in _FAST_FORMATS:
        m = regex.fullmatch(text)
        if m is None:
            continue
        parts = m.groupdict()
        year = int(parts["year"])
        if kind == "mon":
            month, day = _MONTHS[parts["mon"][:3]], int(parts["day"])
        elif kind == "numeric":
            a, b = int(parts["a"]), int(parts["b"])
            # Dotted dates are European (day first) whatever the site setting says.
            dmy = day_first or parts["sep"] == "."
            day, month = (a, b) if dmy else (b, a)
            if month > 12 >= day:
                day, month = month, day  # only one order is a real date
            if len(parts["year"]) == 2:
                year += 2000 if 2000 + year <= crawl.year + 1 else 1900
        else:
            month, day = int(parts["month"]), int(parts["day"])
        try:
            moment = datetime(year, month, day, *_time_of(parts), tzinfo=_tz_of(parts.get("tz")))
        except ValueError:
            return None, "unparseable"  # the shape was a date, the numbers were not: no second guess
        return _check(moment.astimezone(UTC), crawl)
    return None


def _time_of(parts: dict[str, str | None]) -> tuple[int, int, int, int]:
    if parts.get("hour") is None:
        return 0, 0, 0, 0
    hour, minute = int(parts["hour"]), int(parts["minute"])
    second = int(parts.get("second") or 0)
    micro = int((parts.get("frac") or "0")[:6].ljust(6, "0"))
    ampm = (parts.get("ampm") or parts.get("ampm2") or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError("12-hour clock out of range")
        if ampm in _PM and hour != 12:
            hour += 12
        elif ampm in _AM and hour == 12:
            hour = 0
    return hour, minute, second, micro


def _tz_of(tz: str | None) -> timezone:
    if not tz or tz in ("z", "utc", "gmt"):
        return UTC  # no zone written: read as UTC, the future tolerance absorbs the site's offset
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return timezone(sign * offset)


def _relative(text: str, crawl: datetime) -> Result | None:
    if text in _NOW_WORDS:
        return _check(crawl, crawl)
    if text in ("today", "yesterday"):
        midnight = crawl.replace(hour=0, minute=0, second=0, microsecond=0)
        return _check(midnight - timedelta(days=1 if text == "yesterday" else 0), crawl)
    m = _RELATIVE_RE.fullmatch(text)
    if m is None:
        return None
    raw_n = " ".join(m["n"].split())
    n = int(raw_n) if raw_n.isdigit() else _NUMBER_WORDS[raw_n]
    unit = m["unit"]
    try:
        if unit.startswith("mo"):
            return _check(_months_before(crawl, n), crawl)
        if unit.startswith("y"):
            return _check(_months_before(crawl, 12 * n), crawl)
        return _check(crawl - timedelta(seconds=n * _UNIT_SECONDS[unit[0]]), crawl)
    except (OverflowError, ValueError):
        return None, "too_old"


def _months_before(moment: datetime, months: int) -> datetime:
    year, month0 = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1]) if year >= 1 else 1
    return moment.replace(year=year, month=month0 + 1, day=day)


@lru_cache(maxsize=2)
def _dateparser_settings(day_first: bool) -> Settings:
    """The fixed dateparser settings, built once per date order; only RELATIVE_BASE changes per call."""
    fixed = {
        "DATE_ORDER": "DMY" if day_first else "MDY",
        "TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TO_TIMEZONE": "UTC",
        "PREFER_DATES_FROM": "past",
        # Without this, "1" or "may" come back as a date in the current year: absolute dates need all parts.
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    return dateparser.conf.settings.replace(mod_settings=fixed, **fixed)


def _fallback(text: str, crawl: datetime, languages: Sequence[str] | None, day_first: bool) -> Result:
    settings = _dateparser_settings(bool(day_first)).replace(RELATIVE_BASE=crawl.replace(tzinfo=None))
    try:
        moment = dateparser.parse(text, languages=list(languages) if languages else None, settings=settings)
    except Exception:  # noqa: BLE001 - dateparser raises assorted errors on odd input; a date is never worth a crash
        return None, "unparseable"
    if moment is None:
        return None, "unparseable"
    return _check(_as_utc(moment), crawl)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _check(moment: datetime, crawl: datetime) -> Result:
    if moment < EARLIEST:
        return None, "too_old"
    try:
        latest = crawl + FUTURE_TOLERANCE
    except OverflowError:
        latest = datetime.max.replace(tzinfo=UTC)
    if moment > latest:
        return None, "future"
    return moment, None
