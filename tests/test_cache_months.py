"""The content cache by month (issue 14): each feed's entries in `content/feeds/<YYYY-MM>/`,
its state in `content/feeds/<slug>.json`; one new entry rewrites one month and the state;
schema-1 caches migrate on the next run, losing nothing even when the run is killed; the
build warns before a file or `content/` grows past what GitHub takes.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cachefiles import cache_json
from helpers import committed_example, run_digest, tree, write_config

from digest.cli import main
from digest.config import load_config
from digest.feeds.store import cache_files, cache_path, load_cache, load_state, save_cache
from digest.models import Config, Entry, FeedCache, FeedConfig, FeedInfo, HttpState, Retention
from digest.write.sizes import content_sizes, content_warnings

V1 = Path(__file__).parent / "data" / "cache-v1"  # the example cache as schema 1 wrote it
EPOCH = 1774267200  # 2026-03-23 12:00 UTC
START = datetime(2025, 3, 24, tzinfo=UTC)  # a year of posting up to EPOCH


def busy_entry(n: int, slug: str = "busy") -> Entry:
    """The n-th post of a feed posting 40 times a day (every 36 minutes) from START."""
    when = START + timedelta(minutes=36 * n)
    return Entry(
        id=f"https://busy.example/{n}",
        source=slug,
        title=f"Busy post {n}",
        link=f"https://busy.example/{n}",
        author="B. Usy",
        published=when,
        updated=None,
        first_seen=when + timedelta(minutes=5),
        tags=("busy", f"t{n % 7}"),
        content_html=f"<p>Post {n}: " + "words " * 40 + "</p>",
    )


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file below `folder`: (inode, mtime_ns, bytes), to tell rewritten from untouched."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            info = path.stat()
            found[path.relative_to(folder).as_posix()] = (
                info.st_ino,
                info.st_mtime_ns,
                path.read_bytes(),
            )
    return found


def feed_config(tmp_path: Path, *feeds: FeedConfig, retention: Retention | None = None) -> Config:
    path = write_config(tmp_path, [])
    return replace(load_config(path), feeds=feeds, retention=retention or Retention())


# --- the layout ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("with_previous", [True, False], ids=["previous", "bytes-compared"])
def test_a_year_of_busy_posting_is_split_by_month_and_one_entry_rewrites_one_month(
    tmp_path: Path, with_previous: bool
) -> None:
    config = feed_config(
        tmp_path, FeedConfig(url="https://busy.example/feed", name="Busy", slug="busy")
    )
    path = cache_path(config, "busy")
    count = 365 * 40
    http = HttpState(status="ok", etag='"1"', last_ok=START + timedelta(days=365))
    cache = FeedCache(
        slug="busy",
        feed=FeedInfo(url="https://busy.example/feed", title="Busy"),
        http=http,
        entries=tuple(reversed([busy_entry(n) for n in range(count)])),
    )
    saved = save_cache(path, cache)
    feeds = config.content_dir / "feeds"
    files = snapshot(feeds)
    total = sum(len(data) for _, _, data in files.values())
    # The state file, March 2025 .. March 2026, and each month's entry index
    assert len(files) == 1 + 13 + 13
    assert "busy.json" in files and "2026-03/busy.json" in files and "2025-03/busy.json" in files
    biggest = max(len(data) for _, _, data in files.values())
    assert biggest < total / 10, f"{biggest} of {total} bytes in one file"
    state = json.loads(files["busy.json"][2])
    assert state["schema"] == 2 and "entries" not in state and state["http"]["etag"] == '"1"'

    loaded = load_cache(path, "busy")
    assert loaded == saved
    assert [e.id for e in loaded.entries] == [
        f"https://busy.example/{n}" for n in reversed(range(count))
    ]

    # One more post, as a fetch brings it: new entry, new validators.
    newer = replace(
        loaded,
        entries=(busy_entry(count), *loaded.entries),
        http=replace(http, etag='"2"', last_ok=START + timedelta(days=365, hours=1)),
    )
    again = save_cache(path, newer, previous=loaded if with_previous else None)
    after = snapshot(feeds)
    assert set(after) == set(files)
    rewritten = {name for name in files if after[name] != files[name]}
    assert rewritten == {"busy.json", "2026-03/busy.json", "index/2026-03/busy.json"}
    assert load_cache(path, "busy") == again
    assert len(again.entries) == count + 1 and again.entries[0].title == f"Busy post {count}"


def test_a_state_change_read_without_the_entries_rewrites_the_state_file_only(
    tmp_path: Path,
) -> None:
    """A 304 or a failure changes a feed's HTTP state, not its posts: the cache read without
    its entries is saved as such (one small file), its months untouched, its posts kept."""
    config = feed_config(
        tmp_path, FeedConfig(url="https://busy.example/f", name="Busy", slug="busy")
    )
    path = cache_path(config, "busy")
    whole = FeedCache(
        "busy", FeedInfo(title="Busy"), entries=tuple(busy_entry(n) for n in range(90))
    )
    whole_back = save_cache(path, whole)  # as it reads back (times in whole seconds)
    months = {k: v for k, v in snapshot(path.parent).items() if "/" in k}
    state = load_state(path, "busy")
    assert state.summary is not None and state.entries == ()

    failed = replace(state, http=replace(state.http, failures=1, last_error="timed out"))
    saved = save_cache(path, failed, previous=state)

    assert saved.summary == state.summary and saved.http.last_error == "timed out"
    assert {k: v for k, v in snapshot(path.parent).items() if "/" in k} == months
    reloaded = load_cache(path, "busy")
    assert reloaded.entries == whole_back.entries
    assert reloaded.http.failures == 1


def test_a_month_emptied_by_retention_is_deleted(tmp_path: Path) -> None:
    config = feed_config(
        tmp_path, FeedConfig(url="https://busy.example/feed", name="Busy", slug="busy")
    )
    path = cache_path(config, "busy")
    entries = tuple(reversed([busy_entry(n * 40) for n in range(90)]))  # one a day, 3 months+
    saved = save_cache(path, FeedCache(slug="busy", entries=entries))
    months = sorted(p.parent.name for p in cache_files(config, "busy")[1:])
    assert months == ["2025-03", "2025-04", "2025-05", "2025-06"]
    kept = replace(
        saved, entries=tuple(e for e in saved.entries if e.date >= datetime(2025, 5, 1, tzinfo=UTC))
    )
    save_cache(path, kept, previous=saved)
    feeds = config.content_dir / "feeds"
    assert sorted(tree(feeds)) == [
        "2025-05/busy.json", "2025-06/busy.json", "busy.json",
        "index/2025-05/busy.json", "index/2025-06/busy.json",
    ]  # fmt: skip
    assert not (feeds / "2025-03").exists(), "an empty month folder is removed too"
    assert not (feeds / "index" / "2025-03").exists(), "and its index's"
    assert load_cache(path, "busy").entries == kept.entries


def test_a_broken_month_file_stops_the_build_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, [{"url": "https://x.example/feed", "name": "X"}])
    feeds = tmp_path / "content" / "feeds"
    save_cache(feeds / "x.json", FeedCache(slug="x", entries=(busy_entry(1, "x"),)))
    month = feeds / "2025-03" / "x.json"
    month.write_text('{"schema": 2, "entries": [{"id": 1}]}')
    assert main(["build", "--offline", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert str(month) in err and "not a valid cache file" in err
    assert month.read_text() == '{"schema": 2, "entries": [{"id": 1}]}', "never overwritten"


# --- migration from schema 1 --------------------------------------------------------------


def example_project(folder: Path, feeds: Path | None = None) -> Path:
    """This repository's example digest as committed, without its editions, with the cache
    files from `feeds` (None: its own)."""
    config = committed_example(folder, "config.toml", "content/posts", "content/feeds")
    if feeds is not None:
        shutil.rmtree(folder / "content" / "feeds")
        shutil.copytree(feeds, folder / "content" / "feeds")
    return config


def build_offline(config: Path) -> dict[str, bytes]:
    assert main(["build", "--offline", "-q", "--config", str(config)]) == 0
    site = tree(config.parent / "output")
    del site[".digest-build.json"]  # its input hash names the cache files, which moved
    return site


def test_the_example_schema_1_cache_migrates_losing_nothing_and_builds_the_same_site(
    tmp_path: Path, epoch: int
) -> None:
    old = example_project(tmp_path / "v1", V1)
    committed = example_project(tmp_path / "v2")
    v1 = {p.stem: json.loads(p.read_bytes()) for p in V1.glob("*.json")}
    assert {data["schema"] for data in v1.values()} == {1}

    site = build_offline(old)
    for slug, data in v1.items():
        state = json.loads((old.parent / "content" / "feeds" / f"{slug}.json").read_bytes())
        assert state["schema"] == 2 and state["sample"] is True, "the sample flag is kept"
        migrated = cache_json(old.parent, slug)
        assert migrated["entries"] == data["entries"], f"{slug}: every entry, as it was"
        for part in ("feed", "http"):  # as they were, with the fields added since as defaults
            assert data[part].items() <= migrated[part].items(), f"{slug}: {part}"
    # (content/feeds/: the build also closed the example's editions into content/editions/)
    assert tree(old.parent / "content" / "feeds") == tree(committed.parent / "content" / "feeds")
    assert build_offline(old) == site, "a second build, from the migrated cache"
    assert build_offline(committed) == site


def v1_cache(slug: str, months: int) -> bytes:
    """A schema-1 cache file with a few posts in each of `months` months."""
    entries = [
        {
            "author": None,
            "comments": None,
            "content_html": f"<p>{slug} {m}.{n}</p>",
            "first_seen": f"2026-{3 - m:02d}-2{n}T10:00:00Z",
            "id": f"{slug}-{m}-{n}",
            "language": None,
            "link": f"https://{slug}.example/{m}/{n}",
            "published": f"2026-{3 - m:02d}-2{n}T09:00:00Z",
            "tags": ["t"],
            "title": f"{slug} post {m}.{n}",
            "updated": None,
        }
        for m in range(months)
        for n in reversed(range(3))
    ]
    # Not due for years: `digest fetch` loads (and so migrates) without any network traffic.
    http = {"status": "ok", "etag": '"e"', "next_due": "2099-01-01T00:00:00Z"}
    data = {
        "schema": 1,
        "sample": False,
        "feed": {"url": f"https://{slug}.example/feed", "title": slug},
        "http": http,
        "entries": entries,
    }
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


KILL_FEEDS = {"one": 1, "three": 3}  # slug -> months of posts
# month files, their entry indexes, state files
CONTENT_WRITES = 2 * sum(KILL_FEEDS.values()) + len(KILL_FEEDS)
KILLS = [
    *(f"write.temp:{n}" for n in range(1, CONTENT_WRITES + 1)),
    *(f"write.renamed:{n}" for n in range(1, CONTENT_WRITES + 1)),
    *(f"store.{point}:{n}" for point in ("months", "state") for n in range(1, len(KILL_FEEDS) + 1)),
]


def kill_project(folder: Path) -> Path:
    config = write_config(
        folder, [{"url": f"https://{slug}.example/feed", "name": slug} for slug in KILL_FEEDS]
    )
    for slug, months in KILL_FEEDS.items():
        (folder / "content" / "feeds").mkdir(parents=True, exist_ok=True)
        (folder / "content" / "feeds" / f"{slug}.json").write_bytes(v1_cache(slug, months))
    return config


def run(config: Path, kill_at: str | None = None) -> None:
    """`digest fetch` in a child process (no feed is due); with `kill_at`, it must die there."""
    run_digest(config, "fetch", epoch=EPOCH, kill_at=kill_at)


def loaded(config: Path) -> dict[str, FeedCache]:
    """Every feed's cache as the real loader reads it, from a copy (loading migrates)."""
    copy = config.parent.parent / f"{config.parent.name}-read"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(config.parent / "content", copy / "content")
    feeds = copy / "content" / "feeds"
    return {slug: load_cache(feeds / f"{slug}.json", slug) for slug in KILL_FEEDS}


