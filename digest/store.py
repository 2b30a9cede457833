"""Stage 5, store: the content cache in `content/`. Disk only.

Reads and writes `content/feeds/<slug>.json` (sorted keys, entries in a stable order, so a
commit of `content/` has small diffs), clears the temp files a killed run left, and reads the
hand-written posts' files. What a fetch changes is decided in `update`; posts are parsed in
`parse`.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digest.errors import CacheError, PostError
from digest.files import atomic_write
from digest.models import Config, Entry, FeedCache, FeedInfo, HttpState, PostFile, sort_entries
from digest.timefmt import rfc3339

SCHEMA = 1
_HTTP_TIMES = ("last_ok", "failing_since", "next_due", "retry_after")


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


def save_cache(path: Path, cache: FeedCache) -> FeedCache:
    """Write atomically (unchanged bytes are not rewritten). Returns the cache as it now reads
    back from disk (times in whole seconds), so a build right after a fetch sees exactly what
    a later offline build will."""
    data = cache_to_json(cache)
    atomic_write(path, data, durable=True)
    return _cache_from_json(json.loads(data), cache.slug)


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
    return {k: rfc3339(v) if isinstance(v, datetime) else v for k, v in data.items()}


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


# --- hand-written posts --------------------------------------------------------------------


def read_posts(config: Config) -> tuple[PostFile, ...]:
    """Hand-written posts, `content/posts/*.md`, by file name."""
    files = []
    for path in post_paths(config):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PostError(f"{path}: cannot read: {e}") from e
        files.append(PostFile(path, text))
    return tuple(files)


def post_paths(config: Config) -> list[Path]:
    """The post files, sorted (the build fingerprints them before reading any)."""
    return sorted((config.content_dir / "posts").glob("*.md"))
