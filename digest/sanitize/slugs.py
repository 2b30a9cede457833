"""Names as file names: the one slug rule (feeds, tags, posts) and a short stable hash."""

from __future__ import annotations

import hashlib

from slugify import slugify

# Device names Windows will not create a file or folder under, whatever the extension.
_RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{n}" for d in ("com", "lpt") for n in range(10)]
)
# Symbols that make a name different ("C++" and "C#" are not the tag "C").
_SLUG_REPLACEMENTS = [["+", " plus "], ["#", " sharp "]]


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:length]


def safe_slug(name: str, *, fallback: str, max_length: int = 60) -> str:
    """A file-name-safe slug ([a-z0-9-], at most `max_length` long) for `name`, the same for
    the same name on every run. A name with nothing to slugify ("!!!") gets `fallback` plus a
    hash of the name; a long one keeps its start plus a hash of the whole; a Windows device
    name ("CON", "nul") gets "-" + `fallback` appended."""
    slug = slugify(name, replacements=_SLUG_REPLACEMENTS)
    if not slug:
        return f"{fallback}-{short_hash(name)}"
    if len(slug) > max_length:
        slug = slug[: max_length - 9].rstrip("-") + "-" + short_hash(slug)
    if slug in _RESERVED_NAMES:
        slug = f"{slug}-{fallback}"
    return slug


def feed_slug(name: str) -> str:
    """The slug of a feed's name: its pages' folder, and what two feeds may not share."""
    return safe_slug(name, fallback="feed")
