"""Closed editions on disk: `content/editions/<kind>/<key>.json`. Disk only.

Each file is readable JSON (sorted keys, indented, like the feed caches), committed with the
rest of `content/`, written once, atomically, and never rewritten: a closed edition does not
change, so an offline rebuild shows it as it was and subscribers never see it edited.
"""

from __future__ import annotations

import json
import os
import re
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
    """Every kind's, enabled or not (the build's inputs: a file changed means pages change)."""
    return [path for kind in _KINDS for path in edition_files(config, kind)]


def remove_temp_files(config: Config) -> None:
    """Temp files of a run killed while writing an edition (the editions are always whole)."""
    for kind in _KINDS:
        for leftover in editions_dir(config, kind).glob(".*.json.*.tmp"):
            leftover.unlink(missing_ok=True)


def newest_edition(config: Config, kind: EditionKind) -> Edition | None:
    files = edition_files(config, kind)
    return load_edition(files[-1]) if files else None


def load_editions(config: Config) -> tuple[Edition, ...]:
    """The enabled kinds' closed editions, oldest first within each kind."""
    return tuple(
        load_edition(path) for kind in config.editions.kinds for path in edition_files(config, kind)
    )


def save_edition(config: Config, edition: Edition) -> bool:
    """Record a closed edition; True when written. One already recorded is left as it is."""
    path = edition_path(config, edition.kind, edition.key)
    if path.exists():
        return False
    return atomic_write(path, edition_json(edition), durable=True)


def edition_json(edition: Edition) -> bytes:
    data = {
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
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def load_edition(path: Path) -> Edition:
    fix = f"restore it from git (git checkout -- {path}) or delete it to close it again"
    try:
        data: Any = json.loads(path.read_bytes())
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
    except OSError as e:
        raise CacheError(f"{path}: cannot read: {e.strerror}") from e
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise CacheError(f"{path}: not a valid edition file ({e}); {fix}") from e


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone")
    return moment
