"""Stage 3, parse: bytes + headers -> `ParsedFeed`. Pure. (Hand-written posts: digest.posts.)

`parse_body` is the one way from feed bytes to entries, and this the one module that imports
feedparser: every body goes through the same prolog guard and caps (`prepare_feed`), and is
known for a feed by its root element (`digest.identify`), not by what feedparser makes of it.

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
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

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
    meta = parsed.feed
    language = language_tag(meta.get("language"))
    info = FeedInfo(
        url=url,
        title=_title(meta.get("title_detail"), meta.get("title", "")),
        link=http_url(meta.get("link"), url),
        language=language,
        ttl=_ttl(meta),
    )
    # RFC 4287 §4.2.1: an entry without an author has the feed's.
    feed_author = _author(meta)
    entries: dict[str, Entry] = {}
    for raw in parsed.entries:
        entry = _entry(raw, url, info.link, source, language, now, entries)
        if entry is None:
            continue
        if entry.author is None and feed_author:
            entry = replace(entry, author=feed_author)
        entries[entry.id] = entry
    return ParsedFeed(info, tuple(entries.values()), feed_format)


def _entry(
    raw: Any,
    base: str,
    site: str | None,
    source: str,
    language: str | None,
    now: datetime,
    seen: Mapping[str, Entry],
) -> Entry | None:
    """One RSS item or Atom entry; None when it repeats one already in `seen`."""
    title = _title(raw.get("title_detail"), raw.get("title", ""))
    link = http_url(raw.get("link"), base)
    content, content_language, content_base = _content(raw)
    if not is_http_url(content_base or ""):
        # A local feed file: its relative links are the web site's, not the file's.
        content_base = link or site
    entry_id = unique_id(
        " ".join(_text(raw.get("id")).split()) or link or _hash_id(title, content),
        link, title or "(untitled)", seen,
    )  # fmt: skip
    if entry_id is None:
        return None
    published = _date(raw, "published", now) or _date(raw, "created", now)
    updated = _date(raw, "updated", now)
    if published is None:  # e.g. RSS 1.0's dc:date: the only date there is
        published, updated = updated, None
    author = _author(raw)
    tags = _tags(tag.get("term") or tag.get("label") for tag in raw.get("tags", []))
    return Entry(
        id=entry_id,
        source=source,
        title=title or "(untitled)",
        link=link,
        author=author,
        published=published,
        updated=updated if updated != published else None,
        first_seen=now,
        tags=tags,
        content_html=sanitize_html(content, id_prefix(source, entry_id), content_base, page=link),
        comments=http_url(raw.get("comments"), base) or _replies_link(raw, base),
        language=content_language or language,
    )


def _content(raw: Any) -> tuple[str, str | None, str | None]:
    """The full content when the feed has it, else the summary: HTML, language, base URL."""
    candidates = [c for c in raw.get("content", []) if c.get("value")]
    if not candidates and raw.get("summary"):
        candidates = [raw.get("summary_detail") or {"value": raw["summary"], "type": "text/html"}]
    if not candidates:
        return "", None, None
    best = max(candidates, key=lambda c: len(c.get("value", "")))
    value: str = best.get("value", "")
    if best.get("type") == "text/plain":
        value = _plain_to_html(value)
    return value, language_tag(best.get("language")), _text(best.get("base")) or None


def _tags(names: Iterable[object]) -> tuple[str, ...]:
    """Category names as text, each once, in feed order, each and all of them capped."""
    return tuple(dict.fromkeys(t[:MAX_NAME] for t in map(_text, names) if t))[:MAX_TAGS]


# RSS 2.0 <author>, "email (Name)", and Atom's name and email as feedparser joins them.
_EMAIL_AND_NAME = re.compile(r"\S+@\S+\s*\((.+)\)|(.+?)\s*\(\S+@\S+\)", re.DOTALL)


def _author(raw: Any) -> str | None:
    """The author's name. Read from the text first: feedparser's email pattern cuts addresses
    at a long top-level domain, "ann@ann.example (Ann)" giving the name "ple (Ann"."""
    text = _text(raw.get("author"))
    match = _EMAIL_AND_NAME.fullmatch(text)
    name = (match.group(1) or match.group(2)) if match else ""
    name = name or _text((raw.get("author_detail") or {}).get("name")) or text
    return " ".join(name.split())[:MAX_NAME] or None


def _title(detail: Any, value: object) -> str:
    """Plain text. HTML titles (Atom type="html", RSS titles feedparser finds HTML in, such
    as "&lt;b&gt;x&lt;/b&gt;" or CDATA "<b>x</b>") are read as HTML: their text, no tags."""
    if not isinstance(value, str):
        return ""
    if detail and detail.get("type") in ("text/html", "application/xhtml+xml"):
        text = html_to_text(value[: MAX_TITLE * 20])
    else:
        text = " ".join(_text(value).split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


def _text(value: object) -> str:
    """A feed's string as text: no control characters, surrogates or noncharacters."""
    return clean_text(value).strip() if isinstance(value, str) else ""


def _replies_link(raw: Any, base: str) -> str | None:
    for link in raw.get("links", []):
        if link.get("rel") == "replies" and link.get("type", "text/html") == "text/html":
            return http_url(link.get("href"), base)
    return None


def _date(raw: Any, key: str, now: datetime) -> datetime | None:
    """The entry's `key` date, aware UTC, or None: no date, or one no post can have (see
    `plausible`). A date without a zone is UTC: feedparser reads most of them so, but not an
    RFC 822 date with a weekday ("Sat, 21 Mar 2026 10:00:00"), which email.utils can read."""
    # dict.get, not raw.get: feedparser's own .get maps a missing `updated` onto `published`
    # (and warns), which would make every entry look edited.
    value: time.struct_time | None = dict.get(raw, f"{key}_parsed")
    try:
        if value:
            return plausible(datetime.fromtimestamp(calendar.timegm(value), UTC), now)
        text = dict.get(raw, key)
        moment = parsedate_to_datetime(text) if isinstance(text, str) else None
    except (OverflowError, ValueError, OSError, TypeError):
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return plausible(moment and moment.astimezone(UTC), now)


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


def _ttl(meta: Any) -> int | None:
    """Seconds between fetches the feed asks for: RSS <ttl> (minutes) or sy:updatePeriod."""
    ttl = _text(meta.get("ttl"))
    if ttl.isdigit():
        return int(ttl) * 60
    period = _text(meta.get("sy_updateperiod")).lower()
    seconds = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000,
               "yearly": 31536000}.get(period)  # fmt: skip
    frequency = _text(meta.get("sy_updatefrequency"))
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
    info = FeedInfo(url=url, title=_title(None, data.get("title")), link=site, language=language)
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
    title = _title(None, item.get("title")) or html_to_text(_text(item.get("summary")))[:80]
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
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _plain_to_html(text: str) -> str:
    """Plain text (Atom type="text" content, JSON Feed content_text) as HTML paragraphs: a
    blank line ends one."""
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
