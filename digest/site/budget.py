"""Part of stage 6, group: the size budget (`[site] max_output`) that keeps `output/` under
what GitHub Pages publishes (1 GB) at any archive size. Pure.

The cache keeps every post whole. When the site would pass the budget, the oldest days'
posts are shown "abridged" on their day pages: an excerpt and a link to the original instead
of the whole body (and the search index holds their title and excerpt). Newest first: a day
is whole or abridged as a unit, and whole days are always the newest ones. Raising the budget
brings the bodies back on the next build, since nothing is lost from the cache.

The decision depends on the entries and the config only (never on what `output/` holds), so
the same content gives the same site on every machine. It is made on an estimate of the
bytes each post costs, measured on the default theme (bench/scale.py); the build compares the
real size with the budget afterwards and warns when the estimate fell short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from digest.models import POSTS_SOURCE, Budget, Config, Entry, Source, Tag, shown_bytes

# Growth between runs (a day of new posts at most adds this much) and the estimate's error.
HEADROOM = 0.10
# What the site holds besides the bodies, fitted on bench/scale.py's corpus with the default
# theme: a page's own bytes (head, navigation, pager), an entry's on its day page and in the
# listings, tags and sources that list it, and the theme's files. `python bench/budget.py`
# sets the estimate beside a built site: 1.00x of output/ at 10,000 entries (164 MB),
# 1.02x at 100,000 (1,371 MB), 1.2x on a site of 90 posts.
PER_PAGE = 3_500
PER_ENTRY = 4_500
FIXED = 100_000
# Pagefind's index per byte of body HTML (24.2 MB for 57.2 MB of bodies at 10,000 entries,
# 235 MB for 571 MB at 100,000).
SEARCH_SHARE = 0.45
# A feed's item: its body escaped (Atom) or quoted (JSON), and its header; the site's feeds,
# each tag's and each source's ([site] source_feeds) hold the newest feed_entries whole.
FEED_SHARE = 1.3
PER_ITEM = 1_000
ABRIDGED = 900  # an abridged post's excerpt, its link to the original, its search record


def _abridgeable(entry: Entry) -> bool:
    """A post with a link to its original: its body can be left to the original. A
    hand-written post (its own page) or a post without a link is kept whole."""
    return entry.source != POSTS_SOURCE and bool(entry.link)


def _everywhere(config: Config) -> frozenset[str]:
    """The sources whose posts every listing shows whole (`full_content = "all"`)."""
    site_wide = config.site.full_content
    sources = {f.slug for f in config.feeds if (f.full_content or site_wide) == "all"}
    return frozenset(sources | ({POSTS_SOURCE} if site_wide == "all" else set()))


def _factor(config: Config, entry: Entry, everywhere: frozenset[str]) -> float:
    """How many times an entry's body lands in output/: its day page, search, and with
    `full_content = "all"` every listing that shows it (home, month, source, each tag)."""
    listings = 3 + len(entry.tags) if entry.source in everywhere else 0
    return 1 + listings + (SEARCH_SHARE if config.search.enabled else 0)


def feeds(
    config: Config, entries: tuple[Entry, ...], tags: Iterable[Tag], sources: Iterable[Source]
) -> list[tuple[Entry, ...]]:
    """The entries of each feed the site writes: atom.xml and feed.json, each tag's, and with
    [site] source_feeds each source's."""
    found = [entries, entries, *(t.entries for t in tags)]
    return found + [s.entries for s in sources] if config.site.source_feeds else found


def plan(
    config: Config,
    entries: tuple[Entry, ...],
    pages: int,
    feeds: Iterable[tuple[Entry, ...]],
    day_of: Callable[[Entry], date],
) -> tuple[frozenset[tuple[str, str]], Budget]:
    """The (source, id) of the posts shown abridged, and the report. `entries` newest first,
    `pages` the number of pages the site has and `feeds` the entries of each feed it writes
    (newest first; abridging changes none of them). Walks the days newest first while their
    bodies fit in what the budget leaves once every post that can be is counted abridged;
    the first day that does not fit and every older one are cut."""
    limit = config.site.max_output
    everywhere = _everywhere(config)
    sizes = {id(e): shown_bytes(e) for e in entries}
    estimate = FIXED + PER_PAGE * pages
    for feed in feeds:  # whole bodies, escaped in Atom, and their headers
        newest = feed[: config.site.feed_entries]
        estimate += sum(round(sizes.get(id(e), 0) * FEED_SHARE) + PER_ITEM for e in newest)
    days: dict[date, int] = {}  # each day's bytes more were its posts whole
    for entry in entries:
        whole = PER_ENTRY + round(sizes[id(entry)] * _factor(config, entry, everywhere))
        if _abridgeable(entry):
            estimate += PER_ENTRY + ABRIDGED
            day = day_of(entry)
            days[day] = days.get(day, 0) + whole - PER_ENTRY - ABRIDGED
        else:
            estimate += whole
    left = limit * (1 - HEADROOM) - estimate if limit else float("inf")
    cut: set[date] = set()
    for day, extra in days.items():  # newest first, as the entries came
        if cut or extra > left:
            cut.add(day)
        else:
            left -= extra
            estimate += extra
    abridged = frozenset((e.source, e.id) for e in entries if _abridgeable(e) and day_of(e) in cut)
    oldest = min((d for d in days if d not in cut), default=None)
    return abridged, Budget(limit, len(entries), len(entries) - len(abridged), oldest, estimate)
