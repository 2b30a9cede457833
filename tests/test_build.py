"""`digest build` end to end: feeds over real loopback HTTP -> content cache -> site + atom.xml."""

from __future__ import annotations

import json
import posixpath
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from atomcheck import check_atom_rules, validate_atom
from cachefiles import cache_json
from helpers import (
    FeedServer,
    atom,
    html_pages,
    make_items,
    page_links,
    page_text,
    rss,
    tree,
    write_config,
)

from digest.cli import main

START = datetime(2026, 3, 22, 20, 0, tzinfo=UTC)
A = "{http://www.w3.org/2005/Atom}"


def two_feed_project(root: Path, server: FeedServer, alpha_count: int = 12, **site: object) -> Path:
    server.serve(
        "/alpha.xml",
        rss(
            "Alpha Blog",
            "https://alpha.example/",
            make_items("Alpha", alpha_count, START, ("News",)),
        ),
        ETag='"alpha-v1"',
        Last_Modified="Sun, 22 Mar 2026 20:00:00 GMT",
    )
    server.serve(
        "/beta.xml",
        atom("Beta Journal", "https://beta.example/", make_items("Beta", 6, START, ("news ",))),
    )
    return write_config(
        root,
        [
            {"url": server.url("/alpha.xml"), "name": "Alpha Blog", "tags": ["Science"]},
            {"url": server.url("/beta.xml"), "name": "Beta Journal"},
        ],
        **site,
    )


def build(config: Path, *args: str) -> int:
    return main(["build", "--config", str(config), *args])


def listing_titles(output: Path, first: str) -> list[str]:
    """Entry titles of a paginated listing, following its rel=next links."""
    titles: list[str] = []
    page: Path | None = output / first
    while page is not None:
        html = page.read_text(encoding="utf-8")
        titles += re.findall(
            r'class="entry-(?:title"><a|line") href="[^"]*"(?: lang="[^"]*")?>([^<]*)<', html
        )  # an entry in full or as an excerpt, or a line of an older page
        nxt = [u for u in html.split('<link rel="next" href="')[1:2]]
        page = (page.parent / nxt[0].split('"')[0]).resolve() if nxt else None
    return titles


