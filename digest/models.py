"""The values that flow between stages. All frozen; datetimes are aware and in UTC.

Display conversion (site timezone, formats) happens in `group` and the templates, never here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

POSTS_SOURCE = "posts"  # the built-in source of hand-written Markdown posts

# Statuses are Literal types, so mypy catches a misspelt one wherever it is compared or set.
# A feed's saved state, as written to content/feeds/<slug>.json:
HttpStatus = Literal["new", "ok", "error", "not_a_feed", "gone"]
# What one run did to one feed (the user's report):
Outcome = Literal["ok", "not_modified", "unchanged", "skipped", "error", "gone"]
# A feed's health, derived from its saved state (feeds/index.html, feeds.json):
HealthStatus = Literal["ok", "new", "failing", "not_a_feed", "moved", "gone"]
# Which kind of page a `Page` is (templates test it, e.g. for aria-current):
PageKind = Literal[
    "home", "day", "month", "archive", "tag", "tags", "source", "sources", "feeds", "post",
    "notfound", "edition", "editions", "year", "search",
]  # fmt: skip


# Which listings show whole entries: "front" the home page's front page only, "all" every
# listing page (each body is then on ~10 pages: a large site outgrows GitHub Pages' 1 GB),
# "none" no listing. Day pages always do: they are an entry's one canonical page.
FullContent = Literal["front", "all", "none"]


# --- config -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retention:
    """How long cached entries are kept; None keeps everything (the default)."""

    max_age: int | None = None  # seconds since the entry's date
    max_entries: int | None = None  # newest N per feed


# Which of an entry's texts a `[[tags.rules]]` pattern is matched against.
TagField = Literal["title", "content", "author", "link"]


@dataclass(frozen=True, slots=True)
class TagRule:
    """One `[[tags.rules]]`: entries whose `fields` match `match` (a regular expression,
    searched) get `tags`."""

    match: str
    tags: tuple[str, ...]
    fields: tuple[TagField, ...] = ("title", "content")


@dataclass(frozen=True, slots=True)
class TagsConfig:
    """`[tags]`: where tags come from besides feeds, and which get a page."""

    rules: tuple[TagRule, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # (spelling, tag), in config order
    ignore: tuple[str, ...] = ()
    min_entries: int = 2  # fewer entries: the tag stays on its entries, as text, with no page


@dataclass(frozen=True, slots=True)
class Filters:
    """`[filters]`, or a feed's own filter keys: which cached entries the site shows. An entry
    is shown when it matches an `include` pattern (if any), no `exclude` one, and is at most
    `max_age_days` old; the home page lists at most `max_per_source` of one source a page."""

    include: tuple[str, ...] = ()  # regular expressions over title, content text, author, tags
    exclude: tuple[str, ...] = ()
    max_age_days: int | None = None
    max_per_source: int | None = None


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One `[[feeds]]` table. `url` is http(s), or `path` is set for a local feed file."""

    url: str
    name: str
    slug: str
    tags: tuple[str, ...] = ()
    path: Path | None = None  # resolved local file, when `url` names one
    min_interval: int | None = None  # seconds; overrides [fetch] min_interval
    retention: Retention | None = None  # overrides [retention]
    filters: Filters | None = None  # include/exclude/max_age_days/max_per_source for this feed
    full_content: FullContent | None = None  # overrides [site] full_content for its entries


@dataclass(frozen=True, slots=True)
class SiteConfig:
    title: str
    base_url: str  # absolute, ends with "/"
    timezone: str  # IANA name
    per_page: int = 20
    feed_entries: int = 50  # entries in each Atom/JSON feed
    language: str = "en"  # BCP 47: <html lang>, interface strings, dates
    theme: str = "default"  # themes/<theme>/ is searched before the built-in theme
    # Which listing pages show entries in full; the rest show an excerpt linking to the entry
    # on its day page, which always shows it in full (see FullContent).
    full_content: FullContent = "front"
    cname: str | None = None  # custom domain for GitHub Pages (writes output/CNAME)
    source_feeds: bool = False  # also write sources/<slug>/atom.xml


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """`[search]`: full-text search by Pagefind, indexed after the pages are written."""

    enabled: bool = True  # false: no search page, no search box, no pagefind/ folder


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """`[fetch]`: how politely and how long to wait."""

    timeout: float = 30.0  # seconds for the whole response
    connect_timeout: float = 10.0
    max_bytes: int = 10 * 1024 * 1024  # after decompression
    workers: int = 8
    per_host: int = 2  # requests at once to one host
    min_interval: int = 0  # seconds between fetches of one feed


EditionKind = Literal["daily", "weekly"]
EditionGroupBy = Literal["tag", "source"]


@dataclass(frozen=True, slots=True)
class EditionsConfig:
    """`[editions]`: daily and weekly digests (digest/editions.py). Off without the table."""

    daily: bool = False
    weekly: bool = False
    week_start: int = 0  # the weekday a week starts on, Monday 0 (date.weekday())
    close_after: int = 6 * 3600  # seconds after the period's end (site timezone)
    excerpt_chars: int = 280
    group_by: EditionGroupBy = "tag"
    skip_empty: bool = True  # a period with no posts gets no page and no feed entry

    @property
    def kinds(self) -> tuple[EditionKind, ...]:
        kinds: tuple[tuple[EditionKind, bool], ...] = (
            ("daily", self.daily),
            ("weekly", self.weekly),
        )
        return tuple(k for k, on in kinds if on)


