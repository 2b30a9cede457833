"""When a feed is fetched again: freshness, back-off, Retry-After, 410 Gone. Pure values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digest.feeds.schedule import backoff, freshness, next_due, not_due, retry_after
from digest.models import HttpState

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


def test_a_new_feed_is_due() -> None:
    assert not_due(HttpState(), NOW) is None


def test_a_feed_is_not_fetched_before_it_is_due_unless_forced() -> None:
    state = HttpState(status="ok", next_due=NOW + timedelta(minutes=30))
    assert not_due(state, NOW) == "not due until 2026-03-23 12:30 UTC"
    assert not_due(state, NOW + timedelta(minutes=30)) is None
    assert not_due(state, NOW, force=True) is None


def test_retry_after_wins_over_an_earlier_next_due() -> None:
    state = HttpState(
        status="error",
        next_due=NOW + timedelta(minutes=15),
        retry_after=NOW + timedelta(hours=2),
    )
    assert not_due(state, NOW + timedelta(hours=1)) == (
        "the server asked to wait until 2026-03-23 14:00 UTC"
    )


def test_a_gone_feed_is_only_fetched_when_forced() -> None:
    state = HttpState(status="gone")
    assert "410" in (not_due(state, NOW + timedelta(days=1000)) or "")
    assert not_due(state, NOW, force=True) is None


def test_backoff_doubles_from_a_quarter_hour_up_to_a_day() -> None:
    minutes = [backoff(n) / timedelta(minutes=1) for n in range(1, 9)]
    assert minutes == [15, 30, 60, 120, 240, 480, 960, 1440]
    assert backoff(10_000) == timedelta(hours=24)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        ("Mon, 23 Mar 2026 15:00:00 GMT", datetime(2026, 3, 23, 15, 0, tzinfo=UTC)),
        ("0", None),  # now, i.e. no wait
        ("Mon, 23 Mar 2026 11:00:00 GMT", None),  # already past
        ("soon", None),  # unreadable: ignored
        ("", None),
        ("99999999", NOW + timedelta(days=7)),  # capped at a week
    ],
)
def test_retry_after_reads_seconds_or_a_date(value: str, expected: datetime | None) -> None:
    assert retry_after({"retry-after": value}, NOW) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cache-control": "max-age=600"}, timedelta(minutes=10)),
        ({"cache-control": 'public, max-age="60"'}, timedelta(minutes=1)),
        ({"cache-control": "no-cache, max-age=600"}, None),
        (
            {"expires": "Mon, 23 Mar 2026 13:00:00 GMT", "date": "Mon, 23 Mar 2026 12:00:00 GMT"},
            timedelta(hours=1),
        ),
        ({"expires": "0"}, None),  # RFC 9111 §5.3: invalid means already expired
        ({}, None),
    ],
)
def test_freshness_from_cache_control_or_expires(
    headers: dict[str, str], expected: timedelta | None
) -> None:
    assert freshness(headers, NOW) == expected


def test_next_due_takes_the_longest_hint_capped_at_a_day() -> None:
    assert next_due({}, NOW, None, 0) is None  # no hint: the next run may fetch
    assert next_due({"cache-control": "max-age=600"}, NOW, 3600, 0) == NOW + timedelta(hours=1)
    assert next_due({}, NOW, 30 * 86400, 0) == NOW + timedelta(days=1)  # a month-long <ttl>


def test_the_maintainers_min_interval_is_taken_as_given() -> None:
    week = 7 * 86400
    assert next_due({"cache-control": "max-age=60"}, NOW, None, week) == NOW + timedelta(days=7)
