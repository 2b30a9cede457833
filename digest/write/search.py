"""After write: full-text search, by Pagefind (https://pagefind.app), over the written site.

Pagefind's own binary (the `pagefind_bin` package, installed with `pagefind[bin]`) runs as a
subprocess over `output/`: its command line writes the whole bundle before it exits and gives
the same bytes for the same pages, where the service its Python API drives did not (a file of
the bundle was cut short when the service exited right after answering "written"). It reads
only the day pages (`GLOB`): each entry is indexed once, on its canonical page, and the
listings that repeat it are never read. What is indexed on a page is the theme's choice
(`data-pagefind-body` on entries, see entry.html).

Pagefind has no incremental mode, and its time and memory grow with what it reads (at 10,000
entries in one bundle: 20 s and 900 MB on every build that changed a day). So the index is
in bundles, `pagefind/<name>/`: one per month, `2026-02`, but the newest month in parts of
five days (`2026-03-0a`: days 1-4, `-0b`: 5-9, `-1a`: 10-14, ... `-3a`: 30-31), and the
newest part a bundle per day (`2026-03-2a-21`), as those are what change hourly: a build
reads one day again, and a new entry rewrites the word chunks of one day's index, not of a
month's. A month too big for one bundle (`WHOLE_MONTH_BYTES`) is in parts too, to bound
Pagefind's time and memory. When the newest part moves on, the days of the one before are
indexed again as one part, once; likewise a month, when the next begins. A build indexes
again only the bundles whose day pages changed (by their keys, see `keys`): usually the
current day's. The search page
loads the newest bundle and merges the others into it (Pagefind's `mergeIndex`); only the
newest keeps Pagefind's script and WebAssembly, which the merged bundles do not use.
`pagefind/indexes.json` lists the bundles, newest first, with what each was made from; it is
written last, so a run killed part-way indexes those bundles again next time.

Each bundle is made in a folder beside it, then the files that changed move over, so a
killed run leaves bundles that load. A missing or failing binary is a warning, never a
failed build: the site works without search.
"""

from __future__ import annotations

import contextlib
import ctypes
import filecmp
import gc
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from digest.files import atomic_write

# A bundle's day pages, YYYY/MM/DD/index.html (routes.day); wax glob syntax, as Pagefind
# reads it. `days` is [0-9][0-9] for a whole month, "2[0-4]" for the part "2a" (days 20-24).
GLOB = "{year}/{month}/{days}/index.html"
FOLDER = "pagefind"  # output/pagefind/: Pagefind's bundle, where the search page loads it
# Day pages of a month indexed as one bundle up to this size; a bigger month is indexed in
# parts like the newest. Pagefind holds 9-12x what it reads (430 MB for a month of 5,000
# entries, 35 MB of day pages; 3 GB for 350 MB), the largest process of a build: this keeps
# it near 300 MB for a month, 24 MB being about 3,500 entries of the usual 2-8 KB.
WHOLE_MONTH_BYTES = 24_000_000
# A bundle of more day pages than this is indexed alone, not beside another (`update_index`).
PAIR_BYTES = 12_000_000
_NEW = ".pagefind-new"  # where Pagefind writes, before the files that changed move over
_ENTRY = "pagefind-entry.json"
INDEXES = "indexes.json"  # in pagefind/: {"months": [[bundle, made from], ...]}, newest first
# What only the bundle the search page imports needs (the newest).
_RUNTIME = ("pagefind.js", "pagefind-worker.js")
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
    return (output / FOLDER / INDEXES).is_file()


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


def update_index(
    output: Path, day_pages: Mapping[str, str], binary: Path | None = None
) -> str | None:
    """Make `output/pagefind/` index the day pages (path -> key, as the build planned them):
    Pagefind runs for each bundle whose day pages changed since it was made, or that is
    missing. A warning when it could not (what was indexed before is then left as it was)."""
    folder = output / FOLDER
    wanted = _bundles(day_pages, output)  # newest first
    known = _read_indexes(folder / INDEXES)
    newest = next(iter(wanted), None)
    todo = [
        name
        for name, bundle in wanted.items()
        if known.get(name) != bundle.made_from
        or not (folder / name / _ENTRY).is_file()
        or (name == newest and not (folder / name / "pagefind.js").is_file())
    ]
    found: Path | str | None = binary
    if todo and found is None:
        found = _binary()
    if todo:
        _release_memory()
    if isinstance(found, str):
        return f"search: {found}; the site has no search index"
    binary_path = found  # None only when there is nothing to do

    def index(name: str) -> str | None:
        assert binary_path is not None
        return _index_bundle(output, name, binary_path, runtime=name == newest)

    # Two at a time: a first build has a bundle per month, and Pagefind keeps about one and a
    # half cores busy on one, less while it starts and writes. Each makes its own folder.
    # But a big bundle alone: Pagefind holds 10 to 25 times the day pages it reads, and two
    # five-day parts of a busy digest (55 MB of day pages each at 100,000 entries) held
    # 1.06 GB together, beside the build.
    big = [name for name in todo if wanted[name].size > PAIR_BYTES]
    problems = [index(name) for name in big]
    with ThreadPoolExecutor(max_workers=2) as pool:
        problems += pool.map(index, [name for name in todo if name not in big])
    shutil.rmtree(output / _NEW, ignore_errors=True)
    problem = next((p for p in problems if p), None)
    if problem:
        return problem
    _remove_stale(folder, set(wanted), newest)
    listing = {"months": [[name, bundle.made_from] for name, bundle in wanted.items()]}
    atomic_write(folder / INDEXES, (json.dumps(listing, indent=1) + "\n").encode())
    return None


