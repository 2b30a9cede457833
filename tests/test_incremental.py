"""Incremental builds: a build renders and writes only the files whose content changed, the
result is byte for byte a fresh full build's, and the site streams to disk page by page.

Projects here are built offline from cache files written directly (`save_cache`), so each
change (a new entry, an edit, a feed removed, a theme file, the title) is one line of setup.
"""

from __future__ import annotations

import re
import shutil
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import tree, write_config

from digest import pipeline
from digest.config import load_config
from digest.errors import DigestError
from digest.feeds.store import cache_path, load_cache, save_cache
from digest.models import Entry, FeedCache, FeedInfo, Site
from digest.pipeline import BuildReport, build
from digest.render import pages as render
from digest.render.pages import plan_site, render_site
from digest.render.theme import Theme, load_theme
from digest.render.workers import can_fork
from digest.site.group import make_site
from digest.write import check_output_dir, write_site
from digest.write.sizes import folder_bytes
from digest.write.stamp import STAMP, outdated, read_stamp

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
BODY = "<p>Body of {title}.</p><h2>Section</h2><p>" + "More words here. " * 20 + "</p>"


def entry(source: str, n: int, when: datetime, tags: tuple[str, ...] = ()) -> Entry:
    title = f"{source} post {n}"
    return Entry(
        id=f"https://{source}.example/posts/{n}",
        source=source,
        title=title,
        link=f"https://{source}.example/posts/{n}",
        author="Ann Author",
        published=when,
        updated=None,
        first_seen=when,
        tags=tags,
        content_html=BODY.format(title=title),
    )


def entries(source: str, count: int, hours: int = 7) -> tuple[Entry, ...]:
    """`count` entries, newest first, `hours` apart, every other one tagged."""
    return tuple(
        entry(source, n, NOW - timedelta(hours=hours * (n + 1)), (f"Topic {n % 3}",) * (n % 2))
        for n in range(count)
    )


def project(root: Path, feeds: dict[str, tuple[Entry, ...]], **site: object) -> Path:
    """A project whose feeds' caches hold `feeds` (slug -> entries), built from the cache."""
    configs = [
        {"url": f"https://{slug}.example/feed.xml", "name": slug.title(), "tags": ["Feeds"]}
        for slug in feeds
    ]
    path = write_config(root, configs, **site)
    config = load_config(path)
    for slug, items in feeds.items():
        info = FeedInfo(url=f"https://{slug}.example/feed.xml", title=slug.title())
        save_cache(cache_path(config, slug), FeedCache(slug, info, entries=items))
    return path


def run(path: Path) -> BuildReport:
    return build(load_config(path), now=NOW, offline=True)


def add_entries(path: Path, slug: str, *new: Entry) -> None:
    config = load_config(path)
    cache = load_cache(cache_path(config, slug), slug)
    save_cache(cache_path(config, slug), replace(cache, entries=(*new, *cache.entries)))


def fresh(path: Path, folder: Path) -> dict[str, bytes]:
    """The output of a full build of a copy of the project (config, content, themes)."""
    shutil.copytree(path.parent, folder, ignore=shutil.ignore_patterns("output"))
    run(folder / "config.toml")
    return tree(folder / "output")


def mtimes(output: Path) -> dict[str, int]:
    return {
        p.relative_to(output).as_posix(): p.stat().st_mtime_ns
        for p in output.rglob("*")
        if p.is_file()
    }


def to_render(path: Path) -> set[str]:
    """What the next build renders: exactly what `write_changed` computes before rendering."""
    config = load_config(path)
    caches = [load_cache(cache_path(config, f.slug), f.slug) for f in config.feeds]
    site = make_site(config, caches, ())
    plan = plan_site(site, load_theme(config.themes_dir, config.site.theme))
    output = config.output_dir
    return outdated(output, ((p.path, p.key) for p in plan), read_stamp(output))


# --- what an incremental build renders and writes -----------------------------------------


