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
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import PurePath
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import feedparser
import markdown
import nh3
from slugify import slugify

from digest.errors import FeedError, PostError
from digest.models import POSTS_SOURCE, Entry, FeedInfo, ParsedFeed

# Tags and attributes of long-form writing. Everything else is dropped (its text kept);
# script/style/iframe/object/form content is dropped whole by nh3.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "section", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul", "var",
}  # fmt: skip
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
URL_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "cite"}


def sanitize_html(fragment: str, id_prefix: str, base: str | None = None) -> str:
    """Allowlist-clean `fragment`, resolving relative URLs against `base`.

    Ids get `id_prefix`, and `#fragment` links with them, so footnotes keep working and two
    posts on one page never clash with each other or with the page's own ids.
    """

    def keep_url(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in URL_ATTRIBUTES:
            return value
        if value.startswith("#"):
            return f"#{id_prefix}{value[1:]}"
        # urljoin also strips the tabs and newlines browsers ignore ("java\tscript:").
        absolute = urljoin(base, value.strip()) if base else value.strip()
        # A URL still relative (no base known) would point into our own site, so it goes.
        return absolute if urlsplit(absolute).scheme in URL_SCHEMES else None

    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=keep_url,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        id_prefix=id_prefix,
        strip_comments=True,
    ).strip()


# C0 controls (but tab, newline, return) and DEL: invalid in XML 1.0, never meant as text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace folded."""
    text = html.unescape(nh3.clean(fragment, tags=set()))
    return " ".join(_CONTROL.sub("", text).split())


def parse_feed(
    body: bytes, *, url: str, headers: Mapping[str, str], source: str, now: datetime
) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0 or Atom. `url` is the final URL, the base for relative links."""
    response_headers = {k.lower(): v for k, v in headers.items()}
    response_headers["content-location"] = url
    parsed: Any = feedparser.parse(
        body,
        response_headers=response_headers,
        sanitize_html=False,  # nh3 does it below, faster and stricter
        # We resolve relative URLs ourselves, while sanitising: feedparser would also turn
        # "#footnote" links into links to the feed document.
        resolve_relative_uris=False,
    )
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
        entry = _entry(raw, url, info.link, source, language, now)
        if entry.author is None and feed_author:
            entry = dataclasses.replace(entry, author=feed_author)
        entries.setdefault(entry.id, entry)  # duplicate ids within one feed: first wins
    return ParsedFeed(info, tuple(entries.values()))


def _entry(
    raw: Any, base: str, site: str | None, source: str, language: str | None, now: datetime
) -> Entry:
    title = _title(raw.get("title_detail"), raw.get("title", ""))
    link = _http_url(raw.get("link"), base)
    content, content_language, content_base = _content(raw)
    if urlsplit(content_base or "").scheme not in ("http", "https"):
        # A local feed file: its relative links are the web site's, not the file's.
        content_base = link or site
    entry_id = _text(raw.get("id")) or link or _hash_id(title, content)
    # dict.get, not raw.get: feedparser's own .get maps a missing `updated` onto `published`
    # (and warns), which would make every entry look edited.
    published = _date(dict.get(raw, "published_parsed")) or _date(dict.get(raw, "created_parsed"))
    updated = _date(dict.get(raw, "updated_parsed"))
    if published is None:  # e.g. RSS 1.0's dc:date: the only date there is
        published, updated = updated, None
    author = _author(raw)
    tags = tuple(
        dict.fromkeys(
            t
            for t in (_text(tag.get("term") or tag.get("label")) for tag in raw.get("tags", []))
            if t
        )
    )
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


_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def _language(value: object) -> str | None:
    """A BCP 47-shaped tag (it lands in lang= and xml:lang=), else None."""
    text = _text(value).replace("_", "-")
    return text if _LANGUAGE.match(text) else None


def _author(raw: Any) -> str | None:
    detail = raw.get("author_detail") or {}
    return " ".join(_text(detail.get("name") or raw.get("author")).split()) or None


def _title(detail: Any, value: str) -> str:
    if detail and detail.get("type") in ("text/html", "application/xhtml+xml"):
        return html_to_text(value)
    return " ".join(_text(value).split())


def _text(value: object) -> str:
    return _CONTROL.sub("", value).strip() if isinstance(value, str) else ""


def _http_url(value: object, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    absolute = urljoin(base, value.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _replies_link(raw: Any, base: str) -> str | None:
    for link in raw.get("links", []):
        if link.get("rel") == "replies" and link.get("type", "text/html") == "text/html":
            return _http_url(link.get("href"), base)
    return None


def _date(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _hash_id(title: str, content: str) -> str:
    digest = hashlib.sha1(f"{title}\n{content}".encode()).hexdigest()
    return f"sha1:{digest}"


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
        published = _iso_date(item.get("date_published"))
        updated = _iso_date(item.get("date_modified"))
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
