"""Stage 3, parse: bytes + headers -> `ParsedFeed`; Markdown text -> `Entry`. Pure.

Normalises what feeds disagree on: ids, aware UTC dates, plain-text titles and authors,
absolute links, and content HTML passed through an allowlist sanitiser (nh3) before it is
stored, so nothing a feed sends can run in a page.
"""

from __future__ import annotations

import calendar
import contextlib
import dataclasses
import hashlib
import html
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import markdown
from slugify import slugify

from digest.errors import FeedError, PostError
from digest.models import POSTS_SOURCE, Entry, FeedInfo, ParsedFeed, PostFile, sort_entries

# The sanitiser and the text, URL and language rules live in digest.sanitize; the names
# imported "as" themselves are re-exported here, where the pipeline has always found them.
from digest.sanitize import ALLOWED_ATTRIBUTES as ALLOWED_ATTRIBUTES
from digest.sanitize import ALLOWED_TAGS as ALLOWED_TAGS
from digest.sanitize import URL_SCHEMES as URL_SCHEMES
from digest.sanitize import (
    clean_text,
    http_url,
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
    """Parse RSS 0.9x/1.0/2.0 or Atom. `url` is the final URL, the base for relative links."""
    response_headers = {k.lower(): v for k, v in headers.items()}
    # One decoding, no DOCTYPE (so no entities), UTF-8 out: see digest.sanitize.prepare_feed.
    body, content_type = prepare_feed(body, response_headers.get("content-type"))
    if content_type:
        response_headers["content-type"] = content_type
    response_headers["content-location"] = url
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
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"not a feed{f' ({reason})' if reason else ''}")
    meta = parsed.feed
    language = _language(meta.get("language"))
    info = FeedInfo(
        url=url,
        title=_title(meta.get("title_detail"), meta.get("title", "")),
        link=_http_url(meta.get("link"), url),
        language=language,
        ttl=_ttl(meta),
    )
    # RFC 4287 §4.2.1: an entry without an author has the feed's.
    feed_author = _author(meta)
    entries: dict[str, Entry] = {}
    for raw in parsed.entries:
        entry = _entry(raw, url, info.link, source, language, now, entries)
        if entry.author is None and feed_author:
            entry = dataclasses.replace(entry, author=feed_author)
        # An id seen before is the same post again (first wins) unless _entry gave it its own.
        entries.setdefault(entry.id, entry)
    return ParsedFeed(info, tuple(entries.values()))


def _entry(
    raw: Any,
    base: str,
    site: str | None,
    source: str,
    language: str | None,
    now: datetime,
    seen: Mapping[str, Entry] | None = None,
) -> Entry:
    title = _title(raw.get("title_detail"), raw.get("title", ""))
    link = _http_url(raw.get("link"), base)
    content, content_language, content_base = _content(raw)
    if not is_http_url(content_base or ""):
        # A local feed file: its relative links are the web site's, not the file's.
        content_base = link or site
    entry_id = " ".join(_text(raw.get("id")).split()) or link or _hash_id(title, content)
    twin = (seen or {}).get(entry_id)
    if twin is not None and (twin.link, twin.title) != (link, title or "(untitled)"):
        entry_id = _twin_id(entry_id, link, title, seen or {})
    # dict.get, not raw.get: feedparser's own .get maps a missing `updated` onto `published`
    # (and warns), which would make every entry look edited.
    published = _date(dict.get(raw, "published_parsed"), now) or _date(
        dict.get(raw, "created_parsed"), now
    )
    updated = _date(dict.get(raw, "updated_parsed"), now)
    if published is None:  # e.g. RSS 1.0's dc:date: the only date there is
        published, updated = updated, None
    author = _author(raw)
    tags = tuple(
        dict.fromkeys(
            t[:MAX_NAME]
            for t in (_text(tag.get("term") or tag.get("label")) for tag in raw.get("tags", []))
            if t
        )
    )[:MAX_TAGS]
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
        content_html=sanitize_html(content, _id_prefix(source, entry_id), content_base),
        comments=_http_url(raw.get("comments"), base) or _replies_link(raw, base),
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
        value = "".join(
            f"<p>{html.escape(p.strip())}</p>" for p in value.split("\n\n") if p.strip()
        )
    return value, _language(best.get("language")), _text(best.get("base")) or None


