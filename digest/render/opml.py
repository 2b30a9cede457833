"""OPML 2.0 (http://opml.org/spec2.opml): the subscription lists feed readers export and import.

Part of stage 7, render: `opml_document` writes the site's feeds as one (output/opml.xml).
Pure. Reading a feed reader's export into `config.toml` is `opml_import`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from digest.sanitize import xml_text


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One subscription: an `<outline type="rss">`. `xml_url` should be absolute: a feed
    reader cannot resolve a local path."""

    name: str
    xml_url: str
    html_url: str | None = None  # the feed's web site, when known
    tags: tuple[str, ...] = ()


def opml_document(title: str, feeds: Sequence[OpmlFeed]) -> bytes:
    """An OPML 2.0 document listing `feeds` in the order given, the same bytes for the same
    arguments (no dates). Tags become the `category` attribute, comma-separated; a comma
    inside a tag, which that format cannot carry, becomes a space."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{escape(xml_text(title))}</title>",
        "  </head>",
        "  <body>",
    ]
    for feed in feeds:
        name = xml_text(feed.name)
        attributes = [("type", "rss"), ("text", name), ("title", name), ("xmlUrl", feed.xml_url)]
        if feed.html_url:
            attributes.append(("htmlUrl", feed.html_url))
        tags = [" ".join(xml_text(tag).replace(",", " ").split()) for tag in feed.tags]
        if any(tags):
            attributes.append(("category", ",".join(tag for tag in tags if tag)))
        text = " ".join(f"{key}={_attribute(value)}" for key, value in attributes)
        lines.append(f"    <outline {text}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def _attribute(value: str) -> str:
    # quoteattr escapes &, <, > and the quote; tabs and newlines are escaped too, so that
    # attribute-value normalisation does not turn them into spaces on the way back.
    return quoteattr(xml_text(value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
