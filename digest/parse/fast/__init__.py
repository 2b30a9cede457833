"""The fast path of stage 3 (issue 11): the common well-formed RSS 2.0 (0.91, 0.92) or Atom 1.0
feed read with lxml into the same `RawFeed` feedparser's path makes, so that
`digest.parse.raw.build_feed` turns both into the same `ParsedFeed`; None for anything it is not
sure of, and feedparser reads that feed as ever. `parse_common` is its one entry point.

feedparser stays the reference: every rule here mirrors what feedparser 6 does with the
elements accepted (feedparser.mixin, feedparser.namespaces._base), down to its quirks (a guid
that is a permalink is the link when there is no <link> before it; an Atom id likewise; RSS
titles that look like HTML are HTML; text it takes for double-encoded UTF-8 is decoded again;
links and ids are joined to the base URL, xml:base included). What is not listed here declines:
a namespace feedparser does not know, an element it has a handler for that is not read here,
an unknown attribute, a repeated element, XHTML, base64 or out-of-line content, child elements
where text is expected. tests/test_fastparse.py compares both paths on feedparser's own test
feeds, ours, and random ones.

The parts: `decline` (when to leave a feed to feedparser, and feedparser's names for elements),
`fields` (the values as feedparser keeps them), `reader` (what both formats share), `rss` and
`atom` (the elements of each), `feedparser_internals` (what is taken from feedparser itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lxml import etree

from digest.models import ParsedFeed
from digest.parse.fast.atom import AtomReader
from digest.parse.fast.decline import ATOM, Decline, check_element, unknown_namespaces
from digest.parse.fast.feedparser_internals import safe_absolute_uri
from digest.parse.fast.rss import RssReader
from digest.parse.raw import RawFeed, build_feed

FORMATS = ("RSS 2.0", "RSS 0.91", "RSS 0.92", "Atom 1.0")
# Namespace declarations that would make feedparser take an Atom feed for RSS 1.0 or 0.90.
_RSS1_NAMESPACES = {"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"}


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
    if feed_format not in FORMATS:
        return None
    try:
        raw = _read(body, response_headers)
    except Decline:
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
        raise Decline from e
    unknown = unknown_namespaces(body)
    for element in root.iter():
        check_element(element, unknown)
    # feedparser's base URL, as feedparser.api makes it and each start tag steps it (this is
    # what it resolves links and ids against, and what content carries as its base).
    base = safe_absolute_uri("", headers.get("content-location", "")) or ""
    if not base:
        raise Decline
    language = _header(headers.get("content-language"))
    if root.tag == "rss":
        return RssReader(language, unknown).read(root, base)
    if root.tag == f"{{{ATOM}}}feed":
        if any(ns.lower() in _RSS1_NAMESPACES for ns in root.nsmap.values()):
            raise Decline
        return AtomReader(language, unknown).read(root, base)
    raise Decline


def _header(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
