"""Part of stage 7, render: the one writer of feed documents, Atom (RFC 4287) and JSON Feed 1.1
(https://jsonfeed.org/version/1.1), from a neutral `Feed` of `FeedItem`s. Pure: values in,
bytes out; the same bytes for the same values.

The site's feeds (`syndication`) and the editions' (`edition_feeds`) say what is in a feed;
this module alone says how a feed is written, and escapes XML (`escape_text`, `escape_attr`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from digest import __version__
from digest.sanitize import xml_text
from digest.timefmt import rfc3339

# JSON Feed extensions start with "_"; ours names where digest's fields are described.
_ABOUT = "https://github.com/digest"


@dataclass(frozen=True, slots=True)
class Category:
    """A tag of an item: atom:category (term, label, scheme), a JSON Feed tag (its label)."""

    term: str
    label: str
    scheme: str


@dataclass(frozen=True, slots=True)
class Origin:
    """The feed an item came from: atom:source (RFC 4287 §4.2.11), JSON Feed
    `_digest.source`. `page` is the digest's own page of it, Atom's id and link when the feed
    has no URL or home page."""

    name: str
    page: str
    feed_url: str | None
    home_page: str | None


@dataclass(frozen=True, slots=True)
class Copy:
    """The same post from another feed, shown once (JSON Feed `_digest.also_in`)."""

    name: str
    link: str | None


@dataclass(frozen=True, slots=True)
class Enclosure:
    """An audio or video file an item carries: Atom's rel="enclosure" link (RFC 4287
    §4.2.7.2), JSON Feed's attachment."""

    url: str
    type: str
    length: int | None = None  # bytes
    duration: int | None = None  # seconds (JSON Feed only)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry (Atom) or item (JSON Feed). `date` is JSON Feed's date_published;
    `published` is atom:published (None: left out); `modified` is JSON Feed's date_modified
    (None: left out) and atom:updated, which is `date` without it. `replies` (a comments
    page) and `also_in` are written only with an `origin`, in JSON Feed."""

    id: str
    title: str
    link: str
    content_html: str
    date: datetime
    published: datetime | None = None
    modified: datetime | None = None
    author: str | None = None
    categories: tuple[Category, ...] = ()
    language: str | None = None
    replies: str | None = None
    origin: Origin | None = None
    also_in: tuple[Copy, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()  # so that a podcast app can subscribe to the digest

    @property
    def updated(self) -> datetime:
        return self.modified or self.date


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed document: `url` is its own (Atom's self link, JSON Feed's feed_url), `home`
    the page it follows (alternate link, home_page_url), `id` Atom's feed id."""

    id: str
    title: str
    url: str
    home: str
    author: str
    language: str
    items: tuple[FeedItem, ...]


def atom_document(feed: Feed) -> bytes:
    """The feed as Atom (RFC 4287); updated is its newest item's (the epoch with none)."""
    epoch = datetime.fromtimestamp(0, UTC)
    updated = max((item.updated for item in feed.items), default=epoch)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={escape_attr(feed.language)}>',
        f"  <id>{escape_text(feed.id)}</id>",
        f"  <title>{escape_text(feed.title)}</title>",
        f"  <updated>{rfc3339(updated)}</updated>",
        f'  <link rel="self" type="application/atom+xml" href={escape_attr(feed.url)}/>',
        f'  <link rel="alternate" type="text/html" href={escape_attr(feed.home)}/>',
        f"  <author><name>{escape_text(feed.author)}</name></author>",
        f'  <generator version="{__version__}">digest</generator>',
    ]
    for item in feed.items:
        lines += _atom_entry(item)
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _atom_entry(item: FeedItem) -> list[str]:
    x, a = escape_text, escape_attr
    lines = [
        "  <entry>",
        f"    <id>{x(item.id)}</id>",
        f"    <title>{x(item.title)}</title>",
        f'    <link rel="alternate" type="text/html" href={a(item.link)}/>',
    ]
    if item.replies:
        lines.append(f'    <link rel="replies" type="text/html" href={a(item.replies)}/>')
    for e in item.enclosures:
        length = f" length={a(str(e.length))}" if e.length else ""
        lines.append(f'    <link rel="enclosure" type={a(e.type)}{length} href={a(e.url)}/>')
    if item.published:
        lines.append(f"    <published>{rfc3339(item.published)}</published>")
    lines.append(f"    <updated>{rfc3339(item.updated)}</updated>")
    if item.author is not None:
        lines.append(f"    <author><name>{x(item.author)}</name></author>")
    for c in item.categories:
        lines.append(f"    <category term={a(c.term)} label={a(c.label)} scheme={a(c.scheme)}/>")
    lang = f" xml:lang={a(item.language)}" if item.language else ""
    lines.append(f'    <content type="html"{lang}>{x(item.content_html)}</content>')
    if item.origin is not None:
        # RFC 4287 §4.2.11: keep the original feed's identity with the entry.
        origin = item.origin
        home = origin.home_page or origin.page
        lines += [
            "    <source>",
            f"      <id>{x(origin.feed_url or origin.page)}</id>",
            f"      <title>{x(origin.name)}</title>",
            f'      <link rel="alternate" type="text/html" href={a(home)}/>',
        ]
        if origin.feed_url:
            lines.append(f'      <link rel="self" href={a(origin.feed_url)}/>')
        lines.append("    </source>")
    lines.append("  </entry>")
    return lines


def json_document(feed: Feed) -> bytes:
    """The feed as JSON Feed 1.1."""
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.home,
        "feed_url": feed.url,
        "language": feed.language,
        "authors": [{"name": feed.author}],
        "items": [_json_item(item) for item in feed.items],
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _json_item(item: FeedItem) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": item.id,
        "url": item.link,
        "title": item.title,
        "content_html": item.content_html,
        "date_published": rfc3339(item.date),
    }
    if item.modified:
        fields["date_modified"] = rfc3339(item.modified)
    if item.author is not None:
        fields["authors"] = [{"name": item.author}]
    if item.categories:
        fields["tags"] = [c.label for c in item.categories]
    if item.language:
        fields["language"] = item.language
    if item.enclosures:
        fields["attachments"] = [_attachment(e) for e in item.enclosures]
    if item.origin is not None:
        origin = item.origin
        source: dict[str, object] = {"title": origin.name}
        if origin.feed_url:
            source["feed_url"] = origin.feed_url
        if origin.home_page:
            source["home_page_url"] = origin.home_page
        extension: dict[str, object] = {"about": _ABOUT, "source": source}
        if item.replies:
            extension["comments"] = item.replies
        if item.also_in:
            extension["also_in"] = [{"title": c.name, "url": c.link} for c in item.also_in]
        fields["_digest"] = extension
    return fields


def _attachment(enclosure: Enclosure) -> dict[str, object]:
    found: dict[str, object] = {"url": enclosure.url, "mime_type": enclosure.type}
    if enclosure.length:
        found["size_in_bytes"] = enclosure.length
    if enclosure.duration:
        found["duration_in_seconds"] = enclosure.duration
    return found


def escape_text(text: str) -> str:
    """Text as XML character data, without the characters XML 1.0 forbids."""
    return escape(xml_text(text))


def escape_attr(text: str) -> str:
    """Text as a quoted XML attribute value, without the characters XML 1.0 forbids."""
    return quoteattr(xml_text(text))
