"""Dates: real formats from review sites, relative dates against the crawl time, and plausibility checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.normalise import dates
from pipelines.normalise.dates import EARLIEST, is_relative_date, parse_date, parse_date_with_reason

CRAWL = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REASONS = {"empty", "unparseable", "future", "too_old"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


ABSOLUTE = [
    # MyDramaList review meta
    ("Dec 30, 2022", utc(2022, 12, 30)),
    ("Mar 25, 2022", utc(2022, 3, 25)),
    # WordPress / blogs
    ("December 30, 2022", utc(2022, 12, 30)),
    ("March 23, 2022", utc(2022, 3, 23)),
    ("Sept. 5, 2022", utc(2022, 9, 5)),
    ("Friday, December 30, 2022 at 3:04 pm", utc(2022, 12, 30, 15, 4)),
    ("Posted on March 23, 2022", utc(2022, 3, 23)),
    ("30 Dec 2022", utc(2022, 12, 30)),
    ("23rd March 2022", utc(2022, 3, 23)),
    # RSS (RFC 2822)
    ("Wed, 23 Mar 2022 08:09:55 +0000", utc(2022, 3, 23, 8, 9, 55)),
    # ISO 8601, e.g. the MyDramaList API's created_at and <time datetime>
    ("2022-03-23", utc(2022, 3, 23)),
    ("2019-05-13T08:09:55Z", utc(2019, 5, 13, 8, 9, 55)),
    ("2022-03-23T08:09:55+09:00", utc(2022, 3, 22, 23, 9, 55)),
    ("2022-03-23T08:09:55.250-05:00", utc(2022, 3, 23, 13, 9, 55, 250000)),
    ("2022-03-23 08:09:55", utc(2022, 3, 23, 8, 9, 55)),
    ("2022/03/23", utc(2022, 3, 23)),
    # numeric, European dots always day first
    ("23.03.2022", utc(2022, 3, 23)),
    # Korean, Chinese, Japanese sites
    ("2022년 3월 23일", utc(2022, 3, 23)),
    ("2022년 3월 23일 오후 3:04", utc(2022, 3, 23, 15, 4)),
    ("2022년 3월 23일 오전 12:30", utc(2022, 3, 23, 0, 30)),
    ("2022. 3. 23. 오후 3:04", utc(2022, 3, 23, 15, 4)),
    ("2022年3月23日", utc(2022, 3, 23)),
    ("2022年3月23日 15:04", utc(2022, 3, 23, 15, 4)),
    ("2022年3月23日(水)", utc(2022, 3, 23)),
    ("２０２２年３月２３日", utc(2022, 3, 23)),  # full-width digits
    # epochs: Reddit created_utc (float), JavaScript ms
    (1648023000, utc(2022, 3, 23, 8, 10)),
    (1648023000.0, utc(2022, 3, 23, 8, 10)),
    (1648023000.5, utc(2022, 3, 23, 8, 10, 0, 500000)),
    ("1648023000", utc(2022, 3, 23, 8, 10)),
    ("1648023000.0", utc(2022, 3, 23, 8, 10)),
    ("1648023000123", utc(2022, 3, 23, 8, 10, 0, 123000)),
    (1648023000123, utc(2022, 3, 23, 8, 10, 0, 123000)),
    ("20220323", utc(2022, 3, 23)),
    ("  Dec\u00a030,  2022 ", utc(2022, 12, 30)),
]

RELATIVE = [
    ("3 days ago", CRAWL - timedelta(days=3)),
    ("an hour ago", CRAWL - timedelta(hours=1)),
    ("a minute ago", CRAWL - timedelta(minutes=1)),
    ("2 weeks ago", CRAWL - timedelta(weeks=2)),
    ("5h ago", CRAWL - timedelta(hours=5)),
    ("about 2 hours ago", CRAWL - timedelta(hours=2)),
    ("1 month ago", utc(2026, 10, 1, 12)),
    ("a year ago", utc(2025, 11, 1, 12)),
    ("yesterday", utc(2026, 10, 31)),
    ("Yesterday", utc(2026, 10, 31)),
    ("today", utc(2026, 11, 1)),
    ("just now", CRAWL),
]

REJECTED = [
    (None, "empty"),
    ("", "empty"),
    ("   \u00a0", "empty"),
    ("great show", "unparseable"),
    ("Read More", "unparseable"),
    ("2022-02-30", "unparseable"),
    ("13/13/2022", "unparseable"),
    ("2022", "unparseable"),  # a year is not a date
    ("1", "unparseable"),
    ("may", "unparseable"),
    ("Monday", "unparseable"),
    ("1e5", "unparseable"),
    ("x" * 500, "unparseable"),
    (float("nan"), "unparseable"),
    (float("inf"), "unparseable"),
    (True, "unparseable"),
    ("Dec 30, 2031", "future"),
    ("2026-11-03", "future"),
    (1_900_000_000, "future"),
    ("Jan 1, 1989", "too_old"),
    (0, "too_old"),
    (-5, "too_old"),
    ("999999999999 days ago", "too_old"),
]


@pytest.mark.parametrize("raw, expected", ABSOLUTE + RELATIVE)
def test_known_formats(raw, expected):
    assert parse_date_with_reason(raw, crawl_time=CRAWL) == (expected, None)


@pytest.mark.parametrize("raw, reason", REJECTED)
def test_rejections_say_why(raw, reason):
    assert parse_date_with_reason(raw, crawl_time=CRAWL) == (None, reason)


@pytest.mark.parametrize(
    "raw, day_first, expected",
    [
        ("03/04/2022", True, utc(2022, 4, 3)),
        ("03/04/2022", False, utc(2022, 3, 4)),
        ("23/03/2022", False, utc(2022, 3, 23)),  # only one order is a date
        ("03/23/2022", True, utc(2022, 3, 23)),
        ("23/03/2022", True, utc(2022, 3, 23)),
        ("23-03-2022 15:04", True, utc(2022, 3, 23, 15, 4)),
        ("23/03/22", True, utc(2022, 3, 23)),
    ],
)
def test_numeric_day_order_follows_the_source(raw, day_first, expected):
    assert parse_date(raw, crawl_time=CRAWL, day_first=day_first) == expected


def test_relative_dates_use_the_crawl_time_not_the_wall_clock():
    old_crawl = utc(2023, 6, 15, 9, 30)
    assert parse_date("3 days ago", crawl_time=old_crawl) == utc(2023, 6, 12, 9, 30)
    assert parse_date("yesterday", crawl_time=old_crawl) == utc(2023, 6, 14)
    assert parse_date("3 days ago", crawl_time=CRAWL) == utc(2026, 10, 29, 12)


def test_future_tolerance_is_one_day_for_site_time_zones():
    assert parse_date("2026-11-02", crawl_time=CRAWL) == utc(2026, 11, 2)  # a day ahead in Seoul
    assert parse_date_with_reason("2026-11-02T12:00:01Z", crawl_time=CRAWL) == (None, "future")


def test_month_arithmetic_clamps_to_the_last_day():
    assert parse_date("1 month ago", crawl_time=utc(2023, 3, 31, 10)) == utc(2023, 2, 28, 10)


def test_fallback_parses_other_languages_against_the_crawl_time():
    assert parse_date("hace 3 días", crawl_time=CRAWL, languages=["es"]) == utc(2026, 10, 29, 12)
    assert parse_date("23 de marzo de 2022", crawl_time=CRAWL, languages=["es"]) == utc(2022, 3, 23)
    assert parse_date("3일 전", crawl_time=CRAWL, languages=["ko"]) == utc(2026, 10, 29, 12)


def test_fallback_gets_the_configured_settings(monkeypatch):
    seen = []
    real_parse = dates.dateparser.parse

    def spy(text, **kwargs):
        seen.append(kwargs)
        return real_parse(text, **kwargs)

    monkeypatch.setattr(dates.dateparser, "parse", spy)
    parse_date("vor 3 Tagen", crawl_time=CRAWL, day_first=True, languages=("de",))
    (kwargs,) = seen
    s = kwargs["settings"]
    assert kwargs["languages"] == ["de"]
    assert s.RELATIVE_BASE == datetime(2026, 11, 1, 12, 0)  # naive UTC
    assert (s.DATE_ORDER, s.TIMEZONE, s.TO_TIMEZONE, s.PREFER_DATES_FROM) == ("DMY", "UTC", "UTC", "past")
    assert s.RETURN_AS_TIMEZONE_AWARE is True
    # built once per date order, only RELATIVE_BASE is set per call
    assert dates._dateparser_settings(True) is dates._dateparser_settings(True)


@pytest.mark.parametrize("raw, expected", ABSOLUTE + RELATIVE)
def test_fast_formats_never_call_dateparser(monkeypatch, raw, expected):
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError("dateparser called for a fast-path format")

    monkeypatch.setattr(dates.dateparser, "parse", forbidden)
    assert parse_date(raw, crawl_time=CRAWL) == expected
    assert calls == []


def test_garbage_never_becomes_the_crawl_day():
    for raw in ("1", "12", "on", "x 5", "a", "mar", "Sat", "Was this review helpful to you?"):
        result = parse_date(raw, crawl_time=CRAWL)
        assert result is None, raw


def test_naive_crawl_time_is_read_as_utc():
    assert parse_date("3 days ago", crawl_time=datetime(2026, 11, 1, 12)) == utc(2026, 10, 29, 12)


# --- invariants -------------------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2026, 11, 1), timezones=st.just(UTC)
)


@given(moments)
def test_iso_output_parses_back_to_itself(moment):
    first = parse_date(moment.isoformat(), crawl_time=CRAWL)
    assert first == moment
    assert parse_date(first.isoformat(), crawl_time=CRAWL) == first


@given(moments, st.sampled_from(["%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%Y-%m-%d", "%Y년 %m월 %d일", "%Y年%m月%d日"]))
def test_formatted_dates_are_midnight_and_idempotent(moment, fmt):
    parsed = parse_date(moment.strftime(fmt), crawl_time=CRAWL)
    assert parsed == moment.replace(hour=0, minute=0, second=0, microsecond=0)
    assert parse_date(parsed.isoformat(), crawl_time=CRAWL) == parsed


@given(st.integers(min_value=int(EARLIEST.timestamp()), max_value=int(CRAWL.timestamp())))
def test_epoch_seconds_as_int_and_string_agree(seconds):
    expected = datetime.fromtimestamp(seconds, tz=UTC)
    assert parse_date(seconds, crawl_time=CRAWL) == expected
    assert parse_date(str(seconds), crawl_time=CRAWL) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.none(),
        st.text(max_size=30),
        st.text(alphabet="0123456789 /.-:年月日년월일agoydhsT+Z", max_size=25),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
    )
)
def test_never_raises_and_results_are_plausible(raw):
    value, reason = parse_date_with_reason(raw, crawl_time=CRAWL, languages=["en"])
    if value is None:
        assert reason in REASONS
    else:
        assert reason is None
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert EARLIEST <= value <= CRAWL + timedelta(hours=24)


@pytest.mark.parametrize(
    "raw, relative",
    [
        ("3 days ago", True),
        ("yesterday", True),
        ("an hour ago", True),
        ("Dec 30, 2022", False),
        ("2022-03-23T08:09:55Z", False),
        ("2022년 3월 23일", False),
        (1648023000, False),
        ("Dec 30, 2031", False),  # rejected as future either way: nothing to resolve
        ("", False),
        (None, False),
    ],
)
def test_is_relative_date(raw, relative):
    assert is_relative_date(raw) is relative