def test_a_new_entry_renders_and_rewrites_only_the_files_whose_content_changes(
    tmp_path: Path,
) -> None:
    path = project(tmp_path / "p", {"alpha": entries("alpha", 30), "beta": entries("beta", 12)})
    run(path)
    output = tmp_path / "p" / "output"
    before, times = tree(output), mtimes(output)
    newest = entry("beta", 99, NOW - timedelta(minutes=30), ("Topic 1",))
    add_entries(path, "beta", newest)
    rendered = to_render(path)

    report = run(path)

    after = tree(output)
    changed = {name for name in after if before.get(name) != after[name]} - {STAMP}
    rewritten = {name for name, t in mtimes(output).items() if times.get(name) != t} - {STAMP}
    # Every page that shows the new entry is rewritten...
    shows = {n for n, data in after.items() if n.endswith(".html") and b"beta post 99" in data}
    assert shows >= {"index.html", "tags/topic-1/index.html", "sources/beta/index.html"}
    assert shows <= rewritten
    # ...and nothing else is rewritten or even rendered but what now reads differently:
    # listings whose pages shift, the indexes with counts, the feeds with the entry.
    assert rewritten == changed
    # The search index, made from the day pages after them, changes by a few files: the
    # bundle of the new entry's days (a part of the newest month) and the list of bundles.
    index = {n for n in changed if n.startswith("pagefind/")}
    bundles = {n.split("/")[1] for n in index} - {"indexes.json"}
    assert "pagefind/indexes.json" in index and len(bundles) == 1
    assert re.fullmatch(r"2026-03-[0-3][ab]-\d\d", bundles.pop())
    assert len(index) < 10
    assert rendered == changed - index
    assert report.written.written == len(rendered) + 1  # and the stamp
    assert report.written.removed == 0
    untouched = {"sources/alpha/index.html", "404.html", "static/style.css"}
    assert untouched.isdisjoint(rewritten) and "tags/topic-0/atom.xml" not in rewritten
    assert "atom.xml" in rewritten and "tags/topic-1/atom.xml" in rewritten
    days = {n for n in after if re.fullmatch(r"\d{4}/\d\d/\d\d/index\.html", n)}
    old_days = {n for n in days if not n.startswith("2026/03/23/")}
    assert old_days and old_days.isdisjoint(rewritten)


def test_a_listing_page_filling_up_renders_two_pages_not_every_page(tmp_path: Path) -> None:
    """A new numbered page changes what the one before it links to as newer, nothing on the
    older ones: they are neither rendered nor written (at 10,000 entries, 500 home pages
    were rendered again each time one filled)."""
    path = project(tmp_path / "p", {"alpha": entries("alpha", 40, hours=1)}, per_page=5)
    run(path)  # 40 entries: pages 1 to 8, the front showing 8 and what is newer
    output = tmp_path / "p" / "output"
    times = mtimes(output)
    add_entries(
        path, "alpha", *(entry("alpha", 100 + n, NOW - timedelta(minutes=n)) for n in range(5))
    )
    rendered = to_render(path)

    run(path)

    home = {n for n in rendered if n.startswith("page/")}
    assert home == {"page/8/index.html", "page/9/index.html"}  # the one before, the new one
    assert (output / "page/9/index.html").exists()
    rewritten = {name for name, t in mtimes(output).items() if times.get(name) != t}
    assert not {f"page/{n}/index.html" for n in range(1, 8)} & rewritten
    assert tree(output) == fresh(path, tmp_path / "fresh")


def test_nothing_changed_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project(tmp_path / "p", {"alpha": entries("alpha", 20)})
    sized: list[int] = []  # the output size the GitHub Pages warning is given
    monkeypatch.setattr(pipeline, "output_warnings", lambda size, *a, **k: sized.append(size) or ())
    run(path)
    output = tmp_path / "p" / "output"
    times = mtimes(output)

    report = run(path)

    assert report.written.written == 0 and report.written.removed == 0
    assert mtimes(output) == times
    # Read off the stamp rather than from every file, after a build that wrote them all and
    # after one that wrote none, the size is still the output's.
    assert sized == [folder_bytes(output)] * 2


