"""The HTTP side of `digest serve`: which file a URL names, and the handler that answers.

The handler is the standard library's `SimpleHTTPRequestHandler` rooted at `output/` (it
serves files with their length and Last-Modified, answers HEAD, and redirects a folder to its
trailing slash); this module adds what a development server for the site needs on top: a
stricter path check (`locate`), fixed Content-Types, the reload script in every page, the
error page while a rebuild fails, our own 404 page, and no caching. Loopback only.
"""

from __future__ import annotations

import functools
import io
import logging
import mimetypes
import os
import socketserver
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from digest.serve.reload import (
    HTML_TYPE,
    SiteState,
    error_page,
    inject_reload,
    not_found_page,
    reserved,
)

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
HTML_SUFFIXES = (".html", ".htm")


# --- which file a URL names -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """What a request path resolves to: a file (200), a folder to redirect to with its
    trailing slash (301, `location`), or nothing (403/404)."""

    status: int
    path: Path | None = None
    location: str | None = None


def locate(output: Path, raw_path: str) -> Target:
    """The file under `output` that the request path names, without ever leaving `output`.

    Percent-escapes are decoded before checking, so `/%2e%2e/config.toml` is caught like
    `/../config.toml`; the resolved path must still be inside `output` (a symlink pointing out
    is refused too). Dot files (`.digest-build.json`, temp files) are not part of the site.
    Stricter than `SimpleHTTPRequestHandler.translate_path`, which drops `..` silently and
    follows symlinks anywhere.
    """
    path = raw_path.split("#", 1)[0]
    path, _, query = path.partition("?")
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return Target(404)  # no file of the site has a name that is not UTF-8
    if not decoded.startswith("/") or "\x00" in decoded or "\\" in decoded:
        return Target(403)
    parts = [p for p in decoded.split("/") if p not in ("", ".")]
    if ".." in parts:
        return Target(403)
    if any(p.startswith(".") for p in parts):
        return Target(404)
    base = output.resolve()
    found = base.joinpath(*parts).resolve()
    if not found.is_relative_to(base):
        return Target(403)
    if found.is_dir():
        if not path.endswith("/"):
            # Pages link relatively, so /posts/one must become /posts/one/ before serving it.
            location = path + "/" + (f"?{query}" if query else "")
            return Target(301, path=found, location=location)
        found = found / "index.html"
    return Target(200, path=found) if found.is_file() else Target(404)


_TYPES = {
    ".html": HTML_TYPE,
    ".htm": HTML_TYPE,
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}
_NAMED_TYPES = {
    "atom.xml": "application/atom+xml",
    "feed.json": "application/feed+json",  # JSON Feed's registered type
}


def content_type(path: Path) -> str:
    """The Content-Type for a file of the site.

    A fixed table rather than `mimetypes` alone: its answers depend on the machine's
    /etc/mime.types, and feed readers care that atom.xml is application/atom+xml.
    """
    known = _NAMED_TYPES.get(path.name) or _TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


# --- the server and its handler -------------------------------------------------------------


class Server(ThreadingHTTPServer):
    # A browser's open connection must not delay Ctrl-C: handler threads are not waited for.
    daemon_threads = True
    block_on_close = False

    def __init__(self, port: int, state: SiteState) -> None:
        self.state = state
        handler = functools.partial(Handler, directory=str(state.output))
        super().__init__((HOST, port), handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall for seconds on a
        # machine with slow DNS; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # the browser went away mid-response
            log.debug("client %s disconnected: %s", client_address, error)
        else:
            log.exception("digest serve: error while answering %s", client_address)


class Handler(SimpleHTTPRequestHandler):
    """GET and HEAD come from the parent, which calls `send_head` for the headers and sends
    the body it returns (HEAD: drops it). Pages are read and answered here (the reload script
    goes in); every other file is the parent's, at the path `locate` found."""

    server: Server
    server_version = "digest-serve"

    def send_head(self) -> BinaryIO | None:
        build, error = self.server.state.snapshot()
        route = urlsplit(self.path).path
        special = reserved(route, build)
        if special is not None:
            return self._respond(HTTPStatus.OK, *special)
        target = locate(Path(self.directory), self.path)
        if target.status == HTTPStatus.FORBIDDEN:
            self.send_error(HTTPStatus.FORBIDDEN, "outside the site")
            return None
        if target.status == HTTPStatus.MOVED_PERMANENTLY:
            return super().send_head()  # the parent redirects, keeping the query
        if target.path is None or target.path.suffix in HTML_SUFFIXES:
            return self._page(target.path, route, build, error)
        # Any other file as it is: the parent sends its type, length and Last-Modified.
        return super().send_head()

    def _page(self, path: Path | None, route: str, build: int, error: str | None) -> BinaryIO:
        """A page with the reload script; while the last build failed, the error instead."""
        if error is not None:
            return self._respond(
                HTTPStatus.INTERNAL_SERVER_ERROR, HTML_TYPE, error_page(error, build)
            )
        try:
            body = path.read_bytes() if path is not None else None
        except OSError:  # removed by a rebuild between locating and reading
            body = None
        if body is None:
            return self._not_found(route, build)
        return self._respond(HTTPStatus.OK, HTML_TYPE, inject_reload(body, build))

    def _not_found(self, route: str, build: int) -> BinaryIO:
        return self._respond(HTTPStatus.NOT_FOUND, HTML_TYPE, not_found_page(route, build))

    def _respond(self, status: HTTPStatus, kind: str, body: bytes) -> BinaryIO:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def translate_path(self, path: str) -> str:
        # Only reached for what `locate` accepted; "" (no such file) for anything else.
        found = locate(Path(self.directory), path).path
        return str(found) if found is not None else ""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return content_type(Path(path))

    def list_directory(self, path: str | os.PathLike[str]) -> io.BytesIO | None:
        # Never a listing: `locate` sends a folder to its index.html or to a 404.
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def send_header(self, keyword: str, value: str) -> None:
        # The parent writes "Content-type"; names are case-insensitive (RFC 9110, 5.1), but
        # not every client's header dict is.
        super().send_header("Content-Type" if keyword.lower() == "content-type" else keyword, value)

    def end_headers(self) -> None:
        # Every answer, redirects and errors too: a browser must never show a stale build.
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)
