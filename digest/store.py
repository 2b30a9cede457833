"""Stage 4, store: the content cache in `content/`.

`load_cache`/`save_cache` and `load_posts` touch the disk; `merge` and `refresh` are pure and
decide what a fetch changes: new entries added, edited ones updated in place, nothing dropped
because a feed's window moved on, `first_seen` set once and never changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from digest.errors import CacheError, FeedError, PostError
from digest.fetch import Response, fetch_url
from digest.models import (
    Config,
    Entry,
    FeedCache,
    FeedConfig,
    FeedInfo,
    FeedReport,
    FetchConfig,
    HttpState,
    Retention,
)
from digest.parse import parse_body
from digest.posts import parse_post
from digest.schedule import backoff, next_due, retry_after
from digest.write import atomic_write

SCHEMA = 1
_HTTP_TIMES = ("last_ok", "failing_since", "next_due", "retry_after")


# --- pure decisions ------------------------------------------------------------------------


def merge(old: tuple[Entry, ...], new: tuple[Entry, ...]) -> tuple[tuple[Entry, ...], int, int]:
    """Old entries + freshly parsed ones -> (all entries, added, changed).

    An entry absent from the new fetch stays. One present in both keeps its `first_seen`
    and takes everything else from the new fetch. An entry whose id changed but whose link
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
        kept = dataclasses.replace(entry, first_seen=previous.first_seen)
        if kept != previous:
            changed += 1
        by_id[entry.id] = kept
    return sort_entries(by_id.values()), added, changed


def sort_entries(entries: Any) -> tuple[Entry, ...]:
    """Newest first; ties broken by id so the order (and the cache file) is stable."""
    return tuple(sorted(entries, key=lambda e: (-e.date.timestamp(), e.source, e.id)))


def retain(entries: tuple[Entry, ...], rule: Retention, now: datetime) -> tuple[Entry, ...]:
    """Apply a retention rule (default: keep everything) to entries sorted newest first."""
    if rule.max_age is not None:
        oldest = now - timedelta(seconds=rule.max_age)
        entries = tuple(e for e in entries if e.date >= oldest)
    if rule.max_entries is not None:
        entries = entries[: rule.max_entries]
    return entries


def refresh(
    cache: FeedCache,
    response: Response,
    feed: FeedConfig,
    now: datetime,
    settings: FetchConfig,
    retention: Retention,
) -> tuple[FeedCache, FeedReport]:
    """Apply one fetch to one feed's cache. A failure never touches the cached entries."""
    http = cache.http
    moved_to = response.moved_to or http.moved_to
    if moved_to == feed.url:  # the maintainer updated config.toml
        moved_to = None
    note = f"moved permanently: update config.toml to {moved_to}" if moved_to else None

    def failed(message: str, status: str = "error") -> tuple[FeedCache, FeedReport]:
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

    if response.outcome == "gone":
        state = dataclasses.replace(
            http, status="gone", last_error="the server says the feed is gone (HTTP 410)"
        )
        report = FeedReport(feed.slug, feed.name, "gone", error=state.last_error)
        return dataclasses.replace(cache, http=state), report
    if response.outcome in ("error", "retry_later"):
        return failed(response.error or "unknown error")

    # Success. A healthy feed with nothing new (and no new schedule) leaves its cache file
    # byte-for-byte as it was.
    min_interval = settings.min_interval if feed.min_interval is None else feed.min_interval
    healthy = dataclasses.replace(
        http,
        status="ok",
        failures=0,
        failing_since=None,
        last_error=None,
        retry_after=None,
        moved_to=moved_to,
        next_due=next_due(response.headers, now, cache.feed.ttl, min_interval),
    )
    # Validators are sent only to the URL they came from (the config's, or where it moved).
    healthy = dataclasses.replace(healthy, url=fetch_url(feed, healthy))
    if response.outcome == "not_modified":
        report = FeedReport(feed.slug, feed.name, "not_modified", note=note)
        return dataclasses.replace(cache, http=healthy), report

    validators = dataclasses.replace(
        healthy,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        body_sha256=hashlib.sha256(response.body).hexdigest(),
    )
    if validators.body_sha256 == http.body_sha256 and not cache.sample:
        # Same bytes as last time (a server without validators): skip the costly parse.
        report = FeedReport(feed.slug, feed.name, "unchanged", note=note)
        return dataclasses.replace(cache, http=validators), report
    try:
        parsed = parse_body(
            response.body, url=response.url, headers=response.headers, source=feed.slug, now=now
        )
    except FeedError as e:
        return failed(str(e), "not_a_feed" if str(e).startswith("not a feed") else "error")
    ok = dataclasses.replace(
        validators,
        last_ok=now,
        next_due=next_due(response.headers, now, parsed.feed.ttl, min_interval),
    )
    # Sample entries (bundled for the offline example) give way to the first real fetch.
    old = () if cache.sample else cache.entries
    entries, added, changed = merge(old, parsed.entries)
    entries = retain(entries, feed.retention or retention, now)
    # A local feed is recorded as configured, so the cache does not depend on where it sits.
    info = dataclasses.replace(parsed.feed, url=feed.url) if feed.path else parsed.feed
    new_cache = FeedCache(slug=feed.slug, feed=info, http=ok, entries=entries)
    report = FeedReport(feed.slug, feed.name, "ok", added=added, changed=changed, note=note)
    return new_cache, report


