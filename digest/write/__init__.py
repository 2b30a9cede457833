"""Stage 8, write: rendered files -> `output/`.

Touches the disk only. Every file is written atomically (`files.atomic_write`), so a run killed
at any moment leaves whole files; a file whose bytes did not change is not touched, and files
the build no longer produces are removed. The stamp (`STAMP`) records what each file shows, so
the next build makes only the files whose key changed or that changed on disk (`outdated`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NewType

from digest.errors import OutputError
from digest.files import atomic_write
from digest.models import OutputFile

log = logging.getLogger(__name__)

# What the site was built from (a fingerprint of every input) and, for each file, its key and
# size: a build with unchanged inputs stops before rendering anything, and a build with some
# changed renders only the files whose key changed.
STAMP = ".digest-build.json"

# Never delete or overwrite a folder that holds any of these: it is a project, not an output.
PROJECT_MARKERS = ("content", "config.toml", "themes", "pyproject.toml", ".git")


# An output folder that `check_output_dir` accepted: `write_site` takes only this, so the
# check runs once per build (before fetching) and mypy sees that it did.
OutputDir = NewType("OutputDir", Path)


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: int  # files written, the stamp among them when it was
    unchanged: int
    removed: int
    # Any file of the site written or removed (the stamp alone, rewritten for new inputs
    # that changed no page, is no change to what readers see).
    changed: bool = False


def check_output_dir(output: Path, project: Path) -> OutputDir:
    """`output`, once sure it is no project folder: writing the site deletes what it does not
    produce there."""
    resolved = output.resolve()
    if resolved == project.resolve() or project.resolve().is_relative_to(resolved):
        raise OutputError(f"{resolved}: refusing to write the site over the project folder")
    found = [m for m in PROJECT_MARKERS if (resolved / m).exists()]
    if found:
        raise OutputError(
            f"{resolved}: refusing to write the site here, it holds {', '.join(found)}; "
            "the output folder must hold the built site only"
        )
    return OutputDir(output)


def fingerprint(inputs: dict[str, Path], salt: str) -> str:
    """A hash of the files' labels and bytes (a missing file counts as missing). Labels, not
    paths, so the same project built in two folders has one fingerprint."""
    digest = hashlib.sha256(salt.encode())
    for label, path in sorted(inputs.items()):
        digest.update(label.encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except FileNotFoundError:
            digest.update(b"missing")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Manifest:
    """The stamp of the last build: the fingerprint of its inputs, and the key (what it shows,
    see `keys`) and size of every file it wrote. A file changed since (by hand, or by a run
    killed before its stamp) is newer than the stamp, so `mtime_ns` tells it apart."""

    inputs: str = ""
    files: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (key, size)
    mtime_ns: int = -1  # the stamp's own; -1 when there is none: nothing is current


def read_manifest(output: Path) -> Manifest:
    """The stamp in `output/`, or an empty one (no stamp, an old or damaged one)."""
    try:
        path = output / STAMP
        mtime_ns = path.stat().st_mtime_ns
        stamp = json.loads(path.read_bytes())
        files = {str(p): (str(key), int(size)) for p, (key, size) in stamp["files"].items()}
        return Manifest(str(stamp["inputs"]), files, mtime_ns)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Manifest()


def _intact(output: Path, name: str, size: int, since: int) -> bool:
    """The file the last build wrote is there, untouched since its stamp."""
    try:
        # os.path, not a Path per file: a build that finds nothing changed checks every file
        stat = os.stat(os.path.join(output, name))
    except OSError:
        return False
    return stat.st_size == size and stat.st_mtime_ns <= since


def is_current(output: Path, inputs: str) -> Manifest | None:
    """When `output/` was built from exactly these inputs and still holds every file it wrote,
    its stamp (what it holds); else None."""
    built = read_manifest(output)
    if built.inputs != inputs or not built.files:
        return None
    if not all(_intact(output, n, size, built.mtime_ns) for n, (_, size) in built.files.items()):
        return None
    return built


def stamped_bytes(output: Path, built: Manifest) -> int:
    """The bytes of the files the stamp lists, and of the stamp: all of `output/` but what
    `write_site` keeps without writing it (the search index), when `is_current` has just found
    every listed file at its size."""
    return sum(size for _, size in built.files.values()) + (output / STAMP).stat().st_size


def outdated(output: Path, planned: Iterable[tuple[str, str]], built: Manifest) -> set[str]:
    """The planned files (path, key) to make: new, showing something else than when they were
    built, or missing or changed on disk since."""
    return {
        path
        for path, key in planned
        if built.files.get(path, ("", 0))[0] != key
        or not _intact(output, path, built.files[path][1], built.mtime_ns)
    }


def write_site(
    files: Iterable[OutputFile],
    output: OutputDir,
    planned: Sequence[tuple[str, str]] | None = None,
    inputs: str = "",
    built: Manifest | None = None,
    keep: tuple[str, ...] = (),
) -> WriteReport:
    """Make `output/` hold exactly the `planned` files (path, key) and a stamp of them.

    `files` are the planned files that had to be made, written as they come (so the site is
    never whole in memory); the others are in `output/` already, as `built` lists them. By
    default `files` are the whole site, each keyed by its bytes. The folders named in `keep`
    (at the top of `output/`) are made after this and left as they are (the search index).
    """
    sizes: dict[str, int] = {}
    if planned is None:
        files = tuple(files)
        planned = [(f.path, hashlib.sha256(f.data).hexdigest()[:32]) for f in files]
    wanted = [path for path, _ in planned]
    if len(set(wanted)) != len(wanted):
        twice = sorted(p for p, n in Counter(wanted).items() if n > 1)
        raise OutputError(f"{output / twice[0]}: two pages want the same file (a bug in digest)")
    written = unchanged = 0
    try:
        for file in files:
            sizes[file.path] = len(file.data)
            if atomic_write(output.joinpath(*file.path.split("/")), file.data):
                written += 1
            else:
                unchanged += 1
        changed = written > 0
        unchanged += len(wanted) - len(sizes)
        previous = built.files if built else {}
        stamp = {
            path: (key, sizes.get(path, previous.get(path, ("", 0))[1])) for path, key in planned
        }
        removed = _remove_stale(output, {*wanted, STAMP}, set(keep))
        if _write_stamp(output / STAMP, inputs, stamp, touch=bool(sizes or removed)):
            written += 1
        else:
            unchanged += 1
    except OSError as e:
        raise OutputError(f"{e.filename or output}: cannot write the site: {e.strerror}") from e
    return WriteReport(written, unchanged, removed, changed or removed > 0)


def site_digest(built: Manifest) -> str:
    """The site the stamp lists, in one hash: every file's path, key (what it shows) and
    size. Two builds that made the same site have the same digest, whatever their inputs'
    other changes (a feed's schedule) or what was on disk before; GitHub Actions compares it
    with the digest of the site it last deployed."""
    digest = hashlib.sha256()
    for path, (key, size) in sorted(built.files.items()):
        digest.update(f"{path}\0{key}\0{size}\n".encode())
    return digest.hexdigest()[:32]


def _write_stamp(path: Path, inputs: str, files: dict[str, tuple[str, int]], touch: bool) -> bool:
    """Write the stamp last, so it is never newer than a file it vouches for; one line a
    file, sorted, so two builds of the same project write the same bytes. True if written."""
    lines = ",\n".join(
        f"{json.dumps(p)}: [{json.dumps(key)}, {size}]" for p, (key, size) in sorted(files.items())
    )
    data = f'{{\n"files": {{\n{lines}\n}},\n"inputs": {json.dumps(inputs)}\n}}\n'.encode()
    if atomic_write(path, data):
        return True
    if touch:  # files were made (if not always written) after it: it must be the newest
        os.utime(path)
    return False


def _remove_stale(output: Path, wanted: set[str], kept: set[str]) -> int:
    """Remove what the build did not write (`wanted`: paths relative to `output/`, with "/"),
    and the folders that leaves empty, but for the `kept` folders at its top (never walked).
    Strings, not a Path per file, and no listing of a folder twice: at 100,000 entries the
    output holds 30,000 files, most in a folder of their own."""
    removed = 0
    walked: list[tuple[str, str, list[str], list[str]]] = []
    root = len(str(output))
    for dirpath, dirnames, filenames in os.walk(output):
        relative = dirpath[root + 1 :].replace(os.sep, "/")  # os.walk joins onto `output`
        prefix = f"{relative}/" if relative else ""
        if not prefix:
            dirnames[:] = [d for d in dirnames if d not in kept]
        walked.append((dirpath, prefix, dirnames, filenames))
    gone: set[str] = set()  # folders removed, relative with a trailing "/"
    for dirpath, prefix, dirnames, filenames in reversed(walked):  # subfolders first
        left = len(filenames) + sum(1 for d in dirnames if f"{prefix}{d}/" not in gone)
        for name in filenames:
            if prefix + name not in wanted:
                os.unlink(os.path.join(dirpath, name))
                removed += 1
                left -= 1
        if prefix and left == 0:
            os.rmdir(dirpath)
            gone.add(prefix)
    return removed
