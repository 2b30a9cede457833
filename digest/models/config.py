"""The config's values (stage 1's output): `Config` and its tables. All frozen."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# Which listings show whole entries: "front" the home page's front page only, "all" every
# listing page (each body is then on ~10 pages: a large site outgrows GitHub Pages' 1 GB),
# "none" no listing. Day pages always do: they are an entry's one canonical page.
FullContent = Literal["front", "all", "none"]


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
    full_text: bool | None = None  # overrides [full_text] enabled for this feed


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
    # Of the listing pages that do not show entries in full, the newest this many (the front
    # page first) show excerpts; older ones list each entry on a line (Page.compact).
    excerpt_pages: int = 1
    cname: str | None = None  # custom domain for GitHub Pages (writes output/CNAME)
    source_feeds: bool = False  # also write sources/<slug>/atom.xml
    # Bytes output/ may hold (GitHub Pages publishes 1 GB): past it, the oldest days' posts are
    # shown as an excerpt and a link to the original (digest.site.budget); 0: no budget.
    max_output: int = 1_000_000_000


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


@dataclass(frozen=True, slots=True)
class FullTextConfig:
    """`[full_text]`: the articles of feeds that send a summary only, fetched from the posts'
    pages (digest.feeds.fulltext), as politely as the feeds themselves."""

    enabled: bool = False  # every feed's default; a feed's own `full_text` wins
    per_run: int = 10  # pages fetched per feed in one run, at most: the rest in later runs
    delay: float = 1.0  # seconds between two requests to one host (robots.txt may ask more)


EditionKind = Literal["daily", "weekly"]
EditionGroupBy = Literal["tag", "source"]


@dataclass(frozen=True, slots=True)
class EditionsConfig:
    """`[editions]`: daily and weekly digests (digest/editions/). Off without the table."""

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


# Which rule finds the same post in two feeds (see digest/site/dedup.py): "content" implies "link".
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
    full_text: FullTextConfig = field(default_factory=FullTextConfig)

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
