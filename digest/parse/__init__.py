"""Stage 3, parse: bytes + headers -> `ParsedFeed`. Pure. (Hand-written posts: digest.parse.posts.)

`parse_body` is the one way from feed bytes to entries, and this the one module that parses
with feedparser (digest.parse.fast, its fast path for the common feed, borrows its helpers):
every body goes through the same prolog guard and caps (`prepare_feed`), and is known for a
feed by its root element (`digest.parse.identify`), not by what feedparser makes of it. Both parsers
hand `build_feed` plain values (`RawFeed`, `RawEntry`): one set of rules makes the entries.

Normalises what feeds disagree on: ids, aware UTC dates, plain-text titles and authors,
absolute links, and content HTML passed through an allowlist sanitiser (nh3) before it is
stored, so nothing a feed sends can run in a page.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import feedparser

from digest.errors import FeedError
from digest.models import Entry, FeedInfo, ParsedFeed
from digest.parse import fast as fastparse
from digest.parse.identify import find_feed_links, is_json, xml_feed_format
from digest.parse.media import RawMedia
from digest.parse.raw import (
    RawContent,
    RawEntry,
    RawFeed,
    build_feed,
    hash_id,
    plain_to_html,
    plausible,
    tag_names,
    text_of,
    title_of,
    unique_id,
)

# The sanitiser and the text, URL and language rules live in digest.sanitize; the names
# imported "as" themselves are re-exported here, where the pipeline has always found them.
from digest.sanitize import ALLOWED_ATTRIBUTES as ALLOWED_ATTRIBUTES
from digest.sanitize import ALLOWED_TAGS as ALLOWED_TAGS
from digest.sanitize import URL_SCHEMES as URL_SCHEMES
from digest.sanitize import html_to_text as html_to_text
from digest.sanitize import (
    http_url,
    id_prefix,
    language_tag,
    prepare_feed,
)
from digest.sanitize import sanitize_html as sanitize_html


def parse_feed(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str],
    source: str,
    now: datetime,
    fast: bool = True,
) -> ParsedFeed:
    """RSS 0.9x/1.0/1.1/2.0 or Atom 0.3/1.0 (callers use `parse_body`, which also reads JSON
    Feed). `url` is the final URL, the base for relative links. `fast=False`: feedparser reads
    the feed even when the fast path would (the differential tests and the benchmark)."""
    response_headers = {k.lower(): v for k, v in headers.items()}
    # One decoding, no DOCTYPE (so no entities), UTF-8 out: see digest.sanitize.prepare_feed.
    body, content_type = prepare_feed(body, response_headers.get("content-type"))
    if content_type:
        response_headers["content-type"] = content_type
    response_headers["content-location"] = url
    feed_format = xml_feed_format(body)  # what it is decides, not what feedparser makes of it
    # The common well-formed RSS 2.0 or Atom 1.0 feed is read with lxml, to the same result
    # (tests/test_fastparse.py proves it on feedparser's own test feeds); None: anything else.
    if fast:
        read_fast = fastparse.parse_common(
            body, url=url, response_headers=response_headers, source=source, now=now,
            feed_format=feed_format,
        )  # fmt: skip
        if read_fast is not None:
            return read_fast
    try:
        parsed: Any = feedparser.parse(
            body,
            response_headers=response_headers,
            sanitize_html=False,  # nh3 does it below, faster and stricter
            # We resolve relative URLs ourselves, while sanitising: feedparser would also turn
            # "#footnote" links into links to the feed document.
            resolve_relative_uris=False,
        )
    except Exception as e:  # feedparser's lenient parser has bugs broken XML can reach
        raise FeedError(f"not a feed (the parser failed: {type(e).__name__}: {e})") from e
    return build_feed(
        _feedparser_feed(parsed), url=url, source=source, now=now, feed_format=feed_format
    )


def _feedparser_feed(parsed: Any) -> RawFeed:
    meta = parsed.feed
    detail = meta.get("title_detail")
    return RawFeed(
        title=meta.get("title", ""),
        title_type=detail.get("type") if detail else None,
        link=meta.get("link"),
        language=meta.get("language"),
        ttl=meta.get("ttl"),
        update_period=meta.get("sy_updateperiod"),
        update_frequency=meta.get("sy_updatefrequency"),
        author=meta.get("author"),
        author_name=(meta.get("author_detail") or {}).get("name"),
        entries=map(_feedparser_entry, parsed.entries),
    )


def _feedparser_entry(raw: Any) -> RawEntry:
    detail = raw.get("title_detail")
    summary = None
    if raw.get("summary"):
        summary = _raw_content(
            raw.get("summary_detail") or {"value": raw["summary"], "type": "text/html"}
        )
    return RawEntry(
        title=raw.get("title", ""),
        title_type=detail.get("type") if detail else None,
        link=raw.get("link"),
        id=raw.get("id"),
        content=tuple(_raw_content(c) for c in raw.get("content", [])),
        summary=summary,
        # dict.get, not raw.get: feedparser's own .get maps a missing `updated` onto
        # `published` (and warns), which would make every entry look edited.
        published=(dict.get(raw, "published_parsed"), dict.get(raw, "published")),
        created=(dict.get(raw, "created_parsed"), dict.get(raw, "created")),
        updated=(dict.get(raw, "updated_parsed"), dict.get(raw, "updated")),
        author=raw.get("author"),
        author_name=(raw.get("author_detail") or {}).get("name"),
        tags=tuple(tag.get("term") or tag.get("label") for tag in raw.get("tags", [])),
        comments=raw.get("comments"),
        replies=_replies_href(raw),
        media=_raw_media(raw),
    )


def _raw_media(raw: Any) -> RawMedia:
    """Enclosures (RSS's, and Atom's rel="enclosure" links), Media RSS and iTunes' tags, as
    feedparser read them (`media:group`'s children as the entry's own)."""

    def items(key: str) -> list[Any]:
        found = raw.get(key)
        return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []

    image = raw.get("image")
    return RawMedia(
        enclosures=tuple(
            (e.get("href"), e.get("type"), e.get("length")) for e in items("enclosures")
        ),
        thumbnails=tuple(
            (t.get("url"), t.get("width"), t.get("height")) for t in items("media_thumbnail")
        ),
        contents=tuple(
            (c.get("url"), c.get("type"), c.get("medium"), c.get("width"), c.get("height"))
            for c in items("media_content")
        ),
        duration=raw.get("itunes_duration"),
        episode=raw.get("itunes_episode"),
        image=image.get("href") if isinstance(image, dict) else None,
    )


def _raw_content(detail: Any) -> RawContent:
    value = detail.get("value", "")
    return RawContent(value, detail.get("type"), detail.get("language"), detail.get("base"))


def _replies_href(raw: Any) -> object:
    for link in raw.get("links", []):
        if link.get("rel") == "replies" and link.get("type", "text/html") == "text/html":
            return link.get("href")
    return None


# --- the one entry point, JSON Feed, and what is not a feed ---------------------------------


def parse_body(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str],
    source: str,
    now: datetime,
    fast: bool = True,
) -> ParsedFeed:
    """Any feed body, the only way from feed bytes to entries (build, fetch, serve, add):
    JSON Feed 1.0/1.1, else RSS/Atom, always behind the prolog guard and element cap of
    `prepare_feed`. `ParsedFeed.format` says what it was ("RSS 2.0", "Atom 1.0", ...).
    `fast=False` leaves RSS and Atom to feedparser alone (see `parse_feed`).

    A body that is no feed raises FeedError("not a feed ..."), naming what it is instead and
    the feeds an HTML page advertises, if any.
    """
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise FeedError("not a feed (empty body)")
    if is_json(body, content_type):
        return parse_json_feed(body, url=url, source=source, now=now)
    try:
        return parse_feed(body, url=url, headers=headers, source=source, now=now, fast=fast)
    except FeedError:
        links = find_feed_links(body, url)
        if links:
            raise FeedError(
                "not a feed but a web page; it advertises " + ", ".join(links[:5])
            ) from None
        raise


def parse_json_feed(body: bytes, *, url: str, source: str, now: datetime) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1) into the same `Entry` values."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:  # [[[[... is too deep
        raise FeedError(f"not a feed (invalid JSON: {e})") from e
    version = str(data.get("version", "")) if isinstance(data, dict) else ""
    if not version.startswith(_JSON_FEED):
        raise FeedError("not a feed (JSON, but not JSON Feed: no jsonfeed.org version)")
    number = version.removeprefix(_JSON_FEED).strip("/")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("not a feed (JSON Feed without an items list)")
    language = language_tag(data.get("language"))
    site = http_url(data.get("home_page_url"), url)
    info = FeedInfo(url=url, title=title_of(None, data.get("title")), link=site, language=language)
    feed_author = _json_author(data)
    entries: dict[str, Entry] = {}
    for item in items:
        entry = _json_entry(item, url, source, language, now, entries)
        if entry is not None:
            entries[entry.id] = entry if entry.author else replace(entry, author=feed_author)
    number = _JSON_VERSIONS.get(number, number)
    return ParsedFeed(info, tuple(entries.values()), f"JSON Feed {number}")


_JSON_FEED = "https://jsonfeed.org/version/"
_JSON_VERSIONS = {"1": "1.0"}


def _json_entry(
    item: object,
    url: str,
    source: str,
    language: str | None,
    now: datetime,
    seen: Mapping[str, Entry],
) -> Entry | None:
    """One JSON Feed item; None when it is no object or repeats one in `seen` (`unique_id`)."""
    if not isinstance(item, dict):
        return None
    link = http_url(item.get("url"), url) or http_url(item.get("external_url"), url)
    title = title_of(None, item.get("title")) or html_to_text(text_of(item.get("summary")))[:80]
    if isinstance(item.get("content_html"), str):
        content = item["content_html"]
    elif isinstance(item.get("content_text"), str):
        content = plain_to_html(item["content_text"])
    else:
        content = html.escape(text_of(item.get("summary")))
    entry_id = unique_id(
        text_of(str(item.get("id", ""))) or link or hash_id(title, content),
        link, title or "(untitled)", seen,
    )  # fmt: skip
    if entry_id is None:
        return None
    published = plausible(_iso_date(item.get("date_published")), now)
    updated = plausible(_iso_date(item.get("date_modified")), now)
    tags = item.get("tags")
    return Entry(
        id=entry_id,
        source=source,
        title=title or "(untitled)",
        link=link,
        author=_json_author(item),
        published=published,
        updated=updated if updated != published else None,
        first_seen=now,
        tags=tag_names(tags if isinstance(tags, list) else ()),
        content_html=sanitize_html(content, id_prefix(source, entry_id), link or url, page=link),
        language=language_tag(item.get("language")) or language,
    )


def _json_author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        names = [text_of(a.get("name")) for a in authors if isinstance(a, dict)]
        return ", ".join(n for n in names if n) or None
    author = obj.get("author")  # JSON Feed 1.0
    return text_of(author.get("name")) or None if isinstance(author, dict) else None


def _iso_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)  # past year 9999 or before year 1 in UTC: OverflowError
    except (ValueError, OverflowError):
        return None
