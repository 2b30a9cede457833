"""Routes for helpers.FeedServer that misbehave the ways feed servers do, and feed bodies.

A behaviour that stalls or streams stops when the server closes (its `stop` event), and each
has a bound of its own in bytes, so a client that never gives up fails its test instead of
hanging it.
"""

from __future__ import annotations

import functools
import gzip
from http.server import BaseHTTPRequestHandler

from helpers import Behaviour, FeedServer, Route, send

RSS = "application/rss+xml; charset=utf-8"


def feed_body(name: str, count: int = 2, prefix: str = "") -> bytes:
    items = "".join(
        f"<item><title>{name} item {n}</title><link>https://{name}.example/{n}</link>"
        f"<guid>https://{name}.example/{n}</guid>"
        f"<pubDate>Sat, 21 Mar 2026 {10 + n:02d}:00:00 GMT</pubDate>"
        f"<description>Post {n} of {name}.</description></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prefix}<rss version="2.0"><channel>'
        f"<title>{name}</title><link>https://{name}.example/</link><description>d</description>"
        f"{items}</channel></rss>"
    ).encode()


# --- behaviours ---------------------------------------------------------------------------


def serve(body: bytes, status: int = 200, **headers: str) -> Route:
    """A fixed answer, an RSS feed unless `Content_Type=` says otherwise."""
    headers.setdefault("Content_Type", RSS)
    return Route(body, status, {k.replace("_", "-"): v for k, v in headers.items()})


def conditional(body: bytes, etag: str) -> Route:
    """A well-behaved server: 304 when the client already has this version."""
    return serve(body, ETag=etag)


def slow(body: bytes, delay: float) -> Behaviour:
    """Answers correctly after `delay` seconds (so that requests overlap)."""

    def behaviour(h: BaseHTTPRequestHandler, s: FeedServer) -> None:
        s.stop.wait(delay)
        send(h, 200, body, Content_Type=RSS)

    return behaviour


def redirect(status: int, location: str) -> Route:
    return serve(b"", status, Location=location)


DRIP_BYTES = 300  # a minute of dripping, then the connection closes mid-body ("broke off")


def drip(h: BaseHTTPRequestHandler, s: FeedServer) -> None:
    """Headers, then one byte every 0.2 s (well within any read timeout): only a deadline for
    the whole response ends it. After DRIP_BYTES it gives up."""
    body = feed_body("drip") * 1000
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    for byte in body[:DRIP_BYTES]:
        if s.stop.wait(0.2):
            return
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
    h.close_connection = True


def stall(h: BaseHTTPRequestHandler, s: FeedServer) -> None:
    """Headers and a little body, then silence (until the server closes, or a minute)."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b'<?xml version="1.0"?><rss version="2.0">')
    h.wfile.flush()
    s.stop.wait(60)
    h.close_connection = True


ENDLESS_BYTES = 1024 * 1024 * 1024  # 1 GB: a client without a size cap fails, not hangs


def endless(h: BaseHTTPRequestHandler, s: FeedServer) -> None:
    """A chunked body that does not end (before ENDLESS_BYTES), as fast as the client reads."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<item><title>x</title></item>" * 2000
    for _ in range(ENDLESS_BYTES // len(chunk)):
        if s.stop.is_set():
            return
        h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    h.close_connection = True  # and no last chunk: a broken body


@functools.cache
def bomb_body() -> bytes:
    """200 MB of spaces in ~200 KB of gzip: made on first use (it takes seconds), then kept."""
    return gzip.compress(b"<rss>" + b" " * (200 * 1024 * 1024), compresslevel=9)


def gzip_bomb() -> Route:
    """The bomb, made before the request comes (making it takes longer than a timeout)."""
    return serve(bomb_body(), Content_Encoding="gzip")


def short_body(h: BaseHTTPRequestHandler, s: FeedServer) -> None:
    """Content-Length promises more than is sent, then the connection closes."""
    body = feed_body("short")
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", str(len(body) + 5000))
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(body)
    h.wfile.flush()
    h.close_connection = True
