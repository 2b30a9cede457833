"""Stage 8, write: rendered files -> `output/`.

Touches the disk only. Every file is written atomically (`files.atomic_write`), so a run killed
at any moment leaves whole files; a file whose bytes did not change is not touched, and files
the build no longer produces are removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NewType

from digest.errors import OutputError
from digest.files import atomic_write
from digest.models import OutputFile

log = logging.getLogger(__name__)

# What the site was built from (a fingerprint of every input) and what it holds, so that a
# build with unchanged inputs can stop before rendering anything.
STAMP = ".digest-build.json"

# Never delete or overwrite a folder that holds any of these: it is a project, not an output.
PROJECT_MARKERS = ("content", "config.toml", "themes", "pyproject.toml", ".git")


# An output folder that `check_output_dir` accepted: `write_site` takes only this, so the
# check runs once per build (before fetching) and mypy sees that it did.
OutputDir = NewType("OutputDir", Path)


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: int
    unchanged: int
    removed: int


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


def is_current(output: Path, inputs: str) -> int | None:
    """When `output/` was built from exactly these inputs and still holds every file it wrote,
    the number of pages it holds; else None."""
    try:
        stamp = json.loads((output / STAMP).read_bytes())
        if stamp["inputs"] != inputs:
            return None
        for name, size in stamp["files"].items():
            if (output / name).stat().st_size != size:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return sum(1 for name in stamp["files"] if name.endswith(".html"))


def write_site(files: tuple[OutputFile, ...], output: OutputDir, inputs: str = "") -> WriteReport:
    """Make `output/` hold exactly `files` (and the stamp that says what they were built from)."""
    stamp = {"inputs": inputs, "files": {f.path: len(f.data) for f in files}}
    stamp_file = OutputFile(STAMP, (json.dumps(stamp, sort_keys=True, indent=0) + "\n").encode())
    files = (*files, stamp_file)
    wanted: set[Path] = set()
    written = unchanged = 0
    try:
        for file in files:
            path = output.joinpath(*file.path.split("/"))
            if path in wanted:
                raise OutputError(f"{path}: two pages want the same file (a bug in digest)")
            wanted.add(path)
            if atomic_write(path, file.data):
                written += 1
            else:
                unchanged += 1
        removed = _remove_stale(output, wanted)
    except OSError as e:
        raise OutputError(f"{e.filename or output}: cannot write the site: {e.strerror}") from e
    return WriteReport(written, unchanged, removed)


def _remove_stale(output: Path, wanted: set[Path]) -> int:
    removed = 0
    for dirpath, _dirnames, filenames in os.walk(output, topdown=False):
        folder = Path(dirpath)
        for name in filenames:
            path = folder / name
            if path not in wanted:
                path.unlink()
                removed += 1
        if folder != output and not any(folder.iterdir()):
            folder.rmdir()
    return removed
