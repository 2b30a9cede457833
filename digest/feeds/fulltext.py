"""Part of stage 2, fetch: the articles of posts that a feed sends as a summary only,
fetched from the posts' pages (`full_text`, `[full_text]`). The network is touched only
through `fetch.request`; the extraction is `parse.article`'s.

Which posts: those of a feed with `full_text` on, first seen in the last NEW_FOR (new ones:
turning it on does not fetch a feed's archive), with an http(s) link, whose text from the
feed is shorter than TEASER_CHARS. By the text's length, not by whether the feed called it
content or summary: RSS 2.0 has one body element, which many feeds fill with the whole post
and others with a teaser, and a post's cached form does not say which it came from, so only
the length tells a teaser from a post. Newest first, at most `per_run` per feed per run: the
first run of a feed with 50 posts fetches 10 pages, the next run the next 10.

How: as politely as the feeds themselves, with their client (User-Agent, timeouts, size
cap): one request at a time per host and `delay` seconds between two (more when the host's
robots.txt asks, up to MAX_DELAY), robots.txt read first (RFC 9309: unreachable means
disallowed; missing, allowed). A host that answers 429 or 503 is left alone for the rest of
the run. Each post's page is fetched once: the article is kept on the entry
(`Entry.full_text`, with its URL and when), so a rebuild needs no network. A page that fails
leaves the post as the feed sent it and is tried again after RETRY, then twice that, ...,
MAX_TRIES times at most; one that is gone, not HTML, or has no article longer than the
feed's text is not tried again. Nothing here fails the build.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from digest.errors import bug_message
from digest.feeds.store import cache_path
from digest.models import Config, Entry, FeedCache, FeedConfig, FullText, FullTextConfig
from digest.sanitize import id_prefix, is_http_url, sanitised_text

if TYPE_CHECKING:
    import httpx

    from digest.models import FetchConfig, Response

log = logging.getLogger(__name__)

TEASER_CHARS = 1000  # a post's text from its feed shorter than this is a teaser
LONGER = 1.5  # an article is kept only when its text is at least this times the feed's
NEW_FOR = timedelta(days=7)  # posts first seen longer ago are not fetched (nor tried again)
MAX_TRIES = 4
RETRY = timedelta(hours=2)  # after the first failure; doubled after each next one
MAX_DELAY = 30.0  # seconds: a robots.txt Crawl-delay is honoured up to this
_HTML = ("text/html", "application/xhtml+xml")
_ACCEPT = {"Accept": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"}


def wanted(feed: FeedConfig, settings: FullTextConfig) -> bool:
    """Whether the feed's posts get their articles from their pages."""
    return settings.enabled if feed.full_text is None else feed.full_text


def is_due(cache: FeedCache, now: datetime) -> bool:
    """Whether the feed has posts whose pages are due now. A cache read without its entries
    answers from its state file (`full_text_due`); a whole one from its entries, and also when
    that record is out of date (merged posts), so the fetch writes it anew."""
    if cache.sample:
        return False
    if cache.summary is not None:
        return cache.full_text_due is not None and cache.full_text_due <= now
    due = next_due(cache.entries, now)
    return (due is not None and due <= now) or due != cache.full_text_due


def next_due(entries: Iterable[Entry], now: datetime) -> datetime | None:
    """When the first of `entries` may have its page fetched (in the past: now); None if no
    entry ever will."""
    return min(filter(None, (_when(e, now) for e in entries)), default=None)


def _when(entry: Entry, now: datetime) -> datetime | None:
    """When the entry's page may be fetched; None when never (again)."""
    text = entry.full_text
    if entry.link is None or not is_http_url(entry.link):
        return None
    if text is not None and (text.html or text.failures >= MAX_TRIES):
        return None  # done, or given up
    at = entry.first_seen if text is None else text.fetched + RETRY * 2 ** (text.failures - 1)
    until = entry.first_seen + NEW_FOR
    if now > until or at > until or _length(entry) >= TEASER_CHARS:
        return None
    return at


def _length(entry: Entry) -> int:
    return len(sanitised_text(entry.content_html))


class Save(Protocol):
    """How a cache is saved (store.save_cache; the pipeline's tests pass one that counts)."""

    def __call__(
        self, path: Path, cache: FeedCache, *, previous: FeedCache | None = None
    ) -> FeedCache: ...


def due(config: Config, caches: Mapping[str, FeedCache], now: datetime) -> bool:
    """Whether any feed with `full_text` on has posts whose pages are due (see `is_due`)."""
    return bool(_due_feeds(config, caches, now))


