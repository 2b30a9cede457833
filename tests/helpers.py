"""Test helpers: the loopback HTTP server (FeedServer), feeds, project folders, HTML links."""

from __future__ import annotations

import contextlib
import io
import mimetypes
import os
import signal
import subprocess
import sys
import tarfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

import pytest

# --- feeds --------------------------------------------------------------------------------


@dataclass
class Item:
    title: str
    slug: str
    date: datetime
    body: str = "<p>Body.</p>"
    tags: tuple[str, ...] = ()
    author: str = "Ann Author"
    comments: bool = True


def make_items(prefix: str, count: int, start: datetime, tags: tuple[str, ...] = ()) -> list[Item]:
    """`count` items, newest first, 7 hours apart (so they spread over several days)."""
    return [
        Item(
            title=f"{prefix} post {n}",
            slug=f"{prefix.lower()}-{n}",
            date=start - timedelta(hours=7 * n),
            body=f"<p>Body of {prefix} post {n}.</p><h2>Section</h2><p>More.</p>",
            tags=tags + ((f"Topic {n % 3}",) if n % 2 else ()),
        )
        for n in range(count)
    ]


def rss(title: str, site: str, items: Iterable[Item]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>{site}</link><description>d</description>",
        "<language>en</language>",
    ]
    for it in items:
        link = f"{site}posts/{it.slug}"
        cats = "".join(f"<category>{escape(t)}</category>" for t in it.tags)
        comments = f"<comments>{link}#comments</comments>" if it.comments else ""
        parts.append(
            f"<item><title>{escape(it.title)}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid>'
            f"<pubDate>{format_datetime(it.date)}</pubDate>"
            f"<author>{escape(it.author)}</author>{cats}{comments}"
            f"<description>{escape(it.body)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


def atom(title: str, site: str, items: Iterable[Item]) -> bytes:
    items = list(items)
    updated = max((i.date for i in items), default=datetime(2026, 1, 1, tzinfo=UTC))
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en" xml:base="{site}">',
        f'<title>{escape(title)}</title><id>{site}feed</id><link href="{site}"/>',
        f"<updated>{updated.isoformat()}</updated>",
    ]
    for it in items:
        cats = "".join(f'<category term="{escape(t)}"/>' for t in it.tags)
        replies = (
            f'<link rel="replies" type="text/html" href="posts/{it.slug}#comments"/>'
            if it.comments
            else ""
        )
        parts.append(
            f"<entry><title>{escape(it.title)}</title>"
            f'<link rel="alternate" href="posts/{it.slug}"/>{replies}'
            f"<id>tag:example.org,2026:{it.slug}</id>"
            f"<published>{it.date.isoformat()}</published><updated>{it.date.isoformat()}</updated>"
            f"<author><name>{escape(it.author)}</name></author>{cats}"
            f'<content type="html">{escape(it.body)}</content></entry>'
        )
    parts.append("</feed>")
    return "\n".join(parts).encode()


# --- a real HTTP server on loopback -------------------------------------------------------


@dataclass
class Route:
    """A fixed answer. With an ETag or Last-Modified header, conditional GETs get a 304."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    headers: dict[str, str]  # names in lower case


# A route that answers by hand: the request handler (write to `h.wfile`) and the server (its
# `stop` event is set when the server closes, so a behaviour that waits or streams ends then).
Behaviour = Callable[[BaseHTTPRequestHandler, "FeedServer"], None]


class _Counted:
    """The handler's socket writer, counting the bytes a route sends (headers included)."""

    def __init__(self, raw: Any, count: Callable[[int], None]) -> None:
        self.raw, self.count = raw, count

    def write(self, data: bytes) -> int:
        written: int = self.raw.write(data)
        self.count(len(data))
        return written

    def flush(self) -> None:
        self.raw.flush()

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)


class FeedServer:
    """Real HTTP/1.1 on 127.0.0.1, on a free port, for every test that needs a server.

    Serves `routes` (path -> a fixed `Route` or a `Behaviour`, see tests/faults.py for the
    misbehaving ones), else files below `folder` (a built site: `prefix` is stripped from the
    path first, as GitHub Pages serves a project under /repo/; `not_found` is the 404 page).
    Records every request, the bytes sent per path, the paths answered in full, and the most
    requests in flight at once. Use as a context manager (or the `server` fixture).
    """

    def __init__(
        self,
        routes: Mapping[str, Route | Behaviour] | None = None,
        *,
        folder: Path | None = None,
        prefix: str = "",
        not_found: bytes = b"not found",
    ) -> None:
        self.routes: dict[str, Route | Behaviour] = dict(routes or {})
        self.folder, self.prefix, self.not_found = folder, prefix, not_found
        self.requests: list[Request] = []
        self.sent: Counter[str] = Counter()  # bytes written, per path
        self.answered: list[str] = []  # paths whose answer was sent to its end
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, as real servers

            def setup(self) -> None:
                super().setup()
                self.wfile = _Counted(self.wfile, self.count)  # type: ignore[assignment]

            def handle(self) -> None:
                # A client may go between requests on a kept-alive connection.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

            def count(self, size: int) -> None:
                with server.lock:
                    server.sent[getattr(self, "path", "")] += size

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server.lock:
                    server.requests.append(Request(self.path, headers))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    server.answer(self)
                    with server.lock:
                        server.answered.append(self.path)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up: what a fault test wants to see
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        route = self.routes.get(h.path)
        if callable(route):
            route(h, self)
        elif route is not None:
            etag = route.headers.get("ETag")
            modified = route.headers.get("Last-Modified")
            if (etag and h.headers.get("If-None-Match") == etag) or (
                modified and not etag and h.headers.get("If-Modified-Since") == modified
            ):
                send(h, 304, **{k: v for k, v in route.headers.items() if k == "ETag"})
            else:
                send(h, route.status, route.body, **route.headers)
        elif self.folder is not None:
            self.send_file(h, self.folder)
        else:
            send(h, 404, self.not_found, Content_Type="text/plain")

    def send_file(self, h: BaseHTTPRequestHandler, folder: Path) -> None:
        path = unquote(urlsplit(h.path).path).removeprefix(self.prefix).lstrip("/")
        file = (folder / path).resolve()
        if file.is_dir():
            file = file / "index.html"
        if not file.is_relative_to(folder.resolve()) or not file.is_file():
            send(h, 404, self.not_found, Content_Type="text/html; charset=utf-8")
            return
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith(("xml", "json", "javascript")):
            kind += "; charset=utf-8"
        send(h, 200, file.read_bytes(), Content_Type=kind)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def paths(self) -> list[str]:
        """The paths asked for, in order."""
        return [r.path for r in self.requests]

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> str:
        """Answer `path` with `body` from now on; its URL. `Content_Type=` is Content-Type."""
        headers.setdefault("Content-Type", "application/xml; charset=utf-8")
        self.routes[path] = Route(
            body, status, {k.replace("_", "-"): v for k, v in headers.items()}
        )
        return self.url(path)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()  # ends the behaviours that stall or stream
        self.httpd.shutdown()
        self.httpd.server_close()


