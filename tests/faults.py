"""A fault server: real HTTP on 127.0.0.1 that misbehaves the ways feed servers do."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Behaviour = Callable[[BaseHTTPRequestHandler, "FaultServer"], None]


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


@dataclass
class FaultServer:
    routes: dict[str, Behaviour] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append(self.path)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    behaviour = server.routes.get(self.path, not_found)
                    behaviour(self, server)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


# --- behaviours ---------------------------------------------------------------------------


def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    h.send_response(status)
    headers.setdefault("Content-Type", "application/rss+xml; charset=utf-8")
    for name, value in headers.items():
        h.send_header(name.replace("_", "-"), value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def serve(body: bytes, status: int = 200, **headers: str) -> Behaviour:
    def behaviour(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
        send(h, status, body, **headers)

    return behaviour


def conditional(body: bytes, etag: str) -> Behaviour:
    """A well-behaved server: 304 when the client already has this version."""

    def behaviour(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
        if h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        send(h, 200, body, ETag=etag)

    return behaviour


def slow(body: bytes, delay: float) -> Behaviour:
    """Answers correctly after `delay` seconds (for concurrency and kill tests)."""

    def behaviour(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
        s.stop.wait(delay)
        send(h, 200, body)

    return behaviour


def not_found(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
    send(h, 404, b"no such feed", Content_Type="text/plain")


def redirect(status: int, location: str) -> Behaviour:
    def behaviour(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
        send(h, status, b"", Location=location)

    return behaviour


def drip(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
    """Headers, then one byte every 0.2 s for ever (well within any read timeout)."""
    body = feed_body("drip") * 1000
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    for byte in body:
        if s.stop.wait(0.2):
            return
        h.wfile.write(bytes([byte]))
        h.wfile.flush()


def stall(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
    """Headers and a little body, then silence."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b'<?xml version="1.0"?><rss version="2.0">')
    h.wfile.flush()
    s.stop.wait(60)


def endless(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
    """A chunked body that never ends, as fast as the client reads."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<item><title>x</title></item>" * 2000
    deadline = time.monotonic() + 60
    while not s.stop.is_set() and time.monotonic() < deadline:
        h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")


_BOMB = gzip.compress(b"<rss>" + b" " * (200 * 1024 * 1024), compresslevel=9)


def gzip_bomb(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
    """200 MB of spaces in ~200 KB of gzip."""
    send(h, 200, _BOMB, Content_Encoding="gzip")


def short_body(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
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


def growing(name: str, delay: float = 0.0) -> Behaviour:
    """A feed that gains a post on every request, so every run has something to write."""
    count = [2]

    def behaviour(h: BaseHTTPRequestHandler, s: FaultServer) -> None:
        s.stop.wait(delay)
        count[0] += 1
        send(h, 200, feed_body(name, count[0]))

    return behaviour
