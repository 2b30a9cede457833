"""The site model (`group`'s output, what render shows): pages, tags, sources, editions.
All frozen. Display conversion (site timezone, formats) happens in `group` and the
templates, never here."""

from __future__ import annotations

from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import date, datetime
from typing import Literal

from digest.models.config import Config, EditionGroupBy, EditionKind
from digest.models.feeds import Entry, Whole, as_is

# A feed's health, derived from its saved state (feeds/index.html, feeds.json):
HealthStatus = Literal["ok", "new", "failing", "not_a_feed", "moved", "gone"]
# Which kind of page a `Page` is (templates test it, e.g. for aria-current):
PageKind = Literal[
    "home", "day", "month", "archive", "tag", "tags", "source", "sources", "feeds", "post",
    "notfound", "edition", "editions", "year", "search",
]  # fmt: skip


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
    # Newest first: every entry of the feed that the site has, its copies of posts shown
    # under another feed too (`Site.kept_of` names the entry shown in a copy's place).
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


# What each kind of page has, besides its path, template, title and kind: a field not named
# for its kind stays at its default (`Page` checks it), so a template of that kind, and whoever
# reads one, need look only at these. A listing is days of entries cut into pages.
_LISTING = frozenset({"days", "pagination", "full", "compact", "flipped"})
PAGE_FIELDS: dict[PageKind, frozenset[str]] = {
    "home": _LISTING | {"edition_links"},
    "day": frozenset({"days", "period", "prev_day", "next_day", "edition_links", "full"}),
    "month": _LISTING | {"period"},
    "year": frozenset({"days", "period"}),
    "tag": _LISTING | {"tag"},
    "source": _LISTING | {"source"},
    "post": frozenset({"entry"}),
    "edition": frozenset({"edition"}),
    "editions": frozenset({"pagination", "edition_links", "edition_kinds"}),
    **dict.fromkeys(("archive", "tags", "sources", "feeds", "notfound", "search"), frozenset()),
}


@dataclass(frozen=True, slots=True)
class Page:
    """One HTML file to render. `path` is relative to `output/`, e.g. `tags/ai/index.html`.
    One type for every kind of page, so that every page is keyed and rendered alike; which
    fields a kind has is `PAGE_FIELDS`."""

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
    # Entries a line each (title, source, time), linking to them on their day pages: older
    # listing pages ([site] excerpt_pages). Never with `full`; `flipped` is then empty.
    compact: bool = False
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

    def __post_init__(self) -> None:
        stray = [name for name, default in _NOT_OF[self.kind] if getattr(self, name) != default]
        if stray:  # a bug in digest: a page of one kind given another's fields
            raise ValueError(f"{self.path}: a {self.kind} page has no {', '.join(stray)}")


# --- editions (digest/editions/) ---------------------------------------------------------


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
class Budget:
    """What the size budget (`[site] max_output`, digest.site.budget) did, for the report."""

    limit: int  # [site] max_output in bytes; 0: no budget
    entries: int  # entries the site shows
    whole: int  # of them, shown whole on their day pages
    whole_from: date | None  # the oldest day shown whole (site timezone); None: no day is
    estimate: int  # estimated bytes of output/ as built

    @property
    def abridged(self) -> int:
        return self.entries - self.whole


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
    # (source, id) of a shown entry -> its other copies, listed on their own sources' pages only
    also_in: dict[tuple[str, str], tuple[Entry, ...]] = field(default_factory=dict)
    duplicates: tuple[Duplicate, ...] = ()  # every merged copy, for feeds.json
    # (source, id) of a merged copy -> the entry shown in its place: the copy is listed on
    # its own source's pages only, as a link to that entry (dedup)
    kept: dict[tuple[str, str], Entry] = field(default_factory=dict)
    # (source, id) of the posts shown abridged, an excerpt and a link to the original, to keep
    # output/ under [site] max_output; `budget` says how many and from which day.
    abridged: frozenset[tuple[str, str]] = frozenset()
    budget: Budget | None = None
    # Gives an entry read from the index its body (`feeds.index.Bodies.whole`), for the pages
    # and feeds being made: planning them needs none.
    bodies: Whole = as_is

    def whole(self, entry: Entry) -> Entry:
        """The entry with its body."""
        return self.bodies(entry)

    def also_in_of(self, entry: Entry) -> tuple[Entry, ...]:
        """The entry's copies from other feeds, most preferred first."""
        return self.also_in.get((entry.source, entry.id), ())

    def kept_of(self, entry: Entry) -> Entry | None:
        """The entry shown in place of a merged copy; None for an entry shown itself."""
        return self.kept.get((entry.source, entry.id))

    def is_abridged(self, entry: Entry) -> bool:
        return (entry.source, entry.id) in self.abridged

    def tags_of(self, entry: Entry) -> tuple[Tag, ...]:
        return self.entry_tags.get((entry.source, entry.id), ())

    def source_of(self, entry: Entry) -> Source:
        return self.source_index[entry.source]


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative to output/, "/"-separated
    data: bytes


# Each optional field of a page and its default, for `Page.__post_init__`.
def _default(f: Field[object]) -> object:
    return f.default if f.default is not MISSING else f.default_factory()  # type: ignore[operator]


_PAGE_DEFAULTS = {
    f.name: _default(f) for f in fields(Page) if f.name not in ("path", "template", "title", "kind")
}
# Each kind's fields it has not, with their defaults: what `Page.__post_init__` checks.
_NOT_OF = {
    kind: tuple((n, d) for n, d in _PAGE_DEFAULTS.items() if n not in names)
    for kind, names in PAGE_FIELDS.items()
}
