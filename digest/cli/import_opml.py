"""`digest import-opml`: a feed reader's OPML export (http://opml.org/spec2.opml) -> feeds
added to `config.toml`.

`read_opml` reads the export, folders and all; `import_opml` adds the feeds the config lacks
(through `configedit`, which keeps the file's comments). OPML files come from elsewhere, so
they are parsed by defusedxml: a DOCTYPE, entity or external reference is refused, never
expanded. Writing OPML (the site's own opml.xml) is in `opml`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from digest.config import load_config
from digest.config.edit import NewFeed, add_feeds, configured, unique_name, url_key
from digest.errors import OpmlError
from digest.render.opml import OpmlFeed
from digest.sanitize import is_http_url

MAX_BYTES = 10 * 1024 * 1024  # a reader's export of thousands of feeds is well below this


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpmlList:
    """What an OPML file holds: its title, its feeds, and outlines that were left out."""

    title: str
    feeds: tuple[OpmlFeed, ...]
    ignored: tuple[str, ...] = ()  # "NAME: why", e.g. a feed URL that is not http(s)


def read_opml(path: Path) -> OpmlList:
    """Every feed in an OPML file, at any depth. The folders (outlines without an xmlUrl) a
    feed sits in become its tags, outermost first, followed by its `category` values. A feed
    listed twice is one feed with the tags of both."""
    try:
        with Path(path).open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise OpmlError(f"{path}: cannot read: {e.strerror or e}") from e
    if len(data) > MAX_BYTES:
        raise OpmlError(f"{path}: larger than {MAX_BYTES // 1_048_576} MB; not an OPML export")
    return parse_opml(data, str(path))


def parse_opml(data: bytes, source: str) -> OpmlList:
    """`source` names the file in errors."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as e:
        raise OpmlError(f"{source}: refused: the file declares a DOCTYPE or entities ({e})") from e
    except ET.ParseError as e:
        raise OpmlError(f"{source}: not an OPML file: not well-formed XML ({e})") from e
    if _local(root.tag) != "opml":
        raise OpmlError(f"{source}: not an OPML file: the root element is <{_local(root.tag)}>")
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise OpmlError(f"{source}: not an OPML file: no <body> element")
    head = next((child for child in root if _local(child.tag) == "head"), None)
    title_element = None if head is None else head.find("title")
    title = " ".join((title_element.text or "").split()) if title_element is not None else ""

    feeds: dict[str, OpmlFeed] = {}
    ignored: list[str] = []
    for outline, folders in _outlines(body, ()):
        attributes = {key.lower(): value.strip() for key, value in outline.attrib.items()}
        xml_url = attributes.get("xmlurl", "")
        name = " ".join((attributes.get("text") or attributes.get("title") or "").split())
        if not xml_url:
            continue
        if not is_http_url(xml_url):
            ignored.append(f"{name or xml_url}: {xml_url!r} is not an http(s) URL")
            continue
        tags = folders + _categories(attributes.get("category", ""))
        html_url = attributes.get("htmlurl") or None
        feed = OpmlFeed(name or urlsplit(xml_url).netloc, xml_url, html_url, _unique(tags))
        key = url_key(xml_url)
        if key in feeds:  # the same feed in two folders
            first = feeds[key]
            feed = OpmlFeed(first.name, first.xml_url, first.html_url, _unique(first.tags + tags))
        feeds[key] = feed
    if not feeds:
        raise OpmlError(f"{source}: no feeds in this OPML file (no <outline> with an xmlUrl)")
    return OpmlList(title, tuple(feeds.values()), tuple(ignored))


def _outlines(
    parent: ET.Element, folders: tuple[str, ...]
) -> Iterator[tuple[ET.Element, tuple[str, ...]]]:
    """Every <outline> below `parent`, in document order, with the folders around it."""
    for child in parent:
        if _local(child.tag) != "outline":
            continue
        yield child, folders
        attributes = {key.lower(): value for key, value in child.attrib.items()}
        if attributes.get("xmlurl", "").strip():
            inner = folders  # a feed with children (rare): they are not in a folder of it
        else:
            label = " ".join((attributes.get("text") or attributes.get("title") or "").split())
            inner = (*folders, label) if label else folders
        yield from _outlines(child, inner)


def _categories(value: str) -> tuple[str, ...]:
    """OPML 2.0 `category`: comma-separated, each a tag or a "/slash/delimited" path."""
    parts = (" ".join(part.strip().strip("/").split()) for part in value.split(","))
    return tuple(part for part in parts if part)


def _unique(tags: Sequence[str]) -> tuple[str, ...]:
    """The first of tags that differ only in case."""
    seen: dict[str, str] = {}
    for tag in tags:
        seen.setdefault(tag.casefold(), tag)
    return tuple(seen.values())


def _local(tag: object) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# --- importing into config.toml ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: tuple[NewFeed, ...]
    skipped: tuple[tuple[OpmlFeed, str], ...]  # already configured: (feed, configured name)
    renamed: tuple[tuple[str, str], ...]  # (name in the file, name given: it was taken)
    ignored: tuple[str, ...]


def import_opml(opml_path: Path, config_path: Path) -> ImportReport:
    """Add every feed of an OPML file that the config does not have yet."""
    config = load_config(config_path)  # a broken config is reported first, and left alone
    found = read_opml(opml_path)
    known = configured(config)
    names = [feed.name for feed in config.feeds]
    added: list[NewFeed] = []
    skipped: list[tuple[OpmlFeed, str]] = []
    renamed: list[tuple[str, str]] = []
    for feed in found.feeds:
        key = url_key(feed.xml_url)
        if key in known:
            skipped.append((feed, known[key]))
            continue
        name = unique_name(feed.name, names)
        if name != feed.name:
            renamed.append((feed.name, name))
        names.append(name)
        known[key] = name
        added.append(NewFeed(feed.xml_url, name, feed.tags))
    add_feeds(config, added)
    return ImportReport(tuple(added), tuple(skipped), tuple(renamed), found.ignored)
