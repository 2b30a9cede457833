"""`digest add`: from a feed's URL or a site's page to a `[[feeds]]` table in config.toml.

The URL is fetched like any feed (digest.feeds.fetch: same timeouts, size cap, redirect rules and
User-Agent). A feed is taken as it is; a web page is searched for the feeds it advertises
(`<link rel="alternate" type="application/atom+xml" ...>`, feed autodiscovery), and then the
paths where sites usually keep their feed are tried, beside the page first, then at the root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from digest.config import load_config
from digest.config.edit import NewFeed, add_feeds, configured, unique_name, url_key
from digest.errors import ConfigEditError, DiscoveryError, FeedError
from digest.feeds.fetch import fetch_feed, make_client
from digest.models import Config, FeedConfig, HttpState, ParsedFeed, Response
from digest.parse import parse_body
from digest.parse.identify import find_feed_links
from digest.sanitize import is_http_url

COMMON_PATHS = ("feed", "feed.xml", "rss", "rss.xml", "atom.xml", "index.xml", "feed.json")
_SOURCE = "add"  # the source slug parse_body needs; nothing is stored under it


@dataclass(frozen=True, slots=True)
class Found:
    """A feed found for a URL."""

    url: str  # the URL to put in config.toml
    title: str
    format: str  # "RSS 2.0", "Atom 1.0", "JSON Feed 1.1", ...
    entries: int
    how: str  # "the URL is a feed", "advertised by the page", "found at a common path"
    others: tuple[str, ...] = ()  # further feeds the page advertises


@dataclass(frozen=True, slots=True)
class AddReport:
    found: Found
    added: NewFeed
    config: Path


def add(
    config_path: Path, url: str, *, now: datetime, name: str | None = None, tags: Sequence[str] = ()
) -> AddReport:
    """Find the feed of `url` and append it to the config file."""
    config = load_config(config_path)  # a broken config is reported first, and left alone
    url = url.strip()
    if not is_http_url(url):
        raise DiscoveryError(f"{url}: not an http(s) URL (a local feed file is added by hand)")
    _refuse_known(config, url)
    with make_client(config.site.base_url, config.fetch) as client:
        found = discover(url, config, client, now)
    _refuse_known(config, found.url)
    feed_name = " ".join((name or found.title or urlsplit(found.url).netloc).split())
    new = NewFeed(found.url, feed_name, tuple(t.strip() for t in tags if t.strip()))
    if unique_name(feed_name, [feed.name for feed in config.feeds]) != feed_name:
        raise ConfigEditError(
            f"{found.url}: a feed named like {feed_name!r} is already in {config.path}; "
            "choose another with --name"
        )
    add_feeds(config, [new])
    return AddReport(found, new, config.path)


def _refuse_known(config: Config, url: str) -> None:
    name = configured(config).get(url_key(url))
    if name is not None:
        raise ConfigEditError(f"{url}: already in {config.path} (feed {name!r})")


def discover(url: str, config: Config, client: httpx.Client, now: datetime) -> Found:
    """The feed at `url`, or the one its page leads to; DiscoveryError names the URL."""
    first = _get(url, config, client)
    if first.outcome != "ok":
        raise DiscoveryError(f"{url}: {first.error or first.outcome}")
    feed_url = first.moved_to or url  # a permanent redirect: the feed's address now
    try:
        parsed = _parse(first, now)
    except FeedError as e:
        if str(e).startswith("refused"):  # a feed too big or hostile to read: say so, stop
            raise DiscoveryError(f"{url}: {e}") from e
    else:
        return _found(feed_url, parsed, "the URL is a feed")

    advertised = find_feed_links(first.body, first.url)
    tried: dict[str, str] = {}  # URL -> why it is not the feed
    for candidate in advertised:
        found = _try(candidate, config, client, now, tried)
        if found is not None:
            others = tuple(link for link in advertised if link != candidate)
            return _found(*found, "advertised by the page", others)
    for candidate in _common_urls(first.url):
        if candidate in tried:
            continue
        found = _try(candidate, config, client, now, tried)
        if found is not None:
            return _found(*found, "found at a common path")
    said = f"it advertises {', '.join(advertised)} but " if advertised else ""
    lines = "".join(f"\n  {candidate}: {why}" for candidate, why in tried.items())
    raise DiscoveryError(
        f"{url}: no feed found: the page is not a feed, {said}none of "
        f"{len(tried)} likely feed URLs answered with one:{lines}"
    )


def _try(
    url: str, config: Config, client: httpx.Client, now: datetime, tried: dict[str, str]
) -> tuple[str, ParsedFeed] | None:
    response = _get(url, config, client)
    if response.outcome != "ok":
        tried[url] = response.error or response.outcome
        return None
    try:
        return response.moved_to or url, _parse(response, now)
    except FeedError as e:
        tried[url] = str(e).split(";")[0]  # "not a feed ...", without the links it advertises
        return None


def _get(url: str, config: Config, client: httpx.Client) -> Response:
    return fetch_feed(
        FeedConfig(url=url, name=url, slug=_SOURCE), HttpState(), client, config.fetch
    )


def _parse(response: Response, now: datetime) -> ParsedFeed:
    return parse_body(
        response.body, url=response.url, headers=response.headers, source=_SOURCE, now=now
    )


def _found(url: str, parsed: ParsedFeed, how: str, others: tuple[str, ...] = ()) -> Found:
    return Found(
        url=url,
        title=parsed.feed.title,
        format=parsed.format,  # as parse_body read it: no second parser here
        entries=len(parsed.entries),
        how=how,
        others=others,
    )


def _common_urls(page: str) -> list[str]:
    """/feed, /rss.xml, ... beside the page (for a site under a sub-path), then at the root."""
    beside = [urljoin(page, path) for path in COMMON_PATHS]
    root = [urljoin(page, "/" + path) for path in COMMON_PATHS]
    return list(dict.fromkeys(beside + root))