def _language(value: object) -> str | None:
    """A language tag a validator accepts (it lands in lang= and xml:lang=), else None."""
    return language_tag(value)


def _author(raw: Any) -> str | None:
    detail = raw.get("author_detail") or {}
    return " ".join(_text(detail.get("name") or raw.get("author")).split())[:MAX_NAME] or None


def _title(detail: Any, value: str) -> str:
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


def _http_url(value: object, base: str) -> str | None:
    """An absolute, normalised http(s) URL, or None (javascript:, data:, unresolvable ...)."""
    return http_url(value, base)


def _replies_link(raw: Any, base: str) -> str | None:
    for link in raw.get("links", []):
        if link.get("rel") == "replies" and link.get("type", "text/html") == "text/html":
            return _http_url(link.get("href"), base)
    return None


def _date(value: time.struct_time | None, now: datetime | None = None) -> datetime | None:
    """An aware UTC datetime, or None: no date, or one no post can have (see `plausible`).
    A date without a zone was read as UTC by feedparser."""
    if not value:
        return None
    try:
        return plausible(datetime.fromtimestamp(calendar.timegm(value), UTC), now)
    except (OverflowError, ValueError, OSError):
        return None


def plausible(moment: datetime | None, now: datetime | None) -> datetime | None:
    """`moment`, or None when no post can have it: before 1970-01-02 (the epoch, 1900-01-01,
    year 1, which atom.xml could not even write) or more than a day after `now` (2999)."""
    if moment is None or moment < EARLIEST or (now is not None and moment > now + FUTURE_SLACK):
        return None
    return moment


def _hash_id(title: str, content: str) -> str:
    digest = hashlib.sha1(f"{title}\n{content}".encode()).hexdigest()
    return f"sha1:{digest}"


def _twin_id(entry_id: str, link: str | None, title: str, seen: Mapping[str, Entry]) -> str:
    """A second, different post under an id already taken in this feed keeps both: the later
    one's id gets a suffix from its link and title (stable across fetches)."""
    separator = "-" if "#" in entry_id else "#"
    key = f"{link}\n{title}"
    candidate = f"{entry_id}{separator}dup-{short_hash(key)}"
    n = 1
    while candidate in seen:
        n += 1
        candidate = f"{entry_id}{separator}dup-{short_hash(key + str(n))}"
    return candidate


def _id_prefix(source: str, entry_id: str) -> str:
    return "e" + hashlib.sha1(f"{source}\n{entry_id}".encode()).hexdigest()[:8] + "-"


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


# --- JSON Feed and things that are not feeds ----------------------------------------------

_JSON_FEED = "https://jsonfeed.org/version/"


def parse_body(
    body: bytes, *, url: str, headers: Mapping[str, str], source: str, now: datetime
) -> ParsedFeed:
    """Any feed body: JSON Feed 1.0/1.1, else RSS/Atom through feedparser.

    A body that is no feed raises FeedError("not a feed ..."), naming the feeds an HTML page
    advertises, if any.
    """
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "").lower()
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedError("not a feed (empty body)")
    if stripped[:1] in (b"{", b"[") or "json" in content_type:
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
    except (ValueError, UnicodeDecodeError) as e:
        raise FeedError(f"not a feed (invalid JSON: {e})") from e
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(_JSON_FEED):
        raise FeedError("not a feed (JSON, but not JSON Feed: no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("not a feed (JSON Feed without an items list)")
    language = _language(data.get("language"))
    site = _http_url(data.get("home_page_url"), url)
    info = FeedInfo(url=url, title=_text(data.get("title")), link=site, language=language)
    feed_author = _json_author(data)
    entries: dict[str, Entry] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        link = _http_url(item.get("url"), url) or _http_url(item.get("external_url"), url)
        title = _text(item.get("title")) or html_to_text(_text(item.get("summary")))[:80]
        if isinstance(item.get("content_html"), str):
            content = item["content_html"]
        elif isinstance(item.get("content_text"), str):
            content = _plain_to_html(item["content_text"])
        else:
            content = html.escape(_text(item.get("summary")))
        entry_id = _text(str(item.get("id", ""))) or link or _hash_id(title, content)
        published = plausible(_iso_date(item.get("date_published")), now)
        updated = plausible(_iso_date(item.get("date_modified")), now)
        raw_tags = item.get("tags")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        entry = Entry(
            id=entry_id,
            source=source,
            title=title or "(untitled)",
            link=link,
            author=_json_author(item) or feed_author,
            published=published,
            updated=updated if updated != published else None,
            first_seen=now,
            tags=tuple(dict.fromkeys(t for t in (_text(t) for t in tags) if t)),
            content_html=sanitize_html(content, _id_prefix(source, entry_id), link or url),
            language=_language(item.get("language")) or language,
        )
        entries.setdefault(entry.id, entry)
    return ParsedFeed(info, tuple(entries.values()))


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
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


class _FeedLinks(HTMLParser):
    """Collects <link rel="alternate" type="application/(rss|atom|feed)+..." href>."""

    TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
             "application/json", "application/rdf+xml")  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        rels = a.get("rel", "").lower().split()
        if tag == "link" and "alternate" in rels and a.get("type", "").lower() in self.TYPES:
            self.links.append(a.get("href", ""))


