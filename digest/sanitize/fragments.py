"""Fragment-only links ("#section-2") in an entry, once it is a tree of valid HTML5.

A link to an id the entry has keeps pointing there (`sanitize_html` gave both the entry's
id prefix). A link to one it lacks would point nowhere on the digest's page (the target was in
the article's page around the entry: a heading, a comment, a "#top"), so it goes to that
fragment of the page the entry comes from; with no such page known, the link is dropped and
its text kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

from digest.sanitize.tree import Element, Node, attribute, escape
from digest.sanitize.urls import clean_url

_LINK_ATTRIBUTES = ("href", "cite")


def retarget_fragments(nodes: list[Node], id_prefix: str, page: str | None) -> list[Node]:
    """`nodes` with each fragment link whose target is not among their ids pointing to that
    fragment of `page`, or, without a page, dropped (an <a> leaves its content)."""
    ids = frozenset(_ids(nodes))
    return _retarget(nodes, ids, id_prefix, page)


def _ids(nodes: list[Node]) -> Iterator[str]:
    for node in nodes:
        if isinstance(node, Element):
            value = attribute(node, "id")
            if value is not None:
                yield value
            yield from _ids(node.children)


def _retarget(
    nodes: list[Node], ids: frozenset[str], id_prefix: str, page: str | None
) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            continue
        node.children = _retarget(node.children, ids, id_prefix, page)
        for name in _LINK_ATTRIBUTES:
            value = attribute(node, name)
            if value is None or not value.startswith("#") or _points_to(value[1:], ids):
                continue
            fragment = value[1:].removeprefix(id_prefix)
            url = clean_url(f"#{fragment}", page) if page else None
            if url is None:
                del node.attrs[name]
            else:
                node.attrs[name] = escape(url)
        if node.tag == "a" and "href" not in node.attrs:
            out += node.children  # a link to nowhere is its text (<a> is transparent)
        else:
            out.append(node)
    return out


def _points_to(fragment: str, ids: frozenset[str]) -> bool:
    # Browsers try the fragment as written, then percent-decoded ("#caf%C3%A9" finds "café").
    return fragment in ids or unquote(fragment) in ids
