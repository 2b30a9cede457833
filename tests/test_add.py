"""`digest add URL`: a feed URL, or a site's page, to a [[feeds]] table; real HTTP on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import FeedServer, atom, make_items, rss, write_config

from digest.cli import main
from digest.config import load_config

START = datetime(2026, 3, 21, 12, tzinfo=UTC)

COMMENTED = """\
# Hand-made. The comments and the layout stay.

[site]
title = "Mine"                                  # the name
base_url = "https://example.github.io/mine/"    # where it lives
timezone = "Europe/Berlin"

# Feeds so far: none.
"""


def page(*links: str, body: str = "<p>Hello.</p>") -> bytes:
    return (
        "<!doctype html><html><head><title>A blog</title>"
        + "".join(links)
        + f"</head><body>{body}</body></html>"
    ).encode()


def html(server: FeedServer, path: str, body: bytes) -> str:
    return server.serve(path, body, Content_Type="text/html; charset=utf-8")


def add(config: Path, *args: str) -> int:
    return main(["add", *args, "--config", str(config)])


def test_a_page_that_advertises_its_feed(
    tmp_path: Path, server: FeedServer, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    home = html(
        server,
        "/",
        page(
            '<link rel="stylesheet" href="/style.css">',
            '<link rel="alternate" type="application/atom+xml" title="Posts" href="blog/atom.xml">',
            '<link rel="alternate" type="application/rss+xml" href="/comments.rss">',
        ),
    )
    feed = server.serve(
        "/blog/atom.xml", atom("Ann's Blog", "https://ann.example/", make_items("Ann", 4, START))
    )
    server.serve(
        "/comments.rss", rss("Comments", "https://ann.example/", make_items("C", 2, START))
    )
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED, encoding="utf-8")

    assert add(config, home) == 0

    text = config.read_text(encoding="utf-8")
    assert text.startswith(COMMENTED)
    assert text[len(COMMENTED) :] == f'\n[[feeds]]\nurl = "{feed}"\nname = "Ann\'s Blog"\n'
    feeds = load_config(config).feeds
    assert [(f.url, f.name) for f in feeds] == [(feed, "Ann's Blog")]
    err = capsys.readouterr().err
    assert f'found {feed} (advertised by the page): "Ann\'s Blog", Atom 1.0, 4 entries' in err
    assert f"the page also advertises {server.url('/comments.rss')}" in err
    assert f'added "Ann\'s Blog" to {config}' in err
    # fetched politely, as digest fetches feeds; the comments feed was not needed
    assert [r.path for r in server.requests] == ["/", "/blog/atom.xml"]
    assert all(r.headers["user-agent"].startswith("digest/") for r in server.requests)


def test_a_feed_url_directly_with_name_and_tags(
    tmp_path: Path, server: FeedServer, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.serve("/rss", rss("Bob", "https://bob.example/", make_items("Bob", 3, START)))
    config = write_config(tmp_path, [{"url": "https://other.example/feed", "name": "Other"}])
    assert add(config, url, "--name", "Bob's notes", "--tag", "AI", "--tag", "Notes") == 0
    feeds = load_config(config).feeds
    assert [(f.url, f.name, f.tags) for f in feeds][1] == (url, "Bob's notes", ("AI", "Notes"))
    err = capsys.readouterr().err
    assert f"found {url} (the URL is a feed): 'Bob', RSS 2.0, 3 entries" in err
    assert [r.path for r in server.requests] == ["/rss"]


def test_common_paths_beside_the_page_then_at_the_root(
    tmp_path: Path, server: FeedServer, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    blog = html(server, "/blog/", page())  # advertises nothing
    items = [
        {"id": "1", "url": "https://c.example/1", "title": "One", "content_text": "x",
         "date_published": "2026-03-20T10:00:00Z"},
    ]  # fmt: skip
    body = {"version": "https://jsonfeed.org/version/1.1", "title": "Carol", "items": items}
    feed = server.serve("/feed.json", json.dumps(body).encode(), Content_Type="application/json")
    config = write_config(tmp_path, [])
    assert add(config, blog) == 0
    assert [(f.url, f.name) for f in load_config(config).feeds] == [(feed, "Carol")]
    assert "(found at a common path): 'Carol', JSON Feed 1.1, 1 entries" in capsys.readouterr().err
    paths = [r.path for r in server.requests]
    assert paths[:3] == ["/blog/", "/blog/feed", "/blog/feed.xml"]
    assert paths.index("/blog/feed.json") < paths.index("/feed") < paths.index("/feed.json")
    assert paths[-1] == "/feed.json"


def test_a_moved_feed_is_added_at_its_new_address(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    new = server.serve("/new.xml", rss("Dan", "https://dan.example/", make_items("Dan", 1, START)))
    old = server.serve("/old.xml", b"", status=301, Location=new)
    config = write_config(tmp_path, [])
    assert add(config, old) == 0
    assert [f.url for f in load_config(config).feeds] == [new]


def test_a_url_already_in_the_config_is_refused(
    tmp_path: Path, server: FeedServer, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = server.serve("/feed", rss("Eve", "https://eve.example/", make_items("Eve", 1, START)))
    home = html(server, "/", page('<link rel="alternate" type="application/rss+xml" href="/feed">'))
    config = write_config(tmp_path, [{"url": feed, "name": "Eve"}])
    before = config.read_bytes()

    assert add(config, feed) == 1  # the same URL: refused before any request
    err = capsys.readouterr().err
    assert f"digest: error: {feed}: already in {config} (feed 'Eve')" in err
    assert server.requests == []

    assert add(config, home) == 1  # a page whose feed is there already
    assert f"digest: error: {feed}: already in {config} (feed 'Eve')" in capsys.readouterr().err
    assert config.read_bytes() == before


def test_a_name_that_is_taken_is_refused(
    tmp_path: Path, server: FeedServer, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.serve("/rss", rss("Other", "https://o.example/", make_items("O", 1, START)))
    config = write_config(tmp_path, [{"url": "https://x.example/feed", "name": "Other"}])
    before = config.read_bytes()
    assert add(config, url) == 1
    assert "choose another with --name" in capsys.readouterr().err
    assert add(config, url, "--name", "Posts") == 1  # the slug of hand-written posts
    assert "choose another with --name" in capsys.readouterr().err
    assert config.read_bytes() == before
    assert add(config, url, "--name", "Another") == 0


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/nothing/", "no feed found: the page is not a feed, none of 14 likely feed URLs"),
        ("/nothing/", "feed URLs answered with one:\n  http://127.0.0.1:"),
        ("/nothing/", "/nothing/feed: HTTP 404 Not Found\n"),
        ("/broken-link/", "it advertises http://127.0.0.1:"),
        ("/missing", "HTTP 404"),
    ],
)
def test_no_feed_is_an_error_naming_the_url(
    tmp_path: Path,
    server: FeedServer,
    epoch: int,
    capsys: pytest.CaptureFixture[str],
    path: str,
    says: str,
) -> None:
    html(server, "/nothing/", page())
    html(
        server, "/broken-link/", page('<link rel="alternate" type="application/rss+xml" href="x">')
    )
    config = write_config(tmp_path, [])
    before = config.read_bytes()
    url = server.url(path)
    assert add(config, url) == 1
    err = capsys.readouterr().err
    assert f"digest: error: {url}: " in err and says in err
    assert config.read_bytes() == before


def test_not_an_http_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, [])
    assert add(config, "ftp://example.org/feed") == 1
    assert "ftp://example.org/feed: not an http(s) URL" in capsys.readouterr().err


def test_nothing_listening(tmp_path: Path, epoch: int, capsys: pytest.CaptureFixture[str]) -> None:
    with FeedServer() as server:
        url = server.url("/feed")  # a port that was just closed
    config = write_config(tmp_path, [], fetch={"timeout": 5, "connect_timeout": 2})
    assert add(config, url) == 1
    assert f"digest: error: {url}: cannot fetch" in capsys.readouterr().err
