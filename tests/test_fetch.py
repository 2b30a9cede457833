"""Fetching like a good citizen: faults, schedules, conditional GET, never losing a post."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from atomcheck import validate_atom
from cachefiles import cache_json
from faults import (
    conditional,
    drip,
    endless,
    feed_body,
    gzip_bomb,
    redirect,
    serve,
    short_body,
    slow,
    stall,
)
from helpers import FeedServer, page_text, write_config

from digest.cli import main

NOW = datetime.fromtimestamp(1774267200, UTC)  # the `epoch` fixture
# Short, for the stalling servers; not so short that a healthy local answer misses it while
# both test processes and this one's own server threads share two cores.
FAST = {"timeout": 3, "connect_timeout": 2, "max_bytes": 1048576, "workers": 8, "per_host": 8}
HTML_PAGE = b"""<!DOCTYPE html><html><head><title>Blog</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="/healthy">
</head><body>Welcome</body></html>"""


def health(root: Path) -> dict[str, dict[str, object]]:
    data = json.loads((root / "output" / "feeds.json").read_text(encoding="utf-8"))
    return {feed["name"]: feed for feed in data["feeds"]}


def cached_titles(root: Path, slug: str) -> set[str]:
    data = cache_json(root, slug)
    return {e["title"] for e in data["entries"]}


FAULT_NAMES = [
    "drip", "stall", "endless", "bomb", "loop", "tofile", "moved301", "temp302", "moved308",
    "missing", "gone", "ratelimited", "broken", "unavailable", "empty", "html", "charset", "short",
]  # fmt: skip


@pytest.mark.slow  # a 200 MB gzip bomb, a 1 GB endless body, 3 s timeouts
def test_one_build_survives_every_fault_and_the_next_run_is_polite(
    tmp_path: Path, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FeedServer() as server:
        names = [*FAULT_NAMES, "healthy"]
        # First every URL serves a good feed, so every feed has cached posts to keep.
        for name in names:
            server.routes[f"/{name}"] = serve(feed_body(name))
        config = write_config(
            tmp_path,
            [{"url": server.url(f"/{n}"), "name": n} for n in names],
            fetch=FAST,
        )
        assert main(["build", "-q", "--config", str(config)]) == 0
        for name in names:
            assert cached_titles(tmp_path, name) == {f"{name} item 0", f"{name} item 1"}

        retry_date = format_datetime(NOW + timedelta(hours=2), usegmt=True)
        server.routes.update(
            {
                "/healthy": serve(feed_body("healthy", 3)),
                "/drip": drip,
                "/stall": stall,
                "/endless": endless,
                "/bomb": gzip_bomb(),
                "/loop": redirect(302, "/loop2"),
                "/loop2": redirect(307, "/loop"),
                "/tofile": redirect(301, "file:///etc/passwd"),
                "/moved301": redirect(301, "/new301"),
                "/new301": serve(feed_body("moved301", 3)),
                "/temp302": redirect(302, "/new302"),
                "/new302": serve(feed_body("temp302", 3)),
                "/moved308": redirect(308, "/new308"),
                "/new308": serve(feed_body("moved308", 3)),
                "/missing": serve(b"not here", 404, Content_Type="text/plain"),
                "/gone": serve(b"gone", 410, Content_Type="text/plain"),
                "/ratelimited": serve(b"slow down", 429, Retry_After="3600"),
                "/broken": serve(b"oops", 500, Content_Type="text/plain"),
                "/unavailable": serve(b"later", 503, Retry_After=retry_date),
                "/empty": serve(b""),
                "/html": serve(HTML_PAGE, Content_Type="text/html; charset=utf-8"),
                "/charset": serve(
                    feed_body("charset", 3).replace(b"item 2", "itém 2".encode()),
                    Content_Type="application/rss+xml; charset=utf-8",
                ),
                "/short": short_body,
            }
        )
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch + 60))
        server.answered.clear()
        server.sent.clear()
        assert main(["build", "-q", "--config", str(config)]) == 0
        # The client gave up on the endless and dripping bodies: the one at the 1 MB cap (the
        # socket buffers hold a few MB more; uncapped, 3 s of loopback is hundreds of MB), the
        # other at the deadline for the whole response, long before the server closes it
        # after DRIP_BYTES (that would be "broke off", not "timed out").
        assert server.sent["/endless"] < 64 * 1024 * 1024, server.sent["/endless"]
        assert not {"/drip", "/stall", "/endless"} & set(server.answered)

        assert "healthy item 2" in page_text(tmp_path / "output" / "index.html")
        for name in names:  # nothing cached was lost
            assert {f"{name} item 0", f"{name} item 1"} <= cached_titles(tmp_path, name)

        h = health(tmp_path)
        assert h["healthy"]["status"] == "ok" and h["healthy"]["entries"] == 3

        def failing(name: str, words: str) -> None:
            assert h[name]["status"] == "failing", (name, h[name])
            assert words in str(h[name]["last_error"]), (name, h[name]["last_error"])
            assert h[name]["failures"] == 1 and h[name]["next_due"] is not None

        failing("drip", "timed out")
        failing("stall", "timed out")
        assert h["endless"]["status"] == "failing"
        assert "larger than 1 MB" in str(h["endless"]["last_error"]) or "timed out" in str(
            h["endless"]["last_error"]
        )
        failing("bomb", "larger than 1 MB")
        failing("loop", "redirect loop")
        failing("tofile", "non-http(s) URL: file:///etc/passwd")
        failing("missing", "HTTP 404")
        failing("broken", "HTTP 500")
        failing("short", "broke off")
        failing("ratelimited", "HTTP 429")
        assert h["ratelimited"]["retry_after"] == "2026-03-23T13:01:00Z"
        failing("unavailable", "HTTP 503")
        assert h["unavailable"]["retry_after"] == "2026-03-23T14:00:00Z"
        assert h["gone"]["status"] == "gone"
        assert h["empty"]["status"] == "not_a_feed" and "empty" in str(h["empty"]["last_error"])
        assert h["html"]["status"] == "not_a_feed"
        assert server.url("/healthy") in str(h["html"]["last_error"])
        for name, path in (("moved301", "/new301"), ("moved308", "/new308")):
            assert h[name]["status"] == "moved" and h[name]["moved_to"] == server.url(path)
            assert f"update config.toml to {server.url(path)}" in str(h[name]["summary"])
            assert cached_titles(tmp_path, name) >= {f"{name} item 2"}
        assert h["temp302"]["status"] == "ok" and h["temp302"]["moved_to"] is None
        assert h["charset"]["status"] == "ok" and "charset itém 2" in cached_titles(
            tmp_path, "charset"
        )
        page = page_text(tmp_path / "output" / "feeds" / "index.html")
        assert "failing 1 times since March 23, 2026, 1:01 PM ; backing off until" in page
        assert "gone (HTTP 410)" in page

        # The next run, a minute later: only feeds that are due are asked.
        server.requests.clear()
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch + 120))
        assert main(["build", "-q", "--config", str(config)]) == 0
        asked = set(server.paths())
        assert asked == {"/healthy", "/new301", "/temp302", "/new302", "/new308", "/charset"}

        # Back-off ends: 15 minutes after the first failure the failing feeds are asked again,
        # but not the 410 one, nor the 429 / 503 ones before their Retry-After.
        server.requests.clear()
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch + 60 + 16 * 60))
        assert main(["build", "-q", "--config", str(config)]) == 0
        asked = set(server.paths())
        assert {"/missing", "/broken", "/empty", "/html"} <= asked
        assert not {"/gone", "/ratelimited", "/unavailable"} & asked
        assert health(tmp_path)["missing"]["failures"] == 2

        # --force asks everyone, the 410 and Retry-After feeds included.
        server.requests.clear()
        assert main(["fetch", "-q", "--force", "--config", str(config)]) == 0
        assert {"/gone", "/ratelimited", "/unavailable"} <= set(server.paths())


def test_unchanged_server_gets_only_304s_and_nothing_is_written(tmp_path: Path, epoch: int) -> None:
    with FeedServer() as server:
        for n in range(4):
            server.routes[f"/f{n}"] = conditional(feed_body(f"f{n}"), f'"v{n}"')
        config = write_config(
            tmp_path, [{"url": server.url(f"/f{n}"), "name": f"f{n}"} for n in range(4)]
        )
        assert main(["build", "-q", "--config", str(config)]) == 0
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        before = {p: p.stat().st_mtime_ns for p in files}
        time.sleep(0.05)
        server.requests.clear()
        assert main(["build", "-q", "--config", str(config)]) == 0
        assert sorted(server.paths()) == ["/f0", "/f1", "/f2", "/f3"]
        after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
        assert after == before, "a run that only got 304s wrote no cache and no output file"


def test_at_most_two_requests_at_once_per_host(tmp_path: Path, epoch: int) -> None:
    with FeedServer() as server:
        for n in range(8):
            server.routes[f"/f{n}"] = slow(feed_body(f"f{n}"), 0.3)
        config = write_config(
            tmp_path, [{"url": server.url(f"/f{n}"), "name": f"f{n}"} for n in range(8)]
        )
        assert main(["fetch", "-q", "--config", str(config)]) == 0
        assert server.max_in_flight == 2


def test_freshness_and_min_interval_are_kept_across_runs(
    tmp_path: Path, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ttl_feed = feed_body("ttl").replace(b"<description>d</description>", b"<ttl>120</ttl>")
    with FeedServer() as server:
        server.routes["/maxage"] = serve(feed_body("maxage"), Cache_Control="max-age=1800")
        server.routes["/ttl"] = serve(ttl_feed)
        server.routes["/interval"] = serve(feed_body("interval"))
        server.routes["/huge"] = serve(feed_body("huge"), Cache_Control="max-age=99999999")
        config = write_config(
            tmp_path,
            [
                {"url": server.url("/maxage"), "name": "maxage"},
                {"url": server.url("/ttl"), "name": "ttl"},
                {"url": server.url("/interval"), "name": "interval", "min_interval": "45m"},
                {"url": server.url("/huge"), "name": "huge"},
            ],
        )
        assert main(["fetch", "-q", "--config", str(config)]) == 0
        due = {name: health_due(tmp_path, name) for name in ("maxage", "ttl", "interval", "huge")}
        assert due == {
            "maxage": NOW + timedelta(minutes=30),
            "ttl": NOW + timedelta(hours=2),
            "interval": NOW + timedelta(minutes=45),
            "huge": NOW + timedelta(hours=24),  # capped: a wrong header cannot silence a feed
        }
        server.requests.clear()
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch + 50 * 60))
        assert main(["fetch", "-q", "--config", str(config)]) == 0
        assert sorted(server.paths()) == ["/interval", "/maxage"]


def health_due(root: Path, slug: str) -> datetime:
    data = cache_json(root, slug)
    return datetime.fromisoformat(data["http"]["next_due"])


def test_cache_keeps_posts_across_guid_changes_edits_and_future_dates(
    tmp_path: Path, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    future = format_datetime(NOW + timedelta(days=90))
    first = feed_body("g", 3).replace(
        b"<pubDate>Sat, 21 Mar 2026 12:00:00 GMT</pubDate>", f"<pubDate>{future}</pubDate>".encode()
    )
    with FeedServer() as server:
        server.routes["/g"] = serve(first)
        config = write_config(tmp_path, [{"url": server.url("/g"), "name": "g"}])
        assert main(["build", "-q", "--config", str(config)]) == 0
        cache = cache_json(tmp_path, "g")
        assert len(cache["entries"]) == 3
        # The future-dated post is shown at the time it was first seen, not months ahead.
        home = (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
        assert "g item 2" in home and (tmp_path / "output/2026/03/23/index.html").is_file()

        # Same posts, new guids (a CMS migration), one edited, one dropped from the window.
        second = feed_body("g", 2).replace(b"<guid>https://g.example/", b"<guid>urn:new:")
        second = second.replace(b"Post 1 of g.", b"Post 1 of g, edited.")
        server.routes["/g"] = serve(second)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch + 3600))
        assert main(["build", "-q", "--config", str(config)]) == 0
        entries = cache_json(tmp_path, "g")["entries"]
        assert sorted(e["title"] for e in entries) == ["g item 0", "g item 1", "g item 2"]
        by_title = {e["title"]: e for e in entries}
        assert by_title["g item 0"]["id"] == "urn:new:0"
        assert "edited" in by_title["g item 1"]["content_html"]
        assert all(e["first_seen"] == "2026-03-23T12:00:00Z" for e in entries)


def test_retention_drops_old_entries_only_when_asked(tmp_path: Path, epoch: int) -> None:
    with FeedServer() as server:
        for name in ("capped", "kept", "aged"):
            server.routes[f"/{name}"] = serve(feed_body(name, 6))
        config = write_config(tmp_path, [])
        config.write_text(
            config.read_text()
            + f'[retention]\nmax_entries = 4\n\n[[feeds]]\nurl = "{server.url("/capped")}"\n'
            f'name = "capped"\n\n[[feeds]]\nurl = "{server.url("/kept")}"\nname = "kept"\n'
            "retention = { max_entries = 100 }\n\n"
            f'[[feeds]]\nurl = "{server.url("/aged")}"\nname = "aged"\n'
            'retention = { max_age = "2d" }\n'
        )
        assert main(["fetch", "-q", "--config", str(config)]) == 0
    # Items are dated 2026-03-21 10:00 + n hours; now is 2026-03-23 12:00.
    assert cached_titles(tmp_path, "capped") == {f"capped item {n}" for n in range(2, 6)}
    assert len(cached_titles(tmp_path, "kept")) == 6
    assert cached_titles(tmp_path, "aged") == {f"aged item {n}" for n in range(2, 6)}


def test_json_feed(tmp_path: Path, epoch: int) -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON Blog",
        "home_page_url": "https://json.example/",
        "language": "en",
        "authors": [{"name": "Jay Son"}],
        "items": [
            {
                "id": "1",
                "url": "https://json.example/1",
                "title": "First JSON post",
                "content_html": "<p>Hello <a href='/about'>about</a><script>x()</script></p>",
                "date_published": "2026-03-21T10:00:00Z",
                "tags": ["json", "Feeds"],
            },
            {"id": "2", "content_text": "Only text.\n\nTwo paragraphs.", "summary": "Short"},
        ],
    }
    with FeedServer() as server:
        server.routes["/feed.json"] = serve(
            json.dumps(doc).encode(), Content_Type="application/feed+json"
        )
        server.routes["/other.json"] = serve(b'{"hello": "world"}', Content_Type="application/json")
        config = write_config(
            tmp_path,
            [
                {"url": server.url("/feed.json"), "name": "JSON Blog"},
                {"url": server.url("/other.json"), "name": "Not JSON Feed"},
            ],
        )
        assert main(["build", "-q", "--config", str(config)]) == 0
    entries = cache_json(tmp_path, "json-blog")["entries"]
    first = next(e for e in entries if e["id"] == "1")
    assert first["author"] == "Jay Son" and first["tags"] == ["json", "Feeds"]
    assert first["published"] == "2026-03-21T10:00:00Z"
    assert 'href="https://json.example/about"' in first["content_html"]
    assert "script" not in first["content_html"]
    second = next(e for e in entries if e["id"] == "2")
    assert second["content_html"] == "<p>Only text.</p><p>Two paragraphs.</p>"
    assert health(tmp_path)["Not JSON Feed"]["status"] == "not_a_feed"


def test_strict_and_the_github_step_summary(tmp_path: Path, epoch: int) -> None:
    summary = tmp_path / "summary.md"
    with FeedServer() as server:
        server.routes["/ok"] = serve(feed_body("ok"))
        server.routes["/bad"] = serve(b"no", 500, Content_Type="text/plain")
        config = write_config(
            tmp_path / "site",
            [
                {"url": server.url("/ok"), "name": "Good | feed"},
                {"url": server.url("/bad"), "name": "Bad feed"},
            ],
        )
        os.environ["GITHUB_STEP_SUMMARY"] = str(summary)
        try:
            assert main(["build", "-q", "--strict", "--config", str(config)]) == 3
        finally:
            del os.environ["GITHUB_STEP_SUMMARY"]
    text = summary.read_text(encoding="utf-8")
    assert "| Bad feed |" in text and "HTTP 500" in text and "Good" not in text
    assert (tmp_path / "site" / "output" / "index.html").is_file()


OLD_FORMATS = {
    "rss091.xml": b"""<?xml version="1.0" encoding="iso-8859-1"?>
