"""Feeds out: atom.xml, per-tag and per-source Atom, feed.json, sitemap, robots, Pages extras."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from atomcheck import check_atom_rules
from helpers import committed_example
from hostile_helpers import validate_atom_files

from digest.cli import main
from digest.parse import html_to_text

FIXTURE = Path(__file__).parent / "fixtures" / "site"
BASE = "https://someone.github.io/some-repo/"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build for the module's tests, which only read it."""
    tmp_path = tmp_path_factory.mktemp("feeds-out")
    shutil.copytree(FIXTURE, tmp_path / "site")
    config = tmp_path / "site" / "config.toml"
    text = config.read_text().replace("https://someone.github.io/golden/", BASE)
    text = text.replace(
        "per_page = 3", 'per_page = 3\nsource_feeds = true\ncname = "news.example.org"'
    )
    config.write_text(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1774267200")  # as the `epoch` fixture
        assert main(["build", "-q", "--config", str(config)]) == 0
    return tmp_path / "site" / "output"


def test_every_atom_file_is_valid_and_linked_from_its_page(out: Path) -> None:
    feeds = sorted(out.rglob("atom.xml"))
    assert {f.relative_to(out).as_posix() for f in feeds} >= {
        "atom.xml",
        "tags/notes/atom.xml",
        "tags/writing/atom.xml",
        "sources/field-notes/atom.xml",
    }
    assert validate_atom_files(feeds) == []  # one JVM for them all
    for feed in feeds:
        assert check_atom_rules(feed) == [], feed
        root = ET.parse(feed).getroot()
        path = feed.relative_to(out).parent.as_posix()
        prefix = "" if path == "." else path + "/"
        self_link = root.find("{http://www.w3.org/2005/Atom}link[@rel='self']")
        assert self_link is not None and self_link.get("href") == BASE + prefix + "atom.xml"
        page = (out / prefix / "index.html").read_text(encoding="utf-8")
        assert 'rel="alternate" type="application/atom+xml"' in page
        assert f'href="{"../" * prefix.count("/")}{prefix}atom.xml"' in page, feed


def test_tag_feed_holds_that_tags_entries_newest_first(out: Path) -> None:
    parsed = feedparser.parse((out / "tags" / "writing" / "atom.xml").read_bytes())
    titles = [e.title for e in parsed.entries]
    assert titles == ["No date on this one", "Footnotes & headings survive", "Über Ordnung"]


def test_json_feed_follows_version_1_1(out: Path) -> None:
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Golden Digest"
    assert feed["home_page_url"] == BASE and feed["feed_url"] == BASE + "feed.json"
    assert isinstance(feed["items"], list) and len(feed["items"]) == 5  # feed_entries = 5
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids)
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item["url"].startswith("https://")
        assert isinstance(item["title"], str) and isinstance(item["content_html"], str)
        assert RFC3339.match(item["date_published"])
        assert all(isinstance(a["name"], str) for a in item["authors"])
        assert all(isinstance(t, str) for t in item.get("tags", []))
        assert all(k in SPEC_ITEM_KEYS or k.startswith("_") for k in item), item.keys()
    journal = next(i for i in feed["items"] if i["title"] == "Über Ordnung")
    assert journal["_digest"]["source"] == {
        "title": "Journal — Ünïcode",
        "home_page_url": "https://journal.example/",
    }
    assert journal["language"] == "de" and journal["authors"] == [{"name": "Jörg Journal"}]


SPEC_ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "tags", "language",
    "attachments",
}  # fmt: skip


def test_atom_and_json_feed_round_trip_to_the_same_entries(out: Path) -> None:
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    jf = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert atom.bozo == 0
    from_atom = [
        (e.id, e.title, e.link, datetime(*e.published_parsed[:6]).isoformat(), e.author)
        for e in atom.entries
        if e.get("published_parsed")
    ]
    from_json = [
        (
            i["id"],
            i["title"],
            i["url"],
            i["date_published"].removesuffix("Z"),
            i["authors"][0]["name"],
        )
        for i in jf["items"]
        if any(i["id"] == e.id and e.get("published_parsed") for e in atom.entries)
    ]
    assert from_atom == from_json
    assert len(from_atom) >= 4
    # Original ids, links and authors are kept; content is the sanitised HTML.
    notes = next(e for e in atom.entries if e.title == "Footnotes & headings survive")
    assert notes.link == "https://notes.example/2026/footnotes"
    assert notes.author == "Jane Field"
    assert notes.id.startswith("tag:someone.github.io,")  # "notes-footnotes" is no IRI
    ordnung = next(e for e in atom.entries if e.title == "Über Ordnung")
    assert ordnung.id == "tag:journal.example,2026:ordnung"
    assert ordnung.source.title == "Journal — Ünïcode"
    # (feedparser re-serialises HTML, reordering attributes: compare the text.)
    atom_content = {e.id: html_to_text(e.content[0].value) for e in atom.entries}
    json_content = {i["id"]: html_to_text(i["content_html"]) for i in jf["items"]}
    assert atom_content == json_content


def test_sitemap_robots_and_github_pages_extras(out: Path) -> None:
    root = ET.parse(out / "sitemap.xml").getroot()
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = [u.findtext(f"{ns}loc") for u in root.findall(f"{ns}url")]
    assert BASE in urls and BASE + "posts/welcome/" in urls and BASE + "tags/notes/" in urls
    assert all(u and u.startswith(BASE) for u in urls)
    assert not any(u and u.endswith("404.html") for u in urls)
    pages = {
        BASE + p.relative_to(out).as_posix().removesuffix("index.html")
        for p in out.rglob("*.html")
        if p.name != "404.html"
    }
    assert set(urls) == pages
    lastmods = [u.findtext(f"{ns}lastmod") for u in root.findall(f"{ns}url")]
    assert all(RFC3339.match(m) for m in lastmods if m)
    assert (
        out / "robots.txt"
    ).read_text() == f"User-agent: *\nAllow: /\nSitemap: {BASE}sitemap.xml\n"
    assert (out / ".nojekyll").read_bytes() == b""
    assert (out / "CNAME").read_text() == "news.example.org\n"


def test_opml_lists_every_subscribable_source(tmp_path: Path, epoch: int) -> None:
    config = committed_example(tmp_path)
    assert main(["build", "--offline", "-q", "--config", str(config)]) == 0
    root = ET.parse(tmp_path / "output" / "opml.xml").getroot()
    outlines = {o.get("text"): o for o in root.iter("outline")}
    assert set(outlines) == {
        "LessWrong", "AI Alignment Forum", "Astral Codex Ten", "Import AI", "Simon Willison",
    }  # fmt: skip
    lw = outlines["LessWrong"]
    assert lw.get("xmlUrl") == "https://www.lesswrong.com/feed.xml"
    assert lw.get("htmlUrl") == "https://www.lesswrong.com"
    assert lw.get("category") == "Rationality"
    home = (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
    assert 'href="opml.xml"' in home
