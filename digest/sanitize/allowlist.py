"""What feed HTML may keep: the allowlist nh3 applies, and what it drops with its content."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from digest.sanitize.language import language_tag
from digest.sanitize.text import words
from digest.sanitize.urls import URL_SCHEMES

# Tags and attributes of long-form writing. Everything else is dropped (its text kept);
# script/style (and other raw-text elements) are dropped with their content by nh3.
ALLOWED_TAGS = words(
    """a abbr b blockquote br caption cite code dd del details dfn div dl dt em figcaption
    figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp section small span
    strong sub summary sup table tbody td tfoot th thead time tr u ul var"""
)
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
# Dropped with their content. textarea and title hold text with character references too
# (see _split_text_nodes), but no text a post means to show.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "textarea", "title"})
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
LINK_REL = "nofollow noopener noreferrer"

# Attribute values of the right type (the Nu Html Checker checks them).
INTEGER = re.compile(r"^-?[0-9]{1,9}$")
DIGITS = re.compile(r"^[0-9]{1,6}$")
_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,3})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)

# A rule takes an attribute's (unescaped) value and returns the value to keep, or None.
Rule = Callable[[str], str | None]


def _as_is(value: str) -> str:
    return value


def _url(value: str) -> str | None:
    # nh3 has resolved and filtered URLs (sanitize_html's keep_url); checked again, cheaply.
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    return value if value.startswith("#") or scheme in URL_SCHEMES else None


def _direction(value: str) -> str | None:
    return value.lower() if value.lower() in ("ltr", "rtl", "auto") else None


def _integer(value: str) -> str | None:
    return value.strip() if INTEGER.match(value.strip()) else None


def _pixels(value: str) -> str | None:
    return str(int(value.strip())) if DIGITS.match(value.strip()) else None


def _valid_datetime(value: str) -> bool:
    if not _DATETIME.match(value):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.year >= 1


def _datetime(value: str) -> str | None:
    return value.strip() if _valid_datetime(value.strip()) else None


def _scope(value: str) -> str | None:
    scope = value.strip().lower()
    return scope if scope in ("row", "col", "rowgroup", "colgroup") else None


# Rules for an attribute on any element; they win over the per-element ones below. (id is
# the conformer's own: it must be unique in the fragment.)
_ANY_ELEMENT: dict[str, Rule] = {
    "lang": language_tag,
    "dir": _direction,
    "title": _as_is,
    **dict.fromkeys(URL_ATTRIBUTES, _url),
}
_PER_ELEMENT: dict[tuple[str, str], Rule] = {
    ("a", "rel"): _as_is,  # nh3's LINK_REL
    ("img", "loading"): lambda _: "lazy",
    ("img", "alt"): _as_is,
    ("img", "width"): _pixels,
    ("img", "height"): _pixels,
    ("ol", "reversed"): lambda _: "",
    ("ol", "start"): _integer,
    ("li", "value"): _integer,
    ("time", "datetime"): _datetime,
    ("th", "scope"): _scope,
    # Spans are checked with the whole table (tables.fix_spans).
    **{(cell, span): _as_is for cell in ("td", "th") for span in ("colspan", "rowspan")},
}


def attribute_value(tag: str, name: str, value: str) -> str | None:
    """The value to keep for attribute `name` of a `tag` element (None: drop it)."""
    rule = _ANY_ELEMENT.get(name) or _PER_ELEMENT.get((tag, name))
    return rule(value) if rule else None
