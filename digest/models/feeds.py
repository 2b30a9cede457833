"""Feeds and entries: what fetch, parse, update and store pass on. All frozen; datetimes are
aware and in UTC."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

POSTS_SOURCE = "posts"  # the built-in source of hand-written Markdown posts

# Statuses are Literal types, so mypy catches a misspelt one wherever it is compared or set.
# A feed's saved state, as written to content/feeds/<slug>.json:
HttpStatus = Literal["new", "ok", "error", "not_a_feed", "gone"]
# What one run did to one feed (the user's report):
Outcome = Literal["ok", "not_modified", "unchanged", "skipped", "error", "gone"]


# --- feeds and entries ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Media:
    """An audio or video file a post carries (a podcast's episode: an RSS enclosure)."""

    url: str  # absolute http(s)
    type: str  # audio/... or video/...
    length: int | None = None  # bytes, as the feed says


@dataclass(frozen=True, slots=True)
class Picture:
    """A post's own picture, shown on listings: the feed's (Media RSS, an image enclosure, the
    episode's image) or the body's first image."""

    url: str  # absolute http(s)
    width: int | None = None
    height: int | None = None
    alt: str = ""


@dataclass(frozen=True, slots=True)
class FullText:
    """A post's article as its page has it, for a feed that sends a summary only
    (`full_text`, digest.feeds.fulltext): fetched from the post's link once, its main text
    extracted and sanitised. While it fails (`html` empty), the post keeps the feed's text and
    the page is tried again later, a few times at most."""

    url: str  # the page it was taken from (after redirects), or the link last tried
    fetched: datetime  # when (the last try, while it fails)
    html: str = ""  # sanitised; empty until a try succeeds
    error: str | None = None  # why the last try failed, in words
    failures: int = 0  # tries that failed; at fulltext.MAX_TRIES it is not tried again


def body_hash(html: str) -> str:
    """A body by a hash of its bytes (a page's key holds this, not the body)."""
    return hashlib.blake2b(html.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Body:
    """What planning a build needs of an entry's body, read from the entry index
    (`store.with_index`) while the body stays in its month file: the hashes a page's key
    holds, and the bytes a day page shows (the size budget). Render reads the body itself,
    for the pages it makes (`feeds.index.Bodies`)."""

    html: str  # body_hash(content_html)
    article: str  # body_hash(full_text.html), "" when there is no article
    size: int  # UTF-8 bytes of what a day page shows: the article, else the body
    # Where the month file holds them: the offset and length in bytes of the body's JSON
    # string, then the article's ((0, 0) for none). None: not known (read the whole month).
    at: tuple[int, int, int, int] | None = None
    # The entry's `entry_hash`, as the index recorded it when it wrote the entry; "" when not
    # recorded (it is then worked out from the entry).
    entry: str = ""

    def holds(self, html: str, article: str) -> bool:
        """These texts are the body and article this stands in for."""
        made = make_body(html, article)
        return (made.html, made.article, made.size) == (self.html, self.article, self.size)


def body_of(entry: Entry) -> Body:
    """The entry's `Body`: as the index gave it, or worked out from the body it holds."""
    if entry.body is not None:
        return entry.body
    return make_body(entry.content_html, entry.full_text.html if entry.full_text else "")


def entry_hash(entry: Entry) -> str:
    """A hash of the entry as a page shows it, but for its source: every field, its body and
    article by their hashes. The same whether the entry holds its body or the index stands in
    for it. Keying a page hashes its entries' (`render.keys`); the index records each one
    (`Body.entry`) when it writes the entry, which at 100,000 entries saves a build about
    1.5 s of reading every field of every entry again."""
    if entry.body is not None and entry.body.entry:
        return entry.body.entry
    body = body_of(entry)
    full_text = entry.full_text
    if full_text is not None and body.article:  # its article by its hash too
        full_text = replace(full_text, html=body.article)
    parts = [repr(getattr(entry, name)) for name in _HASHED]
    parts[_FULL_TEXT] = repr(full_text)
    text = "\0".join((*parts, body.html))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def edited(entry: Entry, **changes: Any) -> Entry:
    """The entry with `changes` (fields but its texts), its recorded hash let go: the hash
    the index recorded is of the entry as saved, not as a later stage made it (dedup's merged
    tags). Every change to an entry after it is read goes through here."""
    body = entry.body
    if body is not None and body.entry:
        body = replace(body, entry="")
    return replace(entry, **changes, body=body)


def make_body(html: str, article: str) -> Body:
    """The `Body` of a post's HTML and its fetched article's ("" for none)."""
    return Body(body_hash(html), body_hash(article) if article else "", _utf8_len(article or html))


def shown_bytes(entry: Entry) -> int:
    """The UTF-8 bytes of what a day page shows of the entry: its article, else its body."""
    if entry.body is not None:
        return entry.body.size
    article = entry.full_text.html if entry.full_text is not None else ""
    return _utf8_len(article or entry.content_html)


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True, slots=True)
class Entry:
    """One post, from a feed or from `content/posts/*.md`.

    `id` is unique within its source. `published` is None when the feed gave no date;
    `date` then falls back to `first_seen`, which is set once and never changes.
    """

    id: str
    source: str  # the feed slug, or POSTS_SOURCE
    title: str  # plain text
    link: str | None  # absolute http(s) URL of the original
    author: str | None  # plain text
    published: datetime | None
    updated: datetime | None
    first_seen: datetime
    tags: tuple[str, ...]  # as the feed wrote them; normalised in `group`
    content_html: str  # sanitised
    comments: str | None = None  # absolute http(s) URL of the discussion
    language: str | None = None
    slug: str | None = None  # hand-written posts only: their page is posts/<slug>/
    # What it carries besides its text (digest.parse.media): audio and video to play, its
    # own picture, a podcast episode's length in seconds and its number.
    media: tuple[Media, ...] = ()
    picture: Picture | None = None
    duration: int | None = None
    episode: int | None = None
    full_text: FullText | None = None  # its article from its page (`full_text` feeds only)
    # Set on an entry read from the index without its body: `content_html` (and the article's
    # html) are then empty until `feeds.index.Bodies` reads them. None: the entry holds its body.
    body: Body | None = None

    @property
    def date(self) -> datetime:
        """When it was published; a date later than first seen is clamped to first seen, so a
        future-dated post does not sit on top for months."""
        return min(self.published or self.updated or self.first_seen, self.first_seen)


# The fields `entry_hash` reads: not the source (the file an entry is read from says it, and
# a feed renamed keeps its files' bytes, so its recorded hashes hold), not the texts nor
# their stand-in, which count by their hashes. What it covers is part of the entry index's
# schema (`feeds.index.SCHEMA`): changed, the hashes recorded would be stale.
_HASHED = tuple(f.name for f in fields(Entry) if f.name not in ("source", "content_html", "body"))
_FULL_TEXT = _HASHED.index("full_text")


# An entry, given its body back when it was read from the index without it
# (`feeds.index.Bodies.whole`); `as_is` for entries that hold theirs.
Whole = Callable[[Entry], Entry]


def as_is(entry: Entry) -> Entry:
    return entry


def sort_entries(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Newest first; ties broken by source and id so the order (and the cache file) is stable."""
    return tuple(sorted(entries, key=lambda e: (-e.date.timestamp(), e.source, e.id)))


@dataclass(frozen=True, slots=True)
class PostFile:
    """A hand-written post's file as read from `content/posts/` (store -> parse)."""

    path: Path
    text: str


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself."""

    url: str = ""  # the URL it was fetched from
    title: str = ""
    link: str | None = None  # its web site
    language: str | None = None
    ttl: int | None = None  # seconds the feed asks between fetches (RSS ttl, sy:updatePeriod)


@dataclass(frozen=True, slots=True)
class HttpState:
    """What is remembered between runs to fetch politely (RFC 9110/9111), and feed health.

    Written to the cache only when it changes: a run that gets a 304 with nothing new to
    remember writes nothing.
    """

    url: str | None = None  # the URL the validators belong to
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None  # skip re-parsing an unchanged body served without validators
    moved_to: str | None = None  # target of a permanent redirect (301/308): fetched from now on
    status: HttpStatus = "new"
    failures: int = 0  # consecutive
    failing_since: datetime | None = None
    last_ok: datetime | None = None  # the last 200 with a new body
    last_error: str | None = None
    next_due: datetime | None = None  # not fetched before (freshness, min_interval, backoff)
    retry_after: datetime | None = None  # the server's 429/503 Retry-After: never before


@dataclass(frozen=True, slots=True)
class EntrySummary:
    """What a feed's month files hold, as its state file records it."""

    count: int
    newest: datetime | None


@dataclass(frozen=True, slots=True)
class FeedCache:
    """The whole of `content/feeds/<slug>.json` and its month files.

    With `summary` set, the cache was read without its entries (`store.load_state`): all a
    run needs that gets 304s and finds nothing to render. `entries` is then empty: saving it
    writes its state file only, and the whole cache must be read (`store.load_cache`) before
    its entries are used or a new body is merged into them.
    """

    slug: str
    feed: FeedInfo = field(default_factory=FeedInfo)
    http: HttpState = field(default_factory=HttpState)
    entries: tuple[Entry, ...] = ()
    # True for a cache seeded from bundled sample feeds: the first real fetch replaces it.
    sample: bool = False
    summary: EntrySummary | None = None
    # When some entry's article is next to be fetched from its page (`full_text`, see
    # digest.feeds.fulltext); None when none is. In the state file, so a run that reads no
    # entries knows whether this feed's must be read for that.
    full_text_due: datetime | None = None

    @property
    def entry_count(self) -> int:
        return len(self.entries) if self.summary is None else self.summary.count

    @property
    def newest(self) -> datetime | None:
        if self.summary is not None:
            return self.summary.newest
        return max((e.date for e in self.entries), default=None)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    feed: FeedInfo
    entries: tuple[Entry, ...]
    format: str = ""  # what the body was: "RSS 2.0", "Atom 1.0", "JSON Feed 1.1", ...


@dataclass(frozen=True, slots=True)
class FeedReport:
    """What one fetch did to one feed, for the user's report."""

    slug: str
    name: str
    outcome: Outcome
    added: int = 0
    changed: int = 0
    error: str | None = None
    note: str | None = None  # e.g. "moved permanently: update config.toml to ..."


# What became of one request; `update` decides what each means for the feed.
FetchOutcome = Literal["ok", "not_modified", "gone", "retry_later", "error"]


@dataclass(frozen=True, slots=True)
class Response:
    """What one fetch gave. `url` is the final URL (after redirects), used to resolve links."""

    outcome: FetchOutcome
    url: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    error: str | None = None
    status: int = 0  # the final HTTP status; 0 for local files and network errors
    moved_to: str | None = None  # where a chain of permanent redirects (301/308) led
