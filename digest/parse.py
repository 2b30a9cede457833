"""Stage 3, parse: bytes + headers -> `ParsedFeed`. Pure. (Hand-written posts: digest.posts.)

`parse_body` is the one way from feed bytes to entries, and this the one module that parses
with feedparser (digest.fastparse, its fast path for the common feed, borrows its helpers):
every body goes through the same prolog guard and caps (`prepare_feed`), and is known for a
feed by its root element (`digest.identify`), not by what feedparser makes of it. Both parsers
hand `build_feed` plain values (`RawFeed`, `RawEntry`): one set of rules makes the entries.

Normalises what feeds disagree on: ids, aware UTC dates, plain-text titles and authors,
absolute links, and content HTML passed through an allowlist sanitiser (nh3) before it is
stored, so nothing a feed sends can run in a page.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from digest import fastparse
from digest.errors import FeedError
from digest.identify import find_feed_links, is_json, xml_feed_format
from digest.models import Entry, FeedInfo, ParsedFeed

# The sanitiser and the text, URL and language rules live in digest.sanitize; the names
# imported "as" themselves are re-exported here, where the pipeline has always found them.
from digest.sanitize import ALLOWED_ATTRIBUTES as ALLOWED_ATTRIBUTES
from digest.sanitize import ALLOWED_TAGS as ALLOWED_TAGS
from digest.sanitize import URL_SCHEMES as URL_SCHEMES
from digest.sanitize import (
    clean_text,
    http_url,
    id_prefix,
    is_http_url,
    language_tag,
    prepare_feed,
    short_hash,
)
from digest.sanitize import html_to_text as html_to_text
from digest.sanitize import sanitize_html as sanitize_html

MAX_TITLE = 500  # characters of a title kept (a feed may send megabytes)
MAX_NAME = 500  # characters of an author or a tag name kept
MAX_TAGS = 50  # categories kept per entry: each becomes a page
# Dates outside these bounds are not dates (the epoch, 1900-01-01, 2999-12-31): unknown.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


def parse_feed(
    body: bytes, *, url: str, headers: Mapping[str, str], source: str, now: datetime
) -> ParsedFeed:
    """RSS 0.9x/1.0/1.1/2.0 or Atom 0.3/1.0 (callers use `parse_body`, which also reads JSON
    Feed). `url` is the final URL, the base for relative links."""
    response_headers = {k.lower(): v for k, v in headers.items()}
    # One decoding, no DOCTYPE (so no entities), UTF-8 out: see digest.sanitize.prepare_feed.
    body, content_type = prepare_feed(body, response_headers.get("content-type"))
    if content_type:
        response_headers["content-type"] = content_type
    response_headers["content-location"] = url
    feed_format = xml_feed_format(body)  # what it is decides, not what feedparser makes of it
    # The common well-formed RSS 2.0 or Atom 1.0 feed is read with lxml, to the same result
    # (tests/test_fastparse.py proves it on feedparser's own test feeds); None: anything else.
    fast = fastparse.parse_common(
        body, url=url, response_headers=response_headers, source=source, now=now,
        feed_format=feed_format,
    )  # fmt: skip
    if fast is not None:
        return fast
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


@dataclass(frozen=True, slots=True)
class RawContent:
    """A content or summary candidate as the parser read it: HTML or text, its xml:lang and
    base URL (for relative links in it)."""

    value: str
    type: object = None
    language: object = None
    base: object = None


# A date as the parser read it: feedparser's parsed time (or None), and the text.
Stamp = tuple[time.struct_time | None, object]
NO_DATE: Stamp = (None, None)


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One RSS item or Atom entry in plain values, before the rules of `build_entry`: what
    feedparser (`_feedparser_entry`) or the fast path (digest.fastparse) read, field by field.
    Strings that are not str (a parser's odd value) are read as missing, as ever."""

    title: object = ""
    title_type: object = None  # "text/html" for a title read as HTML
    link: object = None
    id: object = None
    content: tuple[RawContent, ...] = ()
    summary: RawContent | None = None  # only when the summary's text is not empty
    published: Stamp = NO_DATE
    created: Stamp = NO_DATE
    updated: Stamp = NO_DATE
    author: object = None  # the author's text ("Name", "a@b.example (Name)", ...)
    author_name: object = None  # the name the parser made of it (author_detail.name)
    tags: tuple[object, ...] = ()  # each category's term, else its label
    comments: object = None
    replies: object = None  # href of the first rel="replies" text/html link


@dataclass(frozen=True, slots=True)
class RawFeed:
    """What a feed says about itself, in plain values, and its entries (see `RawEntry`)."""

    title: object = ""
    title_type: object = None
    link: object = None
    language: object = None
    ttl: object = None
    update_period: object = None  # sy:updatePeriod
    update_frequency: object = None  # sy:updateFrequency
    author: object = None
    author_name: object = None
    entries: Iterable[RawEntry] = ()


