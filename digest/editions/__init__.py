"""Editions: daily and weekly digests of the site's posts, and their pages. Pure.

A *period* is a day, or a week starting on `[editions] week_start`, in the site timezone. Its
edition closes `close_after` after the period ends: the first run (`digest build` or `digest
fetch`) whose `now` is past that records it (`editions_store`) and it never changes again.
A run after a gap closes every missed period in order. Closing at `now` takes, from the
site's entries (deduplicated by `group`):

- on time: entries dated inside the period;
- arrived late: entries dated before it (at most LATE_WINDOW before) that were first seen
  after the previous edition of its kind closed. No closed edition can hold those (it closed
  before they were seen), so they go to the next edition that closes, under "Arrived late".

A period with no posts is closed too (with `skip_empty` it gets no page, no feed entry and no
file: `editions_store` keeps only the newest empty one), so a post arriving for it later goes
to the next edition as late, not into an old one.
The first time, editions start at the oldest post's period, at most `feed_entries` back.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from digest import routes
from digest.models import (
    Config,
    Edition,
    EditionGroup,
    EditionKind,
    EditionLink,
    EditionsConfig,
    EditionView,
    Entry,
    Page,
    Site,
)
from digest.models.paging import paginate
from digest.sanitize import sanitised_text

WORDS_PER_MINUTE = 230
# How far before its period a post may be dated to arrive late: a feed down for a few days
# sends news late; a feed newly added sends its history, which is no news (its posts are on
# their day pages).
LATE_WINDOW: dict[EditionKind, timedelta] = {
    "daily": timedelta(days=7),
    "weekly": timedelta(days=14),
}
Ref = tuple[str, str]  # (source, id)


# --- periods ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    kind: EditionKind
    first_day: date
    last_day: date

    @property
    def key(self) -> str:
        if self.kind == "daily":
            return self.first_day.isoformat()
        # Every 7-day span holds one Monday: its ISO week names the week whatever day it
        # starts on, so "2026-W48" is the same week for every week_start.
        monday = self.first_day + timedelta(days=(7 - self.first_day.weekday()) % 7)
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}"

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """Its start and end (exclusive): local midnights, in UTC."""

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)

        return midnight(self.first_day), midnight(self.last_day + timedelta(days=1))

    def following(self) -> Period:
        span = self.last_day - self.first_day + timedelta(days=1)
        return Period(self.kind, self.first_day + span, self.last_day + span)


def period_of(kind: EditionKind, day: date, week_start: int = 0) -> Period:
    """The period of `kind` that holds `day`."""
    if kind == "daily":
        return Period(kind, day, day)
    first = day - timedelta(days=(day.weekday() - week_start) % 7)
    return Period(kind, first, first + timedelta(days=6))


def due_periods(
    kind: EditionKind,
    settings: EditionsConfig,
    tz: ZoneInfo,
    now: datetime,
    newest: Edition | None,
    oldest_day: date | None,
    backfill: int,
) -> list[Period]:
    """The periods to close at `now`, oldest first: those after the newest recorded edition
    (else from `oldest_day`, at most `backfill` of them) whose close time has passed."""
    close_after = timedelta(seconds=settings.close_after)
    if newest is not None:
        current = period_of(kind, newest.last_day + timedelta(days=1), settings.week_start)
    elif oldest_day is not None:
        current = period_of(kind, oldest_day, settings.week_start)
    else:
        return []
    due: list[Period] = []
    while current.bounds(tz)[1] + close_after <= now:
        due.append(current)
        current = current.following()
    return due if newest is not None else due[max(0, len(due) - backfill) :]


def close_editions(
    entries: Sequence[Entry],
    periods: Sequence[Period],
    previous: Edition | None,
    tz: ZoneInfo,
    now: datetime,
) -> list[Edition]:
    """The editions of `periods` (consecutive, of one kind, oldest first), closed at `now`.
    One pass over `entries` (newest first), comparing UTC instants only."""
    if not periods:
        return []
    bounds = [p.bounds(tz) for p in periods]
    starts = [start for start, _ in bounds]
    oldest_late = starts[0] - LATE_WINDOW[periods[0].kind]
    on_time: list[list[Ref]] = [[] for _ in periods]
    late: list[Ref] = []
    for entry in entries:
        when = entry.date
        n = bisect.bisect_right(starts, when) - 1
        if n >= 0:
            if when < bounds[n][1]:
                on_time[n].append((entry.source, entry.id))
        # Whole seconds, as the cache and the edition files keep them.
        elif (
            previous is not None
            and entry.first_seen.replace(microsecond=0) > previous.closed_at
            and when >= oldest_late
        ):
            late.append((entry.source, entry.id))
    return [
        Edition(
            kind=period.kind,
            key=period.key,
            first_day=period.first_day,
            last_day=period.last_day,
            start=start,
            end=end,
            closed_at=now.replace(microsecond=0),
            entries=tuple(on_time[n]),
            late=tuple(late) if n == 0 else (),
        )
        for n, (period, (start, end)) in enumerate(zip(periods, bounds, strict=True))
    ]


# --- text ---------------------------------------------------------------------------------

# Sentence ends: ASCII and ideographic full stops, marks and closing quotes (escaped so the
# source stays ASCII-clear: U+3002, U+FF01, U+FF1F; U+00BB, U+201D, U+2019).
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][)\"'\u00bb\u201d\u2019]*\s")


@functools.lru_cache(maxsize=4096)  # a post is in a day's and a week's edition, and feeds
def _text_and_words(entry: Entry) -> tuple[str, int]:
    text = sanitised_text(entry.content_html)
    return text, len(text.split())


def edition_excerpt(entry: Entry, limit: int) -> str:
    """The post's excerpt on an edition's page (a template helper)."""
    return excerpt(_text_and_words(entry)[0], limit)


def reading_time(entries: Iterable[Entry]) -> int:
    """Minutes to read the posts, at WORDS_PER_MINUTE (a template helper)."""
    return reading_minutes(sum(_text_and_words(e)[1] for e in entries))


def excerpt(text: str, limit: int) -> str:
    """At most `limit` characters of plain text (escaped later, so never cut inside a tag or
    an entity): whole sentences when they fill at least half of it, else whole words."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]  # + 1: a sentence may end right at the limit
    ends = [m.end() for m in _SENTENCE_END.finditer(head) if m.end() - 1 <= limit]
    if ends and ends[-1] >= limit // 2:
        return head[: ends[-1]].rstrip()
    words = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[: limit - 1]
    return words.rstrip(",;:-\u2013\u2014") + " …"