def test_nothing_changed_does_not_hold_the_entries_in_memory(tmp_path: Path) -> None:
    """A run with nothing to render reads the feeds' state files, not their entries: its
    memory does not grow with the posts kept (an hourly run of a 100,000-entry digest)."""
    big = "<p>" + "Words of a long post. " * 500 + "</p>"  # 11 KB
    items = tuple(replace(e, content_html=big) for e in entries("alpha", 400, hours=5))
    path = project(tmp_path / "p", {"alpha": items})
    run(path)
    bodies = len(big) * len(items)  # 4.4 MB, over three months

    tracemalloc.start()
    try:
        report = run(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert report.written.written == 0 and report.entries == 400
    assert peak < bodies / 2  # the whole cache in memory would be more than `bodies`


def test_a_change_no_page_shows_renders_nothing(tmp_path: Path) -> None:
    """A cache change that no page shows (the feed's own title) renders no page."""
    path = project(tmp_path / "p", {"alpha": entries("alpha", 20)})
    run(path)
    output = tmp_path / "p" / "output"
    times = mtimes(output)
    config = load_config(path)
    cache = load_cache(cache_path(config, "alpha"), "alpha")
    save_cache(cache_path(config, "alpha"), replace(cache, feed=replace(cache.feed, title="New")))

    assert to_render(path) == set()
    report = run(path)

    assert report.written.written == 1  # the stamp: it records the new inputs
    assert not report.written.changed, "GitHub Actions is told nothing changed (no publish)"
    assert {n: t for n, t in mtimes(output).items() if n != STAMP} == {
        n: t for n, t in times.items() if n != STAMP
    }


def test_a_file_changed_or_deleted_by_hand_is_restored(tmp_path: Path) -> None:
    path = project(tmp_path / "p", {"alpha": entries("alpha", 20)})
    run(path)
    output = tmp_path / "p" / "output"
    site = tree(output)
    page = output / "sources" / "alpha" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"alpha post 1", b"ALPHA POST 1"))  # same size
    (output / "tags" / "index.html").unlink()
    (output / "stray.html").write_text("left over")
    (output / "archive" / "index.html").touch()  # newer, the same bytes

    report = run(path)

    assert tree(output) == site
    assert report.written.written == 2 and report.written.removed == 1
    assert run(path).written.written == 0, "the restored pages are current again"


def test_another_base_url_is_a_change(tmp_path: Path) -> None:
    """--base-url (GitHub Pages' address) is not in config.toml but in atom.xml and the
    sitemap: a build with another one remakes them, as a fresh build would."""
    path = project(tmp_path / "p", {"alpha": entries("alpha", 5)})
    run(path)
    config = load_config(path)
    moved = replace(config, site=replace(config.site, base_url="https://user.github.io/repo/"))
    report = build(moved, now=NOW, offline=True)
    assert report.written.changed
    feed = (tmp_path / "p" / "output" / "atom.xml").read_text(encoding="utf-8")
    assert "https://user.github.io/repo/" in feed and "example.github.io" not in feed


# --- byte for byte a full build ------------------------------------------------------------


@pytest.mark.slow
def test_incremental_builds_equal_full_builds_over_a_series_of_changes(tmp_path: Path) -> None:
    feeds = {"alpha": entries("alpha", 26), "beta": entries("beta", 9, hours=11)}
    path = project(tmp_path / "p", feeds, per_page=4)
    posts = tmp_path / "p" / "content" / "posts"
    posts.mkdir()
    (posts / "hello.md").write_text("---\ntitle: Hi\ndate: 2026-03-20\ntags: [Topic 1]\n---\nHi.\n")
    run(path)
    config = load_config(path)
    theme = tmp_path / "p" / "themes" / "default" / "templates"

    def new_entry() -> None:
        add_entries(path, "alpha", entry("alpha", 100, NOW - timedelta(hours=1), ("Fresh",)))

    def edited_entry() -> None:
        cache = load_cache(cache_path(config, "beta"), "beta")
        edited = replace(cache.entries[3], title="beta post 3, edited", content_html="<p>New.</p>")
        items = (*cache.entries[:3], edited, *cache.entries[4:])
        save_cache(cache_path(config, "beta"), replace(cache, entries=items))

    def removed_feed() -> None:
        text = path.read_text().split("\n\n[[feeds]]")
        path.write_text("\n\n[[feeds]]".join(t for t in text if "beta.example" not in t))

    def theme_file() -> None:
        theme.mkdir(parents=True, exist_ok=True)
        (theme / "404.html").write_text(
            '{% extends "default/404.html" %}{% block main %}<p>Gone.</p>{% endblock %}\n'
        )

    def title() -> None:
        path.write_text(path.read_text().replace('title = "Test Digest"', 'title = "Renamed"'))

    def new_post() -> None:
        (posts / "second.md").write_text("---\ntitle: Second\ndate: 2026-03-22\n---\nMore.\n")

    def base_shows_tags() -> None:  # now every page shows a site-wide value
        (theme / "base.html").write_text(
            '{% extends "default/base.html" %}'
            "{% block footer %}<p>{{ tags|length }} tags</p>{% endblock %}\n"
        )

    def entry_with_new_tag() -> None:
        add_entries(path, "alpha", entry("alpha", 101, NOW - timedelta(hours=2), ("Brand new",)))

    changes = [new_entry, edited_entry, removed_feed, theme_file, title, new_post]
    changes += [base_shows_tags, entry_with_new_tag]
    for n, change in enumerate(changes):
        change()
        run(path)
        assert tree(tmp_path / "p" / "output") == fresh(path, tmp_path / f"full{n}"), change


