"""What a body is, before anything parses it: JSON Feed, which RSS or Atom, or which
document that is not a feed; and the feeds a web page advertises. Pure, and cheap: the root
element's start tag is scanned as text, never parsed as XML (so no DTD, no entity is read).
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

from digest.errors import FeedError
from digest.sanitize import http_url


def is_json(body: bytes, content_type: str) -> bool:
    """JSON by its first character or its Content-Type: read as JSON Feed, not as XML."""
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[") or (
        "json" in content_type.lower()
    )


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# A feed is known by its root element: (local name, namespace) -> format. RSS 0.9x/2.0 have
# no namespace (a stray one is tolerated) and say their version in an attribute; rdf:RDF is
# RSS 1.0 (or 0.90) only with that format's namespace declared (RSS 1.0 spec §5.2,
# https://web.resource.org/rss/1.0/spec); RSS 1.1's root is Channel in its own namespace
# (http://inamidst.com/rss1.1/); Atom's is feed (RFC 4287 §4.1.1; 0.3 had its own namespace).
_FEED_ROOTS = {
    ("Channel", "http://purl.org/net/rss1.1#"): "RSS 1.1",
    ("feed", "http://www.w3.org/2005/Atom"): "Atom 1.0",
    ("feed", "http://purl.org/atom/ns#"): "Atom 0.3",
    # Generators that forget Atom's namespace exist; feedparser reads them, and so do readers.
    ("feed", ""): "Atom",
}
_RSS_VERSIONS = ("0.91", "0.92", "0.93", "0.94", "2.0")
_RDF_FORMATS = {
    "http://purl.org/rss/1.0/": "RSS 1.0",
    "http://my.netscape.com/rdf/simple/0.9/": "RSS 0.90",
}
# What well-formed documents that are not feeds are, to say so (by namespace, or root name).
_NOT_FEEDS = {
    "http://www.w3.org/2007/app": "an Atom Publishing Protocol service document",
    "http://www.opengis.net/kml/2.2": "a KML map",
    "http://earth.google.com/kml/2.2": "a KML map",
    "http://www.sitemaps.org/schemas/sitemap/0.9": "a sitemap",
    "http://www.w3.org/2000/svg": "an SVG image",
    "http://www.w3.org/1999/xhtml": "a web page",
    "html": "a web page",
    "opml": "an OPML subscription list (digest import-opml reads it)",
}
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)")
_ATTRIBUTE = re.compile(rb"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_NAMESPACE_DECLARATION = re.compile(rb"xmlns(?::[\w.-]+)?\s*=\s*[\"']([^\"']*)[\"']")


def xml_feed_format(body: bytes) -> str:
    """ "RSS 2.0", "Atom 1.0", ...: the format the root element names (its local name and
    namespace), or FeedError saying what the document is instead.

    `body` is what `prepare_feed` made of the feed: the prolog (DOCTYPE and all) is gone, so
    the root's start tag is the first one; it is scanned as text, never parsed as XML.
    """
    root = _ROOT_TAG.search(body, 0, 1_000_000)
    if root is None:
        raise FeedError("not a feed (no XML element)")
    qname = root.group(1).decode("utf-8", "replace")
    prefix, _, local = qname.rpartition(":")
    attributes = {
        m.group(1).decode("utf-8", "replace"): (m.group(2) or m.group(3) or b"").decode(
            "utf-8", "replace"
        )
        for m in _ATTRIBUTE.finditer(root.group(2))
    }
    namespace = attributes.get(f"xmlns:{prefix}" if prefix else "xmlns", "")
    if local == "rss":
        version = attributes.get("version", "").strip()
        return f"RSS {version}" if version in _RSS_VERSIONS else "RSS"
    if (local, namespace) == ("RDF", _RDF):
        declared = {v.decode("utf-8", "replace") for v in _NAMESPACE_DECLARATION.findall(body)}
        for uri, name in _RDF_FORMATS.items():
            if uri in declared:
                return name
    known = _FEED_ROOTS.get((local, namespace))
    if known:
        return known
    what = _NOT_FEEDS.get(namespace) or _NOT_FEEDS.get(local.lower())
    where = f" in the namespace {namespace}" if namespace else ""
    document = f"an XML document whose root is <{qname}>{where}"
    raise FeedError(f"not a feed ({what}: {document})" if what else f"not a feed ({document})")


class _FeedLinks(HTMLParser):
    """Collects <link rel="alternate" type="application/(rss|atom|feed)+..." href>."""

    TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
             "application/json", "application/rdf+xml")  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        rels = a.get("rel", "").lower().split()
        if tag == "link" and "alternate" in rels and a.get("type", "").lower() in self.TYPES:
            self.links.append(a.get("href", ""))


def find_feed_links(body: bytes, base: str) -> list[str]:
    """Feed URLs an HTML page advertises (feed autodiscovery), absolute, in page order."""
    parser = _FeedLinks()
    with contextlib.suppress(AssertionError):  # html.parser on hopeless markup
        parser.feed(body[:1_000_000].decode("utf-8", errors="replace"))
    found = (http_url(link, base) for link in parser.links)
    return list(dict.fromkeys(link for link in found if link))
