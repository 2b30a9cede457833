"""Stage 6, group: every entry + the config -> the `Site` model (pages to render). Pure.

Days are taken in the site timezone; which entries are shown, and how many of one source the
home page lists, is `filters`; the tags and which of them get a page, `topics`.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from digest import routes
from digest.models import (
    POSTS_SOURCE,
    Config,
    DayGroup,
    Duplicate,
    Entry,
    FeedCache,
    FeedHealth,
    Page,
    PageKind,
    Site,
    Source,
    Tag,
    Whole,
    as_is,
    sort_entries,
)
from digest.models.paging import paginate
from digest.site import budget, filters, topics
from digest.site.dedup import Deduped, dedup
from digest.site.health import feed_health

log = logging.getLogger(__name__)


def make_site(
    config: Config,
    caches: Iterable[FeedCache],
    posts: tuple[Entry, ...],
    *,
    health: tuple[FeedHealth, ...] | None = None,
    now: datetime | None = None,
    bodies: Whole = as_is,
) -> Site:
    """The site model. `health` is the feeds' health when the caller has it already; `now`
    is the build's time, for `max_age_days` (None: no age limit). `bodies` gives an entry
    read from the index its body (`feeds.index.Bodies`): for the filters, dedup and render."""
    by_slug = {c.slug: c for c in caches}
    local = _LocalDays(ZoneInfo(config.site.timezone))
    content_text = filters.content_texts(config, bodies)
    deduped = _shown(config, by_slug.values(), posts, now, content_text, bodies)
    entries = deduped.entries
    _log_duplicates(deduped.duplicates, config)
    kept = {(d.copy.source, d.copy.id): d.shown for d in deduped.duplicates}
    sources = _sources(config, by_slug, entries, posts, deduped.duplicates)
    entry_tags, tags = topics.tag_entries(entries, config, content_text)
    # A merged copy, on its own source's pages, shows its post's tags (the union of its
    # copies'); the tags' pages list the post once, under the entry shown.
    entry_tags.update({ref: entry_tags[(e.source, e.id)] for ref, e in kept.items()})
    days = _by_day(entries, local)
    months = _by_month(days)
    per_page = config.site.per_page
    # Whole entries on the newest listing page only ("front"): each body is then stored on
    # its day page and at most one listing page, not on the ~10 that list it.
    mode = config.site.full_content
    home_full, full = (mode != "none", mode == "all"), (mode == "all", mode == "all")
    home = filters.cap_per_source(config, entries)  # the other entries stay on their pages
    pages = [
        *_listing(routes.HOME, "home", config.site.title, home, per_page, local, full=home_full),
        *_date_pages(days, months, per_page, local, full),
        *_index_pages(tags, sources, posts, per_page, local, full),
        *_search_pages(config),
    ]
    pages = filters.flip_full_content(config, _compact(pages, config.site.excerpt_pages))
    feeds = budget.feeds(config, entries, tags, sources)  # [site] max_output:
    abridged, spent = budget.plan(config, entries, len(pages), feeds, local.of)
    shared = Counter(e.id for e in entries)  # ids more than one source uses
    return Site(
        config=config,
        entries=entries,
        tags=tags,
        sources=sources,
        pages=tuple(pages),
        entry_tags=entry_tags,
        source_index={s.slug: s for s in sources},
        health=feed_health(config, tuple(by_slug.values())) if health is None else health,
        months=tuple((month, len(items)) for month, items in months.items()),
        shared_ids=frozenset(entry_id for entry_id, count in shared.items() if count > 1),
        also_in=deduped.also_in,
        duplicates=deduped.duplicates,
        kept=kept,
        abridged=abridged,
        budget=spent,
        bodies=bodies,
    )


def site_entries(
    config: Config,
    caches: Iterable[FeedCache],
    posts: tuple[Entry, ...],
    now: datetime,
    bodies: Whole = as_is,
) -> tuple[Entry, ...]:
    """The entries the site shows, newest first, each post once: `make_site`'s, without
    its pages (editions close on these)."""
    content_text = filters.content_texts(config, bodies)
    return _shown(config, caches, posts, now, content_text, bodies).entries


def _shown(
    config: Config,
    caches: Iterable[FeedCache],
    posts: tuple[Entry, ...],
    now: datetime | None,
    content_text: Callable[[Entry], str],
    bodies: Whole,
) -> Deduped:
    entries = sort_entries([e for c in caches for e in c.entries] + list(posts))
    entries = filters.filter_entries(config, entries, now=now, content_text=content_text)
    # Filtered first (a hidden copy must not hide the post it copies), then each post once, so
    # that every listing, count and feed shows it once (digest/site/dedup.py).
    feed_tags = {feed.slug: feed.tags for feed in config.feeds}
    return dedup(entries, config.dedup, feed_tags, bodies)


def _compact(pages: list[Page], excerpt_pages: int) -> list[Page]:
    """Listing pages not in full and older than the newest `excerpt_pages` list their entries
    a line each (`Page.compact`). An excerpt is ~1.5 KB and a line ~0.25 KB, and an entry is
    on ~6 listings: at 100,000 entries that is most of what a site holds besides its posts.
    The front page and the highest numbered page (the newest full page, which the front page
    shows too) are the newest; then the numbered pages down from there. So "Next" from the
    front page leads to the first page of lines with excerpt_pages = 1, and a page turns to
    lines when a new page is made, the one time it is rewritten anyway (its "Previous")."""
    result = []
    for page in pages:
        pager = page.pagination
        if pager is not None and not page.full:
            age = 0 if pager.number == 0 else pager.count - pager.number
            if age >= excerpt_pages:
                page = replace(page, compact=True)
        result.append(page)
    return result


def _log_duplicates(duplicates: tuple[Duplicate, ...], config: Config) -> None:
    """Every merge, for `digest build -v`."""
    names = {feed.slug: feed.name for feed in config.feeds}
    for d in duplicates:
        why = "same link" if d.rule == "link" else f"same title and {d.similarity:.0%} similar text"
        log.debug(
            "merged %r (%s) with %r (%s): %s",
            d.shown.link or d.shown.title, names.get(d.shown.source, d.shown.source),
            d.copy.link or d.copy.title, names.get(d.copy.source, d.copy.source), why,
        )  # fmt: skip


def _sources(
    config: Config,
    caches: dict[str, FeedCache],
    entries: tuple[Entry, ...],
    posts: tuple[Entry, ...],
    duplicates: tuple[Duplicate, ...],
) -> tuple[Source, ...]:
    """Every configured feed in config order, hand-written posts last. A source lists all
    its entries: the copies of posts shown under another feed too (a reader who opens a
    source's page expects all it published), which no other page lists."""
    members: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:  # newest first, so each source's entries are too
        members[entry.source].append(entry)
    copies: dict[str, list[Entry]] = defaultdict(list)
    for d in duplicates:
        copies[d.copy.source].append(d.copy)
    listed = {slug: tuple(items) for slug, items in members.items()}
    for slug, items in copies.items():  # only the sources that have copies are sorted again
        listed[slug] = sort_entries([*members.get(slug, ()), *items])
    sources = [
        Source(
            slug=feed.slug,
            name=feed.name,
            url=feed.url if feed.path is None else None,
            link=caches[feed.slug].feed.link if feed.slug in caches else None,
            entries=listed.get(feed.slug, ()),
        )
        for feed in config.feeds
    ]
    if posts:
        sources.append(Source(POSTS_SOURCE, "Posts", None, None, sort_entries(posts)))
    return tuple(sources)


def _date_pages(
    days: list[tuple[date, tuple[Entry, ...]]],
    months: dict[date, tuple[Entry, ...]],
    per_page: int,
    local: _LocalDays,
    full: tuple[bool, bool],
) -> list[Page]:
    """One page per day (never paginated; each entry's canonical page, always in full), one
    paginated listing per month."""
    # Days are newest first: the previous (earlier) day is the next one in the list.
    pages = [
        Page(
            path=routes.page(routes.day(day)),
            template="day.html",
            title=day.isoformat(),
            kind="day",
            days=(DayGroup(day, day_entries),),
            period=day,
            prev_day=days[n + 1][0] if n + 1 < len(days) else None,
            next_day=days[n - 1][0] if n > 0 else None,
        )
        for n, (day, day_entries) in enumerate(days)
    ]
    for month, month_entries in months.items():
        pages += _listing(
            routes.month(month), "month", month.isoformat(), month_entries, per_page, local,
            period=month, full=full,
        )  # fmt: skip
    pages += _year_pages(days)
    return pages


def _year_pages(days: list[tuple[date, tuple[Entry, ...]]]) -> list[Page]:
    """One page per year: its months and their days, each with its count, linking to the
    month and day pages. No entries: they are on those pages already, and a year of a busy
    digest listed again as excerpts would add ~1.7 KB an entry to the site."""
    years: dict[date, list[DayGroup]] = {}
    for day, day_entries in days:  # newest first
        years.setdefault(day.replace(month=1, day=1), []).append(DayGroup(day, day_entries))
    return [
        Page(
            path=routes.page(routes.year(year)),
            template="year.html",
            title=str(year.year),
            kind="year",
            days=tuple(groups),
            period=year,
        )
        for year, groups in years.items()
    ]


def _search_pages(config: Config) -> list[Page]:
    """The search page, with search on: its results come from Pagefind's index, in the
    browser, so it shows nothing of the site's entries itself."""
    if not config.search.enabled:
        return []
    return [Page(path=routes.page(routes.SEARCH), template="search.html", title="", kind="search")]


def _index_pages(
    tags: tuple[Tag, ...],
    sources: tuple[Source, ...],
    posts: tuple[Entry, ...],
    per_page: int,
    local: _LocalDays,
    full: tuple[bool, bool],
) -> list[Page]:
    """The archive, tag, source, feed health, 404 and post pages, in that order."""

    def single(folder: str, template: str, kind: PageKind) -> Page:
        return Page(path=routes.page(folder), template=template, title="", kind=kind)

    pages = [
        single(routes.ARCHIVE, "archive.html", "archive"),
        single(routes.TAGS, "tags.html", "tags"),
    ]
    for tag in tags:
        pages += _listing(
            routes.tag(tag.slug), "tag", tag.name, tag.entries, per_page, local, tag=tag, full=full
        )
    pages.append(single(routes.SOURCES, "sources.html", "sources"))
    pages.append(single(routes.HEALTH, "feeds.html", "feeds"))
    pages.append(Page(path=routes.NOT_FOUND, template="404.html", title="", kind="notfound"))
    for source in sources:
        pages += _listing(
            routes.source(source.slug), "source", source.name, source.entries, per_page, local,
            source=source, full=full,
        )  # fmt: skip
    for post in posts:
        assert post.slug is not None  # parse_post gives every hand-written post one
        pages.append(
            Page(
                path=routes.page(routes.post(post.slug)),
                template="post.html",
                title=post.title,
                kind="post",
                entry=post,
            )
        )
    return pages


class _LocalDays:
    """Each entry's day in the site's timezone, worked out once per entry: an entry is put
    under its day on its day page and again on each of its listings' pages."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._days: dict[int, date] = {}  # by id(): the entries outlive make_site's use of it

    def of(self, entry: Entry) -> date:
        day = self._days.get(id(entry))
        if day is None:
            day = self._days[id(entry)] = entry.date.astimezone(self.tz).date()
        return day


def _by_day(entries: Iterable[Entry], local: _LocalDays) -> list[tuple[date, tuple[Entry, ...]]]:
    """Entries (newest first) by their day in the site timezone, newest day first."""
    days: dict[date, list[Entry]] = {}
    for entry in entries:
        days.setdefault(local.of(entry), []).append(entry)
    return [(day, tuple(items)) for day, items in days.items()]


def _by_month(days: list[tuple[date, tuple[Entry, ...]]]) -> dict[date, tuple[Entry, ...]]:
    """Days by month (keyed by the month's first day), newest first."""
    months: dict[date, list[Entry]] = {}
    for day, day_entries in days:
        months.setdefault(day.replace(day=1), []).extend(day_entries)
    return {month: tuple(items) for month, items in months.items()}


def _listing(
    folder: str,
    kind: PageKind,
    title: str,
    entries: tuple[Entry, ...],
    per_page: int,
    local: _LocalDays,
    tag: Tag | None = None,
    source: Source | None = None,
    period: date | None = None,
    full: tuple[bool, bool] = (True, True),
) -> list[Page]:
    """A listing's front page and its numbered pages, its entries sliced by `paginate`.
    `full` says whether the front, and the numbered pages, show entries in full."""
    return [
        Page(
            path=path,
            template="list.html",
            title=title,
            kind=kind,
            days=tuple(DayGroup(day, items) for day, items in _by_day(chunk, local)),
            pagination=pager,
            tag=tag,
            source=source,
            period=period,
            full=full[0] if pager.number == 0 else full[1],
        )
        for path, pager, chunk in paginate(entries, per_page, partial(routes.listing, folder))
    ]
