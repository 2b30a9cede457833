"""Listing pages that stay put and a site that stays small (issue 11).

Sites are built in memory from entries (make_site, then each page through the default theme)
and compared as bytes, the way `write` decides which files to rewrite.
"""

from __future__ import annotations

import html
import posixpath
import re
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.config import parse_config
from digest.errors import ConfigError
from digest.models import (
    Config,
    Entry,
    FeedCache,
    FeedConfig,
    FullContent,
    SiteConfig,
)
from digest.render import pages as render
from digest.render.pages import render_page, summary_text
from digest.render.theme import load_strings, load_theme, make_environment
from digest.site.group import make_site
from digest.write.sizes import folder_bytes, output_warnings

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
FEEDS = (
    FeedConfig(url="https://a.example/feed", name="A", slug="a", tags=("Science",)),
    FeedConfig(url="https://b.example/feed", name="B", slug="b"),
)
WORDS = "lorem ipsum &amp; <b>dolor</b> sit "  # a tag and an entity every few words


def config(full_content: FullContent = "front", excerpt_pages: int = 1) -> Config:
    site = SiteConfig(
        title="Digest",
        base_url="https://digest.example/",
        timezone="UTC",
        per_page=3,
        full_content=full_content,
        excerpt_pages=excerpt_pages,
    )
    return Config(path=Path("/nowhere/config.toml"), site=site, feeds=FEEDS)


def entry(name: str, hours_ago: int, source: str = "a") -> Entry:
    when = NOW - timedelta(hours=hours_ago)
    return Entry(
        id=name,
        source=source,
        title=f"Post {name}",
        link=f"https://{source}.example/{name}",
        author=None,
        published=when,
        updated=None,
        first_seen=when,
        tags=(),
        # The end of the body is past any excerpt: it is only where the entry is in full.
        content_html=f"<p>{WORDS * 30}</p><p>END-OF-{name}</p>",
    )


def corpus(a: int, b: int = 3) -> list[Entry]:
    """`a` entries of feed A (tag Science), one an hour back from 12:00, and `b` of feed B."""
    return [entry(f"a{n}", n) for n in range(a)] + [entry(f"b{n}", 20 + n, "b") for n in range(b)]


def build(
    entries: list[Entry], full_content: FullContent = "front", excerpt_pages: int = 1
) -> dict[str, bytes]:
    """Every HTML page of the site, rendered by the default theme: path -> bytes."""
    cfg = config(full_content, excerpt_pages)
    caches = tuple(
        FeedCache(slug=f.slug, entries=tuple(e for e in entries if e.source == f.slug))
        for f in FEEDS
    )
    site = make_site(cfg, caches, ())
    env = make_environment(load_theme(cfg.themes_dir, "default"))
    strings = load_strings(load_theme(cfg.themes_dir, "default"), "en")
    return {p.path: render_page(env, site, p, strings).data for p in site.pages}


# Home, month, tag and source listings: their front pages and numbered pages.
LISTING = re.compile(r"((\d{4}/\d\d|tags/[^/]+|sources/[^/]+)/)?(page/\d+/)?index\.html")


def changes(before: dict[str, bytes], after: dict[str, bytes]) -> dict[str, set[str]]:
    """Listing pages changed, added and removed."""
    names = {p for p in before.keys() | after.keys() if LISTING.fullmatch(p)}
    return {
        "changed": {p for p in names if p in before and p in after and before[p] != after[p]},
        "added": {p for p in names if p not in before},
        "removed": {p for p in names if p not in after},
    }


# --- stable pagination ------------------------------------------------------------------


def test_a_new_entry_rewrites_only_the_front_pages_of_its_listings() -> None:
    # 3 a page. A: 7 entries (pages 1-2 full, 1 more on the front); the home page 10.
    before = build(corpus(7))
    after = build([entry("new", -1), *corpus(7)])
    assert changes(before, after) == {
        "changed": {
            "index.html",
            "2026/03/index.html",
            "sources/a/index.html",
            "tags/science/index.html",
        },
        "added": set(),
        "removed": set(),
    }
    # Untouched: every numbered page, and the listings the entry is not on.
    assert all(after[p] == before[p] for p in before if "/page/" in p or p.startswith("page/"))
    assert after["sources/b/index.html"] == before["sources/b/index.html"]


