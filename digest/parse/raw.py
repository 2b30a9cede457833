"""What a parser read, in plain values (`RawFeed`, `RawEntry`), and the one set of rules that
makes entries of them (`build_feed`): feedparser's reader (digest.parse) and the lxml one
(digest.parse.fast) both hand their results here, so both give the same `ParsedFeed`.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from digest.models import Entry, FeedInfo, ParsedFeed
from digest.parse.media import NO_MEDIA, RawMedia, read_media
from digest.sanitize import (
    clean_text,
    html_to_text,
    http_url,
    id_prefix,
    is_http_url,
    language_tag,
    sanitize_html,
    short_hash,
)

MAX_TITLE = 500  # characters of a title kept (a feed may send megabytes)
MAX_NAME = 500  # characters of an author or a tag name kept
MAX_TAGS = 50  # categories kept per entry: each becomes a page
# Dates outside these bounds are not dates (the epoch, 1900-01-01, 2999-12-31): unknown.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


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
    feedparser (`_feedparser_entry`) or the fast path (digest.parse.fast) read, field by field.
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
    media: RawMedia = NO_MEDIA  # enclosures, Media RSS, iTunes' tags


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
        title=title_of(raw.title_type, raw.title),
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
    title = title_of(raw.title_type, raw.title)
    link = http_url(raw.link, base)
    content, content_language, content_base = _content_of(raw)
    if not is_http_url(content_base or ""):
        # A local feed file: its relative links are the web site's, not the file's.
        content_base = link or site
    entry_id = unique_id(
        " ".join(text_of(raw.id).split()) or link or hash_id(title, content),
        link, title or "(untitled)", seen,
    )  # fmt: skip
    if entry_id is None:
        return None
    published = _date_of(raw.published, now) or _date_of(raw.created, now)
    updated = _date_of(raw.updated, now)
    if published is None:  # e.g. RSS 1.0's dc:date: the only date there is
        published, updated = updated, None
    author = _author_of(raw.author, raw.author_name)
    body = sanitize_html(content, id_prefix(source, entry_id), content_base, page=link)
    carried = read_media(raw.media, base, title or "", body)
    return Entry(
        id=entry_id,
        source=source,
        title=title or "(untitled)",
        link=link,
        author=author,
        published=published,
        updated=updated if updated != published else None,
        first_seen=now,
        tags=tag_names(raw.tags),
        content_html=body,
        comments=http_url(raw.comments, base) or http_url(raw.replies, base),
        language=content_language or language,
        media=carried.media,
        picture=carried.picture,
        duration=carried.duration,
        episode=carried.episode,
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
        value = plain_to_html(value)
    return value, language_tag(best.language), text_of(best.base) or None


def tag_names(names: Iterable[object]) -> tuple[str, ...]:
    """Category names as text, each once, in feed order, each and all of them capped."""
    return tuple(dict.fromkeys(t[:MAX_NAME] for t in map(text_of, names) if t))[:MAX_TAGS]


# RSS 2.0 <author>, "email (Name)", and Atom's name and email as feedparser joins them.
_EMAIL_AND_NAME = re.compile(r"\S+@\S+\s*\((.+)\)|(.+?)\s*\(\S+@\S+\)", re.DOTALL)


def _author_of(author: object, parsed_name: object) -> str | None:
    """The author's name. Read from the text first: feedparser's email pattern cuts addresses
    at a long top-level domain, "ann@ann.example (Ann)" giving the name "ple (Ann"."""
    text = text_of(author)
    match = _EMAIL_AND_NAME.fullmatch(text)
    name = (match.group(1) or match.group(2)) if match else ""
    name = name or text_of(parsed_name) or text
    return " ".join(name.split())[:MAX_NAME] or None


def title_of(title_type: object, value: object) -> str:
    """Plain text. HTML titles (Atom type="html", RSS titles feedparser finds HTML in, such
    as "&lt;b&gt;x&lt;/b&gt;" or CDATA "<b>x</b>") are read as HTML: their text, no tags."""
    if not isinstance(value, str):
        return ""
    if title_type in ("text/html", "application/xhtml+xml"):
        text = html_to_text(value[: MAX_TITLE * 20])
    else:
        text = " ".join(text_of(value).split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


def text_of(value: object) -> str:
    """A feed's string as text: no control characters, surrogates or noncharacters."""
    return clean_text(value).strip() if isinstance(value, str) else ""


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


def hash_id(title: str, content: str) -> str:
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
    ttl = text_of(ttl_text)
    if ttl.isdigit():
        return int(ttl) * 60
    period = text_of(update_period).lower()
    seconds = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000,
               "yearly": 31536000}.get(period)  # fmt: skip
    frequency = text_of(update_frequency)
    if seconds and frequency.isdigit() and int(frequency) > 0:
        return seconds // int(frequency)
    return seconds


def plain_to_html(text: str) -> str:
    """Plain text (Atom type="text" content, JSON Feed content_text) as HTML paragraphs: a
    blank line ends one."""
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
