"""Adding feeds to `config.toml` in place, for `digest add` and `digest import-opml`.

New feeds are appended to the end of the file as `[[feeds]]` tables written by tomlkit, so
every byte already in the file (comments, order, alignment) stays as it was. The new text is
checked like any config before it replaces the old file, atomically: a change that would make
the config invalid is refused and the file is left alone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import tomlkit
from tomlkit.items import Array

from digest.config import parse_config
from digest.errors import ConfigEditError
from digest.files import atomic_write
from digest.models import POSTS_SOURCE, Config
from digest.sanitize import feed_slug


@dataclass(frozen=True, slots=True)
class NewFeed:
    """A `[[feeds]]` table to add."""

    url: str
    name: str
    tags: tuple[str, ...] = ()


def url_key(url: str) -> str:
    """What two URLs of one feed share: http and https, host case, a default port, a fragment
    and an empty path do not tell feeds apart."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:  # not a port number: compare the text as it is
        return url.strip()
    host = (parts.hostname or "").lower() + (f":{port}" if port not in (None, 80, 443) else "")
    return urlunsplit(("", host, parts.path or "/", parts.query, ""))


def configured(config: Config) -> dict[str, str]:
    """url_key -> name of every feed in the config."""
    return {url_key(feed.url): feed.name for feed in config.feeds}


def unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or "name (2)", "name (3)", ...: the first whose slug, by the rule the config
    checks names with (`feed_slug`), is not taken by a feed in `taken` or by the posts."""
    slugs = {feed_slug(n) for n in taken} | {POSTS_SOURCE}
    candidate, n = name, 1
    while feed_slug(candidate) in slugs:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def add_feeds(config: Config, feeds: Sequence[NewFeed]) -> None:
    """Append `feeds` to the config file; ConfigEditError/ConfigError leave it unchanged."""
    if not feeds:
        return
    path = config.path
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigEditError(f"{path}: cannot read: {e}") from e
    new_text = appended(text, feeds)
    try:
        data = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as e:  # not expected: tomlkit wrote it
        raise ConfigEditError(f"{path}: adding the feeds would break the file ({e})") from e
    parse_config(data, path)  # a ConfigError names every problem; nothing is written
    try:
        atomic_write(path, new_text.encode("utf-8"), durable=True)
    except OSError as e:
        raise ConfigEditError(f"{path}: cannot write: {e.strerror or e}") from e


def appended(text: str, feeds: Sequence[NewFeed]) -> str:
    """`text` with `feeds` added at its end, the rest unchanged."""
    newline = "\r\n" if "\r\n" in text else "\n"
    doc = tomlkit.parse(text)
    existing = doc.get("feeds")
    if isinstance(existing, Array):  # `feeds = [{ ... }]`: an inline array cannot be extended
        for feed in feeds:  # by [[feeds]] tables, so it grows in place
            table = tomlkit.inline_table()
            table.update(_fields(feed))
            existing.append(table)
        return tomlkit.dumps(doc)
    block = tomlkit.dumps({"feeds": [_fields(feed) for feed in feeds]})
    if newline != "\n":
        block = block.replace("\n", newline)
    if not text.strip():
        return block
    if not text.endswith(("\n", "\r")):
        text += newline
    return text + newline + block


def _fields(feed: NewFeed) -> dict[str, object]:
    fields: dict[str, object] = {"url": feed.url, "name": feed.name}
    if feed.tags:
        fields["tags"] = list(feed.tags)
    return fields