def _release_memory() -> None:
    """Hand the memory the build has let go of (the site, its entries) back to the system
    before Pagefind's processes start beside this one: Python's allocator keeps it otherwise,
    and at 100,000 entries that is a gigabyte held while Pagefind runs."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only (not musl, not macOS)
        ctypes.CDLL(None).malloc_trim(0)


@dataclass(frozen=True, slots=True)
class _Bundle:
    made_from: str  # a hash of its day pages' paths and keys
    size: int  # the bytes of its day pages


def _bundles(day_pages: Mapping[str, str], output: Path) -> dict[str, _Bundle]:
    """Each bundle (a month, or a part of the newest month or of a big one), newest first."""
    days = [path for path in day_pages if is_indexed(path)]
    newest = max((path[:7] for path in days), default=None)  # "YYYY/MM"
    page_bytes: dict[str, int] = {}
    for path in days:
        with contextlib.suppress(OSError):
            page_bytes[path] = (output / path).stat().st_size
    sizes: dict[str, int] = {}
    for path, size in page_bytes.items():
        sizes[path[:7]] = sizes.get(path[:7], 0) + size
    split = {month for month, size in sizes.items() if size > WHOLE_MONTH_BYTES} | {newest}
    newest_part = _part(max(days)) if days else None
    by_bundle: dict[str, list[str]] = {}
    bundle_bytes: dict[str, int] = {}
    for path in days:
        name = f"{path[:4]}-{path[5:7]}"
        if path[:7] in split:
            name = _part(path)
            if name == newest_part:  # the days that change: one bundle each ("-2a-21")
                name += f"-{path[8:10]}"
        by_bundle.setdefault(name, []).append(f"{path} {day_pages[path]}")
        bundle_bytes[name] = bundle_bytes.get(name, 0) + page_bytes.get(path, 0)
    return {
        name: _Bundle(
            hashlib.sha256("\n".join(sorted(by_bundle[name])).encode()).hexdigest()[:32],
            bundle_bytes[name],
        )
        for name in sorted(by_bundle, reverse=True)
    }


# A bundle's name says which day pages it holds; `_bundles` names them (with `_part`), and
# `_glob` reads a name back into the files Pagefind is to read.
def _part(path: str) -> str:
    """The five-day part a day page is in: "2026-03-2a" for 2026/03/2[0-4]/index.html."""
    return f"{path[:4]}-{path[5:7]}-{path[8]}{'a' if path[9] < '5' else 'b'}"


def _glob(name: str) -> str:
    """The day pages of a bundle: "2026-03" a month, "2026-03-2a" its days 20-24, and
    "2026-03-2a-21" the 21st."""
    part = name[8:]
    if len(part) > 2:
        days = part[3:]
    elif part:
        days = f"{part[0]}[{'0-4' if part[1] == 'a' else '5-9'}]"
    else:
        days = "[0-9][0-9]"
    return GLOB.format(year=name[:4], month=name[5:7], days=days)


def _read_indexes(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_bytes())
        return {str(name): str(made_from) for name, made_from in data["months"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # none yet, or damaged: every bundle is indexed again


def _index_bundle(output: Path, name: str, binary: Path, *, runtime: bool) -> str | None:
    new = output / _NEW / name
    shutil.rmtree(new, ignore_errors=True)  # from a run killed part-way
    command = [
        str(binary), "--site", str(output), "--glob", _glob(name), "--output-path", str(new),
        "--keep-index-url", "--quiet",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace")
    except OSError as e:
        return f"search: cannot run Pagefind ({binary}): {e.strerror}; the index was not updated"
    if done.returncode != 0 or not (new / _ENTRY).is_file():
        shutil.rmtree(new, ignore_errors=True)
        lines = (done.stderr or done.stdout).strip().splitlines()
        why = lines[-1] if lines else f"exit code {done.returncode}"
        return f"search: Pagefind failed ({why}); the search index was not updated"
    unused = [*_UNUSED] if runtime else [*_UNUSED, *_RUNTIME, *(p.name for p in new.glob("wasm.*"))]
    for file in unused:
        (new / file).unlink(missing_ok=True)
    _merge(new, output / FOLDER / name)
    return None


def _remove_stale(folder: Path, bundles: set[str], newest: str | None) -> None:
    """Bundles no longer wanted (without day pages now, or the parts of a month now indexed
    whole, the days of a part now one bundle), anything else in pagefind/ (an index of the
    whole site, as digest made before), and the runtime of bundles no longer the newest."""
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.name in bundles:
            if path.name != newest:
                for name in (*_RUNTIME, *(p.name for p in path.glob("wasm.*.pagefind"))):
                    (path / name).unlink(missing_ok=True)
        elif path.name != INDEXES:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


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
