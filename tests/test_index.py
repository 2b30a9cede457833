"""The entry index (digest/feeds/index.py): a build plans the site from each month's index,
without the bodies, and reads bodies only for the pages it makes. Built offline from cache
files written with the real store, in a temp dir; file reads counted with an audit hook
(every `open` the interpreter makes, whoever makes it), not with a mock."""

from __future__ import annotations

import gc
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import tree, write_config

from digest import pipeline
from digest.cli import main
from digest.config import load_config
from digest.feeds.index import Bodies
from digest.feeds.store import cache_path, load_cache, save_cache, with_index
from digest.models import Entry, FeedCache, FeedInfo, FullText, entry_hash
from digest.pipeline import build, load_caches
from digest.render import pages
from digest.render.workers import can_fork
from digest.site.group import make_site

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
SLUGS = ("alpha", "beta", "gamma", "delta")
MONTHS = 6  # each feed posts in this month and each of the five before


def entry(source: str, n: int, when: datetime, **fields: object) -> Entry:
    url = f"https://{source}.example/posts/{n}"
    body = f"<p>Body of {source} post {n}, with words of its own: {source} {n} é.</p>" * 60
    values: dict[str, object] = {
        "id": url, "source": source, "title": f"{source} post {n}", "link": url,
        "author": None, "published": when, "updated": None, "first_seen": when,
        "tags": ("Topic",) if n % 2 else ("Other",), "content_html": body,
    }  # fmt: skip
    return Entry(**(values | fields))  # type: ignore[arg-type]


def feed_entries(slug: str, k: int) -> list[Entry]:
    """Ten posts in the last twenty days (this month), then one every 15 days back to the
    sixth month before."""
    days = [1 + 2 * n for n in range(10)] + [20 + 15 * n for n in range(1, 11)]
    return [entry(slug, n, NOW - timedelta(days=d, hours=k + 1)) for n, d in enumerate(days)]


def project(root: Path, max_output: int = 2_200_000, in_feeds: int = 20) -> Path:
    """Four feeds, and what reads bodies besides the pages: a post whose article was taken
    from its page (`full_text`), the same post in two feeds (dedup's content rule compares
    their texts), editions (their excerpts and reading times), per-source feeds, and a size
    budget (`max_output`) small enough to abridge the oldest days. Feeds hold the newest
    `in_feeds` posts, with their bodies."""
    configs: list[dict[str, object]] = [
        {"url": f"https://{s}.example/feed.xml", "name": s.title()} for s in SLUGS
    ]
    path = write_config(
        root, configs, source_feeds=True, max_output=max_output, feed_entries=in_feeds
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n[editions]\ndaily = true\nweekly = true\n", encoding="utf-8")
    config = load_config(path)
    for k, slug in enumerate(SLUGS):
        items = feed_entries(slug, k)
        if slug == "alpha":
            article = FullText("https://alpha.example/posts/0", NOW, "<p>The whole article.</p>")
            items[0] = replace(items[0], full_text=article)
        if slug in ("beta", "gamma"):  # one post, cross-posted: the same title and text
            when = NOW - timedelta(days=2, hours=k)
            shared = "<p>" + "A post both feeds carry, word for word, at length. " * 30 + "</p>"
            tags = (slug.title(),)  # the post shown has the tags of both (dedup)
            copy = entry(slug, 99, when, title="Cross-posted", content_html=shared, tags=tags)
            items.append(copy)
        info = FeedInfo(url=f"https://{slug}.example/feed.xml", title=slug.title())
        save_cache(cache_path(config, slug), FeedCache(slug, info, entries=tuple(items)))
    return path


_OPENED: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], str | Path):
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # for the life of the process (a hook cannot be removed): idle here


@contextmanager
def opened() -> Iterator[list[str]]:
    """The files this process opens meanwhile."""
    global _OPENED
    found: list[str] = []
    _OPENED = found
    try:
        yield found
    finally:
        _OPENED = None