def build_feed(
    raw: RawFeed, *, url: str, source: str, now: datetime, feed_format: str
) -> ParsedFeed:
    """The one way from what a parser read to a `ParsedFeed` (feedparser or the fast path)."""
    language = language_tag(raw.language)
    info = FeedInfo(
        url=url,
        title=_title_of(raw.title_type, raw.title),
        link=http_url(raw.link, url),
        language=language,
        ttl=_ttl_of(raw.ttl, raw.update_period, raw.update_frequency),
    )
    # RFC 4287 §4.2.1: an entry without an author has the feed's.
    feed_author = _author_of(raw.author, raw.author_name)
    entries: dict[str, Entry] = {}
    for item in raw.entries:
        entry = build_entry(item, url, info.link, source, language, now, entries)
        if entry is None:
            continue
        if entry.author is None and feed_author:
            entry = replace(entry, author=feed_author)
        entries[entry.id] = entry
    return ParsedFeed(info, tuple(entries.values()), feed_format)


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
    )


def _raw_content(detail: Any) -> RawContent:
    value = detail.get("value", "")
    return RawContent(value, detail.get("type"), detail.get("language"), detail.get("base"))


def build_entry(
    raw: RawEntry,
    base: str,
    site: str | None,
    source: str,
    language: str | None,
    now: datetime,
    seen: Mapping[str, Entry],
) -> Entry | None:
    """One RSS item or Atom entry; None when it repeats one already in `seen`."""
    title = _title_of(raw.title_type, raw.title)
    link = http_url(raw.link, base)
    content, content_language, content_base = _content_of(raw)
    if not is_http_url(content_base or ""):
        # A local feed file: its relative links are the web site's, not the file's.
        content_base = link or site
    entry_id = unique_id(
        " ".join(_text(raw.id).split()) or link or _hash_id(title, content),
        link, title or "(untitled)", seen,
    )  # fmt: skip
    if entry_id is None:
        return None
    published = _date_of(raw.published, now) or _date_of(raw.created, now)
    updated = _date_of(raw.updated, now)
    if published is None:  # e.g. RSS 1.0's dc:date: the only date there is
        published, updated = updated, None
    author = _author_of(raw.author, raw.author_name)
    return Entry(
        id=entry_id,
        source=source,
        title=title or "(untitled)",
        link=link,
        author=author,
        published=published,
        updated=updated if updated != published else None,
        first_seen=now,
        tags=_tags(raw.tags),
        content_html=sanitize_html(content, id_prefix(source, entry_id), content_base, page=link),
        comments=http_url(raw.comments, base) or http_url(raw.replies, base),
        language=content_language or language,
    )


def _content_of(raw: RawEntry) -> tuple[str, str | None, str | None]:
    """The full content when the feed has it, else the summary: HTML, language, base URL."""
    candidates = [c for c in raw.content if c.value]
    if not candidates and raw.summary is not None:
        candidates = [raw.summary]
    if not candidates:
        return "", None, None
    best = max(candidates, key=lambda c: len(c.value))
    value = best.value
    if best.type == "text/plain":
        value = _plain_to_html(value)
    return value, language_tag(best.language), _text(best.base) or None


def _tags(names: Iterable[object]) -> tuple[str, ...]:
    """Category names as text, each once, in feed order, each and all of them capped."""
    return tuple(dict.fromkeys(t[:MAX_NAME] for t in map(_text, names) if t))[:MAX_TAGS]


# RSS 2.0 <author>, "email (Name)", and Atom's name and email as feedparser joins them.
_EMAIL_AND_NAME = re.compile(r"\S+@\S+\s*\((.+)\)|(.+?)\s*\(\S+@\S+\)", re.DOTALL)


def _author_of(author: object, parsed_name: object) -> str | None:
    """The author's name. Read from the text first: feedparser's email pattern cuts addresses
    at a long top-level domain, "ann@ann.example (Ann)" giving the name "ple (Ann"."""
    text = _text(author)
    match = _EMAIL_AND_NAME.fullmatch(text)
    name = (match.group(1) or match.group(2)) if match else ""
    name = name or _text(parsed_name) or text
    return " ".join(name.split())[:MAX_NAME] or None