# --- the cache on disk ---------------------------------------------------------------------


def cache_path(config: Config, slug: str) -> Path:
    return config.content_dir / "feeds" / f"{slug}.json"


def remove_temp_files(config: Config) -> None:
    """Temp files a killed run left behind (the caches themselves are always whole)."""
    for leftover in (config.content_dir / "feeds").glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def load_cache(path: Path, slug: str) -> FeedCache:
    """Read one cache file; a missing file is an empty cache, a broken one an error."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return FeedCache(slug=slug)
    except OSError as e:
        raise CacheError(f"{path}: cannot read the content cache: {e.strerror}") from e
    fix = "restore it from git (git checkout -- FILE) or delete it to start that feed afresh"
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("schema") != SCHEMA:
            raise CacheError(
                f"{path}: cache schema {data.get('schema')!r}, this digest reads {SCHEMA}; "
                "upgrade digest or " + fix.replace("FILE", str(path))
            )
        return _cache_from_json(data, slug)
    except CacheError:
        raise
    except (ValueError, KeyError, TypeError) as e:
        raise CacheError(
            f"{path}: not a valid cache file ({e}); " + fix.replace("FILE", str(path))
        ) from e


def save_cache(path: Path, cache: FeedCache) -> bool:
    """Write atomically; returns False (and writes nothing) when the bytes would not change."""
    return atomic_write(path, cache_to_json(cache), durable=True)


def cache_to_json(cache: FeedCache) -> bytes:
    data = {
        "schema": SCHEMA,
        "sample": cache.sample,
        "feed": _plain(dataclasses.asdict(cache.feed)),
        "http": _plain(dataclasses.asdict(cache.http)),
        "entries": [_entry_to_json(e) for e in cache.entries],
    }
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _entry_to_json(entry: Entry) -> dict[str, Any]:
    data = dataclasses.asdict(entry)
    del data["source"], data["slug"]  # implied by the file
    data["tags"] = list(entry.tags)
    return _plain(data)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _format_time(v) if isinstance(v, datetime) else v for k, v in data.items()}


def _format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _cache_from_json(data: dict[str, Any], slug: str) -> FeedCache:
    http = dict(data.get("http", {}))
    for name in _HTTP_TIMES:
        http[name] = _parse_time(http.get(name))
    entries = []
    for item in data.get("entries", []):
        first_seen = _parse_time(item["first_seen"])
        assert first_seen is not None
        entries.append(
            Entry(
                id=item["id"],
                source=slug,
                title=item["title"],
                link=item.get("link"),
                author=item.get("author"),
                published=_parse_time(item.get("published")),
                updated=_parse_time(item.get("updated")),
                first_seen=first_seen,
                tags=tuple(item.get("tags", [])),
                content_html=item.get("content_html", ""),
                comments=item.get("comments"),
                language=item.get("language"),
            )
        )
    return FeedCache(
        slug=slug,
        feed=FeedInfo(**data.get("feed", {})),
        http=HttpState(**http),
        entries=sort_entries(entries),
        sample=bool(data.get("sample", False)),
    )


def load_posts(config: Config) -> tuple[Entry, ...]:
    """Hand-written posts, `content/posts/*.md`."""
    folder = config.content_dir / "posts"
    posts: dict[str, Entry] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PostError(f"{path}: cannot read: {e}") from e
        post = parse_post(
            text,
            filename=str(path),
            timezone=config.site.timezone,
            base_url=config.site.base_url,
        )
        assert post.slug is not None
        if post.slug in posts:
            raise PostError(f"{path}: slug {post.slug!r} is used by another post; set `slug:`")
        posts[post.slug] = post
    return sort_entries(posts.values())
