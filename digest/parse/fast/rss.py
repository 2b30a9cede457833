"""The fast path's RSS 2.0 (0.91, 0.92) reader: <rss><channel>, its items, and the fields each
holds, read as feedparser reads them (what is not read here is skipped if feedparser only
stores it, else declines).
"""

from __future__ import annotations

import re
from typing import Any

from digest.parse.fast.decline import Decline, attributes, leaf, skip_stored
from digest.parse.fast.feedparser_internals import looks_like_html
from digest.parse.fast.fields import Fields, author_name, fix_text, lang_within
from digest.parse.fast.reader import ITEM_MEDIA as _ITEM_MEDIA
from digest.parse.fast.reader import MEDIA, READ_ITUNES, READ_MEDIA, Reader
from digest.parse.raw import RawContent, RawEntry, RawFeed

_REF_LIKE = re.compile("&([A-Za-z0-9_]+);")
# Elements feedparser reads into fields not used here, each with no children.
_INERT_CHANNEL = {
    "description", "copyright", "webmaster", "pubdate", "lastbuilddate", "generator", "docs",
    "cloud", "rating", "dc_date", "sy_updatebase", *MEDIA,
}  # fmt: skip
# Not enclosures, media:content or media:thumbnail: they are read (`Reader.media`).
_INERT_ITEM = {"source", "wfw_commentrss", "wfw_comment", "slash_comments"} | _ITEM_MEDIA
# Containers in an RSS channel with the children feedparser keeps inside them.
_CHANNEL_BLOCKS = {
    "image": {"url", "title", "link", "width", "height", "description"},
    "textinput": {"title", "description", "name", "link"},
    "skiphours": {"hour"},
    "skipdays": {"day"},
}
_AUTHORS = ("author", "managingeditor", "dc_creator", "dc_author")
_DATES = {"pubdate": "published", "published": "published", "dc_date": "updated"}


class RssReader(Reader):
    def read(self, root: Any, base: str) -> RawFeed:
        attributes(root, ("version",))
        channel_base = self.within(root[0], self.within(root, base)) if len(root) else base
        lang = lang_within(root, self.language)
        feed = Fields()
        feed.language = lang.replace("_", "-") if lang else None
        if len(root) != 1 or root[0].tag != "channel":
            raise Decline
        channel = root[0]
        attributes(channel)
        lang = lang_within(channel, lang)
        entries = []
        for child in channel:
            name = self.name(child, atom=False)
            if name == "item":
                entries.append(self.item(child, channel_base, lang_within(child, lang)))
            elif name in _CHANNEL_BLOCKS:
                attributes(child)
                for grandchild in child:
                    if self.name(grandchild, atom=False) not in _CHANNEL_BLOCKS[name]:
                        raise Decline
                    leaf(grandchild)
            else:
                self.field(feed, child, name, channel_base, lang, in_item=False)
        return self.raw_feed(feed, entries)

    def item(self, item: Any, channel_base: str, lang: str | None) -> RawEntry:
        attributes(item)
        item_base = self.within(item, channel_base)
        fields = Fields()
        for child in item:
            self.field(fields, child, self.name(child, atom=False), item_base, lang, in_item=True)
        return fields.entry()

    def field(
        self, fields: Fields, child: Any, name: str, base: str, lang: str | None, in_item: bool
    ) -> None:
        """A child of the channel or of an item: what both have, then `item_field` or
        `channel_field`."""
        if in_item and name in READ_ITUNES:
            self.itunes(fields, child, name)
        elif in_item and (name == "enclosure" or name in READ_MEDIA):
            self.media(fields, child, name)
        elif name in (_INERT_ITEM if in_item else _INERT_CHANNEL):
            leaf(child)
        elif name in _AUTHORS:
            fields.once("author")
            attributes(child)
            fields.author = self.text(child, base)
            fields.author_name = author_name(fields.author)
        elif name in ("category", "dc_subject"):
            self.category(fields, child, base)
        elif name == "atom_link":
            self.atom_link(fields, child, base)
        else:
            fields.once(name)
            if name == "title":
                attributes(child)
                text = leaf(child).strip()
                fields.title_type = "text/html" if looks_like_html(text) else "text/plain"
                fields.title = fix_text(text)
            elif name == "link":
                attributes(child)
                link = self.text(child, base, uri=True)
                if in_item:
                    link = link.replace("&amp;", "&")
                fields.link = _REF_LIKE.sub(r"&\g<1>", link)
                fields.has_link = True
            elif in_item:
                self.item_field(fields, child, name, base, lang)
            else:
                self.channel_field(fields, child, name, base)

    def item_field(
        self, fields: Fields, child: Any, name: str, base: str, lang: str | None
    ) -> None:
        if name == "guid":
            permalink = attributes(child, ("ispermalink",)).get("ispermalink", "true") == "true"
            fields.id = self.text(child, base, uri=permalink)
            if permalink and not fields.has_link:
                fields.link, fields.has_link = fields.id, True
        elif name in ("description", "content_encoded"):
            attributes(child)
            language = self.lang(lang_within(child, lang))
            value = RawContent(
                self.text(child, base), "text/html", language, self.within(child, base)
            )
            if name == "description":
                fields.summary = value
            else:
                fields.content.append(value)
        elif name in _DATES:
            attributes(child)
            fields.dates[_DATES[name]] = self.stamp(child, base)
        elif name == "comments":
            attributes(child)
            fields.comments = self.text(child, base, uri=True)
        else:
            skip_stored(child, name)

    def channel_field(self, fields: Fields, child: Any, name: str, base: str) -> None:
        if name in ("language", "dc_language"):
            attributes(child)
            fields.language = self.text(child, base)
        elif name in ("ttl", "sy_updateperiod", "sy_updatefrequency"):
            attributes(child)
            fields.values[name] = self.text(child, base)
        else:
            skip_stored(child, name)
