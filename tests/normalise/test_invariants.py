"""Invariants of every normaliser on hostile input (lone surrogates, control characters, huge and deeply nested
text, values of the wrong type): never raises, says why when it gives nothing, stays in range, and gives the
same answer when fed its own output. The per-module test files check what each one reads; this one checks
what none of them may do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aggregator.items import Rating, ReviewItem
from pipelines.apply import NormaliseConfig, normalise_item
from pipelines.normalise.authors import (
    MAX_NAME_LEN,
    author_identity,
    clean_author,
    clean_author_with_reason,
    handle_from_profile_url,
)
from pipelines.normalise.dates import (
    EARLIEST,
    FUTURE_TOLERANCE,
    is_relative_date,
    parse_date,
    parse_date_with_reason,
)
from pipelines.normalise.scores import aspect_key, parse_score, parse_score_with_reason
from pipelines.normalise.sentiment import infer_score_with_reason
from pipelines.normalise.spoilers import spoiler_with_reason
from pipelines.normalise.status import watch_status, watch_status_with_reason
from pipelines.normalise.text import (
    clean_body,
    clean_body_with_reason,
    fold_whitespace,
    lead_paragraph,
)

CRAWL = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# Any code point, lone surrogates (JSON "\ud800" escapes) and C0/C1 controls included.
anything = st.characters(exclude_categories=())
hostile_text = st.one_of(
    st.text(anything, max_size=120),
    st.text(st.sampled_from("\x00\x07\x1b\x85\u200b\u202e\ufeff\ud800\udfff<>&;/:#%-.★½ a8"), max_size=40),
    st.builds(lambda s, n: s * n, st.text(anything, min_size=1, max_size=4), st.integers(100, 3000)),
)
not_text = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(), st.binary(max_size=20),
                     st.lists(st.integers(), max_size=3))  # fmt: skip
raw_value = st.one_of(hostile_text, not_text)


# --- authors ------------------------------------------------------------------------------------------------


@given(raw_value)
def test_author_names_say_why_and_feed_back_unchanged(raw):
    name, reason = clean_author_with_reason(raw)
    assert (name is None) != (reason is None) and reason in (None, "empty", "anonymous")
    if name is not None:
        assert 0 < len(name) <= MAX_NAME_LEN and name == name.strip()
        assert clean_author(name) == name


@given(raw_value, st.one_of(raw_value, st.builds("https://x.test/profile/{}/".format, hostile_text)))
def test_handles_are_bounded_and_the_identity_never_raises(raw, url):
    handle = handle_from_profile_url(url)
    assert handle is None or (0 < len(handle) <= MAX_NAME_LEN and handle == handle.strip())
    identity, display = author_identity(raw, url)
    assert identity is None or 0 < len(identity) <= MAX_NAME_LEN
    assert display == clean_author(raw)


# --- dates --------------------------------------------------------------------------------------------------

crawl_times = st.one_of(
    st.just(CRAWL),
    st.datetimes(datetime(1995, 1, 1), datetime(2100, 1, 1), timezones=st.sampled_from([UTC, timezone(timedelta(hours=9))])),
    st.datetimes(datetime(1995, 1, 1), datetime(2100, 1, 1)),  # naive: read as UTC
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(raw_value, st.integers(-(10**20), 10**20), st.floats()), crawl_times, st.booleans(),
       st.sampled_from([None, ["en"]]))  # fmt: skip
def test_dates_are_utc_plausible_and_parse_back_to_themselves(raw, crawl, day_first, languages):
    value, reason = parse_date_with_reason(raw, crawl_time=crawl, day_first=day_first, languages=languages)
    assert (value is None) != (reason is None) and reason in (None, "empty", "unparseable", "future", "too_old")
    crawl_utc = crawl if crawl.tzinfo else crawl.replace(tzinfo=UTC)
    if value is not None:
        assert value.utcoffset() == timedelta(0)
        assert EARLIEST <= value <= crawl_utc + FUTURE_TOLERANCE
        assert parse_date(value.isoformat(), crawl_time=crawl, day_first=day_first) == value
    assert is_relative_date(raw, day_first=day_first, languages=languages) in (True, False)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9999), st.integers(0, 99), st.integers(0, 99), st.sampled_from(["", "Z", " UTC", "T00:00:00Z"]))
@example(2024, 2, 30, "Z")
def test_an_iso_day_is_that_day_or_nothing_never_another_day(year, month, day, zone):
    # Without a language hint dateparser read an impossible "2024-02-30Z" (WordPress date_gmt + "Z") as a day
    # of the crawl's year.
    raw = f"{year:04d}-{month:02d}-{day:02d}{zone}"
    value = parse_date(raw, crawl_time=CRAWL)
    if value is not None:
        assert (value.year, value.month, value.day) == (year, month, day)


# --- scores -------------------------------------------------------------------------------------------------

scales = st.one_of(st.none(), st.sampled_from([0, -10, 5, 10, 100]), st.floats(allow_nan=True, allow_infinity=True))


@given(st.one_of(raw_value, st.builds("{}/{}".format, st.floats(), st.floats())), scales)
def test_scores_stay_on_0_100_and_read_back_the_same(raw, default_scale):
    score, reason = parse_score_with_reason(raw, default_scale=default_scale)
    assert (score is None) != (reason is None)
    assert reason in (None, "empty", "unparseable", "out_of_range", "zero_scale", "nan", "no_scale")
    if score is not None:
        assert 0.0 <= score.value <= 100.0 and score.value == round(score.value, 2)
        assert parse_score(f"{score.value}/100").value == score.value


labels = st.lists(st.sampled_from(["Story", "Acting", "Cast", ":", " ", "/", "\u00a0", "：", "Re-watch"]), max_size=8)


@given(st.one_of(raw_value, labels.map("".join)))
@example("Story: :")
def test_aspect_keys_are_stable(label):
    # "Story: :" gave the key "story:", which read again gave "story".
    key = aspect_key(label)
    assert key is None or (key and key == key.strip() and aspect_key(key) == key)


# --- spoilers, status ---------------------------------------------------------------------------------------


@given(st.one_of(st.none(), st.booleans(), st.integers()), raw_value, raw_value, raw_value, raw_value)
def test_spoiler_verdicts_always_say_why_in_a_few_words(flag, marker, title, lead, body):
    verdict, reason = spoiler_with_reason(flag=flag, marker=marker, title=title, lead=lead, body=body)
    assert verdict in (True, False, None) and isinstance(reason, str)
    assert 0 < len(reason) <= 100


@given(raw_value)
def test_watch_status_is_one_of_three_and_feeds_back(raw):
    status, reason = watch_status_with_reason(raw)
    assert status in ("completed", "ongoing", "dropped", None)
    assert (status is None) == (reason in ("empty", "other_status", "unrecognised"))
    assert status is None or watch_status(status) == status


# --- text ---------------------------------------------------------------------------------------------------


@settings(max_examples=150)
@given(raw_value)
def test_bodies_are_clean_text_and_feed_back_unchanged(raw):
    body, reason = clean_body_with_reason(raw)
    assert (body is None) != (reason is None)
    if body is not None:
        assert clean_body(body) == body and body == body.strip() and "\n\n\n" not in body
        assert not any(ch in body for ch in "\x00\ud800")
    lead = lead_paragraph(raw)
    if lead is not None:
        # (Not idempotent: a lead cut from a wall of text can read as a body captured twice.)
        assert len(lead) <= 600 and "\n\n" not in lead and lead in body
    folded = fold_whitespace(raw)
    assert folded is None or (fold_whitespace(folded) == folded and "  " not in folded)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6000), st.sampled_from(["div", "span", "b", "blockquote"]))
def test_no_text_is_lost_to_deep_nesting(depth, tag):
    # libxml2 stops at 256 levels (2048 with huge_tree) and drops the rest of the document.
    body = clean_body(f"<p>Start.</p>{f'<{tag}>' * depth}deep{f'</{tag}>' * depth}<p>The end.</p>")
    assert body is not None and "Start." in body and "deep" in body and body.endswith("The end.")


@settings(max_examples=60, deadline=None)
@given(st.one_of(raw_value, st.lists(st.sampled_from(["good", "bad", "great", "awful", "the", "show", "is", ".", "!"]), max_size=60)
                 .map(" ".join)), st.one_of(st.none(), hostile_text))  # fmt: skip
def test_inferred_scores_stay_in_range(text, language):
    value, reason = infer_score_with_reason(text, language=language)
    assert (value is None) != (reason is None)
    assert value is None or 0.0 <= value <= 100.0


# --- a whole item ---------------------------------------------------------------------------------------------

optional = st.one_of(st.none(), hostile_text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(author=optional, url=optional, date=st.one_of(optional, st.integers(-(10**15), 10**15)), score=optional,
       body=optional, title=optional, marker=optional, status=optional, aspect=optional, flag=st.sampled_from([None, True]))  # fmt: skip
def test_a_normalised_item_keeps_every_contract_and_normalising_again_changes_nothing(
    author, url, date, score, body, title, marker, status, aspect, flag
):
    item = ReviewItem(
        source="mydramalist", source_review_id="1", url="https://x.test/1", author_raw=author, author_url=url,
        published_raw=date, score_raw=score, body_raw=body, title=title, spoiler_marker_raw=marker,
        spoiler_flag_raw=flag, watch_status_raw=status, sub_scores=[Rating(score_raw=score or "8", aspect_raw=aspect)],
        crawled_at=CRAWL,
    )  # fmt: skip
    cfg = NormaliseConfig(default_scales={"mydramalist": 10}, date_languages={"mydramalist": ["en"]})
    first = normalise_item(item, cfg)
    for value in (first.score, first.sub_scores[0].score, first.inferred_score):
        assert value is None or 0.0 <= value <= 100.0
    assert first.published_at is None or EARLIEST <= first.published_at <= CRAWL + FUTURE_TOLERANCE
    for raw, normalised, name in ((score, first.score, "score"), (date, first.published_at, "published_at")):
        if raw and normalised is None:
            assert first.null_reasons.get(name), f"{name} is null without a reason"
    assert first.author_handle is None or len(first.author_handle) <= MAX_NAME_LEN
    snapshot = repr(first)
    assert repr(normalise_item(first, cfg)) == snapshot
