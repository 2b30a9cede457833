"""Part of stage 8, write: the build stamp, which makes builds incremental.

`output/.digest-build.json` (`STAMP`) records what the site was built from (a fingerprint of
every input) and, for each file, its key (what it shows, see `render.keys`) and size. A build
whose inputs did not change stops before rendering anything (`is_current`); one with some
changed makes only the files whose key changed, or that changed on disk since (`outdated`).

Reads the inputs (config.toml, content/, the theme's files as `render.theme_hashes` read
them) and `output/`; writes only the stamp, which `write_site` has it write last.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import __version__
from digest.editions.store import all_edition_files
from digest.feeds import index
from digest.feeds.store import cache_files, month_index
from digest.files import atomic_write
from digest.models import Budget, Config
from digest.render.theme import ThemeHashes
from digest.site.filters import ages_out

STAMP = ".digest-build.json"


@dataclass(frozen=True, slots=True)
class Stamp:
    """The stamp of the last build: the fingerprint of its inputs, and the key and size of
    every file it wrote. A file changed since (by hand, or by a run killed before its stamp)
    is newer than the stamp, so `mtime_ns` tells it apart."""

    inputs: str = ""
    files: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (key, size)
    mtime_ns: int = -1  # the stamp's own; -1 when there is none: nothing is current
    budget: Budget | None = None  # what [site] max_output left whole, for a build's report


def fingerprint(
    config: Config,
    posts: Iterable[Path],
    theme: ThemeHashes,
    now: datetime | None = None,
) -> str:
    """What the site is built from, in one hash: config, caches, posts, closed editions, the
    theme's files (`theme`: as `render.theme_hashes` labels and hashes them, read once for
    this and for every file's key), digest's version, the base URL, and the day when entries
    age out (`max_age_days`), so a run on a later day drops them. Files by their path in the
    project, not on disk, so the same project built in two folders has one fingerprint."""
    feeds = config.content_dir / "feeds"
    months, indexed = month_index(feeds), month_index(feeds / index.FOLDER)
    sources = [config.path, *posts, *all_edition_files(config)]
    files = {str(p.relative_to(config.root)): _file_hash(p) for p in sources}
    for feed in config.feeds:
        state, *month_files = cache_files(config, feed.slug, months)
        files[str(state.relative_to(config.root))] = _file_hash(state)
        for path in month_files:
            listed = indexed.get(path.parent.name, frozenset())
            files[str(path.relative_to(config.root))] = _month_hash(path, listed)
    # The base URL may come from --base-url (GitHub Pages' address), not from config.toml.
    salt = f"{__version__}\n{config.site.base_url}"
    if now is not None and ages_out(config):
        salt += f"\n{now.astimezone(ZoneInfo(config.site.timezone)).date()}"
    digest = hashlib.sha256(salt.encode())
    for label, hashed in sorted({**files, **dict(theme)}.items()):
        digest.update(label.encode() + b"\0")
        digest.update(hashed)
    return digest.hexdigest()


def _month_hash(path: Path, listed: frozenset[str]) -> bytes:
    """A month file by its index (`listed`: the names in its index folder), which holds its
    entries and their bodies' hashes in a tenth of its bytes, and by its size, which changes
    when the month changes behind its index (`store.with_index` then reads it whole). A month
    without an index is hashed whole."""
    if path.name in listed:
        indexed = _file_hash(index.index_path(path.parent.parent, path.parent.name, path.stem))
        with contextlib.suppress(OSError):
            return hashlib.sha256(indexed + str(path.stat().st_size).encode()).digest()
    return _file_hash(path)


def _file_hash(path: Path) -> bytes:
    """The sha256 of a file's bytes; a missing one counts as missing, not as empty."""
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except FileNotFoundError:
        return b"missing"


def read_stamp(output: Path) -> Stamp:
    """The stamp in `output/`, or an empty one (no stamp, an old or damaged one)."""
    try:
        path = output / STAMP
        mtime_ns = path.stat().st_mtime_ns
        stamp = json.loads(path.read_bytes())
        files = {str(p): (str(key), int(size)) for p, (key, size) in stamp["files"].items()}
        return Stamp(str(stamp["inputs"]), files, mtime_ns, _budget(stamp.get("budget")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Stamp()


def _budget(value: object) -> Budget | None:
    """The stamp's record of the size budget (an old stamp has none)."""
    if not isinstance(value, list):
        return None
    limit, entries, whole, since, estimate = value
    day = date.fromisoformat(since) if since else None
    return Budget(int(limit), int(entries), int(whole), day, int(estimate))


def write_stamp(
    output: Path,
    inputs: str,
    files: dict[str, tuple[str, int]],
    *,
    touch: bool,
    budget: Budget | None = None,
) -> bool:
    """Write the stamp of `output/` (`files`: path -> (key, size)); True if written. It is
    written last, so no file it vouches for is newer: `touch` when files were made since the
    one there (if not always written), which then stays but must be the newest. One line a
    file, sorted, so two builds of the same project write the same bytes."""
    lines = ",\n".join(
        f"{json.dumps(p)}: [{json.dumps(key)}, {size}]" for p, (key, size) in sorted(files.items())
    )
    spent = ""
    if budget is not None:
        since = budget.whole_from and budget.whole_from.isoformat()
        fields = [budget.limit, budget.entries, budget.whole, since, budget.estimate]
        spent = f'"budget": {json.dumps(fields)},\n'
    data = f'{{\n{spent}"files": {{\n{lines}\n}},\n"inputs": {json.dumps(inputs)}\n}}\n'.encode()
    if atomic_write(output / STAMP, data):
        return True
    if touch:
        os.utime(output / STAMP)
    return False


def _intact(output: Path, name: str, size: int, since: int) -> bool:
    """The file the last build wrote is there, untouched since its stamp."""
    try:
        # os.path, not a Path per file: a build that finds nothing changed checks every file
        stat = os.stat(os.path.join(output, name))
    except OSError:
        return False
    return stat.st_size == size and stat.st_mtime_ns <= since


def is_current(output: Path, inputs: str) -> Stamp | None:
    """When `output/` was built from exactly these inputs and still holds every file it wrote,
    its stamp (what it holds); else None."""
    built = read_stamp(output)
    if built.inputs != inputs or not built.files:
        return None
    if not all(_intact(output, n, size, built.mtime_ns) for n, (_, size) in built.files.items()):
        return None
    return built


def outdated(output: Path, planned: Iterable[tuple[str, str]], built: Stamp) -> set[str]:
    """The planned files (path, key) to make: new, showing something else than when they were
    built, or missing or changed on disk since."""
    return {
        path
        for path, key in planned
        if built.files.get(path, ("", 0))[0] != key
        or not _intact(output, path, built.files[path][1], built.mtime_ns)
    }


def stamped_bytes(output: Path, built: Stamp) -> int:
    """The bytes of the files the stamp lists, and of the stamp: all of `output/` but what
    `write_site` keeps without writing it (the search index), when `is_current` has just found
    every listed file at its size."""
    return sum(size for _, size in built.files.values()) + (output / STAMP).stat().st_size


def site_digest(built: Stamp) -> str:
    """The site the stamp lists, in one hash: every file's path, key (what it shows) and
    size. Two builds that made the same site have the same digest, whatever their inputs'
    other changes (a feed's schedule) or what was on disk before; GitHub Actions compares it
    with the digest of the site it last deployed."""
    digest = hashlib.sha256()
    for path, (key, size) in sorted(built.files.items()):
        digest.update(f"{path}\0{key}\0{size}\n".encode())
    return digest.hexdigest()[:32]
