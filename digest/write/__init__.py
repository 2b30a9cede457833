"""Stage 8, write: rendered files -> `output/`.

Touches the disk only. Every file is written atomically (`files.atomic_write`), so a run killed
at any moment leaves whole files; a file whose bytes did not change is not touched, and files
the build no longer produces are removed. `write_site` writes what it is given, and the stamp
last (`write.stamp`), which records what each file shows. A build calls `write_changed`: it
has render make only the files the stamp says changed (their key, or on disk), and writes them.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NewType

from digest.errors import OutputError
from digest.files import atomic_write
from digest.models import Budget, OutputFile, Site
from digest.render.theme import Theme
from digest.render.workers import worker_count
from digest.write import search
from digest.write.stamp import STAMP, Stamp, outdated, read_stamp, write_stamp

if TYPE_CHECKING:
    from digest.render.pages import Planned

log = logging.getLogger(__name__)

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


def write_changed(
    site: Site, theme: Theme, plan: tuple[Planned, ...], output: OutputDir, inputs: str
) -> tuple[WriteReport, dict[str, str]]:
    """Make `output/` hold the site and a stamp of it (`inputs`, every file's key), rendering
    and writing only the files of the `plan` (`render.pages.plan_site`) whose key changed,
    or that changed on disk since the stamp, each written as soon as it is made. Returns the
    report and every file's key (path -> key), by which the search index finds the day pages
    that changed."""
    # Imported here: Jinja, Babel and the templates' helpers are for a build that has pages
    # to make, not for one that finds nothing changed.
    from digest.render.pages import render_site

    built = read_stamp(output)
    todo = outdated(output, ((p.path, p.key) for p in plan), built)
    files = render_site(site, theme, tuple(p for p in plan if p.path in todo), worker_count())
    keep = search.KEEP if site.config.search.enabled else ()
    planned = [(p.path, p.key) for p in plan]
    report = write_site(files, output, planned, inputs, built, keep, site.budget)
    return report, dict(planned)


def write_site(
    files: Iterable[OutputFile],
    output: OutputDir,
    planned: Sequence[tuple[str, str]] | None = None,
    inputs: str = "",
    built: Stamp | None = None,
    keep: tuple[str, ...] = (),
    budget: Budget | None = None,
) -> WriteReport:
    """Make `output/` hold exactly the `planned` files (path, key) and a stamp of them.

    `files` are the planned files that had to be made, written as they come (so the site is
    never whole in memory); the others are in `output/` already, as `built` lists them. By
    default `files` are the whole site, each keyed by its bytes. The folders named in `keep`
    (at the top of `output/`) are made after this and left as they are (the search index).
    The stamp also records `budget`, for the report of a build that finds nothing changed.
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
        # Last: no file it vouches for may be newer than the stamp.
        if write_stamp(output, inputs, stamp, touch=bool(sizes or removed), budget=budget):
            written += 1
        else:
            unchanged += 1
    except OSError as e:
        raise OutputError(f"{e.filename or output}: cannot write the site: {e.strerror}") from e
    return WriteReport(written, unchanged, removed, changed or removed > 0)


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