# --- streaming and worker processes --------------------------------------------------------


def big_site(root: Path, count: int) -> tuple[Site, Theme]:
    """A site of `count` entries in 10 feeds, 5 a page: each entry shows on ~5 pages."""
    feeds = {f"feed{n}": entries(f"feed{n}", count // 10, hours=5) for n in range(10)}
    config = load_config(project(root, feeds))
    caches = [load_cache(cache_path(config, f.slug), f.slug) for f in config.feeds]
    return make_site(config, caches, ()), load_theme(config.themes_dir, config.site.theme)


@pytest.mark.slow
def test_the_site_streams_to_disk_page_by_page(tmp_path: Path) -> None:
    site, theme = big_site(tmp_path / "p", 1500)
    plan = plan_site(site, theme)
    output = check_output_dir(tmp_path / "out", tmp_path / "p")
    # Warm up: the templates compile and the date formats load once, whatever the site.
    write_site(render_site(site, theme, plan[:3]), output, [(p.path, p.key) for p in plan[:3]])
    shutil.rmtree(output)

    tracemalloc.start()
    try:
        write_site(
            render_site(site, theme, plan, workers=1), output, [(p.path, p.key) for p in plan]
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    sizes = [p.stat().st_size for p in output.rglob("*") if p.is_file()]
    assert len(sizes) > 500
    # Held at the peak: a page or two, and one rendered copy of each entry in each form (render
    # keeps those for the next page that lists the entry), measured as the entries' HTML on
    # the day pages (each entry once, in full) and on the source pages (each entry once, as an
    # excerpt). Never the site: each entry shows on ~5 pages.
    day_pages = output.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/index.html")
    once = sum(
        len(article)
        for page in (*day_pages, *(output / "sources").rglob("*.html"))
        for article in re.findall(rb"<article.*?</article>", page.read_bytes(), re.S)
    )
    assert peak < 3 * once + 4 * max(sizes) + 3_000_000
    assert peak < sum(sizes)  # the site is never held whole


@pytest.mark.slow
def test_one_or_two_worker_processes_build_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert can_fork(), "workers are forked on Linux when the process has one thread"
    feeds = {f"feed{n}": entries(f"feed{n}", 120, hours=3) for n in range(5)}
    path = project(tmp_path / "one", feeds, per_page=3)
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    monkeypatch.setenv("DIGEST_WORKERS", "1")
    one = run(path)
    monkeypatch.setenv("DIGEST_WORKERS", "2")
    two = run(tmp_path / "two" / "config.toml")

    assert one.pages > render.PARALLEL_PAGES
    assert two.written == one.written
    assert tree(tmp_path / "two" / "output") == tree(tmp_path / "one" / "output")
    add_entries(path, "feed1", entry("feed1", 500, NOW, ("Topic 2",)))
    add_entries(tmp_path / "two" / "config.toml", "feed1", entry("feed1", 500, NOW, ("Topic 2",)))
    run(tmp_path / "two" / "config.toml")
    monkeypatch.setenv("DIGEST_WORKERS", "1")
    run(path)
    assert tree(tmp_path / "two" / "output") == tree(tmp_path / "one" / "output")


def test_a_bad_worker_count_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project(tmp_path / "p", {"alpha": entries("alpha", 3)})
    monkeypatch.setenv("DIGEST_WORKERS", "many")
    with pytest.raises(DigestError, match="DIGEST_WORKERS='many'"):
        run(path)
