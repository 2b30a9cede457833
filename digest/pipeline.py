"""The pipeline, wired: config -> fetch -> parse -> update -> store -> group -> render -> write.

Each function here reads like the stage table in DESIGN.md; the work is in the stage modules.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from digest.editions import close_editions, due_periods, with_editions
from digest.editions import store as editions_store
from digest.errors import DigestError, bug_message
from digest.feeds import update
from digest.feeds.index import Bodies
from digest.feeds.schedule import not_due
from digest.feeds.store import (
    cache_path,
    load_cache,
    load_state,
    month_index,
    post_paths,
    read_posts,
    remove_temp_files,
    save_cache,
    with_index,
    without_entries,
)
from digest.models import (
    Budget,
    Config,
    Entry,
    FeedCache,
    FeedConfig,
    FeedHealth,
    FeedReport,
    ParsedFeed,
    Response,
    Whole,
)
from digest.render.theme import Theme, ThemeHashes, load_theme, theme_hashes
from digest.render.workers import no_cycle_collection, worker_count
from digest.site.group import make_site, site_entries
from digest.site.health import feed_health
from digest.write import OutputDir, WriteReport, check_output_dir, search, stamp, write_changed
from digest.write.sizes import content_sizes, content_warnings, folder_bytes, output_warnings

if TYPE_CHECKING:
    import httpx

    from digest.feeds.update import Parsed

# The network client, the feed parser and the Markdown reader are imported where they are
# used: a build with nothing new needs none of them, and its imports are most of its time.

Progress = Callable[[FeedReport], None]


@dataclass(frozen=True, slots=True)
class FetchReport:
    feeds: tuple[FeedReport, ...]  # in config order
    health: tuple[FeedHealth, ...]
    # Problems ahead the maintainer should act on (sizes near a host's limits), each a
    # sentence naming the setting to change; printed and added to the GitHub step summary.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BuildReport:
    fetched: FetchReport | None  # None when offline
    health: tuple[FeedHealth, ...]
    entries: int
    pages: int
    written: WriteReport
    warnings: tuple[str, ...] = ()  # as in FetchReport; the fetch's own are in `fetched`
    site: str = ""  # write.stamp.site_digest of the site built
    budget: Budget | None = None  # what [site] max_output left whole (from the stamp if unchanged)


# The content cache's disk side, as parameters: tests pass counting ones (how many caches a
# run loads, and serialises and saves).
Load = Callable[[Path, str], FeedCache]


class Save(Protocol):
    """How a cache is saved (store.save_cache; tests pass one that counts)."""

    def __call__(
        self, path: Path, cache: FeedCache, *, previous: FeedCache | None = None
    ) -> FeedCache: ...


def load_caches(
    config: Config, load: Load | None = None, *, states: bool = False
) -> tuple[FeedCache, ...]:
    """Every configured feed's cache, in config order (a broken one raises CacheError). With
    `states`, without entries where the state file allows (see `store.load_state`)."""
    if load is None:
        index = month_index(config.content_dir / "feeds")  # once, not once per feed
        load = functools.partial(load_state if states else load_cache, index=index)
    return tuple(load(cache_path(config, f.slug), f.slug) for f in config.feeds)


def whole(config: Config, caches: tuple[FeedCache, ...]) -> tuple[FeedCache, ...]:
    """The caches with their entries: those read without them are read whole now."""
    if all(c.summary is None for c in caches):
        return caches
    # One feed: its own months found by a stat each; many: the month folders listed once.
    index = month_index(config.content_dir / "feeds") if len(caches) > 1 else None
    return tuple(
        c if c.summary is None else load_cache(cache_path(config, c.slug), c.slug, index)
        for c in caches
    )


def fetch(
    config: Config,
    *,
    now: datetime,
    force: bool = False,
    client: httpx.Client | None = None,
    progress: Progress = lambda report: None,
    workers: int | None = None,
    load: Load | None = None,
    save: Save = save_cache,
) -> FetchReport:
    """Fetch every due feed and save its cache as soon as it is done.

    A failing feed is a report, not an error; a feed not due yet is skipped (`force` fetches
    it anyway, 410 Gone and Retry-After included). `workers`: processes that parse (default
    DIGEST_WORKERS, else one per core).
    """
    # Every feed's state first, once: a broken state file stops the run before any network
    # traffic. A feed's months are read when its fetch changes it (a broken month file then
    # stops the run, naming it); the caches fetch_feeds hands back are the ones saved.
    reports, caches = fetch_feeds(
        config, load_caches(config, load, states=True), now=now, force=force, client=client,
        progress=progress, workers=workers, save=save,
    )  # fmt: skip
    caches = close_due_editions(config, caches, now)
    warnings = content_warnings(config, content_sizes(config))  # near GitHub's file limits
    return FetchReport(reports, feed_health(config, caches), warnings)


def close_due_editions(
    config: Config, caches: tuple[FeedCache, ...], now: datetime, bodies: Whole | None = None
) -> tuple[FeedCache, ...]:
    """Record every edition whose close time `now` has passed (`editions`), oldest first.
    The entries are the site's (deduplicated by `group`), so the site is made only when one
    is due: that needs only the newest recorded edition of each kind, one or two small files.
    Returns the caches, with their entries (from the index) when closing needed them (so no
    caller reads them again)."""
    settings = config.editions
    tz = ZoneInfo(config.site.timezone)
    if settings.kinds:
        editions_store.remove_temp_files(config)
    newest = {kind: editions_store.newest_edition(config, kind) for kind in settings.kinds}
    pending = {
        kind: due_periods(kind, settings, tz, now, edition, None, 0)
        for kind, edition in newest.items()
        if edition is not None
    }
    if not any(pending.values()) and all(e is not None for e in newest.values()):
        return caches
    bodies = bodies or Bodies(config.content_dir / "feeds").whole
    with no_cycle_collection():  # every entry is read and deduplicated, as for a site
        caches = with_index(config, caches)
        entries = site_entries(config, caches, _posts(config), now, bodies)
    oldest = entries[-1].date.astimezone(tz).date() if entries else None
    closed = [
        edition
        for kind, previous in newest.items()
        for edition in close_editions(
            entries,
            due_periods(kind, settings, tz, now, previous, oldest, config.site.feed_entries),
            previous,
            tz,
            now,
        )
    ]
    editions_store.save_editions(config, closed)  # once: both kinds' empty ones share a file
    return caches


def _posts(config: Config) -> tuple[Entry, ...]:
    """The hand-written posts, read and parsed (the Markdown reader is loaded for them)."""
    from digest.parse.posts import parse_posts

    return parse_posts(
        read_posts(config), timezone=config.site.timezone, base_url=config.site.base_url
    )


def fetch_feeds(
    config: Config,
    caches: tuple[FeedCache, ...],
    *,
    now: datetime,
    force: bool = False,
    client: httpx.Client | None = None,
    progress: Progress = lambda report: None,
    workers: int | None = None,
    save: Save = save_cache,
) -> tuple[tuple[FeedReport, ...], tuple[FeedCache, ...]]:
    """fetch -> parse -> update -> save, feed by feed: (reports, caches), in config order."""
    processes = worker_count() if workers is None else workers
    remove_temp_files(config)
    current = {c.slug: c for c in caches}
    reports: dict[str, FeedReport] = {}
    jobs = []
    for feed in config.feeds:
        reason = not_due(current[feed.slug].http, now, force)
        if reason:
            reports[feed.slug] = FeedReport(feed.slug, feed.name, "skipped", note=reason)
            progress(reports[feed.slug])
        else:
            jobs.append((feed, current[feed.slug].http))

    def needs_parse(feed: FeedConfig, response: Response) -> bool:
        return update.needs_parse(current[feed.slug], response)

    from digest.feeds import fulltext  # then posts' pages of `full_text` feeds, saved as done

    if jobs or fulltext.due(config, current, now):
        from digest.feeds.fetch import make_client
        from digest.feeds.pool import fetch_and_parse

        with client or make_client(config.site.base_url, config.fetch) as http:
            ready = fetch_and_parse(
                tuple(jobs), http, config.fetch, workers=processes, needs_parse=needs_parse,
                now=now,
            )  # fmt: skip
            with closing(ready):  # stopped by an error: pending fetches and parses cancelled
                for feed, response, parsed in ready:
                    old, cache, report = _refresh(
                        config, feed, current[feed.slug], response, parsed, now
                    )
                    # Saved at once, so a run killed part-way keeps what it fetched. An equal
                    # cache (a 304, the same body again) is neither serialised nor written.
                    if cache != old:
                        path = cache_path(config, feed.slug)
                        saved = save(path, cache, previous=old)
                        # Kept whole only where full_text must see the posts just merged.
                        wanted = fulltext.wanted(feed, config.full_text)
                        current[feed.slug] = saved if wanted else without_entries(saved)
                    reports[feed.slug] = report
                    progress(report)
            articles = fulltext.fetch_articles(config, current, http, whole, save, now=now)
            current |= {slug: without_entries(cache) for slug, cache in articles.items()}
    return (
        tuple(reports[f.slug] for f in config.feeds),
        tuple(current[f.slug] for f in config.feeds),
    )


def _refresh(
    config: Config,
    feed: FeedConfig,
    old: FeedCache,
    response: Response,
    parsed: Parsed | None,
    now: datetime,
) -> tuple[FeedCache, FeedCache, FeedReport]:
    """One fetch applied to one feed's cache: (the cache it applied to, the new cache, the
    report). A cache read without its entries stays so unless a new body is merged: a 304
    or a failure changes its state file only. Whatever `update` raises but a DigestError is
    a bug, and only this feed's failure: recorded as such, its cached posts kept, and every
    other feed goes on."""
    if isinstance(parsed, ParsedFeed) and old.summary is not None:
        old = whole(config, (old,))[0]  # a new body is merged into the entries: read them
    try:
        cache, report = update.refresh(
            old, response, parsed, feed, now, config.fetch, config.retention
        )
    except DigestError:  # an unreadable cache file: for the user to fix, never overwritten
        raise
    except Exception as e:
        message = bug_message("updating", e)
        try:  # recorded in the feed's state, for feeds.json and the health page
            cache, report = update.refresh(
                old, response, update.ParseFailure(message), feed, now, config.fetch,
                config.retention,
            )  # fmt: skip
        except Exception:  # the bug is in recording a failure too: the report says it
            cache, report = old, FeedReport(feed.slug, feed.name, "error", error=message)
    return old, cache, report


def build(
    config: Config,
    *,
    now: datetime,
    offline: bool = False,
    force: bool = False,
    client: httpx.Client | None = None,
    progress: Progress = lambda report: None,
) -> BuildReport:
    """Load the feeds' states -> fetch the due ones (unless `offline`; a failing feed is a
    report) -> close the editions due -> make the site -> render and write what changed ->
    index it for search -> report. Incremental: when nothing it is made from changed since
    the last build (`write.stamp`), no entry is read; else only changed files are made."""
    output = check_output_dir(config.output_dir, config.root)  # before fetching: fail fast
    caches = load_caches(config, states=True)  # entries are read only if pages are made
    reports: tuple[FeedReport, ...] | None = None
    if not offline:
        reports, caches = fetch_feeds(
            config, caches, now=now, force=force, client=client, progress=progress
        )
    bodies = Bodies(config.content_dir / "feeds").whole  # for entries read from the index
    caches = close_due_editions(config, caches, now, bodies)  # a content change: offline too
    health = feed_health(config, caches)
    fetched = None if reports is None else FetchReport(reports, health)
    posts = post_paths(config)
    theme = load_theme(config.themes_dir, config.site.theme)
    hashed = theme_hashes(theme)  # read once, for the fingerprint and every file's key
    inputs = stamp.fingerprint(config, posts, hashed, now)
    built = stamp.is_current(output, inputs)
    problem, spent = None, None
    # Nothing it is made from changed: nothing to render, write or index (if indexed).
    if built is not None and (not config.search.enabled or search.has_index(output)):
        spent = built.budget  # it counts what the site shows; the caches hold copies too
        entries = spent.entries if spent else sum(c.entry_count for c in caches) + len(posts)
        pages = sum(1 for name in built.files if name.endswith(".html"))
        written = WriteReport(written=0, unchanged=pages, removed=0)
    else:
        made = _make_files(config, caches, bodies, theme, hashed, output, inputs, now)
        written, keys, health, entries, pages, spent = made
        if config.search.enabled:  # Pagefind, for the months whose day pages changed
            if not search.has_index(output):  # made anew: the site changed, if no page did
                written = dataclasses.replace(written, changed=True)
            problem = search.update_index(output, keys)
        built = stamp.read_stamp(output)
    # The size of output/ without a walk of its files (30,000 at 100,000 entries): the stamp's,
    # at the sizes stamped (checked, or just written), and the search index, all else there.
    size = stamp.stamped_bytes(output, built) + folder_bytes(output / search.FOLDER)
    warnings = _warnings(config, size) + ((problem,) if problem else ())
    digest = stamp.site_digest(built)
    return BuildReport(fetched, health, entries, pages, written, warnings, digest, spent)


def _make_files(
    config: Config,
    caches: tuple[FeedCache, ...],
    bodies: Whole,
    theme: Theme,
    hashed: ThemeHashes,
    output: OutputDir,
    inputs: str,
    now: datetime,
) -> tuple[WriteReport, dict[str, str], tuple[FeedHealth, ...], int, int, Budget | None]:
    """Plan the site from the entry index, render and write the files that changed: (the
    report, every file's key, the site's health, entries, pages and budget). The site is let
    go on return: Pagefind needs none of it."""
    from digest.render.pages import plan_site  # Jinja and the helpers: pages to make

    with no_cycle_collection(freeze=True):
        caches = with_index(config, caches)  # planned without bodies: render reads its pages'
        site = make_site(config, caches, _posts(config), now=now, bodies=bodies)
        if config.editions.kinds:
            site = with_editions(site, editions_store.load_editions(config))
        plan = plan_site(site, theme, hashed)
    try:
        written, keys = write_changed(site, theme, plan, output, inputs)
        return written, keys, site.health, len(site.entries), len(site.pages), site.budget
    finally:
        del site, caches, plan  # (the plan's files are made by closures over the site)
        gc.unfreeze()  # what planning made and is still held: the collector's again


def _warnings(config: Config, output_bytes: int) -> tuple[str, ...]:
    """Sizes near where the digest is kept and published: GitHub's file limits for the
    committed content/, GitHub Pages' 1 GB for output/."""
    return content_warnings(config, content_sizes(config)) + output_warnings(
        output_bytes, config.site, search=config.search.enabled
    )