def reading_minutes(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE)) if words else 0


# --- pages --------------------------------------------------------------------------------


def edition_link(edition: Edition, posts: int) -> EditionLink:
    return EditionLink(
        kind=edition.kind,
        key=edition.key,
        path=routes.page(routes.edition(edition.kind, edition.key)),
        first_day=edition.first_day,
        last_day=edition.last_day,
        posts=posts,
    )


def with_editions(site: Site, editions: Iterable[Edition]) -> Site:
    """The site with a page per shown edition, the editions index, and links to editions
    from the home page and from each day page. Entries an edition names that the site no
    longer has (retention) are left out."""
    config = site.config
    settings = config.editions
    if not settings.kinds:
        return site
    by_ref = {(e.source, e.id): e for e in site.entries}
    recorded = tuple(editions)
    views: list[EditionView] = []
    for kind in settings.kinds:
        shown = []
        for edition in sorted((e for e in recorded if e.kind == kind), key=lambda e: e.key):
            view = _view(site, edition, by_ref)
            if view.posts or not settings.skip_empty:
                shown.append(view)
        for n, view in enumerate(shown):
            prev = shown[n - 1].link if n > 0 else None
            nxt = shown[n + 1].link if n + 1 < len(shown) else None
            views.append(replace(view, prev=prev, next=nxt))
    # Newest first; of a day's and a week's ending together, the day's first.
    views.sort(key=lambda v: (v.edition.end, v.edition.kind == "daily"), reverse=True)
    pages = [
        Page(path=v.link.path, template="edition.html", title=v.edition.key, kind="edition",
             edition=v)
        for v in views
    ]  # fmt: skip
    pages += _index_pages(config, tuple(v.link for v in views))
    return replace(site, pages=_linked(site.pages, views, settings) + tuple(pages))


