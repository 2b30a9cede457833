"""Stage 5, store: the content cache in `content/`. Disk only.

Each feed's cache is a small state file, `content/feeds/<slug>.json` (schema 2: the feed's
metadata and HTTP state), and its entries split by month of their date (UTC),
`content/feeds/<YYYY-MM>/<slug>.json`, newest first. A run that brings one new entry rewrites
that month's file and the state file, nothing else, so the files the hourly CI commit carries
stay small (GitHub warns at 50 MB a file and refuses 100 MB) and git deltas them well: month
first in the path, because git pairs file versions for delta compression by the end of their
path. A schema-1 file (one file per feed, entries included) is read as before and migrated on
load: month files first, then the state file replaces the old file by a rename, so a run killed
at any point leaves a cache that loads whole.

Also clears the temp files a killed run left, measures `content/` for the size warnings and
reads the hand-written posts. What a fetch changes is decided in `update`, posts parsed in `parse`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from digest.errors import CacheError, PostError
from digest.feeds.codec import dumps, entry_from_json, entry_to_json, month_of, parse_time, plain
from digest.feeds.index import FOLDER, index_items, read_index, remove_index, write_index
from digest.files import atomic_write
from digest.models import (
    Config,
    Entry,
    EntrySummary,
    FeedCache,
    FeedInfo,
    HttpState,
    PostFile,
    sort_entries,
)
from digest.timefmt import rfc3339

log = logging.getLogger(__name__)

SCHEMA = 2
LEGACY_SCHEMA = 1  # one file per feed, entries included: read, and migrated on load
_HTTP_TIMES = ("last_ok", "failing_since", "next_due", "retry_after")
MONTH_FOLDER = re.compile(r"\d{4}-\d{2}")  # content/feeds/<YYYY-MM>/
_FIX = "restore it from git (git checkout -- {}) or delete it to start that feed afresh"
_FIX_MONTH = "restore it from git (git checkout -- {}) or delete it to drop that month's posts"


# --- the cache on disk ---------------------------------------------------------------------


def cache_path(config: Config, slug: str) -> Path:
    """The feed's state file; its entries sit beside it in `<YYYY-MM>/<slug>.json`."""
    return config.content_dir / "feeds" / f"{slug}.json"


# Each month folder of content/feeds/ and the names of the files in it, newest month first.
MonthIndex = dict[str, frozenset[str]]


def month_index(feeds: Path) -> MonthIndex:
    """The month folders of `feeds` and their files, listed once for a run that reads every
    feed: finding each feed's months by listing `feeds/` again would be quadratic in feeds."""
    try:
        names = os.listdir(feeds)
    except FileNotFoundError:
        return {}
    index: MonthIndex = {}
    for name in sorted(names, reverse=True):
        if MONTH_FOLDER.fullmatch(name):
            try:
                index[name] = frozenset(os.listdir(feeds / name))
            except (FileNotFoundError, NotADirectoryError):
                continue
    return index


def month_files(path: Path, slug: str, index: MonthIndex | None = None) -> dict[str, Path]:
    """The feed's month files that exist, newest month first, for its state file `path`;
    from `index` when the caller has listed the months already."""
    name = f"{slug}.json"
    if index is not None:
        return {
            month: path.parent / month / name for month, files in index.items() if name in files
        }
    try:
        names = os.listdir(path.parent)
    except FileNotFoundError:
        return {}
    found = {}
    for folder in sorted(names, reverse=True):
        month_file = path.parent / folder / name
        if MONTH_FOLDER.fullmatch(folder) and month_file.is_file():
            found[folder] = month_file
    return found


def cache_files(config: Config, slug: str, index: MonthIndex | None = None) -> tuple[Path, ...]:
    """Every file one feed's cache is read from: its state file, then its months."""
    path = cache_path(config, slug)
    return (path, *month_files(path, slug, index).values())


def remove_temp_files(config: Config) -> None:
    """Temp files a killed run left behind (the caches themselves are always whole)."""
    _remove_temp_files(config.content_dir / "feeds", "*")


def _remove_temp_files(feeds: Path, name: str) -> None:
    """`files.atomic_write` temp files of `name` (a glob) in `feeds/` and its months."""
    patterns = (f".{name}.*.tmp", f"*/.{name}.*.tmp", f"{FOLDER}/*/.{name}.*.tmp")
    for leftover in [path for pattern in patterns for path in feeds.glob(pattern)]:
        leftover.unlink(missing_ok=True)


