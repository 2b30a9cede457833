"""Stage 4, update: what one fetch changes in one feed's cache. Pure: values in, values out.

Like lemon24/reader's `Decider`, kept apart from storage and from the network: given the
cached state, the `Response` fetch got and (when the body needed parsing) what `parse` made
of it, decide the new HTTP state (schedule, back-off, Retry-After, 410 Gone, permanent
redirects) and the new entries (merge, retention). The pipeline asks `needs_parse` first, so
a 304 or a body identical to last time's costs no parse at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.feeds.schedule import backoff, fetch_url, next_due, retry_after
from digest.models import (
    Entry,
    FeedCache,
    FeedConfig,
    FeedReport,
    FetchConfig,
    HttpState,
    HttpStatus,
    ParsedFeed,
    Response,
    Retention,
    sort_entries,
)


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A body that `parse` refused (its FeedError, as a value): the feed failed this run."""

    message: str

    @property
    def status(self) -> HttpStatus:
        # parse words every "this is no feed at all" error so; anything else is a broken feed.
        return "not_a_feed" if self.message.startswith("not a feed") else "error"


Parsed = ParsedFeed | ParseFailure


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def needs_parse(cache: FeedCache, response: Response) -> bool:
    """True when the response carries a body `refresh` must see parsed: a 200 whose bytes
    differ from the last ones (servers without validators resend the same feed), or any 200
    while the cache holds only bundled sample entries."""
    if response.outcome != "ok":
        return False
    return cache.sample or body_hash(response.body) != cache.http.body_sha256


def refresh(
    cache: FeedCache,
    response: Response,
    parsed: Parsed | None,
    feed: FeedConfig,
    now: datetime,
    settings: FetchConfig,
    retention: Retention,
) -> tuple[FeedCache, FeedReport]:
    """Apply one fetch to one feed's cache. `parsed` is what parse made of the body when
    `needs_parse` said so, else None. A failure never touches the cached entries; a healthy
    feed with nothing new (and no new schedule) comes back equal, so its file is not rewritten.
    """
    moved_to = _moved_to(cache.http, response, feed)
    note = f"moved permanently: update config.toml to {moved_to}" if moved_to else None
    if response.outcome == "gone":
        message = "the server says the feed is gone (HTTP 410)"
        state = dataclasses.replace(cache.http, status="gone", last_error=message)
        report = FeedReport(feed.slug, feed.name, "gone", error=message)
        return dataclasses.replace(cache, http=state), report
    if response.outcome in ("error", "retry_later"):
        message = response.error or "unknown error"
        return _failed(cache, response, message, "error", feed, now, moved_to, note)

    min_interval = settings.min_interval if feed.min_interval is None else feed.min_interval
    healthy = _healthy(cache, response, feed, now, min_interval, moved_to)
    if response.outcome == "not_modified":
        report = FeedReport(feed.slug, feed.name, "not_modified", note=note)
        return dataclasses.replace(cache, http=healthy), report

    validators = dataclasses.replace(
        healthy,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        body_sha256=body_hash(response.body),
    )
    if parsed is None:
        if needs_parse(cache, response):
            raise ValueError(f"{feed.slug}: a new body must be parsed before update.refresh")
        # Same bytes as last time (a server without validators): nothing to merge.
        report = FeedReport(feed.slug, feed.name, "unchanged", note=note)
        return dataclasses.replace(cache, http=validators), report
    if isinstance(parsed, ParseFailure):
        return _failed(cache, response, parsed.message, parsed.status, feed, now, moved_to, note)
    if cache.summary is not None:  # its entries would be merged with none: every post lost
        raise ValueError(f"{feed.slug}: a new body must be merged into the whole cache")
    ok = dataclasses.replace(
        validators,
        last_ok=now,
        next_due=next_due(response.headers, now, parsed.feed.ttl, min_interval),
    )
    return _merged(cache, parsed, ok, feed, now, retention, note)


def _moved_to(http: HttpState, response: Response, feed: FeedConfig) -> str | None:
    """Where the feed now lives, after a permanent redirect; None once the maintainer has
    put that URL into config.toml."""
    moved_to = response.moved_to or http.moved_to
    return None if moved_to == feed.url else moved_to


