"""The one feed-document writer: a `Feed` of `FeedItem`s as Atom (RFC 4287) and JSON Feed 1.1.
The site's and the editions' feeds are tested whole (test_feeds_out, test_editions, the golden
tree); these pin what the writer itself decides: what it leaves out, where each field goes in
each format, and its escaping."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from atomcheck import check_atom_rules, validate_atom

from digest import __version__
from digest.render.feed_writer import (
    Category,
    Copy,
    Feed,
    FeedItem,
    Origin,
    atom_document,
    json_document,
)

A = "{http://www.w3.org/2005/Atom}"
CLOSED = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
BARE = FeedItem(
    id="tag:example.org,2026:digest/editions/daily/2026-03-22",
    title="Sunday",
    link="https://example.org/editions/daily/2026-03-22/",
    content_html="<p>Hi</p>",
    date=CLOSED,
    published=CLOSED,
    modified=CLOSED,
)
URL = "https://example.org/editions/daily.xml"


def feed(*items: FeedItem, url: str = URL) -> Feed:
    home = "https://example.org/editions/"
    return Feed(url, "Daily", url, home, "Example", "en", items)


BARE_ATOM = f"""\
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <id>https://example.org/editions/daily.xml</id>
  <title>Daily</title>
  <updated>2026-03-23T12:00:00Z</updated>
  <link rel="self" type="application/atom+xml" href="https://example.org/editions/daily.xml"/>
  <link rel="alternate" type="text/html" href="https://example.org/editions/"/>
  <author><name>Example</name></author>
  <generator version="{__version__}">digest</generator>
  <entry>
    <id>tag:example.org,2026:digest/editions/daily/2026-03-22</id>
    <title>Sunday</title>
    <link rel="alternate" type="text/html" href="https://example.org/editions/daily/2026-03-22/"/>
    <published>2026-03-23T12:00:00Z</published>
    <updated>2026-03-23T12:00:00Z</updated>
    <content type="html">&lt;p&gt;Hi&lt;/p&gt;</content>
  </entry>
</feed>
"""


def test_an_item_without_author_tags_or_origin_leaves_them_out() -> None:
    assert atom_document(feed(BARE)).decode() == BARE_ATOM
    document = json.loads(json_document(feed(BARE, url="https://example.org/d.json")))
    assert document == {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Daily",
        "home_page_url": "https://example.org/editions/",
        "feed_url": "https://example.org/d.json",
        "language": "en",
        "authors": [{"name": "Example"}],
        "items": [
            {
                "id": BARE.id,
                "url": BARE.link,
                "title": "Sunday",
                "content_html": "<p>Hi</p>",
                "date_published": "2026-03-23T12:00:00Z",
                "date_modified": "2026-03-23T12:00:00Z",
            }
        ],
    }


def test_every_field_goes_where_each_format_keeps_it(tmp_path: Path) -> None:
    item = FeedItem(
        id="https://blog.example.net/p/1",
        title="A post",
        link="https://blog.example.net/p/1.html",
        content_html="<p>Text</p>",
        date=datetime(2026, 3, 20, tzinfo=UTC),
        published=None,  # the feed gave no date: Atom leaves published out, JSON has `date`
        modified=datetime(2026, 3, 21, tzinfo=UTC),
        author="Ann",
        categories=(Category("ai", "AI", "https://example.org/tags/"),),
        language="de",
        replies="https://blog.example.net/p/1#comments",
        origin=Origin("Blog", "https://example.org/sources/blog/", None, None),
        also_in=(Copy("Planet", "https://planet.example.com/1"),),
    )
    path = tmp_path / "atom.xml"
    path.write_bytes(atom_document(feed(item)))
    assert validate_atom(path) == [] and check_atom_rules(path) == []
    entry = ET.parse(path).getroot().find(A + "entry")
    assert entry is not None
    assert entry.find(A + "published") is None
    assert entry.findtext(A + "updated") == "2026-03-21T00:00:00Z"
    assert [(e.get("rel"), e.get("href")) for e in entry.findall(A + "link")] == [
        ("alternate", item.link),
        ("replies", item.replies),
    ]
    category = entry.find(A + "category")
    assert category is not None and category.attrib == {
        "term": "ai", "label": "AI", "scheme": "https://example.org/tags/",
    }  # fmt: skip
    # A feed with no URL and no home page: its page on the digest stands in for both.
    assert entry.findtext(f"{A}source/{A}id") == "https://example.org/sources/blog/"
    [json_item] = json.loads(json_document(feed(item)))["items"]
    assert json_item["date_published"] == "2026-03-20T00:00:00Z"
    assert (json_item["tags"], json_item["language"]) == (["AI"], "de")
    assert json_item["_digest"] == {
        "about": "https://github.com/digest",
        "source": {"title": "Blog"},
        "comments": item.replies,
        "also_in": [{"title": "Planet", "url": "https://planet.example.com/1"}],
    }


def test_atom_escapes_text_and_attributes_and_drops_what_xml_forbids() -> None:
    item = FeedItem(
        id="https://example.org/a?b=1&c=2",
        title='<b>"Fish" & chips</b>\x01',
        link='https://example.org/?q="x"&y',
        content_html="ok",
        date=CLOSED,
        author="A & B",
    )
    root = ET.fromstring(atom_document(feed(item)))
    entry = root.find(A + "entry")
    assert entry is not None
    assert entry.findtext(A + "title") == '<b>"Fish" & chips</b>'
    assert entry.findtext(A + "id") == "https://example.org/a?b=1&c=2"
    link = entry.find(A + "link")
    assert link is not None and link.get("href") == 'https://example.org/?q="x"&y'
    assert entry.findtext(f"{A}author/{A}name") == "A & B"


def test_a_feed_with_no_items_is_dated_at_the_epoch() -> None:
    root = ET.fromstring(atom_document(feed()))
    assert root.findtext(A + "updated") == "1970-01-01T00:00:00Z"
    assert json.loads(json_document(feed()))["items"] == []
