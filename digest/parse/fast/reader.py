"""What the RSS and Atom readers of the fast path share (`Reader`): base URLs as feedparser
steps them, text as it pops it, dates, categories, atom:link (read in both formats), and the
`RawFeed` made of the fields read. digest.parse.fast.rss and .atom read the elements.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from digest.parse.fast.decline import XML_BASE, Decline, Unknown, attributes, element_name, leaf
from digest.parse.fast.feedparser_internals import HTML_TYPES, map_content_type, parse_date, urljoin
from digest.parse.fast.fields import Fields, fix_text, step_base
from digest.parse.raw import RawEntry, RawFeed, Stamp

# Elements feedparser reads into fields the fast path does not use, each with no children.
# Media RSS's pictures and credits are common in news feeds (not its title, description,
# category or keywords: feedparser reads those as the entry's own).
MEDIA = {
    "media_content", "media_thumbnail", "media_credit", "media_rating", "media_license",
    "media_restriction", "media_player",
}  # fmt: skip
# Of those, what an item may carry that digest.parse.media does not read.
ITEM_MEDIA = MEDIA - {"media_content", "media_thumbnail"}
# What an item's media (`Reader.media`, `Reader.itunes`) are read from, by feedparser's names.
READ_MEDIA = frozenset({"media_content", "media_thumbnail"})
READ_ITUNES = frozenset({"itunes_duration", "itunes_episode"})
# media:content's attributes (Media RSS 1.5.1): all kept by feedparser, five read by digest.
_MEDIA_CONTENT = (
    "url", "filesize", "type", "medium", "isdefault", "expression", "bitrate", "framerate",
    "samplingrate", "channels", "duration", "height", "width", "lang",
)  # fmt: skip


class Reader:
    """One document's reading: its unknown namespaces, the base URLs met so far, and the
    language of the response (Content-Language: feedparser's default)."""

    def __init__(self, language: str | None, unknown: Unknown) -> None:
        self.unknown = unknown
        self.bases: dict[tuple[str, str | None], str] = {}
        self.language = language

    def name(self, element: Any, atom: bool) -> str:
        return element_name(element, atom, self.unknown)

    def within(self, element: Any, parent: str) -> str:
        """The base URL inside `element` whose parent's is `parent` (mostly the same one:
        remembered, not joined again for every element)."""
        key = (parent, element.get(XML_BASE))
        base = self.bases.get(key)
        if base is None:
            base = self.bases[key] = step_base(*key)
        if not base:
            # feedparser would keep an inner base past its element's end: not mirrored.
            raise Decline
        return base

    def text(self, element: Any, parent: str, uri: bool = False) -> str:
        """An element's text as feedparser pops it: stripped, resolved if a URI (against the
        base inside it; `parent` is its parent's), fixed."""
        text = leaf(element).strip()
        if uri and text:
            text = urljoin(self.within(element, parent), text)
        return fix_text(text)

    def atom_link(self, fields: Fields, element: Any, base: str) -> None:
        attrs = attributes(element, ("rel", "type", "href", "hreflang", "title", "length"))
        if "href" not in attrs or leaf(element).strip():
            raise Decline
        rel = attrs.get("rel", "alternate").lower()
        default_type = "application/atom+xml" if rel == "self" else "text/html"
        kind = attrs.get("type", default_type).lower()
        href = urljoin(self.within(element, base), attrs["href"])
        if rel == "enclosure":  # feedparser's enclosure: joined to the base, as other links
            fields.enclosures.append((href, kind, attrs.get("length")))
        if rel == "alternate" and map_content_type(kind) in HTML_TYPES:
            fields.link, fields.has_link = href, True
        elif rel == "replies" and kind == "text/html" and fields.replies is None:
            fields.replies = href

    def media(self, fields: Fields, element: Any, name: str) -> None:
        """An item's enclosure, media:thumbnail or media:content as feedparser keeps it: its
        attributes as written (digest.parse.media joins and checks them)."""
        if len(element):
            raise Decline  # children (media:title, ...) feedparser reads as the entry's own
        if name == "enclosure":  # feedparser calls url href (and takes href as it is)
            attrs = attributes(element, ("url", "href", "length", "type"))
            if "url" in attrs and "href" in attrs:
                raise Decline
            href = attrs.get("url", attrs.get("href"))
            fields.enclosures.append((href, attrs.get("type"), attrs.get("length")))
        elif name == "media_thumbnail":  # its text is the URL when it has no url: not here
            attrs = attributes(element, ("url", "width", "height", "time"))
            if "url" not in attrs or (element.text or "").strip():
                raise Decline
            fields.thumbnails.append((attrs["url"], attrs.get("width"), attrs.get("height")))
        else:
            attrs = attributes(element, _MEDIA_CONTENT)
            fields.media.append(
                (attrs.get("url"), attrs.get("type"), attrs.get("medium"), attrs.get("width"),
                 attrs.get("height"))
            )  # fmt: skip

    def itunes(self, fields: Fields, element: Any, name: str) -> None:
        """itunes:duration or itunes:episode: text feedparser stores under its name."""
        fields.once(name)
        attributes(element)
        fields.itunes[name] = leaf(element)

    def category(self, fields: Fields, element: Any, base: str) -> None:
        """feedparser's tags: term, scheme (or domain) and label from the attributes, the text
        the term of the last tag when it has none, each (term, scheme, label) once."""
        attrs = attributes(element, ("term", "scheme", "domain", "label"))
        scheme = attrs.get("scheme", attrs.get("domain"))
        fields.add_tag(attrs.get("term"), scheme, attrs.get("label"))
        value = self.text(element, base)
        if not value:
            return
        if fields.tags and not fields.tags[-1][0]:
            fields.tags[-1][0] = value
        else:
            fields.add_tag(value, None, None)

    def stamp(self, element: Any, base: str) -> Stamp:
        text = self.text(element, base)
        parsed: time.struct_time | None = parse_date(text)
        return parsed, text

    def lang(self, lang: str | None) -> str | None:
        return lang.replace("_", "-") if lang else lang

    def raw_feed(self, feed: Fields, entries: Sequence[RawEntry]) -> RawFeed:
        return RawFeed(
            title=feed.title,
            title_type=feed.title_type,
            link=feed.link,
            language=feed.language,
            ttl=feed.values.get("ttl"),
            update_period=feed.values.get("sy_updateperiod"),
            update_frequency=feed.values.get("sy_updatefrequency"),
            author=feed.author,
            author_name=feed.author_name,
            entries=entries,
        )
