"""The fields of a channel, item, feed or entry as feedparser fills them (`Fields`, which makes
the `RawEntry`), and what feedparser does to each value it keeps: text fixed (`fix_text`),
base URLs stepped by xml:base, xml:lang inherited, a name made of an author's text, tags.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from digest.parse.fast.decline import XML_LANG, Decline
from digest.parse.fast.feedparser_internals import CP1252, safe_absolute_uri, urljoin
from digest.parse.media import RawMedia
from digest.parse.raw import NO_DATE, RawContent, RawEntry, Stamp

# feedparser's pattern for an address in an author's text (namespaces._base/_sync_author_detail).
_FP_EMAIL = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
_C1 = re.compile("[\x80-\x9f]")  # what feedparser's windows-1252 table maps


def fix_text(text: str) -> str:
    """What feedparser does to every text it keeps: text that decodes as UTF-8 read as
    Latin-1 is decoded again, C1 controls are read as windows-1252."""
    if text.isascii():  # most text, and long content: nothing to do, and no copy made
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(CP1252) if _C1.search(text) else text


def lang_within(element: Any, parent: str | None) -> str | None:
    """The language inside `element`: its xml:lang, else its parent's (empty: none)."""
    value: str | None = element.get(XML_LANG)
    if value is None:
        return parent
    return value or None


def step_base(base: str, xml_base: str | None) -> str:
    """feedparser's base URL inside an element, from its parent's and its xml:base."""
    uri = xml_base or base
    if base:
        return safe_absolute_uri(base, uri) or base
    return str(urljoin(base, uri))


def author_name(author: str) -> str | None:
    """The name feedparser makes of an author's text (author_detail.name)."""
    if not author:
        return None
    match = _FP_EMAIL.search(author)
    if match:
        email = match.group(0)
        author = author.replace(email, "").replace("()", "").replace("<>", "")
        author = author.replace("&lt;&gt;", "").strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    return author or None


class Fields:
    """The fields of a channel, item, feed or entry as feedparser fills them."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.title: str = ""
        self.title_type: str | None = None
        self.has_link = False
        self.link: str | None = None
        self.id: str | None = None
        self.content: list[RawContent] = []
        self.summary: RawContent | None = None
        self.dates: dict[str, Stamp] = {}
        self.author: str | None = None
        self.author_name: str | None = None
        self.tags: list[list[str | None]] = []
        self.comments: str | None = None
        self.replies: str | None = None
        self.language: str | None = None
        self.values: dict[str, str] = {}
        # enclosures, media:thumbnail, media:content (digest.parse.media), as written
        self.enclosures: list[tuple[str | None, str | None, str | None]] = []
        self.thumbnails: list[tuple[str | None, str | None, str | None]] = []
        self.media: list[tuple[str | None, str | None, str | None, str | None, str | None]] = []
        self.itunes: dict[str, str] = {}  # itunes_duration, itunes_episode: their text

    def once(self, name: str) -> None:
        """An element read as one value is there once: which of two feedparser keeps depends
        on depth and order rules not worth mirroring."""
        if name in self.seen:
            raise Decline
        self.seen.add(name)

    def add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        """A (term, scheme, label) feedparser keeps: not empty, and each once."""
        if not term and not scheme and not label:
            return
        tag = [term, scheme, label]
        if tag not in self.tags:
            self.tags.append(tag)

    def entry(self) -> RawEntry:
        media = RawMedia(
            tuple(self.enclosures), tuple(self.thumbnails), tuple(self.media),
            self.itunes.get("itunes_duration"), self.itunes.get("itunes_episode"),
        )  # fmt: skip
        return RawEntry(
            media=media,
            title=self.title,
            title_type=self.title_type,
            link=self.link,
            id=self.id,
            content=tuple(self.content),
            summary=self.summary if self.summary and self.summary.value else None,
            published=self.dates.get("published", NO_DATE),
            updated=self.dates.get("updated", NO_DATE),
            author=self.author,
            author_name=self.author_name,
            tags=tuple(term or label for term, _, label in self.tags),
            comments=self.comments,
            replies=self.replies,
        )
