"""The pipeline, wired: config -> fetch -> parse -> store -> group -> render -> write.

Each function here reads like the stage table in the README; the work is in the stage modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from digest import __version__
from digest.fetch import Response, fetch_all, make_client
from digest.group import feed_health, make_site
from digest.models import Config, FeedCache, FeedConfig, FeedHealth, FeedReport
from digest.render import render_site
from digest.schedule import not_due
from digest.store import (
    cache_path,
    load_cache,
    load_posts,
    refresh,
    remove_temp_files,
    save_cache,
)
from digest.theme import load_theme
from digest.write import WriteReport, check_output_dir, fingerprint, is_current, write_site

Progress = Callable[[FeedReport], None]


@dataclass(frozen=True, slots=True)
class FetchReport:
    feeds: tuple[FeedReport, ...]  # in config order
    health: tuple[FeedHealth, ...]


@dataclass(frozen=True, slots=True)
class BuildReport:
    fetched: FetchReport | None  # None when offline
    health: tuple[FeedHealth, ...]
    entries: int
    pages: int
    written: WriteReport


def load_caches(config: Config) -> tuple[FeedCache, ...]:
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
    caches = {c.slug: c for c in load_caches(config)}
    remove_temp_files(config)
    reports: dict[str, FeedReport] = {}
    jobs = []
    for feed in config.feeds:
        reason = not_due(caches[feed.slug].http, now, force)
        if reason:
            reports[feed.slug] = FeedReport(feed.slug, feed.name, "skipped", note=reason)
            progress(reports[feed.slug])
        else:
            jobs.append((feed, caches[feed.slug].http))

    def done(feed: FeedConfig, response: Response) -> None:
        cache, report = refresh(
            caches[feed.slug], response, feed, now, config.fetch, config.retention
        )
        save_cache(cache_path(config, feed.slug), cache)  # unchanged bytes are not rewritten
        caches[feed.slug] = cache
        reports[feed.slug] = report
        progress(report)

    if jobs:
        with client or make_client(config.site.base_url, config.fetch) as http:
            fetch_all(tuple(jobs), http, config.fetch, done)
    return FetchReport(
        feeds=tuple(reports[f.slug] for f in config.feeds),
        health=feed_health(config, tuple(caches.values())),
    )


def build(
    config: Config,
    *,
    now: datetime,
    offline: bool = False,
    force: bool = False,
    client: httpx.Client | None = None,
    progress: Progress = lambda report: None,
) -> BuildReport:
    check_output_dir(config.output_dir, config.root)  # before fetching, so a bad path fails fast
    fetched = (
        None if offline else fetch(config, now=now, force=force, client=client, progress=progress)
    )
    caches = load_caches(config)
    post_files = sorted((config.content_dir / "posts").glob("*.md"))
    sources = [
        config.path,
        *(cache_path(config, feed.slug) for feed in config.feeds),
        *post_files,
    ]
    theme = load_theme(config.themes_dir, config.site.theme)
    theme_files = {
        f"theme{n}:{p.relative_to(folder).as_posix()}": p
        for n, folder in enumerate(theme.folders)
        for p in folder.rglob("*")
        if p.is_file()
    }
    inputs = fingerprint(
        {str(p.relative_to(config.root)): p for p in sources} | theme_files,
        salt=__version__,
    )
    pages = is_current(config.output_dir, inputs)
    if pages is not None:  # nothing it is built from changed: nothing to render or write
        entries = sum(len(c.entries) for c in caches) + len(post_files)
        unchanged = WriteReport(written=0, unchanged=pages, removed=0)
        return BuildReport(fetched, feed_health(config, caches), entries, pages, unchanged)
    posts = load_posts(config)
    site = make_site(config, caches, posts)
    files = render_site(site, theme)
    written = write_site(files, config.output_dir, config.root, inputs)
    return BuildReport(fetched, site.health, len(site.entries), len(site.pages), written)
