"""Closed editions on disk: `content/editions/<kind>/<key>.json`. Disk only.

Each file is readable JSON (sorted keys, indented, like the feed caches), committed with the
rest of `content/`, written once, atomically, and never rewritten: a closed edition does not
change, so an offline rebuild shows it as it was and subscribers never see it edited.

An edition with no posts gets no file of its own when `skip_empty` hides it anyway: a digest
built months after its last post would otherwise commit a file per quiet day, forever. The
newest such edition of each kind is kept in `content/editions/empty.json` instead (the record
its file would have held), because closing goes on after the newest edition, empty or not,
and takes its `closed_at` to tell late posts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from digest.errors import CacheError
from digest.files import atomic_write
from digest.models import Config, Edition, EditionKind
from digest.timefmt import rfc3339

SCHEMA = 1
_KINDS: tuple[EditionKind, ...] = ("daily", "weekly")
_NAME = {
    "daily": re.compile(r"\d{4}-\d{2}-\d{2}\.json"),
    "weekly": re.compile(r"\d{4}-W\d{2}\.json"),
}


def editions_dir(config: Config, kind: EditionKind) -> Path:
    return config.content_dir / "editions" / kind


def empty_path(config: Config) -> Path:
    return config.content_dir / "editions" / "empty.json"


def edition_path(config: Config, kind: EditionKind, key: str) -> Path:
    return editions_dir(config, kind) / f"{key}.json"


def edition_files(config: Config, kind: EditionKind) -> list[Path]:
    """The kind's edition files, oldest first (their names sort by date)."""
    try:
        names = os.listdir(editions_dir(config, kind))
    except FileNotFoundError:
        return []
    folder = editions_dir(config, kind)
    return [folder / n for n in sorted(names) if _NAME[kind].fullmatch(n)]


def all_edition_files(config: Config) -> list[Path]:
    """Every kind's, enabled or not (the build's inputs: a file changed means pages change).
    Not empty.json: the editions in it have no posts and so no page (`skip_empty`)."""
    return [path for kind in _KINDS for path in edition_files(config, kind)]


def remove_temp_files(config: Config) -> None:
    """Temp files of a run killed while writing an edition (the editions are always whole)."""
    for folder in (empty_path(config).parent, *(editions_dir(config, k) for k in _KINDS)):
        for leftover in folder.glob(".*.json.*.tmp"):
            leftover.unlink(missing_ok=True)


def newest_edition(config: Config, kind: EditionKind) -> Edition | None:
    """The newest closed edition of `kind`, which closing goes on after: its newest file's,
    or the one in empty.json when that is newer."""
    files = edition_files(config, kind)
    newest = load_edition(files[-1]) if files else None
    empty = load_empty(config).get(kind)
    if empty is not None and (newest is None or empty.last_day > newest.last_day):
        return empty
    return newest


def load_editions(config: Config) -> tuple[Edition, ...]:
    """The enabled kinds' closed editions, oldest first within each kind."""
    return tuple(
        load_edition(path) for kind in config.editions.kinds for path in edition_files(config, kind)
    )


def save_editions(config: Config, editions: Iterable[Edition]) -> None:
    """Record the editions a run closed (oldest first within each kind): each one with posts
    in its own file (with `skip_empty = false`, which shows empty ones, every one), and the
    newest empty one of each kind in empty.json. That goes last: a run killed before it has
    recorded less than it closed, and the next run closes the rest again, as it would the
    editions of a run killed between two files."""
    empty: dict[EditionKind, Edition] = {}
    for edition in editions:
        if edition.entries or edition.late or not config.editions.skip_empty:
            save_edition(config, edition)
        else:
            empty[edition.kind] = edition
    if empty:
        records = load_empty(config) | empty
        data: dict[str, Any] = {k: _record(records[k]) for k in _KINDS if k in records}
        atomic_write(empty_path(config), _json_bytes(data), durable=True)


def save_edition(config: Config, edition: Edition) -> bool:
    """Record a closed edition; True when written. One already recorded is left as it is."""
    path = edition_path(config, edition.kind, edition.key)
    if path.exists():
        return False
    return atomic_write(path, edition_json(edition), durable=True)


def edition_json(edition: Edition) -> bytes:
    return _json_bytes(_record(edition))


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _record(edition: Edition) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": edition.kind,
        "key": edition.key,
        "first_day": edition.first_day.isoformat(),
        "last_day": edition.last_day.isoformat(),
        "start": rfc3339(edition.start),
        "end": rfc3339(edition.end),
        "closed_at": rfc3339(edition.closed_at),
        "entries": [{"source": s, "id": i} for s, i in edition.entries],
        "late": [{"source": s, "id": i} for s, i in edition.late],
    }


def load_empty(config: Config) -> dict[EditionKind, Edition]:
    """The newest empty edition of each kind, from empty.json (none when there is no file)."""
    path = empty_path(config)
    fix = (
        f"restore it from git (git checkout -- {path}) or delete it: the periods after "
        "the newest edition file then close again"
    )
    try:
        data: Any = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise CacheError(f"{path}: cannot read: {e.strerror}") from e
    except ValueError as e:
        raise CacheError(f"{path}: not valid JSON ({e}); {fix}") from e
    if not isinstance(data, dict) or not data.keys() <= set(_KINDS):
        raise CacheError(f"{path}: not a record of empty editions by kind; {fix}")
    records = {kind: _edition(path, record, fix) for kind, record in data.items()}
    for kind, edition in records.items():
        if edition.kind != kind:
            raise CacheError(f"{path}: a {edition.kind} edition under {kind!r}; {fix}")
    return records


def load_edition(path: Path) -> Edition:
    fix = f"restore it from git (git checkout -- {path}) or delete it to close it again"
    try:
        data: Any = json.loads(path.read_bytes())
    except OSError as e:
        raise CacheError(f"{path}: cannot read: {e.strerror}") from e
    except ValueError as e:
        raise CacheError(f"{path}: not a valid edition file ({e}); {fix}") from e
    return _edition(path, data, fix)


def _edition(path: Path, data: Any, fix: str) -> Edition:
    try:
        if data.get("schema") != SCHEMA:
            raise CacheError(f"{path}: edition schema {data.get('schema')!r}, not {SCHEMA}; {fix}")
        kind = data["kind"]
        if kind not in _KINDS:
            raise ValueError(f"kind {kind!r}")
        return Edition(
            kind=kind,
            key=str(data["key"]),
            first_day=date.fromisoformat(data["first_day"]),
            last_day=date.fromisoformat(data["last_day"]),
            start=_moment(data["start"]),
            end=_moment(data["end"]),
            closed_at=_moment(data["closed_at"]),
            entries=tuple((str(r["source"]), str(r["id"])) for r in data["entries"]),
            late=tuple((str(r["source"]), str(r["id"])) for r in data["late"]),
        )
    except CacheError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise CacheError(f"{path}: not a valid edition ({e}); {fix}") from e


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone")
    return moment