def find_feed_links(body: bytes, base: str) -> list[str]:
    """Feed URLs an HTML page advertises (feed autodiscovery), absolute, in page order."""
    parser = _FeedLinks()
    with contextlib.suppress(AssertionError):  # html.parser on hopeless markup
        parser.feed(body[:1_000_000].decode("utf-8", errors="replace"))
    found = (_http_url(link, base) for link in parser.links)
    return list(dict.fromkeys(link for link in found if link))


# --- hand-written posts ----------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
POST_KEYS = {"title", "date", "tags", "author", "slug"}


def parse_post(text: str, *, filename: str, timezone: str, base_url: str) -> Entry:
    """A Markdown post with front matter (`title`, `date`, optional `tags`, `author`, `slug`).

    A date without an offset is read in the site timezone; relative links resolve against the
    post's own public URL (they must work wherever the post is shown, in listings too).
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        raise PostError(f"{filename}: no front matter; start the file with a '---' block")
    meta: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(match.group(1).splitlines(), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in POST_KEYS:
            problems.append(f"line {number}: expected one of {', '.join(sorted(POST_KEYS))}")
            continue
        meta[key] = _text(value).strip('"')
    title = meta.get("title", "")
    if not title:
        problems.append("title: required")
    published: datetime | None = None
    try:
        published = datetime.fromisoformat(meta.get("date", ""))
    except ValueError:
        problems.append("date: required, as YYYY-MM-DD or YYYY-MM-DD HH:MM")
    if problems or published is None:
        raise PostError(f"{filename}: " + "; ".join(problems))
    if published.tzinfo is None:
        published = published.replace(tzinfo=ZoneInfo(timezone))
    published = published.astimezone(UTC)
    tags = tuple(t.strip() for t in meta.get("tags", "").strip("[]").split(",") if t.strip())
    slug = slugify(meta.get("slug") or PurePath(filename).stem, max_length=80) or "post"
    body = markdown.markdown(
        text[match.end() :], extensions=["extra", "sane_lists"], output_format="html"
    )
    return Entry(
        id=f"{POSTS_SOURCE}/{slug}",
        source=POSTS_SOURCE,
        title=title,
        link=None,
        author=meta.get("author") or None,
        published=published,
        updated=None,
        first_seen=published,
        tags=tags,
        content_html=sanitize_html(
            body, _id_prefix(POSTS_SOURCE, slug), f"{base_url}{POSTS_SOURCE}/{slug}/"
        ),
        slug=slug,
    )


def parse_posts(files: tuple[PostFile, ...], *, timezone: str, base_url: str) -> tuple[Entry, ...]:
    """Every hand-written post, newest first; two posts with one slug are an error."""
    posts: dict[str, Entry] = {}
    for file in files:
        post = parse_post(file.text, filename=str(file.path), timezone=timezone, base_url=base_url)
        assert post.slug is not None
        if post.slug in posts:
            raise PostError(f"{file.path}: slug {post.slug!r} is used by another post; set `slug:`")
        posts[post.slug] = post
    return sort_entries(posts.values())
