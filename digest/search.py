"""After write: full-text search, by Pagefind (https://pagefind.app), over the written site.

Pagefind's own binary (the `pagefind_bin` package, installed with `pagefind[bin]`) runs as a
subprocess over `output/`: its command line writes the whole bundle before it exits and gives
the same bytes for the same pages, where the service its Python API drives did not (a file of
the bundle was cut short when the service exited right after answering "written"). It reads
only the day pages (`GLOB`): each entry is indexed once, on its canonical page, and the
listings that repeat it are never read. What is indexed on a page is the theme's choice
(`data-pagefind-body` on entries, see entry.html).

The bundle is made in a folder beside it, then the files that changed move over, so a run
killed part-way leaves an index that works. Pagefind has no incremental mode: the pipeline
runs this only when the build made a day page or removed a file, or when the index is
missing. A missing or failing binary is a warning, never a failed build: the site works
without search.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
from pathlib import Path

# The day pages, YYYY/MM/DD/index.html (routes.day); wax glob syntax, as Pagefind reads it.
GLOB = "[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/index.html"
FOLDER = "pagefind"  # output/pagefind/: Pagefind's bundle, where the search page loads it
_NEW = ".pagefind-new"  # where Pagefind writes, before the files that changed move over
_ENTRY = "pagefind-entry.json"
# What `write_site` must leave in output/ although it did not write it.
KEEP = (FOLDER, _NEW)
_DAY_PAGE = re.compile(r"[0-9]{4}/[0-9]{2}/[0-9]{2}/index\.html")
# Pagefind's ready-made interfaces: the search page has its own (static/search.js, under
# the site's CSP), so these 420 KB would only be published, never loaded.
_UNUSED = (
    "pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
    "pagefind-modular-ui.js", "pagefind-modular-ui.css", "pagefind-highlight.js",
)  # fmt: skip
_INSTALL = "install it with: pip install 'pagefind[bin]'"


def has_index(output: Path) -> bool:
    return (output / FOLDER / _ENTRY).is_file()


def is_indexed(path: str) -> bool:
    """Whether Pagefind reads this output file (a day page, `GLOB`)."""
    return _DAY_PAGE.fullmatch(path) is not None


def _binary() -> Path | str:
    """Pagefind's binary, or why there is none."""
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]
    except ImportError:
        return f"the Pagefind binary (package pagefind_bin) is not installed; {_INSTALL}"
    try:
        return Path(get_executable())
    except (FileNotFoundError, OSError) as e:
        return f"the Pagefind binary is missing ({e}); {_INSTALL}"


def index_site(output: Path, binary: Path | None = None) -> str | None:
    """Build `output/pagefind/` from the day pages in `output/`; a warning when it could not
    (the previous index, if any, is then left as it was)."""
    found = _binary() if binary is None else binary
    if isinstance(found, str):
        return f"search: {found}; the site has no search index"
    new = output / _NEW
    shutil.rmtree(new, ignore_errors=True)  # from a run killed part-way
    if next(output.glob(GLOB), None) is None:  # no entries yet: nothing to index
        shutil.rmtree(output / FOLDER, ignore_errors=True)
        return None
    command = [
        str(found), "--site", str(output), "--glob", GLOB, "--output-path", str(new),
        "--keep-index-url", "--quiet",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace")
    except OSError as e:
        return f"search: cannot run Pagefind ({found}): {e.strerror}; the site has no new index"
    if done.returncode != 0 or not (new / "pagefind.js").is_file():
        shutil.rmtree(new, ignore_errors=True)
        lines = (done.stderr or done.stdout).strip().splitlines()
        why = lines[-1] if lines else f"exit code {done.returncode}"
        return f"search: Pagefind failed ({why}); the search index was not updated"
    for name in _UNUSED:
        (new / name).unlink(missing_ok=True)
    _merge(new, output / FOLDER)
    return None


def _merge(new: Path, current: Path) -> None:
    """Make `current` hold the bundle in `new`, rewriting only the files whose bytes changed
    (most of Pagefind's files are named by a hash of their content, so a new entry changes a
    few). The file that names the others, pagefind-entry.json, goes in last and stale files
    go after it: a run killed part-way leaves an index that loads, old or new."""
    files = sorted(p.relative_to(new) for p in new.rglob("*") if p.is_file())
    files.sort(key=lambda p: p == Path(_ENTRY))
    for name in files:
        target = current / name
        if target.is_file() and filecmp.cmp(new / name, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new / name, target)
    wanted = set(files)
    for path in sorted(current.rglob("*"), reverse=True):  # a folder's files before it
        if path.is_dir():
            if not any(path.iterdir()):
                path.rmdir()
        elif path.relative_to(current) not in wanted:
            path.unlink()
    shutil.rmtree(new, ignore_errors=True)