def _view(site: Site, edition: Edition, by_ref: dict[Ref, Entry]) -> EditionView:
    settings = site.config.editions

    def found(refs: Iterable[Ref]) -> tuple[Entry, ...]:
        return tuple(by_ref[ref] for ref in refs if ref in by_ref)

    on_time, late = found(edition.entries), found(edition.late)
    return EditionView(
        edition=edition,
        link=edition_link(edition, len(on_time) + len(late)),
        groups=_groups(site, on_time, settings.group_by),
        late=late,
        sources=len({e.source for e in (*on_time, *late)}),
        group_by=settings.group_by,
        excerpt_chars=settings.excerpt_chars,
    )


def _groups(site: Site, entries: tuple[Entry, ...], by: str) -> tuple[EditionGroup, ...]:
    """Posts under their source, or under one of their tags: the one most of the edition's
    posts share (ties: by name), so a post is listed once. Largest group first."""
    keyed: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    if by == "source":
        for entry in entries:
            source = site.source_of(entry)
            keyed[(source.slug, source.name)].append(entry)
    else:
        tagged = [(entry, site.tags_of(entry)) for entry in entries]
        counts = Counter(t.slug for _, tags in tagged for t in tags)
        for entry, tags in tagged:
            if len(tags) > 1:
                best = min(tags, key=lambda t: (-counts[t.slug], t.name.casefold()))
                keyed[(best.slug, best.name)].append(entry)
            else:
                keyed[(tags[0].slug, tags[0].name) if tags else ("", "")].append(entry)
    # Untagged posts ("") come last; the template names them.
    ordered = sorted(keyed.items(), key=lambda kv: (kv[0][0] == "", -len(kv[1]), kv[0][1]))
    return tuple(EditionGroup(slug, name, tuple(group)) for (slug, name), group in ordered)


def _linked(
    pages: tuple[Page, ...], views: list[EditionView], settings: EditionsConfig
) -> tuple[Page, ...]:
    """Day pages link to their day's and week's editions; the home page to the newest."""
    links = {(v.link.kind, v.link.key): v.link for v in views}
    newest: dict[str, EditionLink] = {}
    for view in views:  # newest first
        newest.setdefault(view.link.kind, view.link)
    result = []
    for page in pages:
        if page.kind == "day" and page.period is not None:
            keys = [(k, period_of(k, page.period, settings.week_start).key) for k in settings.kinds]
            found = tuple(links[k] for k in keys if k in links)
            page = replace(page, edition_links=found) if found else page
        elif page.kind == "home" and page.pagination and page.pagination.number == 0:
            found = tuple(newest[k] for k in settings.kinds if k in newest)
            page = replace(page, edition_links=found)
        result.append(page)
    return tuple(result)


def _index_pages(config: Config, links: tuple[EditionLink, ...]) -> list[Page]:
    """editions/index.html, paginated like the listings (see `Pagination`): page 1 the oldest."""
    pages = paginate(links, config.site.per_page, partial(routes.listing, routes.EDITIONS))
    return [
        Page(
            path=path,
            template="editions.html",
            title="",
            kind="editions",
            pagination=pager,
            edition_links=chunk,
            edition_kinds=config.editions.kinds,
        )
        for path, pager, chunk in pages
    ]