def test_two_feeds_build_into_a_browsable_site(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    config = two_feed_project(tmp_path / "site", server)
    assert build(config) == 0
    out = tmp_path / "site" / "output"

    every = [f"Alpha post {n}" for n in range(12)] + [f"Beta post {n}" for n in range(6)]
    home = listing_titles(out, "index.html")
    assert sorted(home) == sorted(every), "every entry is on the home listing, once"
    # 18 entries, 5 per page: 3 full pages counted from the oldest, the front the newest 8.
    assert (out / "page" / "3" / "index.html").is_file() and not (out / "page" / "4").exists()

    cache = cache_json(tmp_path / "site", "alpha-blog")
    for entry in cache["entries"]:
        day = datetime.fromisoformat(entry["published"]).astimezone(ZoneInfo("Europe/Berlin"))
        day_page = out / f"{day:%Y/%m/%d}" / "index.html"
        assert entry["title"] in page_text(day_page)

    # Tags: config tags + categories, folded by case and whitespace ("News" == "news ").
    tags_index = page_text(out / "tags" / "index.html")
    assert "News (18)" in tags_index and "Science (12)" in tags_index
    assert sorted(listing_titles(out, "tags/news/index.html")) == sorted(every)
    assert sorted(listing_titles(out, "tags/science/index.html")) == sorted(every[:12])
    topic1 = [t for t in every if int(t.split()[-1]) % 2 and int(t.split()[-1]) % 3 == 1]
    assert sorted(listing_titles(out, "tags/topic-1/index.html")) == sorted(topic1)
    assert sorted(listing_titles(out, "sources/beta-journal/index.html")) == sorted(every[12:])

    # Each entry shows its source, author, local time and comments link.
    first = (out / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2026-03-22T21:00:00+01:00">' in first
    assert 'href="https://alpha.example/posts/alpha-0#comments">Discuss<' in first
    assert "Ann Author" in first and 'href="sources/alpha-blog/index.html"' in first

    feed = ET.parse(out / "atom.xml").getroot()
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 18
    for link in feed.iter(f"{A}link"):
        href = urlsplit(link.get("href", ""))
        assert href.scheme in ("http", "https") and href.netloc, "absolute links only"
    assert all(e.find(f"{A}source/{A}title") is not None for e in entries)
    ids = {e.findtext(f"{A}id") for e in entries}
    assert "https://alpha.example/posts/alpha-3" in ids and "tag:example.org,2026:beta-2" in ids
    assert validate_atom(out / "atom.xml") == []
    assert check_atom_rules(out / "atom.xml") == []


def test_atom_holds_the_newest_feed_entries(tmp_path: Path, server: FeedServer, epoch: int) -> None:
    config = two_feed_project(tmp_path, server, feed_entries=7)
    assert build(config) == 0
    entries = ET.parse(tmp_path / "output" / "atom.xml").getroot().findall(f"{A}entry")
    titles = [e.findtext(f"{A}title") for e in entries]
    assert titles[:2] == ["Alpha post 0", "Beta post 0"] or titles[:2] == [
        "Beta post 0",
        "Alpha post 0",
    ]
    assert len(titles) == 7


def test_entries_stay_when_the_feed_window_moves_on(
    tmp_path: Path, server: FeedServer, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = two_feed_project(tmp_path, server)
    assert build(config) == 0
    # The feed now carries only its 3 newest items, one of them edited, and one new one.
    items = make_items("Alpha", 3, START, ("News",))
    items[1].title = "Alpha post 1 (edited)"
    newer = make_items("Alpha", 1, datetime(2026, 3, 23, 9, 0, tzinfo=UTC))
    newer[0].title, newer[0].slug = "Alpha fresh post", "alpha-fresh"
    server.serve(
        "/alpha.xml", rss("Alpha Blog", "https://alpha.example/", newer + items), ETag='"v2"'
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch + 3600))
    assert build(config) == 0

    titles = listing_titles(tmp_path / "output", "index.html")
    assert "Alpha fresh post" in titles and "Alpha post 1 (edited)" in titles
    assert "Alpha post 1" not in titles
    assert all(f"Alpha post {n}" in titles for n in range(2, 12)), "older entries kept"
    cache = cache_json(tmp_path, "alpha-blog")
    seen = {e["title"]: e["first_seen"] for e in cache["entries"]}
    assert seen["Alpha post 1 (edited)"] == "2026-03-23T12:00:00Z", "first_seen never changes"
    assert seen["Alpha fresh post"] == "2026-03-23T13:00:00Z"


def test_unchanged_feed_is_fetched_conditionally_and_rewrites_nothing(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    config = two_feed_project(tmp_path, server)
    assert build(config) == 0
    cache_file = tmp_path / "content/feeds/alpha-blog.json"
    before = tree(tmp_path / "output")
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "output").rglob("*") if p.is_file()}
    cache_before = cache_file.read_bytes()
    server.requests.clear()

    assert build(config) == 0
    alpha = [r for r in server.requests if r.path == "/alpha.xml"]
    assert alpha and alpha[0].headers.get("if-none-match") == '"alpha-v1"'
    assert alpha[0].headers.get("if-modified-since") == "Sun, 22 Mar 2026 20:00:00 GMT"
    assert alpha[0].headers["user-agent"].startswith("digest/")
    assert "(+https://example.github.io/digest/)" in alpha[0].headers["user-agent"]
    assert cache_file.read_bytes() == cache_before, "a 304 changes nothing in the cache"
    assert tree(tmp_path / "output") == before
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "output").rglob("*") if p.is_file()}
    assert after == mtimes, "no output file was rewritten"