def month_files_in(paths: list[str], feeds: Path) -> set[str]:
    """The month files (content/feeds/<YYYY-MM>/<slug>.json) among `paths`, relative."""
    found = set()
    for name in paths:
        path = Path(name)
        if path.suffix == ".json" and path.parent.parent == feeds and path.parent.name[:2] == "20":
            found.add(path.relative_to(feeds).as_posix())
    return found


def assert_same_site(built: dict[str, bytes], expected: dict[str, bytes]) -> None:
    """Every file of two outputs (`tree`) alike, the stamp's list of them too; only its
    fingerprint of the inputs may differ (a month with an index is fingerprinted by its
    index). Takes the stamp out of both."""
    stamp, expected_stamp = (json.loads(t.pop(".digest-build.json")) for t in (built, expected))
    assert built == expected and stamp["files"] == expected_stamp["files"]


def test_a_build_from_the_index_equals_a_build_from_the_months_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_WORKERS", "1")  # every read in this process, where it counts
    path = project(tmp_path / "site")
    feeds = tmp_path / "site" / "content" / "feeds"
    assert len(list(feeds.glob("index/*/*.json"))) == len(list(feeds.glob("20*/*.json")))
    shutil.copytree(tmp_path / "site", tmp_path / "months")
    shutil.rmtree(tmp_path / "months" / "content" / "feeds" / "index")  # none: read the months

    from_months = build(load_config(tmp_path / "months" / "config.toml"), now=NOW, offline=True)
    with opened() as paths:
        from_index = build(load_config(path), now=NOW, offline=True)
    built, expected = tree(tmp_path / "site" / "output"), tree(tmp_path / "months" / "output")
    assert_same_site(built, expected)
    assert from_index.site == from_months.site and from_index.entries == from_months.entries
    # The build from the months wrote the index back, the same as the store's own.
    assert tree(tmp_path / "months" / "content") == tree(tmp_path / "site" / "content")
    # Every page was made, so every month's bodies were read (each from its own bytes).
    months = {p.relative_to(feeds).as_posix() for p in feeds.glob("20*/*.json")}
    reads = {Path(p).relative_to(feeds).as_posix() for p in paths if Path(p).parent.parent == feeds}
    assert reads == months

    # What was built shows what the bodies hold: the abridged, the article, the merged post.
    site = built
    assert from_index.budget is not None and 0 < from_index.budget.abridged < 60
    pages = b"".join(data for name, data in site.items() if name.endswith(".html"))
    assert b"The whole article." in pages
    assert json.loads(site["feeds.json"])["duplicates"][0]["rule"] == "content"


def test_planning_reads_the_indexes_and_no_month_file(tmp_path: Path) -> None:
    config = load_config(project(tmp_path / "site"))
    feeds = config.content_dir / "feeds"
    states = load_caches(config, states=True)
    with opened() as paths:
        indexed = with_index(config, states)
    assert month_files_in(paths, feeds) == set()
    assert {Path(p).parent.parent.name for p in paths if p.endswith(".json")} == {"index"}
    for cache in indexed:
        whole = load_cache(cache_path(config, cache.slug), cache.slug)
        assert [e.id for e in cache.entries] == [e.id for e in whole.entries]
        for short, full in zip(cache.entries, whole.entries, strict=True):
            assert short.content_html == "" and short.body is not None  # no body held
            assert (
                replace(short, content_html=full.content_html, body=None, full_text=full.full_text)
                == full
            )
        # Saving a cache read from the index writes its state file only: no month loses a body.
        before = tree(feeds)
        save_cache(cache_path(config, cache.slug), cache)
        assert tree(feeds) == before