def _title_of(title_type: object, value: object) -> str:
    """Plain text. HTML titles (Atom type="html", RSS titles feedparser finds HTML in, such
    as "&lt;b&gt;x&lt;/b&gt;" or CDATA "<b>x</b>") are read as HTML: their text, no tags."""
    if not isinstance(value, str):
        return ""
    if title_type in ("text/html", "application/xhtml+xml"):
        text = html_to_text(value[: MAX_TITLE * 20])
    else:
        text = " ".join(_text(value).split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


def _text(value: object) -> str:
    """A feed's string as text: no control characters, surrogates or noncharacters."""
    return clean_text(value).strip() if isinstance(value, str) else ""


def _replies_href(raw: Any) -> object:
    for link in raw.get("links", []):
        if link.get("rel") == "replies" and link.get("type", "text/html") == "text/html":
            return link.get("href")
    return None


def _date_of(stamp: Stamp, now: datetime) -> datetime | None:
    """A date, aware UTC, or None: no date, or one no post can have (see `plausible`). A date
    without a zone is UTC: feedparser reads most of them so, but not an RFC 822 date with a
    weekday ("Sat, 21 Mar 2026 10:00:00"), which email.utils can read."""
    value, text = stamp
    # Every step can overflow on what a feed may write: "31 Dec 9999 23:59:59 -1200" is
    # past year 9999 in UTC, a year of 30 digits is past a C long. Such a date is no date.
    try:
        if value:
            moment = datetime.fromtimestamp(calendar.timegm(value), UTC)
        elif isinstance(text, str):
            moment = parsedate_to_datetime(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
        else:
            return None
    except (OverflowError, ValueError, OSError, TypeError):
        return None
    return plausible(moment, now)


def plausible(moment: datetime | None, now: datetime | None) -> datetime | None:
    """`moment`, or None when no post can have it: before 1970-01-02 (the epoch, 1900-01-01,
    year 1, which atom.xml could not even write) or more than a day after `now` (2999)."""
    if moment is None or moment < EARLIEST or (now is not None and moment > now + FUTURE_SLACK):
        return None
    return moment


def _hash_id(title: str, content: str) -> str:
    digest = hashlib.sha1(f"{title}\n{content}".encode()).hexdigest()
    return f"sha1:{digest}"


def unique_id(entry_id: str, link: str | None, title: str, seen: Mapping[str, Entry]) -> str | None:
    """The one rule for ids that repeat within a feed, in every format: the same id with the
    same link and title is the same post again (the first is kept: None for this one); a
    different post under a taken id is kept too, under the id with a suffix from its link and
    title (stable across fetches)."""
    twin = seen.get(entry_id)
    if twin is None:
        return entry_id
    if (twin.link, twin.title) == (link, title):
        return None
    separator = "-" if "#" in entry_id else "#"
    key = f"{link}\n{title}"
    candidate = f"{entry_id}{separator}dup-{short_hash(key)}"
    n = 1
    while candidate in seen:
        n += 1
        candidate = f"{entry_id}{separator}dup-{short_hash(key + str(n))}"
    return candidate


def _ttl_of(ttl_text: object, update_period: object, update_frequency: object) -> int | None:
    """Seconds between fetches the feed asks for: RSS <ttl> (minutes) or sy:updatePeriod."""
    ttl = _text(ttl_text)
    if ttl.isdigit():
        return int(ttl) * 60
    period = _text(update_period).lower()
    seconds = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000,
               "yearly": 31536000}.get(period)  # fmt: skip
    frequency = _text(update_frequency)
    if seconds and frequency.isdigit() and int(frequency) > 0:
        return seconds // int(frequency)
    return seconds


# --- the one entry point, JSON Feed, and what is not a feed ---------------------------------


def parse_body(
    body: bytes, *, url: str, headers: Mapping[str, str], source: str, now: datetime
) -> ParsedFeed:
    """Any feed body, the only way from feed bytes to entries (build, fetch, serve, add):
    JSON Feed 1.0/1.1, else RSS/Atom, always behind the prolog guard and element cap of
    `prepare_feed`. `ParsedFeed.format` says what it was ("RSS 2.0", "Atom 1.0", ...).

    A body that is no feed raises FeedError("not a feed ..."), naming what it is instead and
    the feeds an HTML page advertises, if any.
    """
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise FeedError("not a feed (empty body)")
    if is_json(body, content_type):
        return parse_json_feed(body, url=url, source=source, now=now)
    try:
        return parse_feed(body, url=url, headers=headers, source=source, now=now)
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
    info = FeedInfo(url=url, title=_title_of(None, data.get("title")), link=site, language=language)
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
    title = _title_of(None, item.get("title")) or html_to_text(_text(item.get("summary")))[:80]
    if isinstance(item.get("content_html"), str):
        content = item["content_html"]
    elif isinstance(item.get("content_text"), str):
        content = _plain_to_html(item["content_text"])
    else:
        content = html.escape(_text(item.get("summary")))
    entry_id = unique_id(
        _text(str(item.get("id", ""))) or link or _hash_id(title, content),
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
        tags=_tags(tags if isinstance(tags, list) else ()),
        content_html=sanitize_html(content, id_prefix(source, entry_id), link or url, page=link),
        language=language_tag(item.get("language")) or language,
    )


def _json_author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        names = [_text(a.get("name")) for a in authors if isinstance(a, dict)]
        return ", ".join(n for n in names if n) or None
    author = obj.get("author")  # JSON Feed 1.0
    return _text(author.get("name")) or None if isinstance(author, dict) else None


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


def _plain_to_html(text: str) -> str:
    """Plain text (Atom type="text" content, JSON Feed content_text) as HTML paragraphs: a
    blank line ends one."""
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
