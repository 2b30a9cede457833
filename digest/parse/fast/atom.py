"""The fast path's Atom 1.0 reader (RFC 4287): <feed>, its entries, and the fields each holds,
read as feedparser reads them (what is not read here is skipped if feedparser only stores it,
else declines; XHTML, base64 and out-of-line content always decline).
"""

from __future__ import annotations

from typing import Any

from digest.parse.fast.decline import Decline, attributes, leaf, skip_stored
from digest.parse.fast.feedparser_internals import map_content_type
from digest.parse.fast.fields import Fields, author_name, lang_within
from digest.parse.fast.reader import ITEM_MEDIA as _ITEM_MEDIA
from digest.parse.fast.reader import MEDIA, READ_ITUNES, READ_MEDIA, Reader
from digest.parse.raw import RawContent, RawEntry, RawFeed

# Elements feedparser reads into fields not used here, each with no children.
_INERT_FEED = {"subtitle", "updated", "generator", "icon", "logo", "rights", *MEDIA}
_INERT_ENTRY = {"rights"} | _ITEM_MEDIA  # as RSS's items (fast/rss.py)
_PERSON = {"name", "email", "uri"}
_SOURCE = {
    "author", "category", "contributor", "generator", "icon", "id", "link", "logo", "rights",
    "subtitle", "title", "updated",
}  # fmt: skip
_TEXT_TYPES = ("text/plain", "text/html")


class AtomReader(Reader):
    def read(self, root: Any, base: str) -> RawFeed:
        attributes(root)
        feed_base = self.within(root, base)
        lang = lang_within(root, self.language)
        feed = Fields()
        feed.language = lang.replace("_", "-") if lang else None
        entries = []
        for child in root:
            name = self.name(child, atom=True)
            if name == "entry":
                entries.append(self.entry(child, feed_base, lang_within(child, lang)))
            else:
                self.field(feed, child, name, feed_base, lang, in_entry=False)
        return self.raw_feed(feed, entries)

    def entry(self, entry: Any, feed_base: str, lang: str | None) -> RawEntry:
        attributes(entry)
        entry_base = self.within(entry, feed_base)
        fields = Fields()
        for child in entry:
            self.field(fields, child, self.name(child, atom=True), entry_base, lang, in_entry=True)
        return fields.entry()

    def field(
        self, fields: Fields, child: Any, name: str, base: str, lang: str | None, in_entry: bool
    ) -> None:
        """A child of the feed or of an entry."""
        if in_entry and name in READ_ITUNES:
            self.itunes(fields, child, name)
        elif in_entry and name in READ_MEDIA:
            self.media(fields, child, name)
        elif name in (_INERT_ENTRY if in_entry else _INERT_FEED):
            leaf(child)
        elif name == "link":
            self.atom_link(fields, child, base)
        elif name == "category":
            self.category(fields, child, base)
        elif name == "contributor":
            self.person(child)
        elif name == "author":
            fields.once("author")
            self.author(fields, child, base)
        elif name == "id":
            fields.once(name)
            attributes(child)
            fields.id = self.text(child, base, uri=True)  # feedparser: an id is a permalink
            if not fields.has_link:
                fields.link, fields.has_link = fields.id, True
        elif name == "title":
            fields.once(name)
            fields.title_type = self.text_type(child)
            fields.title = self.text(child, base)
        elif in_entry and name in ("content", "summary"):
            fields.once(name)
            value = RawContent(
                self.text(child, base),
                self.text_type(child),
                self.lang(lang_within(child, lang)),
                self.within(child, base),
            )
            if name == "summary":
                fields.summary = value
            else:
                fields.content.append(value)
        elif in_entry and name in ("published", "updated"):
            fields.once(name)
            attributes(child)
            fields.dates[name] = self.stamp(child, base)
        elif in_entry and name == "source":
            self.source(child)
        else:
            skip_stored(child, name)

    def author(self, fields: Fields, element: Any, base: str) -> None:
        attributes(element)
        if len(element):  # name, email, uri: feedparser's author is "name (email)"
            parts = self.person(element)
            name, email = parts.get("name"), parts.get("email")
            fields.author = f"{name} ({email})" if name and email else name or email or ""
            fields.author_name = name
        else:
            fields.author = self.text(element, base)
            fields.author_name = author_name(fields.author)

    def text_type(self, element: Any) -> str:
        """An Atom text construct's type, as feedparser maps it: text or HTML, else decline
        (XHTML, base64 and out-of-line content are feedparser's to read)."""
        kind = map_content_type(attributes(element, ("type",)).get("type", "text/plain"))
        if kind not in _TEXT_TYPES:
            raise Decline
        return str(kind)

    def person(self, element: Any) -> dict[str, str]:
        """An Atom person's name and email, as feedparser keeps them (stripped, no more)."""
        attributes(element)
        if (element.text or "").strip():
            raise Decline
        parts: dict[str, str] = {}
        for child in element:
            name = self.name(child, atom=True)
            if name in parts or (child.tail or "").strip():
                raise Decline
            if name not in _PERSON:
                skip_stored(child, name)  # Blogger's gd:image
                continue
            attributes(child)
            parts[name] = leaf(child).strip()
        return parts

    def source(self, element: Any) -> None:
        """An entry's atom:source (the feed it was copied from): vetted, not read."""
        attributes(element)
        for part in element:
            part_name = self.name(part, atom=True)
            if part_name not in _SOURCE:
                raise Decline
            if part_name in ("author", "contributor"):
                self.person(part)
            else:
                leaf(part)
