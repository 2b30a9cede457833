"""SIGKILL at named points of a run (tests/kill_child.py) leaves every file whole: each cache
file loads, nothing is half-written, and the next run ends where an uninterrupted one does.

The points are reached through `files.atomic_write`, which both the content cache and the
output go through; kill_child.py's `point:n` kills the process the n-th time it gets there,
so each case is the same on every run, whatever the machine's load.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults import feed_body
from helpers import FeedServer, run_digest, tree, write_config

from digest.feeds.store import load_cache

pytestmark = pytest.mark.slow

FEEDS = 4
EPOCH = 1774267200  # 2026-03-23 12:00 UTC
POINTS = ("write.temp", "write.renamed")


def run(project: Path, *args: str, kill_at: str | None = None) -> None:
    """`digest <args>` in a child process; with `kill_at`, it must die by SIGKILL there."""
    run_digest(project / "config.toml", *args, epoch=EPOCH, kill_at=kill_at)


def files(project: Path) -> dict[str, bytes]:
    """What a run leaves: the content cache and the site, temp files left out."""
    found = {f"content/{k}": v for k, v in tree(project / "content").items()}
    found.update({f"output/{k}": v for k, v in tree(project / "output").items()})
    return found


def whole(project: Path) -> dict[str, bytes]:
    """`files`, after checking that every cache file loads with the real loader."""
    for path in sorted((project / "content" / "feeds").glob("*.json")):
        load_cache(path, path.stem)
    return {k: v for k, v in files(project).items() if not k.endswith(".tmp")}


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        for n in range(FEEDS):
            s.serve(f"/f{n}", feed_body(f"f{n}", 3), Content_Type="application/rss+xml")
        yield s


def project(folder: Path, server: FeedServer) -> Path:
    write_config(folder, [{"url": server.url(f"/f{n}"), "name": f"f{n}"} for n in range(FEEDS)])
    return folder


@pytest.fixture(scope="module")
def reference(server: FeedServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """An uninterrupted build: what every interrupted one must end as."""
    root = project(tmp_path_factory.mktemp("reference"), server)
    run(root, "build")
    return files(root)


def visits(reference: dict[str, bytes]) -> list[int]:
    """Which visits to kill at: the last cache write, the first page and the last file (the
    build stamp); caches are written during the fetch, the site after it."""
    caches = sum(k.startswith("content/feeds/") for k in reference)
    # Pagefind writes its index itself, after the stamp (digest/write/search.py): no visit.
    written = [k for k in reference if not k.startswith("output/pagefind/")]
    return [caches, caches + 1, len(written)]


@pytest.mark.parametrize("point", POINTS)
def test_a_build_killed_at_each_point_is_whole_and_the_next_run_completes(
    point: str, server: FeedServer, reference: dict[str, bytes], tmp_path: Path
) -> None:
    # Each feed: its state file, one month file (all its posts are of March 2026) and its index.
    assert len([k for k in reference if k.startswith("content/feeds/")]) == 3 * FEEDS
    for n in visits(reference):
        root = project(tmp_path / f"{point}-{n}", server)
        run(root, "build", kill_at=f"{point}:{n}")
        left = whole(root)
        for name, data in left.items():  # every file there is a finished one
            assert data == reference[name], f"{point}:{n} left {name} half-written"
        assert len(left) == (n - 1 if point == "write.temp" else n), f"{point}:{n}"
        run(root, "build")
        assert files(root) == reference, f"the run after a kill at {point}:{n} differs"


@pytest.mark.parametrize("point", POINTS)
def test_a_fetch_killed_while_replacing_caches_keeps_each_old_or_new(
    point: str, server: FeedServer, tmp_path: Path
) -> None:
    old = project(tmp_path / "old", server)
    run(old, "fetch")
    before = whole(old)
    # The feeds gain a post; a forced fetch rewrites every cache file.
    for n in range(FEEDS):
        server.serve(f"/f{n}", feed_body(f"f{n}", 4), Content_Type="application/rss+xml")
    try:
        new = tmp_path / "new"
        shutil.copytree(old, new)
        run(new, "fetch", "--force")
        after = whole(new)
        assert all(before[k] != after[k] for k in after if k.startswith("content/feeds/"))
        for n in (1, FEEDS):  # the first and the last cache file replaced
            root = tmp_path / f"{point}-{n}"
            shutil.copytree(old, root)
            run(root, "fetch", "--force", kill_at=f"{point}:{n}")
            left = whole(root)
            assert set(left) == set(before), f"{point}:{n}: a cache file was lost"
            replaced = [k for k in left if left[k] == after[k] != before[k]]
            assert all(left[k] in (before[k], after[k]) for k in left), f"{point}:{n}"
            assert len(replaced) == (n - 1 if point == "write.temp" else n), f"{point}:{n}"
            run(root, "fetch", "--force")
            assert whole(root) == after, f"the fetch after a kill at {point}:{n} differs"
            assert not list((root / "content" / "feeds").glob(".*.tmp"))
    finally:
        for n in range(FEEDS):
            server.serve(f"/f{n}", feed_body(f"f{n}", 3), Content_Type="application/rss+xml")