# Which rule finds the same post in two feeds (see digest/dedup.py): "content" implies "link".
DedupMode = Literal["off", "link", "content"]


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """`[dedup]`: how the same post from two feeds is shown once."""

    mode: DedupMode = "content"
    threshold: float = 0.8  # estimated Jaccard similarity of the texts' word 3-shingles
    window: int = 3 * 86400  # seconds between the copies' dates, at most
    prefer: tuple[str, ...] = ()  # feed slugs whose copy is shown, first = most preferred


@dataclass(frozen=True, slots=True)
class Config:
    path: Path  # the config file
    site: SiteConfig
    feeds: tuple[FeedConfig, ...]
    fetch: FetchConfig = field(default_factory=FetchConfig)
    retention: Retention = field(default_factory=Retention)
    tags: TagsConfig = field(default_factory=TagsConfig)
    filters: Filters = field(default_factory=Filters)
    editions: EditionsConfig = field(default_factory=EditionsConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    search: SearchConfig = field(default_factory=SearchConfig)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def themes_dir(self) -> Path:
        return self.root / "themes"


# --- feeds and entries ----------------------------------------------------------------------


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

    @property
    def date(self) -> datetime:
        """When it was published; a date later than first seen is clamped to first seen, so a
        future-dated post does not sit on top for months."""
        return min(self.published or self.updated or self.first_seen, self.first_seen)


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
    run needs that gets 304s and finds nothing to render. `entries` is then empty, and the
    whole cache must be read (`store.load_cache`) before entries are used or saved.
    """

    slug: str
    feed: FeedInfo = field(default_factory=FeedInfo)
    http: HttpState = field(default_factory=HttpState)
    entries: tuple[Entry, ...] = ()
    # True for a cache seeded from bundled sample feeds: the first real fetch replaces it.
    sample: bool = False
    summary: EntrySummary | None = None

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


# --- the site model (output of `group`) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """One row of the feed health report (feeds/index.html, feeds.json, the CI summary)."""

    slug: str
    name: str
    url: str  # as configured
    status: HealthStatus
    summary: str  # the status in words
    failures: int
    failing_since: datetime | None
    last_ok: datetime | None
    next_due: datetime | None
    retry_after: datetime | None
    moved_to: str | None
    newest: datetime | None  # date of the newest cached entry
    entries: int
    last_error: str | None

    @property
    def needs_attention(self) -> bool:
        return self.status not in ("ok", "new")


@dataclass(frozen=True, slots=True)
class Tag:
    slug: str
    name: str
    entries: tuple[Entry, ...]
    # False below [tags] min_entries: shown on its entries as text, with no page and no feed.
    listed: bool = True

    @property
    def count(self) -> int:
        """Its entries (templates sort the tag index by it)."""
        return len(self.entries)


@dataclass(frozen=True, slots=True)
class Source:
    slug: str
    name: str
    url: str | None  # the feed URL (None for hand-written posts)
    link: str | None  # the source's web site
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class DayGroup:
    day: date  # in the site timezone
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Pagination:
    """Where a page sits in its listing. Numbered pages count from the oldest: page 1 holds the
    oldest `per_page` entries and never changes when new ones arrive. The front page (the
    listing's own folder, number 0) holds the newest entries: those not on a full page yet,
    plus the newest full page (page `count`), so between `per_page` and 2 x `per_page` - 1.

    Reading order is newest first: front, count - 1, ..., 1 ("next" is older). A numbered
    page's links depend only on whether it is the newest (its "previous" is then the front),
    so a new entry rewrites the front page and, once per `per_page` entries, the page that
    was the newest."""

    number: int  # 0: the front page; 1..count: a numbered page, 1 the oldest
    count: int  # numbered (full) pages
    front: str  # output path of the front page
    paths: tuple[str, ...]  # output path of numbered page n at paths[n - 1]

    @property
    def prev_path(self) -> str | None:
        """The page of newer entries (rel=prev)."""
        if self.number == 0:
            return None
        return self.paths[self.number] if self.number < self.count else self.front

    @property
    def next_path(self) -> str | None:
        """The page of older entries (rel=next); the front already shows page `count`."""
        older = self.count - 1 if self.number == 0 else self.number - 1
        return self.paths[older - 1] if older >= 1 else None

    @property
    def first_path(self) -> str:
        """The newest entries: the front page."""
        return self.front

    @property
    def last_path(self) -> str | None:
        """The oldest entries: page 1."""
        return self.paths[0] if self.paths else None

    def window(self, around: int = 2) -> tuple[int | None, ...]:
        """Page numbers to show, newest first: one newer page (the front shows the newest),
        this one, `around` older ones and page 1; None is a gap. A page never lists a number
        above its own + 1, so a page added later does not change older pages."""
        top = self.count if self.number == 0 else min(self.number + 1, self.count)
        low = max(1, (self.number or self.count) - around)
        numbers: list[int | None] = list(range(top, low - 1, -1))
        if low > 2:
            numbers.append(None)
        if low > 1:
            numbers.append(1)
        return tuple(numbers)


@dataclass(frozen=True, slots=True)
class Page:
    """One HTML file to render. `path` is relative to `output/`, e.g. `tags/ai/index.html`."""

    path: str
    template: str
    title: str
    kind: PageKind
    days: tuple[DayGroup, ...] = ()
    pagination: Pagination | None = None
    entry: Entry | None = None  # post pages
    tag: Tag | None = None
    source: Source | None = None
    period: date | None = None  # day and month pages: the day, or the month's first day
    full: bool = True  # entries show their whole content (else an excerpt and links)
    # Sources whose entries this page shows the other way round from `full`: their feed's own
    # `full_content` says so (sorted, so the page's key is stable).
    flipped: tuple[str, ...] = ()
    edition: EditionView | None = None  # an edition's page
    # Links to editions: a day page's own, the home page's newest, the editions index's list.
    edition_links: tuple[EditionLink, ...] = ()
    edition_kinds: tuple[EditionKind, ...] = ()  # the editions index: the enabled kinds' feeds
    # Day pages: the nearest earlier and later days that have entries (rel=prev/next). On the
    # Page, so a day arriving re-renders the day before it (keys hash every Page field).
    prev_day: date | None = None
    next_day: date | None = None


# --- editions (digest/editions.py) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edition:
    """One closed edition, as recorded in `content/editions/<kind>/<key>.json`: never changed
    once written. Entries are (source, id) refs, newest first; `late` are those dated before
    the period that arrived after the previous edition had closed."""

    kind: EditionKind
    key: str  # "2026-11-24" (daily), "2026-W48" (weekly: the ISO week of its Monday)
    first_day: date  # in the site timezone
    last_day: date
    start: datetime  # the first day's midnight in the site timezone, as UTC
    end: datetime  # the midnight after the last day
    closed_at: datetime  # the `now` of the run that closed it
    entries: tuple[tuple[str, str], ...]
    late: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class EditionLink:
    """An edition as other pages link to it."""

    kind: EditionKind
    key: str
    path: str  # its page, relative to output/
    first_day: date
    last_day: date
    posts: int


@dataclass(frozen=True, slots=True)
class EditionGroup:
    """A topic (tag) or source heading of an edition, with its posts."""

    slug: str  # anchor on the edition page; "" for posts without a tag
    name: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class EditionView:
    """What an edition's page and its feed entry show (all of it, so page keys stay right).
    Excerpts and reading times are worked out from the entries as the page renders."""

    edition: Edition
    link: EditionLink
    groups: tuple[EditionGroup, ...]
    late: tuple[Entry, ...]
    sources: int  # distinct sources among its posts
    group_by: EditionGroupBy
    excerpt_chars: int
    prev: EditionLink | None = None  # the older edition of its kind
    next: EditionLink | None = None  # the newer one

    @property
    def posts(self) -> int:
        return self.link.posts

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every post it shows: by group, then those that arrived late."""
        return tuple(e for group in self.groups for e in group.entries) + self.late


DedupRule = Literal["link", "content"]


@dataclass(frozen=True, slots=True)
class Duplicate:
    """One copy of a post that the site shows once, under `shown` (feeds.json, `-v`)."""

    shown: Entry
    copy: Entry
    rule: DedupRule  # "link": same normalised link; "content": same title, similar text
    similarity: float  # of the texts, 0..1 (1.0 for the link rule)


@dataclass(frozen=True, slots=True)
class Site:
    config: Config
    entries: tuple[Entry, ...]  # newest first
    tags: tuple[Tag, ...]  # by name
    sources: tuple[Source, ...]  # in config order, hand-written posts last
    pages: tuple[Page, ...]
    entry_tags: dict[tuple[str, str], tuple[Tag, ...]]  # (source, id) -> normalised tags
    source_index: dict[str, Source]  # slug -> source
    health: tuple[FeedHealth, ...] = ()  # in config order
    months: tuple[tuple[date, int], ...] = ()  # (first day of month, entries), newest first
    shared_ids: frozenset[str] = frozenset()  # entry ids that more than one source uses
    # (source, id) of a shown entry -> its other copies, which no listing shows (dedup)
    also_in: dict[tuple[str, str], tuple[Entry, ...]] = field(default_factory=dict)
    duplicates: tuple[Duplicate, ...] = ()  # every merged copy, for feeds.json

    def also_in_of(self, entry: Entry) -> tuple[Entry, ...]:
        """The entry's copies from other feeds, most preferred first."""
        return self.also_in.get((entry.source, entry.id), ())

    def tags_of(self, entry: Entry) -> tuple[Tag, ...]:
        return self.entry_tags.get((entry.source, entry.id), ())

    def source_of(self, entry: Entry) -> Source:
        return self.source_index[entry.source]


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative to output/, "/"-separated
    data: bytes


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
