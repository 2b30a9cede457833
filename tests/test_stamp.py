"""The build stamp (`write.stamp`), on its own: what it records, how a damaged one reads, which
files it finds outdated, and what the fingerprint of the inputs does and does not see.

Files are written here directly and their times set explicitly (`os.utime`), so "changed
since the stamp" never depends on the clock's resolution.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import write_config

from digest.config import load_config
from digest.feeds.store import cache_path, save_cache
from digest.models import FeedCache, FeedInfo
from digest.write.sizes import folder_bytes
from digest.write.stamp import (
    STAMP,
    Stamp,
    fingerprint,
    is_current,
    outdated,
    read_stamp,
    site_digest,
    stamped_bytes,
    write_stamp,
)

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
SECOND = 1_000_000_000  # ns


def built(output: Path, files: dict[str, bytes], inputs: str = "in-1") -> Stamp:
    """`output/` as a build leaves it: `files` (path -> bytes, each keyed "k:<path>"), then the
    stamp, a second newer than any of them."""
    for name, data in files.items():
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        (output / name).write_bytes(data)
        os.utime(output / name, ns=(10 * SECOND, 10 * SECOND))
    keys = {name: (f"k:{name}", len(data)) for name, data in files.items()}
    assert write_stamp(output, inputs, keys, touch=False)
    os.utime(output / STAMP, ns=(11 * SECOND, 11 * SECOND))
    return read_stamp(output)


SITE = {"index.html": b"<p>home</p>", "tags/a/index.html": b"<p>tag a</p>", "atom.xml": b"<f/>"}


def planned(changed: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The site's files (path, key) as a build plans them, the keys in `changed` changed."""
    return list(({name: f"k:{name}" for name in SITE} | (changed or {})).items())


# --- the stamp, written and read -------------------------------------------------------------


def test_a_stamp_reads_back_as_written(tmp_path: Path) -> None:
    files = {"index.html": ("k1", 120), "tags/a b/index.html": ("k2", 0), "é.xml": ("k3", 7)}
    assert write_stamp(tmp_path, "inputs", files, touch=False)

    stamp = read_stamp(tmp_path)

    assert stamp == Stamp("inputs", files, (tmp_path / STAMP).stat().st_mtime_ns)
    # The same stamp again is the same bytes, not written.
    assert not write_stamp(tmp_path, "inputs", dict(reversed(files.items())), touch=False)


def test_a_stamp_kept_as_it_was_is_touched_when_files_were_made_after_it(tmp_path: Path) -> None:
    """It must stay the newest file of the output, or what was just written reads as changed
    by hand next time."""
    write_stamp(tmp_path, "inputs", {"a.html": ("k", 1)}, touch=False)
    os.utime(tmp_path / STAMP, ns=(SECOND, SECOND))
    assert not write_stamp(tmp_path, "inputs", {"a.html": ("k", 1)}, touch=False)
    assert read_stamp(tmp_path).mtime_ns == SECOND
    assert not write_stamp(tmp_path, "inputs", {"a.html": ("k", 1)}, touch=True)
    assert read_stamp(tmp_path).mtime_ns > SECOND


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{not json",
        "[]",
        '{"inputs": "x"}',
        '{"files": {}}',
        '{"files": [], "inputs": "x"}',
        '{"files": {"a.html": "k"}, "inputs": "x"}',
        '{"files": {"a.html": ["k", "many"]}, "inputs": "x"}',
        '{"files": {"a.html": ["k", 1, 2]}, "inputs": "x"}',
    ],
)
def test_a_damaged_stamp_reads_as_empty(tmp_path: Path, text: str) -> None:
    """An old or damaged stamp (a run killed in the middle of it cannot leave one: it is
    written atomically) is no stamp: the build makes every file, as in an empty folder."""
    (tmp_path / STAMP).write_text(text)
    assert read_stamp(tmp_path) == Stamp()
    assert is_current(tmp_path, "x") is None


def test_no_stamp_reads_as_empty(tmp_path: Path) -> None:
    assert read_stamp(tmp_path) == Stamp()
    assert read_stamp(tmp_path / "missing") == Stamp()
    assert outdated(tmp_path, planned(), Stamp()) == set(SITE)


# --- what is current, and what is outdated ---------------------------------------------------


def test_an_output_built_from_the_same_inputs_is_current(tmp_path: Path) -> None:
    stamp = built(tmp_path, SITE)
    assert is_current(tmp_path, "in-1") == stamp
    assert outdated(tmp_path, planned(), stamp) == set()
    assert is_current(tmp_path, "in-2") is None, "other inputs"


def test_outdated_finds_a_changed_key_and_a_new_file(tmp_path: Path) -> None:
    stamp = built(tmp_path, SITE)
    plan = [*planned({"tags/a/index.html": "k:new"}), ("new.html", "k:new.html")]
    assert outdated(tmp_path, plan, stamp) == {"tags/a/index.html", "new.html"}
    # A file no longer planned is nobody's to make (write_site removes it).
    assert outdated(tmp_path, plan[1:], stamp) == {"tags/a/index.html", "new.html"}


