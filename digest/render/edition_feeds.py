"""Part of stage 7, render: the editions' feeds, `editions/<kind>.xml` (Atom, RFC 4287) and
`editions/<kind>.json` (JSON Feed 1.1), one entry per edition, newest `feed_entries` first.
Pure: the edition's title and HTML come from the theme through `Show` (render's), with
absolute links; this module writes only the feed around them.

An entry's id is a tag URI (RFC 4151) from base_url's host and the period
(`tag:example.github.io,2026:digest/editions/daily/2026-11-24`): the same on every build and
machine. `updated` is when the edition closed, which never changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from digest import __version__, routes
from digest.models import EditionKind, EditionView, Page, Site
from digest.render.syndication import FeedFile
from digest.sanitize import xml_text
from digest.timefmt import rfc3339

# An edition's page -> (its title, its body as HTML with absolute links).
Show = Callable[[Page], tuple[str, str]]
# The feed's own title, per kind -> (the title).
Title = Callable[[EditionKind], str]


def edition_feed_files(site: Site, show: Show, title: Title) -> list[FeedFile]:
    """Each enabled kind's two feeds (written even before its first edition, so a reader can
    subscribe from the start)."""
    files = []
    for kind in site.config.editions.kinds:
        pages = [p for p in site.pages if p.edition is not None and p.edition.link.kind == kind]
        chosen = tuple(pages[: site.config.site.feed_entries])  # pages are newest first
        inputs = (tuple(p.edition for p in chosen), kind)

        def atom(chosen: tuple[Page, ...] = chosen, kind: EditionKind = kind) -> bytes:
            return render_edition_atom(site, kind, chosen, show, title(kind))

        def json_feed(chosen: tuple[Page, ...] = chosen, kind: EditionKind = kind) -> bytes:
            return render_edition_json(site, kind, chosen, show, title(kind))

        files.append(FeedFile(routes.edition_feed(kind, "xml"), inputs, atom))
        files.append(FeedFile(routes.edition_feed(kind, "json"), inputs, json_feed))
    return files


def edition_id(base_url: str, view: EditionView) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    edition = view.edition
    return f"tag:{host},{edition.first_day.year}:digest/editions/{edition.kind}/{edition.key}"


def render_edition_atom(
    site: Site, kind: EditionKind, pages: tuple[Page, ...], show: Show, title: str
) -> bytes:
    cfg = site.config.site
    base = cfg.base_url
    views = [p.edition for p in pages if p.edition is not None]
    updated = max((v.edition.closed_at for v in views), default=datetime.fromtimestamp(0, UTC))
    self_url = base + routes.edition_feed(kind, "xml")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={_a(cfg.language)}>',
        f"  <id>{_x(self_url)}</id>",
        f"  <title>{_x(title)}</title>",
        f"  <updated>{rfc3339(updated)}</updated>",
        f'  <link rel="self" type="application/atom+xml" href={_a(self_url)}/>',
        f'  <link rel="alternate" type="text/html" href={_a(base + routes.EDITIONS)}/>',
        f"  <author><name>{_x(cfg.title)}</name></author>",
        f'  <generator version="{__version__}">digest</generator>',
    ]
    for page in pages:
        view = page.edition
        assert view is not None
        heading, html = show(page)
        closed = rfc3339(view.edition.closed_at)
        page_url = routes.absolute(base, page.path)
        lines += [
            "  <entry>",
            f"    <id>{_x(edition_id(base, view))}</id>",
            f"    <title>{_x(heading)}</title>",
            f'    <link rel="alternate" type="text/html" href={_a(page_url)}/>',
            f"    <published>{closed}</published>",
            f"    <updated>{closed}</updated>",
            f'    <content type="html">{_x(html)}</content>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_edition_json(
    site: Site, kind: EditionKind, pages: tuple[Page, ...], show: Show, title: str
) -> bytes:
    cfg = site.config.site
    base = cfg.base_url
    items = []
    for page in pages:
        view = page.edition
        assert view is not None
        heading, html = show(page)
        closed = rfc3339(view.edition.closed_at)
        items.append(
            {
                "id": edition_id(base, view),
                "url": routes.absolute(base, page.path),
                "title": heading,
                "content_html": html,
                "date_published": closed,
                "date_modified": closed,
            }
        )
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": base + routes.EDITIONS,
        "feed_url": base + routes.edition_feed(kind, "json"),
        "language": cfg.language,
        "authors": [{"name": cfg.title}],
        "items": items,
    }
    return (json.dumps(feed, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _x(text: str) -> str:
    return escape(xml_text(text))


def _a(text: str) -> str:
    return quoteattr(xml_text(text))
