"""The pipeline, wired: config -> fetch -> parse -> store -> group -> render -> write.

Each function here reads like the stage table in the README; the work is in the stage modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from digest.fetch import Response, fetch_all, make_client
from digest.group import make_site
from digest.models import Config, FeedCache, FeedConfig, FeedReport
from digest.render import render_site
from digest.store import cache_path, load_cache, load_posts, refresh, save_cache
from digest.write import WriteReport, check_output_dir, write_site

Progress = Callable[[FeedConfig, Response], None]


@dataclass(frozen=True, slots=True)
class BuildReport:
    feeds: tuple[FeedReport, ...]  # empty when offline
    entries: int
    pages: int
    written: WriteReport


def load_caches(config: Config) -> tuple[FeedCache, ...]:
    return tuple(load_cache(cache_path(config, f.slug), f.slug) for f in config.feeds)


def fetch(
    config: Config,
    *,
    now: datetime,
    client: httpx.Client | None = None,
    progress: Progress = lambda f, r: None,
) -> tuple[FeedReport, ...]:
    """Fetch every feed and update its cache file. A failing feed is a report, not an error."""
    # Load every cache first: a broken cache file stops the run before any network traffic.
    caches = {c.slug: c for c in load_caches(config)}
    states = {slug: c.http for slug, c in caches.items()}
    with client or make_client(config.site.base_url) as http:
        responses = fetch_all(config.feeds, states, http, on_done=progress)
    reports = []
    for feed in config.feeds:
        cache, report = refresh(caches[feed.slug], responses[feed.slug], feed, now)
        save_cache(cache_path(config, feed.slug), cache)
        reports.append(report)
    return tuple(reports)


def build(
    config: Config,
    *,
    now: datetime,
    offline: bool = False,
    client: httpx.Client | None = None,
    progress: Progress = lambda f, r: None,
) -> BuildReport:
    check_output_dir(config.output_dir, config.root)  # before fetching, so a bad path fails fast
    reports = () if offline else fetch(config, now=now, client=client, progress=progress)
    caches = load_caches(config)
    posts = load_posts(config)
    site = make_site(config, caches, posts)
    files = render_site(site)
    written = write_site(files, config.output_dir, config.root)
    return BuildReport(reports, len(site.entries), len(site.pages), written)