def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    """A whole response with a Content-Length; `Content_Type=` is the Content-Type header."""
    h.send_response(status)
    for name, value in headers.items():
        h.send_header(name.replace("_", "-"), value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if body and h.command != "HEAD":
        h.wfile.write(body)


# --- projects -----------------------------------------------------------------------------


def toml_value(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def write_config(
    folder: Path,
    feeds: list[dict[str, object]],
    fetch: dict[str, object] | None = None,
    **site: object,
) -> Path:
    settings: dict[str, object] = {
        "title": "Test Digest",
        "base_url": "https://example.github.io/digest/",
        "timezone": "Europe/Berlin",
        "per_page": 5,
    }
    settings.update(site)
    lines = ["[site]"] + [f"{k} = {toml_value(v)}" for k, v in settings.items()]
    if fetch:
        lines += ["", "[fetch]"] + [f"{k} = {toml_value(v)}" for k, v in fetch.items()]
    for feed in feeds:
        lines += ["", "[[feeds]]"] + [f"{k} = {toml_value(v)}" for k, v in feed.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`, by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def stats(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file below `folder` (temp files too): inode, size and mtime in ns, so that even
    a file rewritten with the same bytes shows."""
    found = {}
    for path in sorted(folder.rglob("*")) if folder.exists() else ():
        if path.is_file():
            stat = path.stat()
            found[path.relative_to(folder).as_posix()] = (
                stat.st_ino, stat.st_size, stat.st_mtime_ns
            )  # fmt: skip
    return found


KILL_CHILD = Path(__file__).with_name("kill_child.py")


def digest_command(*args: str, kill_at: str | None = None) -> list[str]:
    """The command line of `digest <args>`; with `kill_at` ("point" or "point:n", a point of
    tests/kill_child.py), run by kill_child.py, which kills it there by SIGKILL."""
    if kill_at:
        return [sys.executable, str(KILL_CHILD), kill_at, "--", *args]
    return [sys.executable, "-m", "digest", *args]


def run_digest(config: Path, *args: str, epoch: int, kill_at: str | None = None) -> None:
    """`digest <args>` in a child process at SOURCE_DATE_EPOCH `epoch`; with `kill_at` (see
    `digest_command`), it must die there by SIGKILL."""
    proc = subprocess.run(
        digest_command(*args, "-q", "--config", str(config), kill_at=kill_at),
        env=dict(os.environ, SOURCE_DATE_EPOCH=str(epoch)),
        capture_output=True,
        text=True,
        timeout=120,  # only so that a hung run fails the test instead of hanging it
        check=False,
    )
    expected = -signal.SIGKILL if kill_at else 0
    assert proc.returncode == expected, f"{args} {kill_at}: {proc.returncode}\n{proc.stderr}"


# --- the example digest -------------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = ("config.toml", "content")


def committed_example(folder: Path, *paths: str) -> Path:
    """This repository's example digest as committed (`paths` of it: by default its config
    and all of content/) in `folder`; returns its config file.

    From git, not from the working tree: `digest build`, the README's first command, changes
    the checkout's content/ (each feed's last error; posts fetched; editions closed since),
    and what a test expects must not depend on whether or when someone ran it. No copy of
    the example is kept under tests/: git already holds it, and a copy would drift from it.
    """
    command = ["git", "-C", str(REPO), "archive", "--format=tar", "HEAD", "--", *(paths or EXAMPLE)]
    if not (REPO / ".git").exists():
        pytest.fail(
            f"{REPO} is not a git checkout: the tests of the example digest read it as "
            "committed (git archive HEAD config.toml content), not from the working tree, "
            "which `digest build` changes. Run them in a git clone of digest."
        )
    run = subprocess.run(command, capture_output=True, timeout=60, check=False)
    if run.returncode != 0:
        problem = run.stderr.decode(errors="replace").strip()
        pytest.fail(f"cannot read the committed example digest ({' '.join(command)}): {problem}")
    with tarfile.open(fileobj=io.BytesIO(run.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "config.toml"


# --- reading pages ------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def page_links(path: Path) -> list[str]:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.urls


def page_text(path: Path) -> str:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.text).split())


def html_pages(output: Path) -> Iterator[Path]:
    return iter(sorted(output.rglob("*.html")))
