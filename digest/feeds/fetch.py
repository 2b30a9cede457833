"""Stage 2, fetch: a feed's URL + its saved HTTP state -> a `Response`.

The only module that touches the network (and reads local feed files). It never raises for a
failing feed: the failure is a `Response` with an outcome and a message in words. What to do
about it (back off, honour Retry-After, follow a move) is decided in `update.refresh`.
feedparser parses; it never fetches.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urljoin, urlsplit

import httpx

from digest import __version__
from digest.feeds.schedule import fetch_url
from digest.models import FeedConfig, FetchConfig, HttpState, Response
from digest.sanitize import is_http_url

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}


def user_agent(base_url: str) -> str:
    return f"digest/{__version__} (+{base_url})"


def make_client(base_url: str, settings: FetchConfig) -> httpx.Client:
    # Redirects are followed by hand: permanent and temporary ones are told apart (a 301/308
    # moves the feed for good) and a redirect to a non-http(s) URL is refused.
    return httpx.Client(
        headers={"User-Agent": user_agent(base_url), "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=settings.workers * 2),
    )


def fetch_feed(
    feed: FeedConfig, state: HttpState, client: httpx.Client, settings: FetchConfig
) -> Response:
    if feed.path is not None:
        return _read_file(feed, settings.max_bytes)
    url = fetch_url(feed, state)
    headers = {
        "Accept": "application/atom+xml, application/rss+xml, application/feed+json, "
        "application/xml;q=0.9, application/json;q=0.8, */*;q=0.5",
    }
    # RFC 9110 §13.1: conditional GET, so an unchanged feed costs the server a 304 only.
    if state.url == url:
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    return request(url, headers, client, settings)


def request(
    url: str, headers: Mapping[str, str], client: httpx.Client, settings: FetchConfig
) -> Response:
    """GET `url` as every request of digest is made (a feed, a post's page for `full_text`,
    a robots.txt): redirects followed by hand, at most MAX_REDIRECTS, http(s) only, a loop
    refused; the body capped at `max_bytes` and the whole of it at `timeout`. Never raises
    for a failure: it is the Response's outcome and error, in words."""
    deadline = time.monotonic() + settings.timeout
    seen = {url}
    moved_to: str | None = None
    permanent = True  # so far every hop was permanent
    try:
        for _ in range(MAX_REDIRECTS + 1):
            with client.stream("GET", url, headers=headers) as r:
                got = {k.lower(): v for k, v in r.headers.items()}
                if r.status_code in _REDIRECTS and "location" in got:
                    target = urljoin(url, got["location"].strip())
                    if not is_http_url(target):
                        return _error(url, f"redirected to a non-http(s) URL: {target}")
                    if target in seen:
                        return _error(url, f"redirect loop at {target}")
                    permanent = permanent and r.status_code in _PERMANENT
                    moved_to = target if permanent else moved_to
                    seen.add(target)
                    url = target
                    continue
                if r.status_code == 304:
                    return Response("not_modified", url, headers=got, status=304, moved_to=moved_to)
                if r.status_code == 410:
                    return Response("gone", url, headers=got, status=410, error="410 Gone")
                if r.status_code in (429, 503):
                    message = f"HTTP {r.status_code} {r.reason_phrase}".strip()
                    return Response(
                        "retry_later", url, headers=got, status=r.status_code, error=message
                    )
                if r.status_code != 200:
                    message = f"HTTP {r.status_code} {r.reason_phrase}".strip()
                    return Response("error", url, headers=got, status=r.status_code, error=message)
                body = _read_body(r, got, settings.max_bytes, deadline, settings.timeout)
                return Response("ok", url, body, got, status=200, moved_to=moved_to)
        return _error(url, f"more than {MAX_REDIRECTS} redirects")
    except _BodyError as e:
        return _error(url, str(e))
    except httpx.TimeoutException:
        return _error(url, f"timed out after {settings.timeout:g} s")
    except httpx.RemoteProtocolError as e:
        return _error(url, f"the server broke off the response ({e})")
    except httpx.HTTPError as e:
        return _error(url, f"cannot fetch: {e}")


class _BodyError(Exception):
    pass


def _read_body(
    r: httpx.Response, headers: Mapping[str, str], limit: int, deadline: float, timeout: float
) -> bytes:
    """The body, decompressed, cut off at `limit` bytes and at the deadline.

    Decompression is ours (not httpx's) so that `max_length` bounds every step: a gzip bomb
    is stopped after `limit` bytes, never inflated in memory first.
    """
    too_big = f"response larger than {limit / 1_048_576:g} MB"
    length = headers.get("content-length", "")
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if length.isdigit() and encoding == "identity" and int(length) > limit:
        raise _BodyError(too_big)
    decompress = _decompressor(encoding)
    parts: list[bytes] = []
    size = 0
    for chunk in _raw_chunks(r):
        if time.monotonic() > deadline:
            raise _BodyError(f"timed out after {timeout:g} s (the body kept coming)")
        for piece in decompress(chunk, limit - size + 1):
            size += len(piece)
            if size > limit:
                raise _BodyError(too_big)
            parts.append(piece)
    return b"".join(parts)


def _raw_chunks(r: httpx.Response) -> Iterator[bytes]:
    yield from r.iter_raw()  # whatever arrived: a chunk size would wait for a slow drip


def _decompressor(encoding: str) -> Callable[[bytes, int], Iterator[bytes]]:
    if encoding in ("identity", ""):

        def plain(chunk: bytes, room: int) -> Iterator[bytes]:
            yield chunk

        return plain
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    else:
        raise _BodyError(f"unsupported Content-Encoding {encoding!r}")

    def inflate(chunk: bytes, room: int) -> Iterator[bytes]:
        data = chunk
        try:
            while data:
                out = inflater.decompress(data, max(room, 1))
                room -= len(out)
                yield out
                if room <= 0:
                    return
                data = inflater.unconsumed_tail
        except zlib.error as e:
            raise _BodyError(f"corrupt {encoding} body ({e})") from e

    return inflate


def _read_file(feed: FeedConfig, limit: int) -> Response:
    assert feed.path is not None
    try:
        with feed.path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        return _error(str(feed.path), f"cannot read {feed.path}: {e.strerror}")
    if len(data) > limit:
        return _error(str(feed.path), f"file larger than {limit / 1_048_576:g} MB")
    return Response("ok", feed.path.as_uri(), data)


def _error(url: str, message: str) -> Response:
    return Response("error", url, error=message)


def submit_fetches(
    jobs: tuple[tuple[FeedConfig, HttpState], ...],
    client: httpx.Client,
    settings: FetchConfig,
    pool: ThreadPoolExecutor,
    room: threading.Semaphore | None = None,
) -> dict[Future[Response], FeedConfig]:
    """Start every feed's fetch on `pool` (its size is `workers`), at most `per_host` at once
    per host; the futures, each with its feed. The caller takes each result as it comes (see
    `digest.feeds.pool.fetch_and_parse`), so what was fetched can be saved at once. With `room`,
    each fetch first takes one of its places, which the caller gives back once it is done with
    the response: fetched bodies then wait for the parser a few at a time, not all at once."""
    lock = threading.Lock()
    hosts: dict[str, threading.Semaphore] = {}

    def one(feed: FeedConfig, state: HttpState) -> Response:
        host = urlsplit(fetch_url(feed, state)).netloc.lower()
        with lock:
            gate = hosts.setdefault(host, threading.Semaphore(settings.per_host))
        if room is not None:
            room.acquire()
        with gate:
            return fetch_feed(feed, state, client, settings)

    return {pool.submit(one, feed, state): feed for feed, state in jobs}