def test_a_file_edited_on_disk_is_outdated_even_at_the_same_size(tmp_path: Path) -> None:
    """The stamp records sizes, not bytes: a file edited since, with its size kept, is told
    apart by its time, newer than the stamp's."""
    stamp = built(tmp_path, SITE)
    page = tmp_path / "tags" / "a" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"tag a", b"TAG A"))
    os.utime(page, ns=(12 * SECOND, 12 * SECOND))

    assert outdated(tmp_path, planned(), stamp) == {"tags/a/index.html"}
    assert is_current(tmp_path, "in-1") is None

    os.utime(page, ns=(11 * SECOND, 11 * SECOND))  # as old as the stamp: as the build left it
    assert outdated(tmp_path, planned(), stamp) == set()


def test_a_file_of_another_size_is_outdated_whatever_its_time(tmp_path: Path) -> None:
    stamp = built(tmp_path, SITE)
    (tmp_path / "atom.xml").write_bytes(b"<feed/>")
    os.utime(tmp_path / "atom.xml", ns=(SECOND, SECOND))
    assert outdated(tmp_path, planned(), stamp) == {"atom.xml"}


def test_a_missing_file_is_outdated(tmp_path: Path) -> None:
    stamp = built(tmp_path, SITE)
    (tmp_path / "index.html").unlink()
    assert outdated(tmp_path, planned(), stamp) == {"index.html"}
    assert is_current(tmp_path, "in-1") is None


# --- what the stamp tells of the site ----------------------------------------------------------


def test_the_stamped_bytes_are_the_output_s(tmp_path: Path) -> None:
    stamp = built(tmp_path, SITE)
    assert stamped_bytes(tmp_path, stamp) == folder_bytes(tmp_path)


def test_the_site_digest_is_the_files_not_the_inputs(tmp_path: Path) -> None:
    """GitHub Actions publishes a site whose digest it has not deployed: a change of inputs
    that changed no file (a feed's schedule) is no new site."""
    one = built(tmp_path / "one", SITE, inputs="in-1")
    two = built(tmp_path / "two", SITE, inputs="in-2")
    assert site_digest(one) == site_digest(two)
    edited = Stamp(one.inputs, one.files | {"index.html": ("k:other", 11)}, one.mtime_ns)
    assert site_digest(edited) != site_digest(one)
    assert site_digest(Stamp(files=dict(reversed(one.files.items())))) == site_digest(one)


# --- the fingerprint of the inputs -------------------------------------------------------------

THEME = (("theme0:templates/base.html", b"\x01" * 32), ("theme1:static/style.css", b"\x02" * 32))


def project(root: Path, *extra: str) -> Path:
    """A project of one feed with a cache and a post; `extra` lines end its config."""
    path = write_config(root, [{"url": "https://alpha.example/feed.xml", "name": "Alpha"}])
    if extra:
        path.write_text(path.read_text() + "\n".join(extra) + "\n")
    config = load_config(path)
    info = FeedInfo(url="https://alpha.example/feed.xml", title="Alpha")
    save_cache(cache_path(config, "alpha"), FeedCache("alpha", info))
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "posts" / "hello.md").write_text("---\ntitle: Hi\n---\nHi.\n")
    return path


def fingerprint_of(
    path: Path, theme: tuple[tuple[str, bytes], ...] = THEME, base_url: str = "", **at: int
) -> str:
    config = load_config(path)
    if base_url:  # --base-url: not in config.toml
        config = replace(config, site=replace(config.site, base_url=base_url))
    posts = sorted((config.content_dir / "posts").glob("*.md"))
    return fingerprint(config, posts, theme, NOW + timedelta(**at))


def test_the_fingerprint_is_the_project_s_not_its_folder_s(tmp_path: Path) -> None:
    path = project(tmp_path / "one")
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    assert fingerprint_of(path) == fingerprint_of(tmp_path / "two" / "config.toml")


def test_the_fingerprint_sees_every_input(tmp_path: Path) -> None:
    path = project(tmp_path / "p")
    seen = {fingerprint_of(path)}
    cache = cache_path(load_config(path), "alpha")
    changes = [
        lambda: cache.write_bytes(cache.read_bytes() + b" "),
        lambda: (tmp_path / "p" / "content" / "posts" / "hello.md").write_text("Hi again.\n"),
        lambda: path.write_text(path.read_text().replace("Test Digest", "Renamed")),
    ]
    for change in changes:
        change()
        seen.add(fingerprint_of(path))
    seen.add(fingerprint_of(path, THEME[:1]))  # a theme file gone
    seen.add(fingerprint_of(path, (THEME[0], (THEME[1][0], b"\x03" * 32))))  # one edited
    seen.add(fingerprint_of(path, base_url="https://user.github.io/repo/"))
    assert len(seen) == 7


def test_a_later_day_is_a_change_only_when_entries_age_out(tmp_path: Path) -> None:
    """max_age_days drops entries as days pass, with nothing else changed: the day (in the
    site's timezone) is then an input. Without it, a build the next day makes nothing."""
    plain = project(tmp_path / "plain")
    assert fingerprint_of(plain) == fingerprint_of(plain, days=1)
    aging = project(tmp_path / "aging", "", "[filters]", "max_age_days = 30")
    assert fingerprint_of(aging) != fingerprint_of(aging, days=1)
    assert fingerprint_of(aging) == fingerprint_of(aging, hours=3), "the same day in Berlin"