def _due_feeds(
    config: Config, caches: Mapping[str, FeedCache], now: datetime
) -> tuple[FeedCache, ...]:
    return tuple(
        caches[f.slug]
        for f in config.feeds
        if wanted(f, config.full_text) and is_due(caches[f.slug], now)
    )


def fetch_articles(
    config: Config,
    caches: Mapping[str, FeedCache],
    client: httpx.Client,
    read: Callable[[Config, tuple[FeedCache, ...]], tuple[FeedCache, ...]],
    save: Save,
    *,
    now: datetime,
) -> dict[str, FeedCache]:
    """Fetch the pages due of the posts of the `full_text` feeds (their caches by slug; those
    due are read with their entries by `read`, pipeline.whole) and save each feed's cache as
    soon as its pages are done; the caches saved, by slug."""
    todo = read(config, _due_feeds(config, caches, now))
    saved = {}
    with closing(_articles(config, todo, client, now)) as articles:
        for old, new in articles:
            saved[new.slug] = save(cache_path(config, new.slug), new, previous=old)
    return saved


def _articles(
    config: Config, caches: tuple[FeedCache, ...], client: httpx.Client, now: datetime
) -> Generator[tuple[FeedCache, FeedCache], None, None]:
    """Fetch the due pages of the feeds of `caches` (read whole); yield (old, new) for each
    feed as soon as all its pages are done, to be saved at once (a feed whose cache did not
    change is not yielded). Closing the generator stops the hosts between two pages."""
    settings = config.full_text
    todo = {c.slug: _todo(c, now, settings.per_run) for c in caches}
    hosts: dict[str, list[tuple[str, Entry]]] = {}
    for slug, entries in todo.items():
        for entry in entries:
            hosts.setdefault(_host(entry), []).append((slug, entry))
    waiting = {
        slug: {h for h, pages in hosts.items() if any(s == slug for s, _ in pages)} for slug in todo
    }
    found: dict[str, dict[str, FullText]] = {slug: {} for slug in todo}
    current = {c.slug: c for c in caches}
    for slug in [s for s, left in waiting.items() if not left]:  # no page: the record only
        yield from _done(current[slug], {}, now)
    if not hosts:
        return
    stop = threading.Event()
    agent = client.headers.get("user-agent", "")
    visit = _Visit(client, config.fetch, settings.delay, agent, now, stop)
    pool = ThreadPoolExecutor(min(config.fetch.workers, len(hosts)), "full-text")
    try:
        futures = {pool.submit(visit.host, pages): host for host, pages in hosts.items()}
        for future in as_completed(futures):
            host = futures[future]
            for slug, entry_id, text in future.result():
                found[slug][entry_id] = text
            for slug in {s for s, _ in hosts[host]}:
                waiting[slug].discard(host)
                if not waiting[slug]:
                    yield from _done(current[slug], found[slug], now)
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _todo(cache: FeedCache, now: datetime, limit: int) -> list[Entry]:
    """The entries whose pages are due now, newest first, at most `limit`."""
    due = [e for e in cache.entries if (at := _when(e, now)) is not None and at <= now]
    return due[:limit]  # cache.entries are newest first


def _host(entry: Entry) -> str:
    return (urlsplit(entry.link or "").hostname or "").lower()


def _done(
    cache: FeedCache, found: dict[str, FullText], now: datetime
) -> Iterator[tuple[FeedCache, FeedCache]]:
    """The cache with the pages' outcomes on its entries and when the next is due."""
    entries = tuple(
        dataclasses.replace(e, full_text=found[e.id]) if e.id in found else e for e in cache.entries
    )
    new = dataclasses.replace(cache, entries=entries, full_text_due=next_due(entries, now))
    if found:
        articles = sum(1 for t in found.values() if t.html)
        failed = len(found) - articles
        log.info("%s: %d articles from their pages, %d failed", cache.slug, articles, failed)
    if new != cache:
        yield cache, new


