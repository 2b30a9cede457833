"""What feed HTML may keep: the allowlist nh3 applies, and what it drops with its content."""

from __future__ import annotations

import re
from datetime import datetime

from digest.sanitize.text import words

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


def valid_datetime(value: str) -> bool:
    if not _DATETIME.match(value):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.year >= 1