def test_offline_build_equals_online_build(tmp_path: Path, epoch: int) -> None:
    with FeedServer() as server:
        config = two_feed_project(tmp_path, server)
        assert build(config) == 0
    online = tree(tmp_path / "output")
    for path in (tmp_path / "output").rglob("*.html"):
        path.unlink()
    assert build(config, "--offline") == 0
    assert tree(tmp_path / "output") == online


def test_failing_feeds_are_reported_and_the_build_goes_on(
    tmp_path: Path, server: FeedServer, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    server.serve("/ok.xml", rss("Fine", "https://fine.example/", make_items("Fine", 3, START)))
    server.serve("/broken.xml", b"oops", status=500)
    server.serve("/garbage.xml", b"\x00\x01 this is not xml at all {", Content_Type="text/plain")
    config = write_config(
        tmp_path,
        [
            {"url": server.url("/ok.xml"), "name": "Fine Feed"},
            {"url": server.url("/broken.xml"), "name": "Broken Feed"},
            {"url": server.url("/garbage.xml"), "name": "Garbage Feed"},
            {"url": "http://127.0.0.1:9/nothing-listens-here", "name": "Dead Feed"},
        ],
    )
    assert build(config) == 0
    err = capsys.readouterr().err
    assert "feed Broken Feed: failed: HTTP 500" in err
    assert "feed Garbage Feed: failed: not a feed" in err
    assert "feed Dead Feed: failed: cannot fetch" in err
    assert "Fine post 2" in page_text(tmp_path / "output" / "index.html")


def test_a_failing_feed_keeps_its_cached_entries(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    config = two_feed_project(tmp_path, server)
    assert build(config) == 0
    entries = cache_json(tmp_path, "alpha-blog")["entries"]
    server.serve("/alpha.xml", b"<html><body>maintenance</body></html>", Content_Type="text/html")
    assert build(config) == 0
    cache = cache_json(tmp_path, "alpha-blog")
    assert cache["entries"] == entries
    assert cache["http"]["status"] == "not_a_feed" and cache["http"]["failures"] == 1
    assert "Alpha post 11" in " ".join(listing_titles(tmp_path / "output", "index.html"))


def test_site_under_a_sub_path_has_no_broken_relative_link(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    config = two_feed_project(tmp_path, server, base_url="https://someone.github.io/some-repo/")
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "hello.md").write_text(
        "---\ntitle: Hello readers\ndate: 2026-03-21 09:00\ntags: [Meta, news]\n---\n"
        "A hand-written post with a footnote.[^1]\n\n[^1]: The note.\n",
        encoding="utf-8",
    )
    assert build(config) == 0
    out = tmp_path / "output"
    pages = list(html_pages(out))
    assert len(pages) > 20
    checked = 0
    for page in pages:
        for url in page_links(page):
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue
            if not parts.path:  # a fragment on the same page
                continue
            if parts.path.startswith("/"):  # only 404.html, which is served at any depth
                assert page.name == "404.html", f"{page}: absolute link {url}"
                assert parts.path.startswith("/some-repo/"), f"404.html: {url} leaves the site"
                target = out / unquote(parts.path).removeprefix("/some-repo/")
                assert target.is_file(), f"404.html: broken link {url}"
                checked += 1
                continue
            target = Path(posixpath.normpath((page.parent / unquote(parts.path)).as_posix()))
            assert target.is_relative_to(out), f"{page}: {url} leaves the site"
            assert target.is_file(), f"{page.relative_to(out)}: broken link {url}"
            checked += 1
    assert checked > 200
    post = out / "posts" / "hello" / "index.html"
    assert "Hello readers" in page_text(post)
    news = (out / "tags" / "news").rglob("index.html")
    assert any("Hello readers" in page_text(page) for page in news)
    # "Meta" is on one entry, fewer than [tags] min_entries (2): text, and no page.
    assert "Meta" in page_text(post) and not (out / "tags" / "meta").exists()
    feed = ET.parse(out / "atom.xml").getroot()
    assert (
        feed.find(f"{A}link[@rel='self']").get("href")
        == "https://someone.github.io/some-repo/atom.xml"
    )
    hello = next(e for e in feed.findall(f"{A}entry") if e.findtext(f"{A}title") == "Hello readers")
    assert hello.findtext(f"{A}id") == "https://someone.github.io/some-repo/posts/hello/"


def test_feed_markup_cannot_run_in_pages(tmp_path: Path, server: FeedServer, epoch: int) -> None:
    items = make_items("Evil", 1, START)
    items[0].title = "{{ 7*7 }} <script>alert(1)</script>"
    items[0].body = (
        '<p onclick="alert(1)">Hi<script>alert(2)</script>'
        '<a href="javascript:alert(3)">x</a><img src="x.png" onerror="alert(4)">'
        '<iframe src="https://evil.example/"></iframe><form action="/x"><input></form></p>'
    )
    server.serve("/evil.xml", rss("Evil", "https://evil.example/", items))
    config = write_config(tmp_path, [{"url": server.url("/evil.xml"), "name": "Evil"}])
    assert build(config) == 0
    for page in html_pages(tmp_path / "output"):
        if page.parent.name == "search":  # the theme's search page: its script, its form
            continue
        html = page.read_text(encoding="utf-8").lower()
        html = re.sub(r'<form class="search-box".*?</form>', "", html, flags=re.S)  # the theme's
        for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<form", "<input"):
            assert bad not in html, f"{bad} in {page}"
    home = (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in home  # text, never template source
    # A relative URL resolves against the feed's own URL (its document base).
    assert f'src="{server.url("/x.png")}"' in home


def test_sample_posts_give_way_to_the_first_real_fetch(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    server.serve("/feed.xml", rss("Real", "https://real.example/", make_items("Real", 2, START)))
    config = write_config(tmp_path, [{"url": server.url("/feed.xml"), "name": "Real"}])
    cache = tmp_path / "content" / "feeds" / "real.json"
    # A cache seeded offline from a bundled sample, as scripts/seed_cache.py writes it.
    sample = rss("Sample", "https://sample.example/", make_items("Sample", 3, START))
    (tmp_path / "sample.xml").write_bytes(sample)
    seed = write_config(tmp_path / "seed", [{"url": str(tmp_path / "sample.xml"), "name": "Real"}])
    assert main(["fetch", "-q", "--config", str(seed)]) == 0
    data = cache_json(tmp_path / "seed", "real")
    data["sample"] = True
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps(data))
    assert build(config, "--offline") == 0
    assert "Sample post 2" in page_text(tmp_path / "output" / "index.html")

    assert build(config) == 0
    titles = listing_titles(tmp_path / "output", "index.html")
    assert sorted(titles) == ["Real post 0", "Real post 1"]
    assert json.loads(cache.read_text())["sample"] is False


def test_404_page_works_at_any_depth_under_a_sub_path(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    """Like GitHub Pages: the site under /some-repo/, 404.html for any missing URL."""
    import urllib.error
    import urllib.request

    config = two_feed_project(tmp_path, server, base_url="https://someone.github.io/some-repo/")
    assert build(config) == 0
    out = tmp_path / "output"
    pages = FeedServer(folder=out, prefix="/some-repo", not_found=(out / "404.html").read_bytes())
    with pages:
        missing = pages.url("/some-repo/missing/deep/page")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(missing)
        html = caught.value.read().decode()
        caught.value.close()
        assert "Page not found" in html
        from helpers import _Links

        links = _Links()
        links.feed(html)
        local = [u for u in links.urls if not urlsplit(u).scheme and urlsplit(u).path]
        assert len(local) >= 8
        for url in local:
            with urllib.request.urlopen(urllib.parse.urljoin(missing, url)) as response:
                assert response.status == 200, url
