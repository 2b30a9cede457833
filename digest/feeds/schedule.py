"""When to fetch a feed again: freshness, back-off, Retry-After, 410 Gone. Pure.

Part of the update stage's decisions (the HTTP itself is in `fetch`, the state in `store`).
CI runs are separate processes, so every rule here is stated in terms of the feed's saved
`HttpState` and an explicit `now`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from digest.models import FeedConfig, HttpState
from digest.timefmt import human_utc

BASE_BACKOFF = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=24)
# A server's or feed's own freshness hint is honoured up to a day, so a wrong header or
# <ttl> cannot silence a feed for weeks; the maintainer's min_interval is taken as given.
MAX_FRESHNESS = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(days=7)


def not_due(state: HttpState, now: datetime, force: bool = False) -> str | None:
    """Why the feed must not be fetched now, or None when it may be."""
    if force:
        return None
    if state.status == "gone":
        return "gone (HTTP 410); remove it from config.toml, or fetch it with --force"
    if state.retry_after and now < state.retry_after:
        return f"the server asked to wait until {human_utc(state.retry_after)}"
    if state.next_due and now < state.next_due:
        return f"not due until {human_utc(state.next_due)}"
    return None


def backoff(failures: int) -> timedelta:
    """15 min, 30 min, 1 h, ... doubling per consecutive failure, capped at 24 h."""
    doubled: timedelta = BASE_BACKOFF * 2 ** min(max(failures - 1, 0), 20)
    return min(doubled, MAX_BACKOFF)


def retry_after(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """RFC 9110 §10.2.3: delay-seconds or an HTTP-date; capped at a week."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        until = now + timedelta(seconds=int(value))
    else:
        try:
            until = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
    return min(until, now + MAX_RETRY_AFTER) if until > now else None


def freshness(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the response stays fresh (RFC 9111 §4.2.1): max-age, else Expires - Date."""
    directives = [d.strip().lower() for d in headers.get("cache-control", "").split(",")]
    if "no-cache" in directives or "no-store" in directives:
        return None
    for directive in directives:
        name, _, value = directive.partition("=")
        if name == "max-age" and value.strip().strip('"').isdigit():
            return timedelta(seconds=int(value.strip().strip('"')))
    if "expires" in headers:
        expires = _http_date(headers["expires"])
        if expires is None:
            return None  # RFC 9111 §5.3: an invalid Expires means already expired
        date = _http_date(headers.get("date", "")) or now
        return max(expires - date, timedelta(0))
    return None


def next_due(
    headers: Mapping[str, str],
    now: datetime,
    feed_ttl: int | None,
    min_interval: int,
) -> datetime | None:
    """The earliest next fetch after a success, or None when the next run may fetch."""
    hints = [freshness(headers, now), timedelta(seconds=feed_ttl) if feed_ttl else None]
    server = max((h for h in hints if h), default=timedelta(0))
    wait = max(min(server, MAX_FRESHNESS), timedelta(seconds=min_interval))
    return now + wait if wait > timedelta(0) else None


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fetch_url(feed: FeedConfig, state: HttpState) -> str:
    """Where to fetch: the target of a permanent redirect, once one was seen."""
    return state.moved_to or feed.url
