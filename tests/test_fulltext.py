"""Full text for summary-only feeds (`full_text`): a post's article fetched from its page
once, politely, and shown in place of the feed's summary.

A real HTTP server on 127.0.0.1 serves a summary-only feed and its posts' pages: the pages of
tests/data/articles/ (bench/articles.py writes them: an article inside the chrome of a news
site, a blog with comments, a script-laden page, ...), and pages that fail in the ways pages
do. Nothing here reaches the internet.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from cachefiles import cache_json
from helpers import Behaviour, FeedServer, Route, page_text, send
from htmlcheck import validate_html

from digest.cli import main
from digest.config import ConfigError, parse_config
from digest.feeds import fulltext
from digest.models import Entry, FullText

ARTICLES = Path(__file__).parent / "data" / "articles"
NOW = datetime.fromtimestamp(1774267200, UTC)  # the `epoch` fixture
# Pages whose article the extractor gives whole and without any of the chrome around it.
CLEAN = (
    "news", "blog", "article-comments", "ads", "long-comments", "russian", "scripts", "teasers",
)  # fmt: skip
ROBOTS = b"User-agent: *\nDisallow: /posts/private/\n"
RSS = "application/rss+xml; charset=utf-8"


def expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ARTICLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def html_route(name: str) -> Route:
    charset = {"cp1251": "windows-1251"}.get(expected(name)["encoding"], "utf-8")
    body = (ARTICLES / f"{name}.html").read_bytes()
    return Route(body, 200, {"Content-Type": f"text/html; charset={charset}"})


def teaser(path: str) -> str:
    return f"The first lines of {path}. Read more"


def summary_feed(server: FeedServer, paths: list[str], prefix: str = "/posts/") -> bytes:
    """An RSS feed of one post per path, newest first, each with a one-line summary."""
    items = "".join(
        f"<item><title>Post {escape(p)}</title><link>{server.url(prefix + p)}</link>"
        f"<guid>{server.url(prefix + p)}</guid>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=n + 1))}</pubDate>"
        f"<description>{escape(teaser(p))}</description></item>"
        for n, p in enumerate(paths)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
        f"<link>{server.url('/')}</link><description>d</description>{items}</channel></rss>"
    ).encode()


def project(
    tmp_path: Path,
    server: FeedServer,
    paths: list[str],
    *,
    feeds: int = 1,
    full_text: dict[str, object] | None = None,
    fetch: dict[str, object] | None = None,
) -> Path:
    """A project whose feeds (`feeds` of them, each over its own `paths`) have full_text on;
    the server serves the feeds (with an ETag) and robots.txt."""
    settings = {"delay": 0, "per_run": 50, **(full_text or {})}
    lines = [
        "[site]",
        'title = "Full text"',
        'base_url = "https://example.github.io/digest/"',
        'timezone = "UTC"',
        "[fetch]",
        *(f"{k} = {v}" for k, v in (fetch or {}).items()),
        "[full_text]",
        *(f"{k} = {v}" for k, v in settings.items()),
    ]
    for n in range(feeds):
        server.routes[f"/feed{n}"] = Route(
            summary_feed(server, paths, f"/posts/{n}/" if feeds > 1 else "/posts/"),
            200,
            {"Content-Type": RSS, "ETag": f'"feed{n}"'},
        )
        lines += ["[[feeds]]", f'url = "{server.url(f"/feed{n}")}"', f'name = "Feed {n}"']
        lines.append("full_text = true")
    server.routes["/robots.txt"] = Route(ROBOTS, 200, {"Content-Type": "text/plain"})
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def build(config: Path, *args: str) -> None:
    assert main(["build", "-q", "--config", str(config), *args]) == 0


def site_text(root: Path) -> str:
    """The text of every day page: each entry is shown in full on its day's page."""
    days = sorted((root / "output").glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/index.html"))
    assert days, "no day page was written"
    return " ".join(page_text(p) for p in days)


def cached(root: Path, slug: str = "feed-0") -> dict[str, dict[str, Any]]:
    """The cached entries of a feed, by the last part of their link."""
    return {e["link"].rsplit("/", 1)[-1]: e for e in cache_json(root, slug)["entries"]}


def page_requests(server: FeedServer) -> list[str]:
    return [p for p in server.paths() if p.startswith("/posts/")]


def test_a_summary_only_feed_shows_the_articles_and_none_of_the_chrome(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    for name in CLEAN:
        server.routes[f"/posts/{name}"] = html_route(name)
    config = project(tmp_path, server, list(CLEAN))
    build(config)
    text = site_text(tmp_path)
    for name in CLEAN:
        page = expected(name)
        for block in page["text"]:
            assert " ".join(block.split()) in text, f"{name}: {block[:50]!r} is missing"
        for chrome in page["chrome"]:
            assert chrome not in text, f"{name}: {chrome!r} got through"
        assert teaser(name) not in text, f"{name}: the summary is shown as well"
    assert text.count("Full text taken from the post's page") == len(CLEAN)
    entries = cached(tmp_path)
    for name in CLEAN:
        stored = entries[name]["full_text"]
        assert stored["url"] == server.url(f"/posts/{name}")
        assert stored["fetched"] == "2026-03-23T12:00:00Z"
        assert stored["failures"] == 0 and stored["error"] is None
    # The script-laden page's article comes through sanitised like any feed's content.
    stored_scripts = entries["scripts"]["full_text"]["html"]
    for bad in ("<script", "onclick", "onerror", "onmouseover", "javascript:", "<iframe"):
        assert bad not in stored_scripts.lower()
    assert "INJECTED BY SCRIPT" not in stored_scripts and "LDJSON" not in stored_scripts
    # The articles keep the day pages valid HTML5 (the Nu checker).
    days = (tmp_path / "output").glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/index.html")
    assert validate_html(sorted(days)) == []
    # robots.txt once for the host, then each page once.
    assert server.paths().count("/robots.txt") == 1
    assert sorted(page_requests(server)) == sorted(f"/posts/{n}" for n in CLEAN)


def gigantic(h: BaseHTTPRequestHandler, s: FeedServer) -> None:
    """An HTML page of 2 MB, over the test's size cap, sent without a Content-Length."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(b"<html><body>" + b"<p>" + b"word " * 400_000 + b"</p>" * 4)


FAILING = {
    "error": Route(b"oops", 500, {"Content-Type": "text/plain"}),
    "pdf": Route(b"%PDF-1.4 ...", 200, {"Content-Type": "application/pdf"}),
    "missing": Route(b"not here", 404, {"Content-Type": "text/html"}),
    "loop": Route(b"", 302, {"Location": "/posts/loop"}),
    "consent": html_route("consent-wall"),
    "huge": gigantic,
}


def test_pages_that_fail_leave_the_summary_and_are_tried_again_later_a_few_times_at_most(
    tmp_path: Path, server: FeedServer, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, route in FAILING.items():
        server.routes[f"/posts/{name}"] = route
    server.routes["/posts/private/secret"] = html_route("news")
    paths = [*FAILING, "private/secret"]
    config = project(tmp_path, server, paths, fetch={"max_bytes": 1_000_000})
    build(config)
    text = site_text(tmp_path)
    for path in paths:
        assert teaser(path) in text, f"{path}: its summary is not shown"
    assert "Full text taken from" not in text
    assert "/posts/private/secret" not in page_requests(server), "robots.txt disallows it"
    entries = cached(tmp_path)
    failures = {name: entries[name]["full_text"]["failures"] for name in entries}
    final = fulltext.MAX_TRIES
    # A server error, a redirect loop, a page over the size cap, robots.txt: tried again
    # later. A page that is not HTML, gone, or has no article: never again.
    assert failures == {
        "error": 1, "loop": 1, "huge": 1, "secret": 1, "pdf": final, "missing": final,
        "consent": final,
    }  # fmt: skip
    errors = {name: entries[name]["full_text"]["error"] for name in entries}
    assert errors["error"] == "HTTP 500 Internal Server Error"
    assert "not an HTML page (application/pdf)" in errors["pdf"]
    assert "robots.txt does not allow" in errors["secret"]
    assert "redirect loop" in errors["loop"] and "larger than" in errors["huge"]
    assert all(not e["full_text"]["html"] for e in entries.values())

    def run(after: timedelta) -> list[str]:
        server.requests.clear()
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int((NOW + after).timestamp())))
        build(config)
        return sorted(page_requests(server))

    retried = ["/posts/error", "/posts/huge", "/posts/loop"]
    assert run(timedelta(hours=1)) == [], "backed off: not before 2 hours"
    assert run(timedelta(hours=2)) == retried
    assert run(timedelta(hours=5)) == [], "then 4 hours"
    assert run(timedelta(hours=6)) == retried
    assert run(timedelta(hours=14)) == retried
    assert run(timedelta(days=3)) == [], "tried four times at most"
    assert {n: e["full_text"]["failures"] for n, e in cached(tmp_path).items()} == {
        **failures, "error": final, "loop": final, "huge": final, "secret": final,
    }  # fmt: skip
    assert teaser("error") in site_text(tmp_path)


def timed(route: Route, log: list[tuple[float, float]], lock: threading.Lock) -> Behaviour:
    """`route`'s answer after 0.1 s, its start and end times added to `log`."""

    def behaviour(h: BaseHTTPRequestHandler, s: FeedServer) -> None:
        start = time.monotonic()
        s.stop.wait(0.1)
        send(h, route.status, route.body, **route.headers)
        with lock:
            log.append((start, time.monotonic()))

    return behaviour


def test_one_request_at_a_time_to_a_host_with_a_delay_between(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    log: list[tuple[float, float]] = []
    lock = threading.Lock()
    names = ["news", "blog", "ads"]
    for feed in range(2):  # two feeds on one host: their pages still go one at a time
        for name in names:
            server.routes[f"/posts/{feed}/{name}"] = timed(html_route(name), log, lock)
    config = project(
        tmp_path, server, names, feeds=2, full_text={"delay": 0.3},
        fetch={"per_host": 1, "workers": 8},
    )  # fmt: skip
    server.routes["/robots.txt"] = timed(Route(ROBOTS, 200, {}), log, lock)
    build(config)
    assert len(page_requests(server)) == 6
    assert server.max_in_flight == 1
    log.sort()
    gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(log)]
    assert len(gaps) == 6 and min(gaps) >= 0.3 - 0.02, gaps  # robots.txt, then 6 pages


def test_a_host_that_asks_for_a_rest_is_left_alone_for_the_rest_of_the_run(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    server.routes["/posts/busy"] = Route(b"slow down", 429, {"Content-Type": "text/plain"})
    server.routes["/posts/news"] = html_route("news")
    config = project(tmp_path, server, ["busy", "news"])
    build(config)
    assert page_requests(server) == ["/posts/busy"]
    entries = cached(tmp_path)
    assert entries["busy"]["full_text"]["failures"] == 1
    assert "full_text" not in entries["news"], "not tried: it waits for a later run"


def test_the_pages_per_run_are_capped_and_the_rest_come_on_later_runs(
    tmp_path: Path, server: FeedServer, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"p{n}" for n in range(12)]
    for n, name in enumerate(names):
        server.routes[f"/posts/{name}"] = html_route(CLEAN[n % len(CLEAN)])
    config = project(tmp_path, server, names, full_text={"per_run": 5})
    fetched = []
    for run in range(4):
        server.requests.clear()
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int((NOW + timedelta(hours=run)).timestamp())))
        build(config)
        fetched.append(page_requests(server))
        if run:
            assert "/feed0" in server.paths()  # a 304: the posts come from the cache
    # Newest first: the first run fetches p0 to p4.
    assert fetched == [
        [f"/posts/p{n}" for n in range(5)],
        [f"/posts/p{n}" for n in range(5, 10)],
        ["/posts/p10", "/posts/p11"],
        [],
    ]
    assert all(e["full_text"]["html"] for e in cached(tmp_path).values())
    state = json.loads((tmp_path / "content" / "feeds" / "feed-0.json").read_text())
    assert "full_text_due" not in state, "nothing is due any more"


def test_a_second_build_fetches_no_page_again_and_an_offline_rebuild_shows_the_same(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    names = ["news", "russian", "blog"]
    for name in names:
        server.routes[f"/posts/{name}"] = html_route(name)
    config = project(tmp_path, server, names)
    build(config)
    days = sorted((tmp_path / "output").glob("2026/03/*/index.html"))
    shown = {p: p.read_bytes() for p in days}
    assert all(b"Full text taken from the post" in page for page in shown.values())
    server.requests.clear()
    build(config)
    assert page_requests(server) == [] and "/robots.txt" not in server.paths()
    assert server.paths() == ["/feed0"]  # the feed itself, a 304
    for page in days:
        page.unlink()
    build(config, "--offline")
    assert {p: p.read_bytes() for p in days} == shown


def test_posts_that_carry_their_whole_text_are_not_fetched(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    config = project(tmp_path, server, ["news"])
    whole_post = "<p>" + "A whole paragraph of the post itself, as the feed sends it. " * 20
    body = server.routes["/feed0"]
    assert isinstance(body, Route)
    body.body = body.body.replace(
        escape(teaser("news")).encode(), escape(whole_post).encode()
    )  # the whole post in the feed: 1,200 characters of text
    build(config)
    assert page_requests(server) == [] and "/robots.txt" not in server.paths()


# --- which posts, purely --------------------------------------------------------------------


def entry(**fields: object) -> Entry:
    base = Entry(
        id="x", source="news", title="T", link="https://news.example/x", author=None,
        published=None, updated=None, first_seen=NOW, tags=(), content_html="<p>Teaser.</p>",
    )  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def test_which_posts_have_their_pages_fetched_and_when() -> None:
    later = NOW + timedelta(minutes=1)
    assert fulltext.next_due([entry()], later) == NOW
    assert fulltext.next_due([entry(link=None)], later) is None
    assert fulltext.next_due([entry(content_html="<p>" + "x" * 1000 + "</p>")], later) is None
    week = NOW + fulltext.NEW_FOR + timedelta(seconds=1)
    assert fulltext.next_due([entry()], week) is None, "first seen over a week ago"
    done = FullText(url="https://news.example/x", fetched=NOW, html="<p>Article</p>")
    assert fulltext.next_due([entry(full_text=done)], later) is None
    failed = FullText(url="https://news.example/x", fetched=NOW, error="HTTP 500", failures=1)
    assert fulltext.next_due([entry(full_text=failed)], later) == NOW + fulltext.RETRY
    twice = replace(failed, failures=2)
    assert fulltext.next_due([entry(full_text=twice)], later) == NOW + 2 * fulltext.RETRY
    given_up = replace(failed, failures=fulltext.MAX_TRIES)
    assert fulltext.next_due([entry(full_text=given_up)], later) is None


def test_the_full_text_keys_are_checked(tmp_path: Path) -> None:
    site = {"title": "T", "base_url": "https://example.org/", "timezone": "UTC"}
    feed = {"url": "https://example.org/feed", "name": "F"}
    config = parse_config(
        {"site": site, "feeds": [{**feed, "full_text": True}], "full_text": {"per_run": 3}},
        tmp_path / "config.toml",
    )
    assert config.full_text.per_run == 3 and not config.full_text.enabled
    assert config.feeds[0].full_text is True
    assert fulltext.wanted(config.feeds[0], config.full_text)
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "site": site,
                "feeds": [{**feed, "full_text": "yes"}],
                "full_text": {"enabled": 1, "per_run": 0, "delay": -1, "every": 2},
            },
            tmp_path / "config.toml",
        )
    assert sorted(caught.value.problems) == [
        "feeds[0].full_text: must be true or false, not 'yes'",
        "full_text.delay: must be a number from 0 to 60, not -1",
        "full_text.enabled: must be true or false, not 1",
        "full_text.every: unknown key (known keys: delay, enabled, per_run)",
        "full_text.per_run: must be a whole number from 1 to 1000, not 0",
    ]