@pytest.mark.slow
def test_a_migration_killed_at_each_point_loads_whole_and_the_next_run_completes(
    tmp_path: Path,
) -> None:
    reference = kill_project(tmp_path / "reference")
    expected = loaded(reference)
    assert {s: len(c.entries) for s, c in expected.items()} == {"one": 3, "three": 9}
    run(reference)
    assert loaded(reference) == expected
    done = tree(reference.parent)
    assert len([k for k in done if k.startswith("content/feeds/")]) == CONTENT_WRITES
    for point in KILLS:
        config = kill_project(tmp_path / point.replace(":", "-"))
        run(config, kill_at=point)
        assert loaded(config) == expected, f"killed at {point}: a cache lost entries"
        run(config)
        assert tree(config.parent) == done, f"the run after a kill at {point} differs"


# --- size warnings ----------------------------------------------------------------------


def test_a_big_cache_file_or_content_folder_is_warned_about_naming_feed_and_setting(
    tmp_path: Path,
) -> None:
    config = feed_config(
        tmp_path,
        FeedConfig(url="https://a.example/feed", name="Busy Blog", slug="busy-blog"),
        FeedConfig(
            url="https://b.example/feed",
            name="Kept",
            slug="kept",
            retention=Retention(max_entries=5000),
        ),
        retention=Retention(max_age=90 * 86400),
    )
    feeds = tmp_path / "content" / "feeds"
    for name, size in {
        "2026-03/busy-blog.json": 3000,
        "2026-02/busy-blog.json": 900,
        "busy-blog.json": 50,
        "2026-03/kept.json": 2500,
        "kept.json": 40,
    }.items():
        (feeds / name).parent.mkdir(parents=True, exist_ok=True)
        (feeds / name).write_bytes(b"x" * size)
    (feeds / "2026-03" / ".kept.json.abc.tmp").write_bytes(b"x" * 9000)  # a killed run's
    sizes = content_sizes(config)
    assert sizes["feeds/2026-03/busy-blog.json"] == 3000 and ".tmp" not in str(sizes)

    assert content_warnings(config, sizes, file_limit=4000, content_limit=10_000) == ()
    by_file = content_warnings(config, sizes, file_limit=2000, content_limit=10_000)
    assert len(by_file) == 2
    assert by_file[0].startswith("content/feeds/2026-03/busy-blog.json is ")
    assert 'feed "Busy Blog" follows [retention] (max_age = "90d")' in by_file[0]
    assert by_file[1].startswith("content/feeds/2026-03/kept.json")
    assert 'retention = { max_entries = 5000 } of feed "Kept"' in by_file[1]

    (total,) = content_warnings(config, sizes, file_limit=4000, content_limit=6000)
    assert total.startswith("content/ is ") and '"Busy Blog"' in total and '"Kept"' in total
    assert total.index('"Busy Blog"') < total.index('"Kept"'), "the largest feed first"
    assert "[retention]" in total

    unbounded = replace(config, retention=Retention())
    (warning,) = content_warnings(unbounded, {"feeds/2026-03/busy-blog.json": 30}, file_limit=20)
    assert 'feed "Busy Blog" keeps every entry' in warning and "max_age" in warning
