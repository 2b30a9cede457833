"""The pipeline, wired: config -> fetch -> parse -> update -> store -> group -> render -> write.

Each function here reads like the stage table in DESIGN.md; the work is in the stage modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from digest import __version__, update
from digest.errors import FeedError
from digest.fetch import Response, fetch_all, make_client
from digest.group import feed_health, make_site
from digest.models import Config, FeedCache, FeedConfig, FeedHealth, FeedReport
from digest.parse import parse_body
from digest.posts import parse_posts
from digest.render import render_site
from digest.schedule import not_due
from digest.store import (
    cache_files,
    cache_path,
    content_sizes,
    load_cache,
    post_paths,
    read_posts,
    remove_temp_files,
    save_cache,
    size_warnings,
)
from digest.theme import Theme, load_theme
from digest.write import WriteReport, check_output_dir, fingerprint, is_current, write_site

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


def load_caches(config: Config) -> tuple[FeedCache, ...]:
    """Every configured feed's cache, in config order (a broken one raises CacheError)."""
    return tuple(load_cache(cache_path(config, f.slug), f.slug) for f in config.feeds)


def fetch(
    config: Config,
    *,
    now: datetime,
    force: bool = False,
    client: httpx.Client | None = None,
    progress: Progress = lambda report: None,
) -> FetchReport:
    """Fetch every due feed and save its cache as soon as it is done.

    A failing feed is a report, not an error; a feed not due yet is skipped (`force` fetches
    it anyway, 410 Gone and Retry-After included).
    """
    # Load every cache first: a broken cache file stops the run before any network traffic.
    reports, caches = fetch_feeds(
        config, load_caches(config), now=now, force=force, client=client, progress=progress
    )
    warnings = size_warnings(config, content_sizes(config))
    return FetchReport(reports, feed_health(config, caches), warnings)


def fetch_feeds(
    config: Config,
    caches: tuple[FeedCache, ...],
    *,
    now: datetime,
    force: bool = False,
    client: httpx.Client | None = None,
    progress: Progress = lambda report: None,
) -> tuple[tuple[FeedReport, ...], tuple[FeedCache, ...]]:
    """fetch -> parse -> update -> save, feed by feed: (reports, caches), in config order."""
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

    def done(feed: FeedConfig, response: Response) -> None:
        cache, report = update_feed(config, current[feed.slug], feed, response, now)
        # Saved at once, so a run killed part-way keeps what it fetched.
        path = cache_path(config, feed.slug)
        current[feed.slug] = save_cache(path, cache, previous=current[feed.slug])
        reports[feed.slug] = report
        progress(report)

    if jobs:
        with client or make_client(config.site.base_url, config.fetch) as http:
            fetch_all(tuple(jobs), http, config.fetch, done)
    return (
        tuple(reports[f.slug] for f in config.feeds),
        tuple(current[f.slug] for f in config.feeds),
    )


def update_feed(
    config: Config, cache: FeedCache, feed: FeedConfig, response: Response, now: datetime
) -> tuple[FeedCache, FeedReport]:
    """parse (only a body update has not seen yet) -> update."""
    parsed: update.Parsed | None = None
    if update.needs_parse(cache, response):
        try:
            parsed = parse_body(
                response.body, url=response.url, headers=response.headers, source=feed.slug, now=now
            )
        except FeedError as e:
            parsed = update.ParseFailure(str(e))
    return update.refresh(cache, response, parsed, feed, now, config.fetch, config.retention)


def build(
    config: Config,
    *,
    now: datetime,
    offline: bool = False,
    force: bool = False,
    client: httpx.Client | None = None,
    progress: Progress = lambda report: None,
) -> BuildReport:
    output = check_output_dir(config.output_dir, config.root)  # before fetching: fail fast
    caches = load_caches(config)
    reports: tuple[FeedReport, ...] | None = None
    if not offline:
        reports, caches = fetch_feeds(
            config, caches, now=now, force=force, client=client, progress=progress
        )
    health = feed_health(config, caches)
    fetched = None if reports is None else FetchReport(reports, health)
    posts = post_paths(config)
    theme = load_theme(config.themes_dir, config.site.theme)
    inputs = _fingerprint(config, posts, theme)
    pages = is_current(output, inputs)
    warnings = size_warnings(config, content_sizes(config))
    if pages is not None:  # nothing it is built from changed: nothing to render or write
        entries = sum(len(c.entries) for c in caches) + len(posts)
        unchanged = WriteReport(written=0, unchanged=pages, removed=0)
        return BuildReport(fetched, health, entries, pages, unchanged, warnings)
    site = make_site(
        config,
        caches,
        parse_posts(
            read_posts(config), timezone=config.site.timezone, base_url=config.site.base_url
        ),
        health=health,
    )
    files = render_site(site, theme)
    written = write_site(files, output, inputs)
    return BuildReport(fetched, health, len(site.entries), len(site.pages), written, warnings)


def _fingerprint(config: Config, posts: list[Path], theme: Theme) -> str:
    """What the site is built from: config, caches, posts, theme files, digest's version."""
    caches = [path for feed in config.feeds for path in cache_files(config, feed.slug)]
    sources = [config.path, *caches, *posts]
    theme_files = {
        f"theme{n}:{p.relative_to(folder).as_posix()}": p
        for n, folder in enumerate(theme.folders)
        for p in folder.rglob("*")
        if p.is_file()
    }
    return fingerprint(
        {str(p.relative_to(config.root)): p for p in sources} | theme_files, salt=__version__
    )
