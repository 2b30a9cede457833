"""Test helpers: a loopback HTTP feed server, feed builders, project folders, HTML links."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

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
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class FeedServer:
    """Serves `routes` on 127.0.0.1, answers conditional GETs like a real server, logs requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(
                    Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                etag = route.headers.get("ETag")
                modified = route.headers.get("Last-Modified")
                if (etag and self.headers.get("If-None-Match") == etag) or (
                    modified and not etag and self.headers.get("If-Modified-Since") == modified
                ):
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> str:
        headers.setdefault("Content-Type", "application/xml; charset=utf-8")
        self.routes[path] = Route(
            body, status, {k.replace("_", "-"): v for k, v in headers.items()}
        )
        return self.url(path)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


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