def test_months_indexed_anew_are_planned_without_their_bodies(tmp_path: Path) -> None:
    """Every month is indexed anew after an upgrade of the index (or when its index is
    deleted): the build plans from the new indexes, holding no body."""
    config = load_config(project(tmp_path / "site"))
    feeds = config.content_dir / "feeds"
    shutil.rmtree(feeds / "index")
    indexed = with_index(config, load_caches(config, states=True))
    entries = [e for cache in indexed for e in cache.entries]
    assert len(entries) > 80 and all(e.body is not None and not e.content_html for e in entries)
    assert len(list(feeds.glob("index/*/*.json"))) == len(list(feeds.glob("20*/*.json")))


def test_one_new_post_reads_the_bodies_of_the_pages_it_makes_and_no_older_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_WORKERS", "1")
    # No budget: no older day turns abridged meanwhile. Five posts a feed: this month's.
    path = project(tmp_path / "site", max_output=0, in_feeds=5)
    config = load_config(path)
    build(config, now=NOW, offline=True)
    feeds = config.content_dir / "feeds"
    # One new post in alpha, as a fetch saves it: its month file and that month's index change.
    cache = load_cache(cache_path(config, "alpha"), "alpha")
    new = entry("alpha", 100, NOW - timedelta(hours=1))
    save_cache(
        cache_path(config, "alpha"), replace(cache, entries=(new, *cache.entries)), previous=cache
    )

    with opened() as paths:
        report = build(load_config(path), now=NOW, offline=True)
    assert 0 < report.written.written < 40
    page = (tmp_path / "site" / "output" / f"{new.date:%Y/%m/%d}" / "index.html").read_text()
    assert "Body of alpha post 100" in page
    # Month files read: those of the posts on the pages and feeds made (the day page, the
    # front pages of the listings it is on, their feeds), all of this month. Not one of the
    # five months before.
    read = month_files_in(paths, feeds)
    month = f"{new.date:%Y-%m}"
    assert f"{month}/alpha.json" in read and all(name.startswith(f"{month}/") for name in read)
    assert len(list(feeds.glob("20*/*.json"))) - len(read) >= len(SLUGS) * (MONTHS - 1)


def test_each_field_of_a_post_edited_alone_shows_in_the_next_build_from_the_index(
    tmp_path: Path,
) -> None:
    """The index records each entry's hash, and a page is made again when the hash of an
    entry it shows changes: every field counts. Each edit is to one post of its own day, so
    that its day page is made again only if that field is in the hash; the build from the
    index then equals a build from nothing."""
    path = project(tmp_path / "site", max_output=0)
    config = load_config(path)
    build(config, now=NOW, offline=True)
    cache = load_cache(cache_path(config, "alpha"), "alpha")
    article = FullText("https://alpha.example/posts/0", NOW, "<p>The article, revised.</p>")
    later = NOW - timedelta(minutes=5)
    edits: list[dict[str, object]] = [
        {"full_text": article}, {"title": "Retitled"}, {"author": "A. N. Author"},
        {"link": "https://alpha.example/moved/3"}, {"comments": "https://alpha.example/c/4"},
        {"tags": ("Brand new tag",)}, {"updated": later}, {"language": "de"},
        {"content_html": "<p>Rewritten body.</p>"},
    ]  # fmt: skip
    posts = {e.id: e for e in cache.entries}
    edited = dict(posts)
    for n, fields in enumerate(edits):
        post = posts[f"https://alpha.example/posts/{n}"]
        edited[post.id] = replace(post, **fields)  # type: ignore[arg-type]
    save_cache(
        cache_path(config, "alpha"),
        replace(cache, entries=tuple(edited[e.id] for e in cache.entries)),
        previous=cache,
    )
    build(load_config(path), now=NOW, offline=True)

    shutil.copytree(tmp_path / "site", tmp_path / "fresh", ignore=shutil.ignore_patterns("output"))
    build(load_config(tmp_path / "fresh" / "config.toml"), now=NOW, offline=True)
    built = tree(tmp_path / "site" / "output")
    assert_same_site(built, tree(tmp_path / "fresh" / "output"))
    pages = b"".join(data for name, data in built.items() if name.endswith(".html"))
    for shown in (b"The article, revised.", b"Retitled", b"A. N. Author", b"Rewritten body."):
        assert shown in pages


