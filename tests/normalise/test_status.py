"""Watch status: the labels MyDramaList and lists use, mapped to completed / ongoing / dropped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.normalise.status import watch_status, watch_status_with_reason


@pytest.mark.parametrize(
    "raw, status",
    [
        ("Completed", "completed"),  # MyDramaList span.review-tag
        ("completed", "completed"),
        ("  COMPLETED \n", "completed"),
        ("Ongoing", "ongoing"),
        ("Watching", "ongoing"),
        ("Currently Watching", "ongoing"),
        ("currently_watching", "ongoing"),
        ("Currently\u00a0 Watching", "ongoing"),
        ("Dropped", "dropped"),
        ("dropped ", "dropped"),
    ],
)
def test_known_statuses(raw, status):
    assert watch_status(raw) == status
    assert watch_status_with_reason(raw) == (status, None)


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("On-Hold", "other_status"),
        ("On Hold", "other_status"),
        ("Plan to Watch", "other_status"),
        ("Rewatching soon maybe", "unrecognised"),
        ("8 of 8 episodes seen", "unrecognised"),
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
    ],
)
def test_statuses_that_say_nothing_about_progress_are_none(raw, reason):
    assert watch_status(raw) is None
    assert watch_status_with_reason(raw) == (None, reason)


@given(st.text(max_size=40))
def test_never_raises_and_only_three_values(raw):
    status, reason = watch_status_with_reason(raw)
    assert status in ("completed", "ongoing", "dropped", None)
    assert (status is None) == (reason in ("empty", "other_status", "unrecognised"))
    if status is not None:
        assert watch_status(status) == status  # idempotent
