"""Part of stage 7, render: what programs read. Atom (RFC 4287) and JSON Feed 1.1 feeds,
feeds.json (feed health), sitemap.xml and robots.txt. Pure: values in, bytes out.

Every URL here is absolute, built on `[site] base_url`; entries keep their original id, link
and author, and say where they came from (atom:source, JSON Feed `_digest`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from digest import routes
from digest.models import POSTS_SOURCE, Entry, Site
from digest.render.feed_writer import (
    Category,
    Copy,
    Enclosure,
    Feed,
    FeedItem,
    Origin,
    atom_document,
    escape_text,
    json_document,
)
from digest.render.opml import OpmlFeed, opml_document
from digest.timefmt import rfc3339

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class FeedFile:
    """A machine-readable file before it is made: `inputs` are the values it is made from
    (render hashes them into the file's key, to skip an unchanged file), `make` makes it."""

    path: str
    inputs: tuple[object, ...]
    make: Callable[[], bytes]


def _made(path: str, data: bytes) -> FeedFile:
    """A file cheap enough to make at once: its bytes are its inputs."""
    return FeedFile(path, (data,), lambda: data)


def feed_files(site: Site) -> list[FeedFile]:
    """Every machine-readable file of the site, not yet made (atom feeds are the costly ones)."""
    cfg = site.config.site
    sitemap = routes.absolute(cfg.base_url, routes.SITEMAP)
    robots = f"User-agent: *\nAllow: /\nSitemap: {sitemap}\n".encode()
    files = [
        _atom_file(site, site.entries, routes.HOME, cfg.title),
        FeedFile(
            routes.JSON_FEED, _feed_inputs(site, site.entries), lambda: render_json_feed(site)
        ),
        FeedFile(
            routes.HEALTH_JSON,
            (site.health, _duplicates(site)),
            lambda: render_health_json(site),
        ),
        _made(routes.SITEMAP, render_sitemap(site)),
        _made(routes.ROBOTS, robots),
        # GitHub Pages: serve the files as they are (no Jekyll), on the custom domain if any.
        _made(".nojekyll", b""),
    ]
    if cfg.cname:
        files.append(_made("CNAME", f"{cfg.cname}\n".encode()))
    # The digest's own subscription list, so a reader can follow every source at once.
    links = {source.slug: source.link for source in site.sources}
    subscriptions = [
        OpmlFeed(feed.name, feed.url, links.get(feed.slug), feed.tags)
        for feed in site.config.feeds
        if feed.path is None  # a local file is no URL a reader could subscribe to
    ]
    files.append(_made(routes.OPML, opml_document(cfg.title, subscriptions)))
    for tag in site.tags:
        files.append(
            _atom_file(site, tag.entries, routes.tag(tag.slug), f"{cfg.title}: {tag.name}")
        )
    if cfg.source_feeds:
        for source in site.sources:
            folder = routes.source(source.slug)
            files.append(_atom_file(site, source.entries, folder, f"{cfg.title}: {source.name}"))
    return files


def _feed_inputs(site: Site, entries: tuple[Entry, ...]) -> tuple[object, ...]:
    """What a feed of `entries` shows: its newest entries, and which of them need a minted
    id because another source uses theirs (`_atom_id`)."""
    chosen = entries[: site.config.site.feed_entries]
    return (chosen, tuple(e.id in site.shared_ids for e in chosen))


def _atom_file(site: Site, entries: tuple[Entry, ...], folder: str, title: str) -> FeedFile:
    inputs = (*_feed_inputs(site, entries), title)
    return FeedFile(routes.feed(folder), inputs, lambda: render_atom(site, entries, folder, title))


def entry_link(site: Site, entry: Entry) -> str:
    """The entry's own page: the original's URL, or the post page of a hand-written post."""
    base = site.config.site.base_url
    if entry.slug:
        return routes.absolute(base, routes.post(entry.slug))
    return entry.link or base


def feed_item(site: Site, entry: Entry) -> FeedItem:
    """An entry as a feed item: its own id, link and author, where it came from, its tags."""
    base = site.config.site.base_url
    source = site.source_of(entry)
    page_url = routes.absolute(base, routes.post(entry.slug)) if entry.slug else None
    origin = None
    if entry.source != POSTS_SOURCE:
        origin = Origin(
            source.name, routes.absolute(base, routes.source(source.slug)), source.url, source.link
        )
    scheme = routes.absolute(base, routes.TAGS)
    return FeedItem(
        id=_atom_id(site, entry, page_url),
        title=entry.title,
        link=entry_link(site, entry),
        content_html=site.whole(entry).content_html,
        date=entry.date,
        published=entry.published,
        modified=entry.updated,
        author=entry.author or source.name,
        categories=tuple(Category(t.slug, t.name, scheme) for t in site.tags_of(entry)),
        language=entry.language,
        replies=entry.comments,
        origin=origin,
        also_in=tuple(Copy(site.source_of(c).name, c.link) for c in site.also_in_of(entry)),
        enclosures=tuple(Enclosure(m.url, m.type, m.length, entry.duration) for m in entry.media),
    )


def render_json_feed(site: Site) -> bytes:
    """feed.json, JSON Feed 1.1 (https://jsonfeed.org/version/1.1), beside atom.xml."""
    cfg = site.config.site
    url = routes.absolute(cfg.base_url, routes.JSON_FEED)
    return json_document(_feed(site, site.entries, cfg.base_url, url, cfg.title))


def _feed(site: Site, entries: tuple[Entry, ...], home: str, url: str, title: str) -> Feed:
    """The newest `feed_entries` of `entries`, as a feed whose id is its page's URL."""
    cfg = site.config.site
    items = tuple(feed_item(site, entry) for entry in entries[: cfg.feed_entries])
    return Feed(home, title, url, home, cfg.title, cfg.language, items)


def render_sitemap(site: Site) -> bytes:
    """sitemap.xml: every page's absolute URL, with the date of its newest entry as lastmod."""
    base = site.config.site.base_url
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for page in site.pages:
        if page.kind == "notfound":
            continue
        url = routes.absolute(base, page.path)
        shown = [e for group in page.days for e in group.entries]
        if page.entry:
            shown.append(page.entry)
        newest = max((_entry_updated(e) for e in shown), default=None)
        lastmod = f"<lastmod>{rfc3339(newest)}</lastmod>" if newest else ""
        lines.append(f"  <url><loc>{escape_text(url)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_health_json(site: Site) -> bytes:
    """feeds.json: the feed health report, machine-readable (fields: docs/fetching.md)."""

    def when(moment: datetime | None) -> str | None:
        return rfc3339(moment) if moment else None

    feeds = [
        {
            "name": h.name,
            "slug": h.slug,
            "url": h.url,
            "status": h.status,
            "summary": h.summary,
            "failures": h.failures,
            "failing_since": when(h.failing_since),
            "last_ok": when(h.last_ok),
            "next_due": when(h.next_due),
            "retry_after": when(h.retry_after),
            "moved_to": h.moved_to,
            "newest_entry": when(h.newest),
            "entries": h.entries,
            "last_error": h.last_error,
        }
        for h in site.health
    ]
    data = {"version": 1, "feeds": feeds, "duplicates": _duplicates(site)}
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _duplicates(site: Site) -> list[dict[str, object]]:
    """feeds.json "duplicates": each copy of a post the site shows once ([dedup])."""
    return [
        {
            "shown": {"source": d.shown.source, "id": d.shown.id, "link": d.shown.link},
            "copy": {"source": d.copy.source, "id": d.copy.id, "link": d.copy.link},
            "rule": d.rule,
            "similarity": round(d.similarity, 3),
        }
        for d in site.duplicates
    ]


def render_atom(
    site: Site,
    entries: tuple[Entry, ...] | None = None,
    path: str = "",
    title: str | None = None,
) -> bytes:
    """An Atom feed (RFC 4287) of the newest `feed_entries` entries, absolute URLs throughout:
    the site's (path "") or a listing's such as a tag's (path "tags/ai/")."""
    cfg = site.config.site
    base = cfg.base_url
    chosen = site.entries if entries is None else entries
    home, url = routes.absolute(base, path), base + routes.feed(path)
    return atom_document(_feed(site, chosen, home, url, title or cfg.title))


def _atom_id(site: Site, entry: Entry, page_url: str | None) -> str:
    """Keep the original id when it is an absolute IRI (RFC 4287 §4.2.6) that no other source
    uses (readers would merge two posts with one id); else mint a stable one."""
    if page_url:
        return page_url
    if _SCHEME.match(entry.id) and " " not in entry.id and entry.id not in site.shared_ids:
        return entry.id
    host = urlsplit(site.config.site.base_url).hostname or "localhost"
    digest = hashlib.sha1(f"{entry.source}\n{entry.id}".encode()).hexdigest()
    return f"tag:{host},{entry.first_seen:%Y-%m-%d}:{entry.source}/{digest}"


def _entry_updated(entry: Entry) -> datetime:
    return entry.updated or entry.date