def test_every_entry_of_a_site_planned_from_the_index_has_the_hash_of_what_it_holds(
    tmp_path: Path,
) -> None:
    """A page's key holds its entries' hashes as the index recorded them. A stage that changes
    an entry after it is read (dedup gives a cross-posted post the tags of its copies) must
    let the recorded hash go (`models.edited`), or the pages would keep showing it as saved."""
    config = load_config(project(tmp_path / "site"))
    caches = with_index(config, load_caches(config, states=True))
    site = make_site(config, caches, (), now=NOW, bodies=Bodies(config.content_dir / "feeds").whole)
    merged = [e for e in site.entries if {"Beta", "Gamma"} <= set(e.tags)]
    assert len(merged) == 1 and merged[0].body is not None
    shown = [e for page in site.pages for group in page.days for e in group.entries]
    for e in (*site.entries, *shown):
        assert e.body is not None
        assert entry_hash(e) == entry_hash(replace(e, body=replace(e.body, entry=""))), e.id


def test_planning_pauses_the_cycle_collector_and_rendering_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A third of planning 100,000 entries was CPython's cycle collector walking the objects
    planned again and again: planning runs with it paused. Rendering (in forked workers too,
    which inherit it) runs with it, and so does all after the build."""
    monkeypatch.setenv("DIGEST_WORKERS", "1")
    seen: dict[str, bool] = {}
    real_make_site, real_render_page = pipeline.make_site, pages.render_page

    def make_site(*args: Any, **kwargs: Any) -> Any:
        seen["planning"] = gc.isenabled()
        return real_make_site(*args, **kwargs)

    def render_page(*args: Any, **kwargs: Any) -> Any:
        seen.setdefault("rendering", gc.isenabled())
        return real_render_page(*args, **kwargs)

    monkeypatch.setattr(pipeline, "make_site", make_site)
    monkeypatch.setattr(pages, "render_page", render_page)
    assert gc.isenabled()
    report = build(load_config(project(tmp_path / "site")), now=NOW, offline=True)
    assert report.written.written > 0
    assert seen == {"planning": False, "rendering": True} and gc.isenabled()
    assert gc.get_freeze_count() == 0  # what planning made is the collector's again


def test_a_month_changed_behind_its_index_is_read_whole_and_reindexed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(tmp_path / "site")
    config = load_config(path)
    feeds = config.content_dir / "feeds"
    month = sorted(feeds.glob("20*/beta.json"))[0]
    index = feeds / "index" / month.parent.name / "beta.json"
    # A post added by hand (or a run killed between a month and its index): another size.
    data = json.loads(month.read_bytes())
    extra = dict(data["entries"][0], id="https://beta.example/extra", title="Added by hand")
    data["entries"].insert(0, extra)
    month.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    stale = index.read_bytes()

    assert main(["build", "--offline", "-q", "--config", str(path)]) == 0
    assert index.read_bytes() != stale and b"Added by hand" in index.read_bytes()
    built = b"".join(tree(tmp_path / "site" / "output").values())
    assert b"Added by hand" in built

    # The same size but another body: the index cannot tell, the body's hash can.
    text = month.read_text(encoding="utf-8").replace("Body of beta", "Body of BETA", 1)
    month.write_text(text, encoding="utf-8")
    shutil.rmtree(tmp_path / "site" / "output")
    assert main(["build", "--offline", "-q", "--config", str(path)]) == 1
    error = capsys.readouterr().err
    assert str(month) in error and str(index) in error and "delete" in error
    index.unlink()  # as the message says: the next build makes it again
    assert main(["build", "--offline", "-q", "--config", str(path)]) == 0
    assert b"Body of BETA" in b"".join(tree(tmp_path / "site" / "output").values())


def test_render_workers_read_the_bodies_in_their_own_processes_to_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forked render workers start with the build's reader of bodies and fill their own."""
    monkeypatch.setattr(pages, "PARALLEL_PAGES", 5)  # this small site's pages, in workers too
    assert can_fork(), "a single-threaded Linux process forks its render workers"
    built = {}
    for workers in ("1", "2"):
        path = project(tmp_path / workers)
        monkeypatch.setenv("DIGEST_WORKERS", workers)
        report = build(load_config(path), now=NOW, offline=True)
        assert report.pages > 5 * int(workers)
        built[workers] = tree(tmp_path / workers / "output")
    assert built["1"] == built["2"]