def load_state(path: Path, slug: str, index: MonthIndex | None = None) -> FeedCache:
    """The feed's cache without its entries, when its state file says what its months hold
    (its "summary"): one small file read instead of every month. Otherwise (a state file
    written before summaries, or of schema 1) the whole cache."""
    data = _read_json(path)
    if data is None:
        return FeedCache(slug=slug)
    summary = data.get("summary")
    if data.get("schema") != SCHEMA or not isinstance(summary, dict):
        return load_cache(path, slug, index)
    try:
        counted = EntrySummary(int(summary["entries"]), parse_time(summary.get("newest")))
        return dataclasses.replace(_cache_from_parts(data, (), slug), summary=counted)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise CacheError(f"{path}: not a valid cache file ({e}); " + _FIX.format(path)) from e


def without_entries(cache: FeedCache) -> FeedCache:
    """The cache as `load_state` reads it: its state, and what its months hold in numbers. A
    fetch keeps its caches so once saved: the site is made from the entry index, so a fetch of
    every feed (a cold build) does not hold every body while it lasts."""
    if cache.summary is not None:
        return dataclasses.replace(cache, entries=())
    summary = EntrySummary(len(cache.entries), cache.newest)
    return dataclasses.replace(cache, entries=(), summary=summary)


def with_index(config: Config, caches: Iterable[FeedCache]) -> tuple[FeedCache, ...]:
    """The caches with every entry, for making the site: those read without them
    (`load_state`) take them from their months' entry indexes, without their bodies
    (`digest.feeds.index`); a month whose index is missing or out of date is read whole, and
    its index written. The caches stay "not whole" (summary set): saving one writes its
    state file only."""
    feeds = config.content_dir / "feeds"
    months, indexed = month_index(feeds), month_index(feeds / FOLDER)  # once, not per feed
    result = []
    for cache in caches:
        if cache.summary is not None and not cache.entries:
            entries: list[Entry] = []
            path = cache_path(config, cache.slug)
            for month, month_file in month_files(path, cache.slug, months).items():
                found = read_index(month_file, cache.slug, indexed.get(month, frozenset()))
                entries += _reindexed(month_file, cache.slug) if found is None else found
            cache = dataclasses.replace(cache, entries=_unique(entries))
        result.append(cache)
    return tuple(result)


def _reindexed(month_file: Path, slug: str) -> list[Entry]:
    """A month's entries read from its file and its index written, then given as the index
    gives them, without their bodies: after an upgrade of the index, every month is read so
    (at 100,000 entries a build held 1.4 GB with the bodies)."""
    entries = _month_file_entries(month_file, slug)
    try:
        indexed = write_index(month_file, entries)
    except OSError as e:  # a read-only checkout still builds, from the month
        log.warning("%s: cannot write its entry index: %s", month_file, e)
        return entries
    return [entry_from_json(item, slug) for item in indexed]


def load_cache(path: Path, slug: str, index: MonthIndex | None = None) -> FeedCache:
    """Read one feed's cache from its state file `path` and its month files; a missing state
    file is an empty cache, a broken file an error naming it. A schema-1 file is migrated."""
    data = _read_json(path)
    if data is None:
        return FeedCache(slug=slug)
    try:
        if data.get("schema") == LEGACY_SCHEMA:
            cache = _cache_from_json(data, _entries_from_json(path, data["entries"], slug), slug)
        elif data.get("schema") == SCHEMA:
            return _cache_from_json(data, _month_entries(path, slug, index), slug)
        else:
            raise CacheError(
                f"{path}: cache schema {data.get('schema')!r}, this digest reads {SCHEMA} "
                f"(and {LEGACY_SCHEMA}); upgrade digest or " + _FIX.format(path)
            )
    except CacheError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise CacheError(f"{path}: not a valid cache file ({e}); " + _FIX.format(path)) from e
    try:
        # A migration killed before may have left temp files; an offline run clears no others.
        _remove_temp_files(path.parent, path.name)
        return save_cache(path, cache)
    except OSError as e:  # a read-only checkout still builds; the next writable run migrates
        log.warning("%s: cannot migrate to the monthly cache layout: %s", path, e)
        return cache


