"""Part of stage 7, render: the editions' feeds, `editions/<kind>.xml` (Atom, RFC 4287) and
`editions/<kind>.json` (JSON Feed 1.1), one entry per edition, newest `feed_entries` first.
Pure: the edition's title and HTML come from the theme through `Show` (render's), with
absolute links; this module writes only the feed around them.

An entry's id is a tag URI (RFC 4151) from base_url's host and the period
(`tag:example.github.io,2026:digest/editions/daily/2026-11-24`): the same on every build and
machine. `updated` is when the edition closed, which never changes.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from digest import routes
from digest.models import EditionKind, EditionView, Page, Site
from digest.render.feed_writer import Feed, FeedItem, atom_document, json_document
from digest.render.syndication import FeedFile

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
    self_url = site.config.site.base_url + routes.edition_feed(kind, "xml")
    return atom_document(_feed(site, pages, show, title, self_url))


def render_edition_json(
    site: Site, kind: EditionKind, pages: tuple[Page, ...], show: Show, title: str
) -> bytes:
    self_url = site.config.site.base_url + routes.edition_feed(kind, "json")
    return json_document(_feed(site, pages, show, title, self_url))


def _feed(site: Site, pages: tuple[Page, ...], show: Show, title: str, url: str) -> Feed:
    """The editions of `pages` as a feed whose id is its own URL; an edition's dates are all
    when it closed."""
    cfg = site.config.site
    base = cfg.base_url
    items = []
    for page in pages:
        view = page.edition
        assert view is not None
        heading, html = show(page)
        closed = view.edition.closed_at
        items.append(
            FeedItem(
                id=edition_id(base, view),
                title=heading,
                link=routes.absolute(base, page.path),
                content_html=html,
                date=closed,
                published=closed,
                modified=closed,
            )
        )
    return Feed(url, title, url, base + routes.EDITIONS, cfg.title, cfg.language, tuple(items))
