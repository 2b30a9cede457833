"""When the fast path declines a feed (`Decline`: feedparser reads it), and the names it reads
elements by: feedparser's names, from the namespaces it knows and the prefixes a document
declares (`element_name`). Each check here raises `Decline` on what feedparser might read
otherwise than the fast path would: a namespace or attribute that could stand in for one read,
an entity left unresolved, child elements where text is expected, an attribute not expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from digest.parse.fast.feedparser_internals import NAMESPACES, has_handler

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_XML_ATTRIBUTES = (XML_LANG, XML_BASE)
# The namespaces feedparser knows (by lower-cased URI), and its prefix for each. Those it
# reads as RSS's or Atom's own ("") are not read here but Atom's; its elements in the others
# are named "prefix_local" and read or skipped (`skip_stored`) by that name.
_FP_NAMESPACES = {uri.lower(): prefix for uri, prefix in NAMESPACES.items()}
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

# The namespaces feedparser does not know, each with the prefixes declared for it.
Unknown = Mapping[str, tuple[str | None, ...]]


class Decline(Exception):
    """Not sure to read this feed as feedparser does: feedparser reads it."""


def check_element(element: Any, unknown: Unknown) -> None:
    """What decides nothing for the fields read here, anywhere in the document: a namespace
    feedparser knows by a prefix of its own (or Atom), or one it does not know (see
    `unknown_namespaces`); no attribute of another namespace that could stand in for one
    feedparser reads; no entity left unresolved."""
    tag = element.tag
    if not isinstance(tag, str):
        raise Decline  # an entity reference node
    if tag[0] == "{":
        namespace = tag[1 : tag.index("}")]
        if namespace != ATOM and namespace.lower() not in _PREFIXES and namespace not in unknown:
            raise Decline
    for key in element.attrib:
        if key[0] == "{" and key not in _XML_ATTRIBUTES:
            namespace, local = key[1:].split("}", 1)
            if local.lower() in _MEANINGFUL or namespace == _RDF:
                raise Decline
            if namespace.lower() in _FP_NAMESPACES and not _FP_NAMESPACES[namespace.lower()]:
                raise Decline  # feedparser would drop its prefix: RSS's or Atom's own
            if namespace.lower() == "http://www.w3.org/xml/1998/namespace":
                raise Decline
        elif key.lower() in ("base", "lang"):
            raise Decline


def unknown_namespaces(body: bytes) -> dict[str, tuple[str | None, ...]]:
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
            raise Decline  # a reference in a namespace name: not worth unescaping
        prefix = match.group(1).decode("utf-8", "replace") if match.group(1) else None
        uri = raw.decode("utf-8", "replace")
        known = _FP_NAMESPACES.get(uri.lower())
        if known is not None and prefix in _FP_PREFIXES - {known.lower()}:
            raise Decline
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
            raise Decline  # feedparser reads that one as RSS's own
        if any(len(uris_of[p]) > 1 for p in prefixes if p is not None):
            raise Decline
        unknown[uri] = tuple(prefixes)
    return unknown


def _only_stored(name: str) -> bool:
    """Whether feedparser has no handler for elements so named, and stores them under that
    name where nothing read here looks."""
    return not (name in _READ_KEYS or has_handler(name))


def skip_stored(element: Any, name: str) -> None:
    """An element feedparser only stores: skipped, if it holds no other element. Anything
    else declines."""
    if not _only_stored(name):
        raise Decline
    leaf(element)


def element_name(element: Any, atom: bool, unknown: Unknown) -> str:
    """feedparser's name for an element: its prefix for the namespace, the local name lower
    case. In RSS the one Atom element read is atom:link ("atom_link"); in Atom, only Atom's.
    An element of a namespace feedparser does not know is skipped when every name feedparser
    could give it is one it only stores ("?" and its local name: no name read here)."""
    tag: str = element.tag
    if tag[0] != "{":
        if atom:
            raise Decline
        return tag.lower()
    namespace, local = tag[1:].split("}", 1)
    if namespace == ATOM:
        if atom:
            return local.lower()
        if local.lower() != "link":
            raise Decline
        return "atom_link"
    prefix = _PREFIXES.get(namespace.lower())
    if prefix is not None:
        return prefix + local.lower()
    for declared in unknown[namespace]:
        name = f"{declared}_{local}" if declared else local
        if not _only_stored(name.lower()):
            raise Decline
    return f"?{local}"


def attributes(element: Any, allowed: tuple[str, ...] = ()) -> dict[str, str]:
    """The attributes, names lower case as feedparser has them; one not `allowed` declines."""
    # Attributes of other namespaces: vetted by `check_element`, not read.
    own = [(k, v) for k, v in element.attrib.items() if k[0] != "{"]
    found = {k.lower(): v for k, v in own}
    if len(found) != len(own):
        raise Decline
    if any(key not in allowed for key in found):
        raise Decline
    return found


def leaf(element: Any) -> str:
    """The text of an element expected to hold only text."""
    if len(element):
        raise Decline
    text: str | None = element.text
    return text or ""
