"""Filters and limits: which cached entries the site shows, how many of one source the home
page lists, and which sources' entries a listing shows the other way round (a feed's own
`full_content`). Pure (it logs what it filtered, for `-v`).

Filters apply here, between the cache and the pages, never when fetching or storing: a
filtered entry stays in `content/`, so a later config change brings it back without a fetch.
They apply to the feeds' entries; hand-written posts are always shown.

- `include` / `exclude`: regular expressions searched in an entry's title, content text,
  author and tags (its feed's `tags` and its own categories). An entry is shown when it
  matches an `include` pattern of `[filters]` (when it has any) and one of its feed's (when
  it has any), and no `exclude` pattern of either.
- `max_age_days`: its day, in the site timezone, is at most that many days before the build's
  day (`now`), so the same content and config give the same site all day. The feed's own
  setting wins over `[filters]`.
- `max_per_source`: of any `per_page` entries in a row (newest first, every source), the home
  page lists at most that many of one source (the feed's own setting wins); the others stay
  on their source, day and tag pages. Pages count from the oldest, so the limit is applied
  from the oldest too: a new entry never changes which older ones are listed.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from digest.models import Config, Entry, FeedConfig, Filters, FullContent, Page, Whole, as_is
from digest.sanitize import sanitised_text

log = logging.getLogger(__name__)


def content_texts(config: Config, bodies: Whole = as_is) -> Callable[[Entry], str]:
    """An entry's content as plain text (its body read by `bodies` when it was read from the
    index). Remembered only when both the filters and a tag rule read it (else each entry's
    is made once anyway): 100,000 texts would be held at once."""
    rules = any("content" in rule.fields for rule in config.tags.rules)
    if not (rules and _patterns_in(config)):
        return lambda entry: sanitised_text(bodies(entry).content_html)
    memo: dict[tuple[str, str], str] = {}

    def content_text(entry: Entry) -> str:
        key = (entry.source, entry.id)
        text = memo.get(key)
        if text is None:
            text = memo[key] = sanitised_text(bodies(entry).content_html)
        return text

    return content_text


def _patterns_in(config: Config) -> bool:
    """Whether any include or exclude pattern is set (they search the content's text)."""
    every = [config.filters, *(f.filters for f in config.feeds if f.filters)]
    return any(f.include or f.exclude for f in every)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """One feed's filters, with [filters] merged in: patterns compiled once per build."""

    include: tuple[tuple[re.Pattern[str], ...], ...]  # each group: one must match
    exclude: tuple[re.Pattern[str], ...]
    max_age_days: int | None


def _compile(site_wide: Filters, own: Filters | None) -> _Compiled:
    own = own or Filters()
    include = tuple(
        tuple(re.compile(p) for p in group) for group in (site_wide.include, own.include) if group
    )
    exclude = tuple(re.compile(p) for p in (*site_wide.exclude, *own.exclude))
    age = own.max_age_days if own.max_age_days is not None else site_wide.max_age_days
    return _Compiled(include, exclude, age)


def ages_out(config: Config) -> bool:
    """Whether some entry can drop off the site as days pass, with nothing else changed."""
    feeds = (f.filters.max_age_days for f in config.feeds if f.filters)
    return config.filters.max_age_days is not None or any(age is not None for age in feeds)


def filter_entries(
    config: Config,
    entries: tuple[Entry, ...],
    *,
    now: datetime | None,
    content_text: Callable[[Entry], str],
) -> tuple[Entry, ...]:
    """The entries the site shows, in the order given. `now` None: no age limit."""
    feeds = {feed.slug: feed for feed in config.feeds}
    compiled = {slug: _compile(config.filters, feed.filters) for slug, feed in feeds.items()}
    if all(not c.include and not c.exclude and c.max_age_days is None for c in compiled.values()):
        return entries
    tz = ZoneInfo(config.site.timezone)
    today = now.astimezone(tz).date() if now is not None else None
    oldest = {  # the first day each feed's entries may be from
        slug: None if today is None or c.max_age_days is None else today - timedelta(c.max_age_days)
        for slug, c in compiled.items()
    }
    dropped: Counter[tuple[str, str]] = Counter()
    kept = []
    for entry in entries:
        rules = compiled.get(entry.source)
        if rules is None:  # a hand-written post
            kept.append(entry)
            continue
        why = _why_not(entry, feeds[entry.source], rules, oldest[entry.source], tz, content_text)
        if why is None:
            kept.append(entry)
        else:
            dropped[(entry.source, why)] += 1
    for (slug, why), count in sorted(dropped.items()):
        log.debug("%s: %d entries not shown (%s); they stay in the cache", slug, count, why)
    return tuple(kept)


def _why_not(
    entry: Entry,
    feed: FeedConfig,
    rules: _Compiled,
    oldest: date | None,
    tz: ZoneInfo,
    content_text: Callable[[Entry], str],
) -> str | None:
    """Why the entry is not shown (the filter's name), or None when it is."""
    if oldest is not None and entry.date.astimezone(tz).date() < oldest:
        return "max_age_days"

    content: list[str] = []  # its text, once made

    def texts() -> Iterable[str]:
        # Cheapest first: the content's text is made only when the others do not decide.
        yield entry.title
        yield entry.author or ""
        yield "\n".join(feed.tags + entry.tags)
        if not content:
            content.append(content_text(entry))
        yield content[0]

    for group in rules.include:
        if not any(p.search(text) for text in texts() for p in group):
            return "include"
    if rules.exclude and any(p.search(text) for text in texts() for p in rules.exclude):
        return "exclude"
    return None


def cap_per_source(config: Config, entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """The home page's entries (newest first): of any `per_page` entries in a row, at most
    `max_per_source` of one source. Decided from the oldest, as pages are counted, so a new
    entry never changes which older ones are listed."""
    limits = {
        feed.slug: limit
        for feed in config.feeds
        if (limit := _limit(config.filters, feed.filters)) is not None
    }
    if not limits:
        return entries
    # A window of `per_page` entries in a row, over all of them, not over the kept ones: with
    # pages of kept entries, a page where every source left had reached its limit would never
    # fill, and every newer entry would be left out.
    window = config.site.per_page
    kept: list[Entry] = []
    shown: deque[tuple[int, str]] = deque()  # (position, source) of kept entries in the window
    counts: Counter[str] = Counter()
    for position, entry in enumerate(reversed(entries)):
        while shown and shown[0][0] <= position - window:
            counts[shown.popleft()[1]] -= 1
        limit = limits.get(entry.source)
        if limit is not None and counts[entry.source] >= limit:
            continue
        counts[entry.source] += 1
        shown.append((position, entry.source))
        kept.append(entry)
    if len(kept) < len(entries):
        log.debug("home page: %d entries left to their sources (max_per_source)",
                  len(entries) - len(kept))  # fmt: skip
    return tuple(reversed(kept))


def _limit(site_wide: Filters, own: Filters | None) -> int | None:
    if own is not None and own.max_per_source is not None:
        return own.max_per_source
    return site_wide.max_per_source


def _shows_full(mode: FullContent, home: bool, front: bool) -> bool:
    """Whether a listing page shows whole entries under `mode` (as [site] full_content)."""
    if mode == "front":
        return home and front
    return mode == "all"


def flip_full_content(config: Config, pages: list[Page]) -> list[Page]:
    """Listing pages with `flipped` set: the sources on them whose feed's own `full_content`
    shows their entries otherwise than the page's `full` (day pages always show them whole)."""
    modes = {f.slug: f.full_content for f in config.feeds if f.full_content is not None}
    if not modes:
        return pages
    result = []
    for page in pages:
        if page.pagination is not None and not page.compact:  # a line each, whatever the feed
            front = page.pagination.number == 0
            shown = {e.source for group in page.days for e in group.entries}
            flipped = tuple(
                sorted(
                    slug
                    for slug, mode in modes.items()
                    if slug in shown and _shows_full(mode, page.kind == "home", front) != page.full
                )
            )
            if flipped:
                page = replace(page, flipped=flipped)
        result.append(page)
    return result