def _healthy(
    cache: FeedCache,
    response: Response,
    feed: FeedConfig,
    now: datetime,
    min_interval: int,
    moved_to: str | None,
) -> HttpState:
    """The state after a success: failures forgotten, the next fetch scheduled."""
    healthy = dataclasses.replace(
        cache.http,
        status="ok",
        failures=0,
        failing_since=None,
        last_error=None,
        retry_after=None,
        moved_to=moved_to,
        next_due=next_due(response.headers, now, cache.feed.ttl, min_interval),
    )
    # Validators are sent only to the URL they came from (the config's, or where it moved).
    return dataclasses.replace(healthy, url=fetch_url(feed, healthy))


def _failed(
    cache: FeedCache,
    response: Response,
    message: str,
    status: HttpStatus,
    feed: FeedConfig,
    now: datetime,
    moved_to: str | None,
    note: str | None,
) -> tuple[FeedCache, FeedReport]:
    """One more consecutive failure: back off (longer each time) and honour Retry-After."""
    http = cache.http
    failures = http.failures + 1
    state = dataclasses.replace(
        http,
        status=status,
        failures=failures,
        failing_since=http.failing_since or now,
        last_error=message,
        next_due=now + backoff(failures),
        retry_after=retry_after(response.headers, now),
        moved_to=moved_to,
    )
    report = FeedReport(feed.slug, feed.name, "error", error=message, note=note)
    return dataclasses.replace(cache, http=state), report


def _merged(
    cache: FeedCache,
    parsed: ParsedFeed,
    http: HttpState,
    feed: FeedConfig,
    now: datetime,
    retention: Retention,
    note: str | None,
) -> tuple[FeedCache, FeedReport]:
    # Sample entries (bundled for the offline example) give way to the first real fetch.
    old = () if cache.sample else cache.entries
    entries, added, changed = merge(old, parsed.entries)
    entries = retain(entries, feed.retention or retention, now)
    # A local feed is recorded as configured, so the cache does not depend on where it sits.
    info = dataclasses.replace(parsed.feed, url=feed.url) if feed.path else parsed.feed
    new_cache = FeedCache(
        slug=feed.slug, feed=info, http=http, entries=entries, full_text_due=cache.full_text_due
    )
    report = FeedReport(feed.slug, feed.name, "ok", added=added, changed=changed, note=note)
    return new_cache, report


def merge(old: tuple[Entry, ...], new: tuple[Entry, ...]) -> tuple[tuple[Entry, ...], int, int]:
    """Old entries + freshly parsed ones -> (all entries, added, changed).

    An entry absent from the new fetch stays. One present in both keeps its `first_seen`
    (and its article fetched from its page, while its link is the same: `full_text`) and
    takes everything else from the new fetch. An entry whose id changed but whose link
    and title did not is the same entry under a new id (feeds do re-key their guids).
    """
    by_id = {e.id: e for e in old}
    new_ids = {e.id for e in new}
    by_page = {(e.link or "", e.title): e.id for e in old if e.link and e.id not in new_ids}
    added = changed = 0
    for entry in new:
        previous = by_id.get(entry.id)
        if previous is None and (entry.link or "", entry.title) in by_page:
            previous = by_id.pop(by_page.pop((entry.link or "", entry.title)))
        if previous is None:
            by_id[entry.id] = entry
            added += 1
            continue
        text = previous.full_text if previous.link == entry.link else None
        kept = dataclasses.replace(entry, first_seen=previous.first_seen, full_text=text)
        if kept != previous:
            changed += 1
        by_id[entry.id] = kept
    return sort_entries(by_id.values()), added, changed


def retain(entries: tuple[Entry, ...], rule: Retention, now: datetime) -> tuple[Entry, ...]:
    """Apply a retention rule (default: keep everything) to entries sorted newest first."""
    if rule.max_age is not None:
        oldest = now - timedelta(seconds=rule.max_age)
        entries = tuple(e for e in entries if e.date >= oldest)
    if rule.max_entries is not None:
        entries = entries[: rule.max_entries]
    return entries