def _read_json(path: Path) -> dict[str, Any] | None:
    """One cache file's JSON object; None when the file is missing."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CacheError(f"{path}: cannot read the content cache: {e.strerror}") from e
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise CacheError(f"{path}: not a valid cache file ({e}); " + _FIX.format(path)) from e
    if not isinstance(data, dict):
        raise CacheError(
            f"{path}: not a valid cache file (not a JSON object); " + _FIX.format(path)
        )
    return data


def _month_entries(path: Path, slug: str, index: MonthIndex | None) -> list[Entry]:
    """The entries of every month file of the feed, each file read once, newest month first."""
    entries: list[Entry] = []
    for month_file in month_files(path, slug, index).values():
        entries.extend(_month_file_entries(month_file, slug))
    return entries


def _month_file_entries(month_file: Path, slug: str) -> list[Entry]:
    data = _read_json(month_file)
    if data is None:  # gone since it was listed (a `git checkout` meanwhile)
        return []
    items = data.get("entries")
    if data.get("schema") != SCHEMA or not isinstance(items, list):
        raise CacheError(
            f"{month_file}: not a month file of schema {SCHEMA}; " + _FIX_MONTH.format(month_file)
        )
    return _entries_from_json(month_file, items, slug, _FIX_MONTH)


def _entries_from_json(path: Path, items: list[Any], slug: str, fix: str = _FIX) -> list[Entry]:
    try:
        return [entry_from_json(item, slug) for item in items]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise CacheError(f"{path}: not a valid cache file ({e}); " + fix.format(path)) from e


def save_cache(path: Path, cache: FeedCache, *, previous: FeedCache | None = None) -> FeedCache:
    """Write the feed's month files, then its entry index (`digest.feeds.index`), then its
    state file, then delete months left empty.

    Atomic file by file, unchanged bytes not rewritten; `previous` (the cache as loaded) lets
    the months whose entries did not change skip even being serialised. The order keeps a
    killed run whole: every entry is in a month file before the state file that stops a
    schema-1 file being read is in place, and an emptied month goes last (killed before, its
    entries come back until the next save; none is lost). Returns the cache as it now reads
    back from disk (times in whole seconds), so a build right after a fetch sees exactly what
    a later offline build will.
    """
    if cache.summary is not None:  # read without its entries: its months are as they were
        state = _state_to_json(cache)
        atomic_write(path, dumps(state), durable=True)
        return dataclasses.replace(_cache_from_parts(state, (), cache.slug), summary=cache.summary)
    months = _by_month(cache.entries)
    # A previous cache read without its entries says nothing of what its months hold.
    known = previous is not None and previous.summary is None
    before = _by_month(previous.entries) if previous is not None and known else {}
    existing = month_files(path, cache.slug)
    entries: list[Entry] = []
    for month, group in months.items():
        month_file = path.parent / month / path.name
        if month in existing and before.get(month) == group:
            entries.extend(group)  # as loaded from that very file
            if index_items(month_file) is None:  # none, or of other bytes
                write_index(month_file, group)  # (killed between the two)
            continue
        items = [entry_to_json(e) for e in group]
        written = dumps({"schema": SCHEMA, "month": month, "entries": items})
        atomic_write(month_file, written, durable=True)
        saved = [entry_from_json(item, cache.slug) for item in items]  # as they read back
        write_index(month_file, saved, items, written)  # after its month: never of bytes not there
        entries.extend(saved)
    state = _state_to_json(cache)
    atomic_write(path, dumps(state), durable=True)
    for month, month_file in existing.items():
        if month not in months:
            month_file.unlink(missing_ok=True)
            remove_index(month_file)
            _remove_if_empty(month_file.parent)
    return _cache_from_parts(state, sort_entries(entries), cache.slug)


def _by_month(entries: Iterable[Entry]) -> dict[str, tuple[Entry, ...]]:
    """Entries (newest first) by month, newest month first, each month newest first."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(month_of(entry), []).append(entry)
    return {month: tuple(groups[month]) for month in sorted(groups, reverse=True)}


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (other feeds' files that month): kept
        folder.rmdir()


def _state_to_json(cache: FeedCache) -> dict[str, Any]:
    newest = cache.newest
    return {
        "schema": SCHEMA,
        "sample": cache.sample,
        "feed": plain(dataclasses.asdict(cache.feed)),
        "http": plain(dataclasses.asdict(cache.http)),
        # What the months hold, so a run with nothing to render need not read them.
        "summary": {"entries": cache.entry_count, "newest": newest and rfc3339(newest)},
    } | ({"full_text_due": rfc3339(cache.full_text_due)} if cache.full_text_due else {})


def _cache_from_json(data: dict[str, Any], entries: Iterable[Entry], slug: str) -> FeedCache:
    """A state (or schema-1) object and the entries -> the cache. Entries are unique by id: a
    run killed while an entry moved between months can leave it in both: the newer month's
    copy is kept, and the other goes when its month is next written."""
    return _cache_from_parts(data, _unique(entries), slug)


def _unique(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Entries read newest month first, each once by id (the newer month's copy), sorted."""
    unique: dict[str, Entry] = {}
    for entry in entries:
        unique.setdefault(entry.id, entry)
    # Months come newest first, each sorted: sorting an already sorted list is linear.
    return sort_entries(unique.values())


def _cache_from_parts(data: dict[str, Any], entries: tuple[Entry, ...], slug: str) -> FeedCache:
    http = dict(data.get("http", {}))
    for name in _HTTP_TIMES:
        http[name] = parse_time(http.get(name))
    return FeedCache(
        slug=slug,
        feed=FeedInfo(**data.get("feed", {})),
        http=HttpState(**http),
        entries=entries,
        sample=bool(data.get("sample", False)),
        full_text_due=parse_time(data.get("full_text_due")),
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