def test_a_new_full_page_also_relinks_the_page_that_was_the_newest() -> None:
    # A: 8 -> 9 entries and the home page 11 -> 12: each listing fills a page.
    before = build([entry("new", -1), *corpus(7)])
    after = build([entry("newer", -2), entry("new", -1), *corpus(7)])
    assert changes(before, after) == {
        "changed": {
            "index.html",
            "page/3/index.html",  # its "previous" was the front page, now page 4
            "2026/03/index.html",
            "2026/03/page/3/index.html",
            "sources/a/index.html",
            "sources/a/page/2/index.html",
            "tags/science/index.html",
            "tags/science/page/2/index.html",
        },
        "added": {
            "page/4/index.html",
            "2026/03/page/4/index.html",
            "sources/a/page/3/index.html",
            "tags/science/page/3/index.html",
        },
        "removed": set(),
    }
    for page in ("page/1/index.html", "page/2/index.html", "sources/a/page/1/index.html"):
        assert after[page] == before[page]


def titles(page: bytes) -> list[str]:
    # An entry in full or as an excerpt, or a line of an older listing page.
    return re.findall(r'class="entry-(?:title"><a|line") href="[^"]*">([^<]*)<', page.decode())


def rel(page: bytes, kind: str) -> str | None:
    found = re.search(rf'<link rel="{kind}" href="([^"]*)">', page.decode())
    return found.group(1) if found else None


def test_following_next_from_the_front_page_shows_every_entry_once_newest_first() -> None:
    site = build(corpus(7, b=4))  # 11 on the home page: the front 5, pages 3, 2, 1
    path, seen = "index.html", []
    while True:
        seen += titles(site[path])
        nxt = rel(site[path], "next")
        if nxt is None:
            break
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), nxt))
    assert seen == [f"Post a{n}" for n in range(7)] + [f"Post b{n}" for n in range(4)]
    assert rel(site["page/3/index.html"], "prev") == "../../index.html"
    assert rel(site["page/1/index.html"], "prev") == "../../page/2/index.html"


def test_the_pager_reads_newest_first() -> None:
    site = build(corpus(7, b=4))
    pager = re.search(r'<nav class="pager".*?</nav>', site["page/2/index.html"].decode(), re.S)
    assert pager
    text = " ".join(re.sub(r"<[^>]+>", " ", pager.group(0)).split())
    assert text == "« First ‹ Previous 3 2 1 Next › Last »"
    assert 'href="../../page/2/index.html" aria-current="page">2<' in pager.group(0)


# --- whole posts on one canonical page ----------------------------------------------------


def full_on(site: dict[str, bytes], name: str) -> set[str]:
    return {path for path, data in site.items() if f"END-OF-{name}".encode() in data}


@pytest.mark.parametrize(
    ("mode", "newest", "older"),
    [
        # The newest entry: on the home page's front page and its day page; older ones only
        # on their day page, whatever lists them.
        ("front", {"index.html", "2026/03/24/index.html"}, {"2026/03/23/index.html"}),
        ("none", {"2026/03/24/index.html"}, {"2026/03/23/index.html"}),
    ],
)
def test_an_entry_is_in_full_on_its_day_page_and_at_most_the_front_page(
    mode: FullContent, newest: set[str], older: set[str]
) -> None:
    site = build([entry("new", -14), *corpus(7)], mode)  # "new": 2026-03-24 02:00
    assert full_on(site, "new") == newest
    assert full_on(site, "a6") == older  # on the home page 1, the month, tag and source


def test_full_content_all_repeats_it_on_every_listing_as_before() -> None:
    site = build(corpus(7), "all")
    assert full_on(site, "a1") == {
        "index.html",
        "page/3/index.html",  # the newest full page, also on the front page
        "2026/03/23/index.html",
        "2026/03/index.html",
        "2026/03/page/3/index.html",
        "sources/a/index.html",
        "sources/a/page/2/index.html",
        "tags/science/index.html",
        "tags/science/page/2/index.html",
    }