<rss version="0.91"><channel><title>Old RSS</title><link>https://old.example/</link>
<description>d</description><language>en</language>
<item><title>Caf\xe9 au RSS 0.91</title><link>https://old.example/1</link>
<description>Latin-1 text.</description></item></channel></rss>""",
    "rss10.rdf": b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example/"><title>RDF site</title><link>https://rdf.example/</link>
<description>d</description></channel>
<item rdf:about="https://rdf.example/1"><title>RSS 1.0 item</title><link>https://rdf.example/1</link>
<dc:date>2026-03-20T10:00:00Z</dc:date><dc:creator>Rita Rdf</dc:creator>
<description>Hello from RDF.</description></item></rdf:RDF>""",
    "atom03.xml": b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Atom 0.3</title>
<link rel="alternate" type="text/html" href="https://a03.example/"/>
<modified>2026-03-19T10:00:00Z</modified><author><name>Ann Old</name></author>
<entry><title>Atom 0.3 entry</title><link rel="alternate" type="text/html" href="https://a03.example/1"/>
<id>tag:a03.example,2026:1</id><issued>2026-03-19T10:00:00Z</issued><modified>2026-03-19T10:00:00Z</modified>
<content type="text/html" mode="escaped">&lt;p&gt;Old Atom.&lt;/p&gt;</content></entry></feed>""",
}


def test_old_feed_formats(tmp_path: Path, epoch: int) -> None:
    for name, data in OLD_FORMATS.items():
        (tmp_path / name).write_bytes(data)
    config = write_config(tmp_path, [{"url": n, "name": n.split(".")[0]} for n in OLD_FORMATS])
    assert main(["build", "-q", "--config", str(config)]) == 0
    assert cached_titles(tmp_path, "rss091") == {"Café au RSS 0.91"}
    assert cached_titles(tmp_path, "rss10") == {"RSS 1.0 item"}
    assert cached_titles(tmp_path, "atom03") == {"Atom 0.3 entry"}
    rdf = cache_json(tmp_path, "rss10")["entries"][0]
    assert rdf["author"] == "Rita Rdf" and rdf["published"] == "2026-03-20T10:00:00Z"
    a03 = cache_json(tmp_path, "atom03")["entries"][0]
    assert a03["author"] == "Ann Old" and a03["content_html"] == "<p>Old Atom.</p>"


def test_json_feed_dates_out_of_range_are_unknown(tmp_path: Path, epoch: int) -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Odd dates",
        "items": [
            {"id": "a", "url": "https://odd.example/a", "title": "Year one",
             "content_text": "x", "date_published": "0001-01-01T00:00:00Z"},
            {"id": "b", "url": "https://odd.example/b", "title": "Year 2999",
             "content_text": "y", "date_published": "2999-01-01T00:00:00Z"},
        ],
    }  # fmt: skip
    (tmp_path / "feed.json").write_text(json.dumps(doc))
    config = write_config(tmp_path, [{"url": "feed.json", "name": "Odd"}])
    assert main(["build", "-q", "--config", str(config)]) == 0
    entries = cache_json(tmp_path, "odd")["entries"]
    assert [e["published"] for e in entries] == [None, None]
    assert validate_atom(tmp_path / "output" / "atom.xml") == []
