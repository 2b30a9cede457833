"""What the fast path takes from feedparser 6 to mirror it: its namespace table, its tests for
HTML and content types, its date parser, windows-1252 table and URL joining. The one module of
digest.parse.fast that imports feedparser.

Most of these are private names (underscored: not feedparser's API, free to change in any
release), hence pyproject.toml's feedparser<7, and tests/test_fastparse.py, which imports each
name imported here and fails naming the one an upgrade took away.
"""

from __future__ import annotations

from collections.abc import Mapping

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri

# The namespaces feedparser knows, by URI (as written), and its prefix for each ("": RSS's or
# Atom's own).
NAMESPACES: Mapping[str, str] = _FeedParserMixin.namespaces
looks_like_html = _FeedParserMixin.looks_like_html  # "RSS titles that look like HTML are HTML"
map_content_type = _FeedParserMixin.map_content_type  # "html" -> "text/html", ...
HTML_TYPES = _FeedParserMixin.html_types
CP1252 = _cp1252  # str.translate table: C1 controls read as windows-1252
parse_date = _parse_date  # any date feedparser reads -> time.struct_time in UTC, or None
urljoin = _urljoin  # a link or id joined to the base, as feedparser resolves them
safe_absolute_uri = make_safe_absolute_uri  # a base URL stepped by xml:base ("" if unsafe)


def has_handler(name: str) -> bool:
    """Whether feedparser reads elements so named ("title", "itunes_author") with a handler of
    its own, rather than only storing their text under that name."""
    return hasattr(_FeedParserMixin, f"_start_{name}") or hasattr(_FeedParserMixin, f"_end_{name}")