def test_an_excerpt_ends_at_a_word_and_links_to_the_entry_in_full() -> None:
    site = build(corpus(7))
    page = site["sources/a/index.html"].decode()
    summary = re.search(r'<p class="entry-summary">([^<]*)</p>', page)
    assert summary
    text = html.unescape(summary.group(1))
    assert text.endswith(" …") and 300 < len(text) <= 402
    assert set(text[:-2].split()) <= {"lorem", "ipsum", "&", "dolor", "sit"}  # whole words
    # "Read more" leads to the day page, at the entry, where it is in full.
    link = re.search(r'<p class="read-more"><a href="([^"]*)">', page)
    assert link and link.group(1).startswith("../../2026/03/23/index.html#entry-")
    day = site["2026/03/23/index.html"].decode()
    anchor = link.group(1).split("#")[1]
    article = day.split(f'<article class="entry" id="{anchor}">')[1].split("</article>")[0]
    assert "Post a0" in article and "END-OF-a0" in article
    assert day.count(f'id="{anchor}"') == 1


def shows(page: bytes) -> dict[str, int]:
    """How a listing page shows its entries: in full, as excerpts, as lines."""
    text = page.decode()
    return {
        "full": text.count('class="entry-content"'),
        "excerpt": text.count('class="entry-summary"'),
        "line": text.count('class="entry-line"'),
    }


def test_older_listing_pages_list_a_line_per_entry() -> None:
    # 3 a page. Tag Science (feed A): the front page a0-a3, page 2 a1-a3 (the newest full
    # page, also on the front page), page 1 a4-a6. The home page: 10 entries, pages 3 to 1.
    site = build(corpus(7))
    assert shows(site["tags/science/index.html"]) == {"full": 0, "excerpt": 4, "line": 0}
    assert shows(site["tags/science/page/2/index.html"]) == {"full": 0, "excerpt": 3, "line": 0}
    assert shows(site["tags/science/page/1/index.html"]) == {"full": 0, "excerpt": 0, "line": 3}
    assert shows(site["page/2/index.html"]) == {"full": 0, "excerpt": 0, "line": 3}
    assert shows(site["page/1/index.html"]) == {"full": 0, "excerpt": 0, "line": 3}
    assert shows(site["index.html"])["full"] == 4  # the home page's front: as it was
    # A line: the title, leading to the entry in full on its day page, its source and time.
    page = site["tags/science/page/1/index.html"].decode()
    line = re.search(r'<li><a class="entry-line" href="([^"]*)">Post a6</a> (.*?)</li>', page)
    assert line and "A · <time" in line.group(2) and ">6:00\u202fAM</time>" in line.group(2)
    day, anchor = line.group(1).split("#")
    assert day == "../../../../2026/03/23/index.html"
    day_page = site["2026/03/23/index.html"].decode()
    assert f'<article class="entry" id="{anchor}">' in day_page and "END-OF-a6" in day_page
    # What that buys: a line is a fraction of an excerpt.
    lines = re.findall(r'<li><a class="entry-line".*?</li>', page)
    excerpts = re.findall(r"<article.*?</article>", site["tags/science/index.html"].decode(), re.S)
    assert max(map(len, lines)) * 3 < min(map(len, excerpts))


def test_excerpt_pages_says_how_many_newest_pages_show_excerpts() -> None:
    # A: the front page a0-a3, page 3 a1-a3 (the front page's too), 2 a4-a6, 1 a7-a9.
    site = build(corpus(10), excerpt_pages=2)
    assert shows(site["sources/a/index.html"])["excerpt"] == 4
    assert shows(site["sources/a/page/3/index.html"])["excerpt"] == 3
    assert shows(site["sources/a/page/2/index.html"])["excerpt"] == 3
    assert shows(site["sources/a/page/1/index.html"])["line"] == 3
    site = build(corpus(10), excerpt_pages=0)
    assert shows(site["sources/a/index.html"])["line"] == 4
    assert shows(site["index.html"])["full"] > 0  # the home page's front is in full all the same
    site = build(corpus(10), "all", excerpt_pages=0)  # whole posts everywhere: no lines
    assert shows(site["sources/a/page/1/index.html"]) == {"full": 3, "excerpt": 0, "line": 0}