def test_bodies_read_back_hold_no_month_file_in_memory(tmp_path: Path) -> None:
    """A render process holds the bodies of the pages it makes, not the month files they are
    in: each body is read from where its month file holds it. (Kept by month file, bodies
    took ~150 MB in each render worker at 10,000 entries, and a page of posts from a thousand
    feeds parsed a thousand month files.)"""
    import tracemalloc

    from digest.feeds import index

    feeds: list[dict[str, object]] = [{"url": "https://wide.example/feed.xml", "name": "Wide"}]
    config = load_config(write_config(tmp_path, feeds))
    text = "<p>" + "A dash \N{EM DASH} and a quote \N{RIGHT SINGLE QUOTATION MARK}. " * 4_000
    start = datetime(2024, 1, 15, tzinfo=UTC)
    posts = [  # ten posts a month for 20 months, each ~200 KB in memory: 2 MB a month
        entry(
            "wide",
            n,
            start + timedelta(days=31 * (n // 10), hours=n),
            content_html=f"{text}{n}</p>",
        )
        for n in range(200)
    ]
    info = FeedInfo(url="https://wide.example/feed.xml", title="Wide")
    save_cache(cache_path(config, "wide"), FeedCache("wide", info, entries=tuple(posts)))
    (cache,) = with_index(config, load_caches(config, states=True))
    assert all(e.body is not None and e.body.at and not e.content_html for e in cache.entries)
    bodies = index.Bodies(config.content_dir / "feeds")
    one_body = sys.getsizeof(text)
    tracemalloc.start()
    try:
        for indexed in cache.entries:
            whole = bodies.whole(indexed)
            assert whole.content_html == f"{text}{indexed.title.split()[-1]}</p>"
            held, _ = tracemalloc.get_traced_memory()
            assert held <= 2 * one_body + 100_000  # this body, and the one before it
            del whole
    finally:
        tracemalloc.stop()


def test_month_files_written_by_other_means_build_the_same_site(tmp_path: Path) -> None:
    """A month file rewritten by another tool (escaped, indented otherwise, keys in another
    order) holds the same entries: its index is made again, with no place for a body it
    cannot find as digest writes it, and those bodies are found in the whole month."""
    path = project(tmp_path / "site")
    assert main(["build", "--offline", "-q", "--config", str(path)]) == 0
    before = tree(tmp_path / "site" / "output")
    feeds = tmp_path / "site" / "content" / "feeds"
    for month in feeds.glob("20*/*.json"):
        data = json.loads(month.read_bytes())
        data["entries"] = [dict(reversed(item.items())) for item in data["entries"]]
        month.write_text(json.dumps(data, indent=3), encoding="utf-8")  # "é" as "\u00e9"
    shutil.rmtree(tmp_path / "site" / "output")

    assert main(["build", "--offline", "-q", "--config", str(path)]) == 0
    assert_same_site(tree(tmp_path / "site" / "output"), before)
    bodies = [
        e["body"]
        for i in feeds.glob("index/*/*.json")
        for e in json.loads(i.read_bytes())["entries"]
    ]
    assert bodies and all(len(body) == 3 for body in bodies)  # no place: read whole
