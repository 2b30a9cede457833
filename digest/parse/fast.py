"""The fast path of stage 3 (issue 11): the common well-formed RSS 2.0 (0.91, 0.92) or Atom 1.0
feed read with lxml into the same `RawFeed` feedparser's path makes, so that
`digest.parse.raw.build_feed` turns both into the same `ParsedFeed`; None for anything it is not
sure of, and feedparser reads that feed as ever.

feedparser stays the reference: every rule here mirrors what feedparser 6 does with the
elements accepted (feedparser.mixin, feedparser.namespaces._base), down to its quirks (a guid
that is a permalink is the link when there is no <link> before it; an Atom id likewise; RSS
titles that look like HTML are HTML; text it takes for double-encoded UTF-8 is decoded again;
links and ids are joined to the base URL, xml:base included). What is not listed here declines:
a namespace feedparser does not know, an element it has a handler for that is not read here,
an unknown attribute, a repeated element, XHTML, base64 or out-of-line content, child elements
where text is expected. tests/test_fastparse.py compares both paths on feedparser's own test
feeds, ours, and random ones.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from digest.models import ParsedFeed
from digest.parse.raw import NO_DATE, RawContent, RawEntry, RawFeed, Stamp, build_feed

# False: feedparser reads every feed (the differential test and benchmarks switch it off).
ENABLED = True

FORMATS = ("RSS 2.0", "RSS 0.91", "RSS 0.92", "Atom 1.0")
ATOM = "http://www.w3.org/2005/Atom"
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_XML_ATTRIBUTES = (_LANG, _BASE)
# The namespaces feedparser knows (by lower-cased URI), and its prefix for each. Those it
# reads as RSS's or Atom's own ("") are not read here but Atom's; its elements in the others
# are named "prefix_local" and read or skipped (`_inert`) by that name.
_FP_NAMESPACES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_PREFIXES = {uri: f"{prefix.lower()}_" for uri, prefix in _FP_NAMESPACES.items() if prefix}
_FP_PREFIXES = {prefix.lower() for prefix in _FP_NAMESPACES.values() if prefix}
_DECLARATION = re.compile(rb"""xmlns(?::([^\s=/>]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# Attribute names feedparser's handlers look up: an attribute of another namespace with one
# of these local names would stand in for the element's own (feedparser drops the prefix).
_MEANINGFUL = {
    "href", "url", "uri", "rel", "type", "term", "scheme", "domain", "label", "lang", "base",
    "ispermalink", "version", "mode", "src", "lastmod", "about", "resource", "text",
}  # fmt: skip
# The keys of feedparser's results read here: an element feedparser stores under its own
# name must not be named so.
_READ_KEYS = {
    "title", "title_detail", "link", "links", "id", "content", "summary", "summary_detail",
    "published", "published_parsed", "created", "created_parsed", "updated", "updated_parsed",
    "author", "author_detail", "authors", "tags", "comments", "language", "ttl",
    "sy_updateperiod", "sy_updatefrequency",
}  # fmt: skip
# Namespace declarations that would make feedparser take an Atom feed for RSS 1.0 or 0.90.
_RSS1_NAMESPACES = {"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"}

_looks_like_html = _FeedParserMixin.looks_like_html
_map_content_type = _FeedParserMixin.map_content_type
_HTML_TYPES = _FeedParserMixin.html_types
_TEXT_TYPES = ("text/plain", "text/html")
# feedparser's pattern for an address in an author's text (namespaces._base/_sync_author_detail).
_FP_EMAIL = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
_REF_LIKE = re.compile("&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")  # what feedparser's windows-1252 table maps

# Elements feedparser reads into fields this module does not use, each with no children.
# Media RSS's pictures and credits are common in news feeds (not its title, description,
# category or keywords: feedparser reads those as the entry's own).
_MEDIA = {
    "media_content", "media_thumbnail", "media_credit", "media_rating", "media_license",
    "media_restriction", "media_player",
}  # fmt: skip
_INERT_CHANNEL = {
    "description", "copyright", "webmaster", "pubdate", "lastbuilddate", "generator", "docs",
    "cloud", "rating", "dc_date", "sy_updatebase", *_MEDIA,
}  # fmt: skip
_INERT_ITEM = {"enclosure", "source", "wfw_commentrss", "wfw_comment", "slash_comments", *_MEDIA}
_INERT_FEED = {"subtitle", "updated", "generator", "icon", "logo", "rights", *_MEDIA}
_INERT_ENTRY = {"rights", *_MEDIA}
# Containers in an RSS channel with the children feedparser keeps inside them.
_CHANNEL_BLOCKS = {
    "image": {"url", "title", "link", "width", "height", "description"},
    "textinput": {"title", "description", "name", "link"},
    "skiphours": {"hour"},
    "skipdays": {"day"},
}
_PERSON = {"name", "email", "uri"}
_SOURCE = {
    "author", "category", "contributor", "generator", "icon", "id", "link", "logo", "rights",
    "subtitle", "title", "updated",
}  # fmt: skip
_AUTHORS = ("author", "managingeditor", "dc_creator", "dc_author")
_DATES = {"pubdate": "published", "published": "published", "dc_date": "updated"}


class _Decline(Exception):
    """Not sure to read this feed as feedparser does: feedparser reads it."""


def parse_common(
    body: bytes,
    *,
    url: str,
    response_headers: Mapping[str, str],
    source: str,
    now: datetime,
    feed_format: str,
) -> ParsedFeed | None:
    """`body` as `prepare_feed` made it (UTF-8, no DTD) read with lxml: the `ParsedFeed`
    feedparser's path gives, or None when the feed is not one this module is sure of."""
    if not ENABLED or feed_format not in FORMATS:
        return None
    try:
        raw = _read(body, response_headers)
    except _Decline:
        return None
    return build_feed(raw, url=url, source=source, now=now, feed_format=feed_format)


def _parser() -> etree.XMLParser:
    # A parser per call (lxml parsers are not to be shared between threads). Never an entity
    # resolved, a DTD or anything else fetched; prepare_feed already caps the elements.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=False,
        remove_comments=True,  # feedparser skips them: text around one is one text
        remove_pis=True,
    )


def _read(body: bytes, headers: Mapping[str, str]) -> RawFeed:
    try:
        root = etree.fromstring(body, _parser())
    except etree.LxmlError as e:
        raise _Decline from e
    unknown = _unknown_namespaces(body)
    for element in root.iter():
        _check(element, unknown)
    # feedparser's base URL, as feedparser.api makes it and each start tag steps it (this is
    # what it resolves links and ids against, and what content carries as its base).
    base = make_safe_absolute_uri("", headers.get("content-location", "")) or ""
    if not base:
        raise _Decline
    reader = _Reader(_header(headers.get("content-language")), unknown)
    if root.tag == "rss":
        return reader.rss(root, base)
    if root.tag == f"{{{ATOM}}}feed":
        if any(ns.lower() in _RSS1_NAMESPACES for ns in root.nsmap.values()):
            raise _Decline
        return reader.atom(root, base)
    raise _Decline


def _header(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _check(element: Any, unknown: Mapping[str, tuple[str | None, ...]]) -> None:
    """What decides nothing for the fields read here, anywhere in the document: a namespace
    feedparser knows by a prefix of its own (or Atom), or one it does not know (see
    `_unknown_namespaces`); no attribute of another namespace that could stand in for one
    feedparser reads; no entity left unresolved."""
    tag = element.tag
    if not isinstance(tag, str):
        raise _Decline  # an entity reference node
    if tag[0] == "{":
        namespace = tag[1 : tag.index("}")]
        if namespace != ATOM and namespace.lower() not in _PREFIXES and namespace not in unknown:
            raise _Decline
    for key in element.attrib:
        if key[0] == "{" and key not in _XML_ATTRIBUTES:
            namespace, local = key[1:].split("}", 1)
            if local.lower() in _MEANINGFUL or namespace == _RDF:
                raise _Decline
            if namespace.lower() in _FP_NAMESPACES and not _FP_NAMESPACES[namespace.lower()]:
                raise _Decline  # feedparser would drop its prefix: RSS's or Atom's own
            if namespace.lower() == "http://www.w3.org/xml/1998/namespace":
                raise _Decline
        elif key.lower() in ("base", "lang"):
            raise _Decline


def _unknown_namespaces(body: bytes) -> dict[str, tuple[str | None, ...]]:
    """The namespaces feedparser does not know, each with the prefixes declared for it (None:
    the default namespace), in document order; declines what feedparser would misname.

    feedparser names an element of a namespace it knows by its own prefix for it, but through
    the prefixes declared in the document: one declared for a known namespace that is its name
    for another (xmlns:dc="...content...") renames that one's elements. An element of an
    unknown namespace is named by the first prefix declared for it, or bare without one; a
    prefix declared for two namespaces makes that depend on order: declined."""
    declared: dict[str, list[str | None]] = {}
    uris_of: dict[str | None, set[str]] = {}
    for match in _DECLARATION.finditer(body):
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        if b"&" in raw:
            raise _Decline  # a reference in a namespace name: not worth unescaping
        prefix = match.group(1).decode("utf-8", "replace") if match.group(1) else None
        uri = raw.decode("utf-8", "replace")
        known = _FP_NAMESPACES.get(uri.lower())
        if known is not None and prefix in _FP_PREFIXES - {known.lower()}:
            raise _Decline
        uris_of.setdefault(prefix, set()).add(uri)
        prefixes = declared.setdefault(uri, [])
        if prefix not in prefixes:
            prefixes.append(prefix)
    unknown = {}
    for uri, prefixes in declared.items():
        lower = uri.lower()
        if lower in _FP_NAMESPACES or not uri:
            continue
        if "backend.userland.com/rss" in lower:
            raise _Decline  # feedparser reads that one as RSS's own
        if any(len(uris_of[p]) > 1 for p in prefixes if p is not None):
            raise _Decline
        unknown[uri] = tuple(prefixes)
    return unknown


def _only_stored(name: str) -> bool:
    """Whether feedparser has no handler for elements so named, and stores them under that
    name where nothing read here looks."""
    return not (
        name in _READ_KEYS
        or hasattr(_FeedParserMixin, f"_start_{name}")
        or hasattr(_FeedParserMixin, f"_end_{name}")
    )


def _inert(element: Any, name: str) -> None:
    """An element feedparser only stores: skipped, if it holds no other element. Anything
    else declines."""
    if not _only_stored(name):
        raise _Decline
    _leaf(element)


def _name(element: Any, atom: bool, unknown: Mapping[str, tuple[str | None, ...]]) -> str:
    """feedparser's name for an element: its prefix for the namespace, the local name lower
    case. In RSS the one Atom element read is atom:link ("atom_link"); in Atom, only Atom's.
    An element of a namespace feedparser does not know is skipped when every name feedparser
    could give it is one it only stores ("?" and its local name: no name read here)."""
    tag: str = element.tag
    if tag[0] != "{":
        if atom:
            raise _Decline
        return tag.lower()
    namespace, local = tag[1:].split("}", 1)
    if namespace == ATOM:
        if atom:
            return local.lower()
        if local.lower() != "link":
            raise _Decline
        return "atom_link"
    prefix = _PREFIXES.get(namespace.lower())
    if prefix is not None:
        return prefix + local.lower()
    for declared in unknown[namespace]:
        name = f"{declared}_{local}" if declared else local
        if not _only_stored(name.lower()):
            raise _Decline
    return f"?{local}"


def _attributes(element: Any, allowed: tuple[str, ...] = ()) -> dict[str, str]:
    """The attributes, names lower case as feedparser has them; one not `allowed` declines."""
    # Attributes of other namespaces: vetted by `_check`, not read.
    own = [(k, v) for k, v in element.attrib.items() if k[0] != "{"]
    found = {k.lower(): v for k, v in own}
    if len(found) != len(own):
        raise _Decline
    if any(key not in allowed for key in found):
        raise _Decline
    return found


def _leaf(element: Any) -> str:
    """The text of an element expected to hold only text."""
    if len(element):
        raise _Decline
    text: str | None = element.text
    return text or ""


def _fix(text: str) -> str:
    """What feedparser does to every text it keeps: text that decodes as UTF-8 read as
    Latin-1 is decoded again, C1 controls are read as windows-1252."""
    if text.isascii():  # most text, and long content: nothing to do, and no copy made
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_cp1252) if _C1.search(text) else text


def _lang(element: Any, parent: str | None) -> str | None:
    value: str | None = element.get(_LANG)
    if value is None:
        return parent
    return value or None


def _step(base: str, xml_base: str | None) -> str:
    """feedparser's base URL inside an element, from its parent's and its xml:base."""
    uri = xml_base or base
    if base:
        return make_safe_absolute_uri(base, uri) or base
    return str(_urljoin(base, uri))


def _author_name(author: str) -> str | None:
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


class _Fields:
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

    def once(self, name: str) -> None:
        """An element read as one value is there once: which of two feedparser keeps depends
        on depth and order rules not worth mirroring."""
        if name in self.seen:
            raise _Decline
        self.seen.add(name)

    def entry(self) -> RawEntry:
        return RawEntry(
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


class _Reader:
    def __init__(self, language: str | None, unknown: Mapping[str, tuple[str | None, ...]]) -> None:
        self.unknown = unknown
        self.bases: dict[tuple[str, str | None], str] = {}
        self.language = language

    def name(self, element: Any, atom: bool) -> str:
        return _name(element, atom, self.unknown)

    def within(self, element: Any, parent: str) -> str:
        """The base URL inside `element` whose parent's is `parent` (mostly the same one:
        remembered, not joined again for every element)."""
        key = (parent, element.get(_BASE))
        base = self.bases.get(key)
        if base is None:
            base = self.bases[key] = _step(*key)
        if not base:
            # feedparser would keep an inner base past its element's end: not mirrored.
            raise _Decline
        return base

    def text(self, element: Any, parent: str, uri: bool = False) -> str:
        """An element's text as feedparser pops it: stripped, resolved if a URI (against the
        base inside it; `parent` is its parent's), fixed."""
        text = _leaf(element).strip()
        if uri and text:
            text = _urljoin(self.within(element, parent), text)
        return _fix(text)

    # --- RSS 2.0, 0.91, 0.92 ----------------------------------------------------------------

    def rss(self, root: Any, base: str) -> RawFeed:
        _attributes(root, ("version",))
        channel_base = self.within(root[0], self.within(root, base)) if len(root) else base
        lang = _lang(root, self.language)
        feed = _Fields()
        feed.language = lang.replace("_", "-") if lang else None
        if len(root) != 1 or root[0].tag != "channel":
            raise _Decline
        channel = root[0]
        _attributes(channel)
        lang = _lang(channel, lang)
        entries = []
        for child in channel:
            name = self.name(child, atom=False)
            if name == "item":
                entries.append(self.rss_item(child, channel_base, _lang(child, lang)))
            elif name in _CHANNEL_BLOCKS:
                _attributes(child)
                for grandchild in child:
                    if self.name(grandchild, atom=False) not in _CHANNEL_BLOCKS[name]:
                        raise _Decline
                    _leaf(grandchild)
            else:
                self.rss_field(feed, child, name, channel_base, lang, in_item=False)
        return self.feed(feed, entries)

    def rss_item(self, item: Any, channel_base: str, lang: str | None) -> RawEntry:
        _attributes(item)
        item_base = self.within(item, channel_base)
        fields = _Fields()
        for child in item:
            self.rss_field(
                fields, child, self.name(child, atom=False), item_base, lang, in_item=True
            )
        return fields.entry()

    def rss_field(
        self, fields: _Fields, child: Any, name: str, base: str, lang: str | None, in_item: bool
    ) -> None:
        inert = _INERT_ITEM if in_item else _INERT_CHANNEL
        if name in inert:
            _leaf(child)
            return
        if name in _AUTHORS:
            fields.once("author")
            _attributes(child)
            fields.author = self.text(child, base)
            fields.author_name = _author_name(fields.author)
            return
        if name in ("category", "dc_subject"):
            self.category(fields, child, base)
            return
        if name == "atom_link":
            self.atom_link(fields, child, base)
            return
        fields.once(name)
        if name == "title":
            _attributes(child)
            text = _leaf(child).strip()
            fields.title_type = "text/html" if _looks_like_html(text) else "text/plain"
            fields.title = _fix(text)
        elif name == "link":
            _attributes(child)
            link = self.text(child, base, uri=True)
            if in_item:
                link = link.replace("&amp;", "&")
            fields.link = _REF_LIKE.sub(r"&\g<1>", link)
            fields.has_link = True
        elif in_item and name == "guid":
            permalink = _attributes(child, ("ispermalink",)).get("ispermalink", "true") == "true"
            fields.id = self.text(child, base, uri=permalink)
            if permalink and not fields.has_link:
                fields.link, fields.has_link = fields.id, True
        elif in_item and name in ("description", "content_encoded"):
            _attributes(child)
            language = self.lang(_lang(child, lang))
            value = RawContent(
                self.text(child, base), "text/html", language, self.within(child, base)
            )
            if name == "description":
                fields.summary = value
            else:
                fields.content.append(value)
        elif in_item and name in _DATES:
            _attributes(child)
            fields.dates[_DATES[name]] = self.stamp(child, base)
        elif in_item and name == "comments":
            _attributes(child)
            fields.comments = self.text(child, base, uri=True)
        elif not in_item and name in ("language", "dc_language"):
            _attributes(child)
            fields.language = self.text(child, base)
        elif not in_item and name in ("ttl", "sy_updateperiod", "sy_updatefrequency"):
            _attributes(child)
            fields.values[name] = self.text(child, base)
        else:
            _inert(child, name)

    # --- Atom 1.0 ------------------------------------------------------------------------

    def atom(self, root: Any, base: str) -> RawFeed:
        _attributes(root)
        feed_base = self.within(root, base)
        lang = _lang(root, self.language)
        feed = _Fields()
        feed.language = lang.replace("_", "-") if lang else None
        entries = []
        for child in root:
            name = self.name(child, atom=True)
            if name == "entry":
                entries.append(self.atom_entry(child, feed_base, _lang(child, lang)))
            else:
                self.atom_field(feed, child, name, feed_base, lang, in_entry=False)
        return self.feed(feed, entries)

    def atom_entry(self, entry: Any, feed_base: str, lang: str | None) -> RawEntry:
        _attributes(entry)
        entry_base = self.within(entry, feed_base)
        fields = _Fields()
        for child in entry:
            self.atom_field(
                fields, child, self.name(child, atom=True), entry_base, lang, in_entry=True
            )
        return fields.entry()

    def atom_field(
        self, fields: _Fields, child: Any, name: str, base: str, lang: str | None, in_entry: bool
    ) -> None:
        if name in (_INERT_ENTRY if in_entry else _INERT_FEED):
            _leaf(child)
        elif name == "link":
            self.atom_link(fields, child, base)
        elif name == "category":
            self.category(fields, child, base)
        elif name == "contributor":
            self.person(child)
        elif name == "author":
            fields.once("author")
            _attributes(child)
            if len(child):  # name, email, uri: feedparser's author is "name (email)"
                parts = self.person(child)
                name_, email = parts.get("name"), parts.get("email")
                fields.author = f"{name_} ({email})" if name_ and email else name_ or email or ""
                fields.author_name = name_
            else:
                fields.author = self.text(child, base)
                fields.author_name = _author_name(fields.author)
        elif name == "id":
            fields.once(name)
            _attributes(child)
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
                self.lang(_lang(child, lang)),
                self.within(child, base),
            )
            if name == "summary":
                fields.summary = value
            else:
                fields.content.append(value)
        elif in_entry and name in ("published", "updated"):
            fields.once(name)
            _attributes(child)
            fields.dates[name] = self.stamp(child, base)
        elif in_entry and name == "source":
            _attributes(child)
            for part in child:
                part_name = self.name(part, atom=True)
                if part_name not in _SOURCE:
                    raise _Decline
                if part_name in ("author", "contributor"):
                    self.person(part)
                else:
                    _leaf(part)
        else:
            _inert(child, name)

    def text_type(self, element: Any) -> str:
        """An Atom text construct's type, as feedparser maps it: text or HTML, else decline
        (XHTML, base64 and out-of-line content are feedparser's to read)."""
        kind = _map_content_type(_attributes(element, ("type",)).get("type", "text/plain"))
        if kind not in _TEXT_TYPES:
            raise _Decline
        return str(kind)

    def person(self, element: Any) -> dict[str, str]:
        """An Atom person's name and email, as feedparser keeps them (stripped, no more)."""
        _attributes(element)
        if (element.text or "").strip():
            raise _Decline
        parts: dict[str, str] = {}
        for child in element:
            name = self.name(child, atom=True)
            if name in parts or (child.tail or "").strip():
                raise _Decline
            if name not in _PERSON:
                _inert(child, name)  # Blogger's gd:image
                continue
            _attributes(child)
            parts[name] = _leaf(child).strip()
        return parts

    # --- both ----------------------------------------------------------------------------

    def atom_link(self, fields: _Fields, element: Any, base: str) -> None:
        attributes = _attributes(element, ("rel", "type", "href", "hreflang", "title", "length"))
        if "href" not in attributes or _leaf(element).strip():
            raise _Decline
        rel = attributes.get("rel", "alternate").lower()
        default_type = "application/atom+xml" if rel == "self" else "text/html"
        kind = attributes.get("type", default_type).lower()
        href = _urljoin(self.within(element, base), attributes["href"])
        if rel == "alternate" and _map_content_type(kind) in _HTML_TYPES:
            fields.link, fields.has_link = href, True
        elif rel == "replies" and kind == "text/html" and fields.replies is None:
            fields.replies = href

    def category(self, fields: _Fields, element: Any, base: str) -> None:
        """feedparser's tags: term, scheme (or domain) and label from the attributes, the text
        the term of the last tag when it has none, each (term, scheme, label) once."""
        attributes = _attributes(element, ("term", "scheme", "domain", "label"))
        scheme = attributes.get("scheme", attributes.get("domain"))
        _add_tag(fields.tags, attributes.get("term"), scheme, attributes.get("label"))
        value = self.text(element, base)
        if not value:
            return
        if fields.tags and not fields.tags[-1][0]:
            fields.tags[-1][0] = value
        else:
            _add_tag(fields.tags, value, None, None)

    def stamp(self, element: Any, base: str) -> Stamp:
        text = self.text(element, base)
        parsed: time.struct_time | None = _parse_date(text)
        return parsed, text

    def lang(self, lang: str | None) -> str | None:
        return lang.replace("_", "-") if lang else lang

    def feed(self, feed: _Fields, entries: list[RawEntry]) -> RawFeed:
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


def _add_tag(
    tags: list[list[str | None]], term: str | None, scheme: str | None, label: str | None
) -> None:
    if not term and not scheme and not label:
        return
    tag = [term, scheme, label]
    if tag not in tags:
        tags.append(tag)