def test_excerpt_pages_must_be_a_whole_number() -> None:
    data = {"site": {"title": "T", "base_url": "https://x.example/", "excerpt_pages": -1}}
    with pytest.raises(ConfigError, match=r"site\.excerpt_pages: must be a whole number from 0"):
        parse_config(data, Path("/nowhere/config.toml"))


def test_an_excerpt_keeps_words_of_adjacent_blocks_apart() -> None:
    post = replace(entry("x", 0), content_html="<h2>Intro</h2><p>One<br>two</p><ul><li>a</li></ul>")
    assert summary_text(post) == "Intro One two a"


def test_full_content_takes_the_old_true_and_false_and_refuses_the_rest() -> None:
    def site(**extra: object) -> object:
        data = {"site": {"title": "T", "base_url": "https://x.example/", **extra}}
        return parse_config(data, Path("/nowhere/config.toml")).site.full_content

    assert site() == "front"
    assert (site(full_content=True), site(full_content=False)) == ("all", "none")
    assert site(full_content="none") == "none"
    with pytest.raises(ConfigError, match=r'site\.full_content: must be "front"'):
        site(full_content="some")


def test_rendering_holds_a_bounded_number_of_rendered_entries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages are made one by one and written at once; what render keeps between pages (its
    rendered entries) is bounded, not the whole site's HTML."""
    monkeypatch.setattr(render, "ENTRY_CACHE", 20)
    body = f"<p>{'lorem ipsum dolor sit amet ' * 1800}</p>"  # ~50 KB
    entries = [
        replace(entry(f"p{n}", 24 * n), content_html=f"{body}<p>{n}</p>") for n in range(400)
    ]
    cfg = config()
    site = make_site(cfg, (FeedCache(slug="a", entries=tuple(entries)),), ())
    theme = load_theme(cfg.themes_dir, "default")
    tracemalloc.start()
    try:
        made = sum(len(f.data) for f in render.render_site(site, theme, workers=1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert made > 20_000_000  # 400 day pages of 50 KB, and the listings
    # The bodies' HTML is 20 MB: kept once rendered, they took 52 MB; now twenty of them, a
    # page being made and the home page's (in full, 2 MB) take 13 MB.
    assert peak < 20_000_000


# --- the size warning ----------------------------------------------------------------------


def test_the_build_warns_past_80_percent_of_github_pages_limit() -> None:
    site = replace(config("all").site, max_output=0)  # no size budget
    assert output_warnings(800, site, limit=1000) == ()
    (warning,) = output_warnings(801, site, limit=1000)
    assert "80% of" in warning and "GitHub Pages" in warning
    for setting in ('full_content = "front"', "per_page", "[retention]"):
        assert setting in warning
    front = replace(config("front").site, max_output=0)
    (warning,) = output_warnings(900_000_000, front)
    assert warning.startswith("output/ is 900 MB, 90% of the 1 GB GitHub Pages publishes")
    assert "full_content" not in warning  # already as small as it gets
    assert "[search]" not in warning
    (warning,) = output_warnings(900_000_000, front, search=True)
    assert "[search] enabled = false" in warning


def test_with_a_size_budget_the_build_warns_only_past_it() -> None:
    site = config("front").site  # max_output: 1 GB by default
    assert output_warnings(990_000_000, site, search=True) == ()  # the budget holds
    (warning,) = output_warnings(1_200_000_000, site)
    assert warning.startswith("output/ is 1.2 GB, over [site] max_output (1.0 GB)")
    assert "lower max_output" in warning


def test_the_output_size_is_every_file_under_output(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.html").write_bytes(b"x" * 700)
    (tmp_path / "y.xml").write_bytes(b"y" * 300)
    assert folder_bytes(tmp_path) == 1000
    assert folder_bytes(tmp_path / "missing") == 0
