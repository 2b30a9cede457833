"""Stage 2, fetch: a feed's URL + its saved HTTP state -> a `Response`.

The only module that touches the network (and reads local feed files). It never raises for a
failing feed: the failure is a `Response` with `outcome="error"` and a message in words.
feedparser parses; it never fetches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import httpx

from digest import __version__
from digest.models import FeedConfig, HttpState

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds
TOTAL_TIMEOUT = 30.0
MAX_BODY = 10 * 1024 * 1024  # bytes after decompression; a bigger "feed" is cut and reported
MAX_REDIRECTS = 5
WORKERS = 8


@dataclass(frozen=True, slots=True)
class Response:
    """What one fetch gave. `url` is the final URL (after redirects), used to resolve links."""

    outcome: str  # ok | not_modified | error
    url: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None


def user_agent(base_url: str) -> str:
    return f"digest/{__version__} (+{base_url})"


def make_client(base_url: str) -> httpx.Client:
    return httpx.Client(
        headers={"User-Agent": user_agent(base_url), "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
    )


def fetch_feed(feed: FeedConfig, state: HttpState, client: httpx.Client) -> Response:
    if feed.path is not None:
        return _read_file(feed)
    headers = {
        "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5",
    }
    # RFC 9110 §13.1: conditional GET, so an unchanged feed costs the server a 304 only.
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        with client.stream("GET", feed.url, headers=headers) as r:
            final_url = str(r.url)
            if r.status_code == 304:
                return Response("not_modified", final_url, headers=dict(r.headers))
            if r.status_code != 200:
                reason = r.reason_phrase or ""
                return _error(final_url, f"HTTP {r.status_code} {reason}".strip())
            chunks: list[bytes] = []
            size = 0
            for chunk in r.iter_bytes():  # decompressed, so a gzip bomb is cut here too
                size += len(chunk)
                if size > MAX_BODY:
                    return _error(final_url, f"response larger than {MAX_BODY // 1_048_576} MB")
                chunks.append(chunk)
            return Response("ok", final_url, b"".join(chunks), dict(r.headers))
    except httpx.TooManyRedirects:
        return _error(feed.url, f"more than {MAX_REDIRECTS} redirects")
    except httpx.TimeoutException:
        return _error(feed.url, "timed out")
    except httpx.HTTPError as e:
        return _error(feed.url, f"cannot fetch: {e}")


def _read_file(feed: FeedConfig) -> Response:
    assert feed.path is not None
    try:
        data = feed.path.read_bytes()
    except OSError as e:
        return _error(str(feed.path), f"cannot read {feed.path}: {e.strerror}")
    if len(data) > MAX_BODY:
        return _error(str(feed.path), f"file larger than {MAX_BODY // 1_048_576} MB")
    return Response("ok", feed.path.as_uri(), data)


def _error(url: str, message: str) -> Response:
    return Response("error", url, error=message)


def fetch_all(
    feeds: tuple[FeedConfig, ...],
    states: Mapping[str, HttpState],
    client: httpx.Client,
    on_done: Callable[[FeedConfig, Response], None] = lambda f, r: None,
) -> dict[str, Response]:
    """Fetch every feed, a few at a time; results keyed by feed slug."""

    results: dict[str, Response] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {
            pool.submit(fetch_feed, feed, states.get(feed.slug, HttpState()), client): feed
            for feed in feeds
        }
        for future in as_completed(futures):  # report progress as feeds finish, not in order
            feed = futures[future]
            results[feed.slug] = future.result()
            on_done(feed, results[feed.slug])
    return {feed.slug: results[feed.slug] for feed in feeds}
