"""Where everything lives in `output/`: the site's URL scheme, in one place. Pure.

A *folder* is a path relative to `output/` that ends in "/" ("" is the site's root), e.g.
`tags/ai/`; its page is `index.html` inside it. Pages link to each other relatively (render
turns these paths into "../" links); feeds and the sitemap use `absolute`, built on
`[site] base_url`. Themes hard-code the fixed names (`atom.xml`, `tags/index.html`, ...), so
a change here is a change to the template contract too.
"""

from __future__ import annotations

import hashlib
from datetime import date

INDEX = "index.html"

HOME = ""
ARCHIVE = "archive/"
TAGS = "tags/"
SOURCES = "sources/"
HEALTH = "feeds/"  # the feed health report
NOT_FOUND = "404.html"
EDITIONS = "editions/"  # the editions index; each edition under editions/<kind>/<key>/
SEARCH = "search/"  # the search page ([search] enabled)

SITE_FEED = "atom.xml"
JSON_FEED = "feed.json"
HEALTH_JSON = "feeds.json"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
OPML = "opml.xml"


def page(folder: str) -> str:
    """The HTML file of a folder: `tags/ai/` -> `tags/ai/index.html`."""
    return folder + INDEX


def listing(folder: str, number: int) -> str:
    """Page `number` of a paginated listing: 0 is the folder's own page (the newest entries),
    then `page/1/index.html` (the oldest), `page/2/index.html`, ... Numbers count from the
    oldest, so a page keeps its entries, and its URL, when new ones arrive."""
    return page(folder) if number == 0 else page(f"{folder}page/{number}/")


def feed(folder: str) -> str:
    """The Atom feed of a folder's listing: `tags/ai/atom.xml` (`atom.xml` for the site)."""
    return folder + SITE_FEED


def tag(slug: str) -> str:
    return f"{TAGS}{slug}/"


def source(slug: str) -> str:
    return f"{SOURCES}{slug}/"


def post(slug: str) -> str:
    """A hand-written post's folder."""
    return f"posts/{slug}/"


def day(when: date) -> str:
    return f"{when:%Y/%m/%d}/"


def month(when: date) -> str:
    return f"{when:%Y/%m}/"


def edition(kind: str, key: str) -> str:
    """An edition's folder: `editions/daily/2026-11-24/`, `editions/weekly/2026-W48/`."""
    return f"{EDITIONS}{kind}/{key}/"


def edition_feed(kind: str, extension: str) -> str:
    """The feed of one kind of edition: `editions/daily.xml`, `editions/weekly.json`."""
    return f"{EDITIONS}{kind}.{extension}"


def year(when: date) -> str:
    return f"{when:%Y}/"


def entry_anchor(source: str, entry_id: str) -> str:
    """The id of an entry's <article> on the pages that list it, for links to its day page.
    Hex after "entry-", so it never equals an id inside entry HTML ("e<hex>-...")."""
    digest = hashlib.sha1(f"{source}\n{entry_id}".encode("utf-8", "surrogatepass")).hexdigest()
    return "entry-" + digest[:12]


def absolute(base_url: str, path: str) -> str:
    """The public URL of an output path; a folder's `index.html` is its folder's URL."""
    if path == INDEX or path.endswith("/" + INDEX):
        path = path[: -len(INDEX)]
    return base_url + path