class _Visit:
    """One host's pages, one at a time, `delay` apart, as its robots.txt allows."""

    def __init__(
        self,
        client: httpx.Client,
        settings: FetchConfig,
        delay: float,
        user_agent: str,
        now: datetime,
        stop: threading.Event,
    ) -> None:
        self.client, self.settings, self.delay = client, settings, delay
        self.user_agent, self.now, self.stop = user_agent, now, stop

    def host(self, pages: list[tuple[str, Entry]]) -> list[tuple[str, str, FullText]]:
        """(feed slug, entry id, outcome) for each page tried, in order."""
        pace = _Pace(self.stop)
        robots: dict[str, RobotFileParser | str] = {}  # per origin: the rules, or why none
        results = []
        for slug, entry in pages:
            if self.stop.is_set():
                break
            link = entry.link or ""
            try:
                text, rest = self._page(entry, link, robots, pace)
            except _Stopped:
                break
            except Exception as e:  # a bug: this page's failure, never the build's
                message = bug_message("reading a post's page of", e)
                text, rest = _failed(entry, link, message, self.now, final=True), False
            results.append((slug, entry.id, text))
            if rest:
                break  # 429 or 503: the host asks for a rest; its other pages wait a run
        return results

    def _page(
        self, entry: Entry, link: str, robots: dict[str, RobotFileParser | str], pace: _Pace
    ) -> tuple[FullText, bool]:
        """One page's outcome, and whether the host asked for a rest."""
        parts = urlsplit(link)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in robots:
            robots[origin] = self._robots(origin, pace)
        rules = robots[origin]
        if isinstance(rules, str):
            return _failed(entry, link, rules, self.now), False
        if not rules.can_fetch(self.user_agent, link):
            message = f"{origin}/robots.txt does not allow fetching it"
            return _failed(entry, link, message, self.now), False
        asked = float(rules.crawl_delay(self.user_agent) or 0)
        with pace.turn(min(max(self.delay, asked), MAX_DELAY)):
            response = self._get(link)
        return self._outcome(entry, response), response.outcome == "retry_later"

    def _get(self, url: str) -> Response:
        from digest.feeds.fetch import request

        return request(url, _ACCEPT, self.client, self.settings)

    def _robots(self, origin: str, pace: _Pace) -> RobotFileParser | str:
        """The origin's robots.txt rules, or why there are none (then nothing is fetched)."""
        with pace.turn(self.delay):
            response = self._get(f"{origin}/robots.txt")
        rules = RobotFileParser(f"{origin}/robots.txt")
        if response.outcome == "ok":
            rules.parse(response.body.decode("utf-8", "replace").splitlines())
        elif 400 <= response.status < 500 and response.status != 429:
            rules.parse([])  # RFC 9309 §2.3.1.3: no robots.txt, no rules
        else:  # §2.3.1.4: unreachable (5xx, 429, the network) means complete disallow
            return f"{origin}/robots.txt could not be read ({response.error})"
        return rules

    def _outcome(self, entry: Entry, response: Response) -> FullText:
        link = entry.link or ""
        if response.outcome != "ok":
            final = response.outcome == "gone" or response.status == 404
            return _failed(entry, link, response.error or "no answer", self.now, final=final)
        content_type = response.headers.get("content-type", "")
        kind = content_type.split(";")[0].strip().lower()
        if kind not in _HTML and (kind or not response.body.lstrip().startswith(b"<")):
            message = f"not an HTML page ({kind or 'no Content-Type'})"
            return _failed(entry, link, message, self.now, final=True)
        from digest.parse.article import extract_article

        prefix = id_prefix(entry.source, entry.id)
        article = extract_article(response.body, content_type, response.url, prefix)
        if article is None or len(sanitised_text(article)) < LONGER * _length(entry):
            message = "no article on the page longer than the feed's text"
            return _failed(entry, link, message, self.now, final=True)
        return FullText(url=response.url, fetched=self.now, html=article)


def _failed(
    entry: Entry, url: str, message: str, now: datetime, *, final: bool = False
) -> FullText:
    """One more failed try (the last one when `final`: not tried again)."""
    failures = MAX_TRIES if final else (entry.full_text.failures if entry.full_text else 0) + 1
    return FullText(url=url, fetched=now, error=message, failures=failures)


class _Stopped(Exception):
    """The run stopped while a host waited for its turn (see `_articles`)."""


class _Pace:
    """Requests to one host, one at a time: each starts `delay` seconds after the last ended
    (raising _Stopped instead when the run stops meanwhile)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.last: float | None = None  # when the last request ended (time.monotonic)

    @contextmanager
    def turn(self, delay: float) -> Iterator[None]:
        if self.last is not None:
            self.stop.wait(max(0.0, self.last + delay - time.monotonic()))
        if self.stop.is_set():
            raise _Stopped
        try:
            yield
        finally:
            self.last = time.monotonic()
