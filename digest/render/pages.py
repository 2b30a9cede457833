"""Stage 7, render: the `Site` model + a theme -> `OutputFile`s (HTML pages, atom.xml, static).

Reads theme files; writes nothing. Jinja runs with autoescape and StrictUndefined, and feed text
only ever enters templates as data, never as template source. Links inside pages are relative
(the site works from file:// and under any sub-path); atom.xml uses absolute URLs from base_url.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from digest import __version__, routes
from digest.editions import edition_excerpt, reading_time
from digest.errors import ThemeError
from digest.models import POSTS_SOURCE, EditionKind, Entry, OutputFile, Page, Site, SiteConfig
from digest.render.edition_feeds import edition_feed_files
from digest.render.keys import Keys
from digest.render.syndication import feed_files
from digest.render.theme import (
    Theme,
    ThemeHashes,
    date_formatter,
    load_strings,
    load_theme,
    make_environment,
    plural_translator,
    theme_hashes,
    translator,
)
from digest.render.workers import can_fork, map_in_order
from digest.sanitize import sanitised_text

SEARCH_SCRIPT = "search.js"  # the theme's static file that runs the search page
_HEADING = re.compile(r"<(/?)h([1-6])\b")
SUMMARY_CHARS = 400
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Planned:
    """One file of the site before it is made: its key (a hash of exactly what it shows, see
    `keys`) and how to make it: a page of `site.pages` by index, or `make`."""

    path: str
    key: str
    page: int | None = None
    make: Callable[[], bytes] | None = None


def plan_site(site: Site, theme: Theme, hashed: ThemeHashes | None = None) -> tuple[Planned, ...]:
    """Every file the site holds, in a fixed order, each with its key. Hashes values only: no
    template is rendered, so a build that changes a few pages costs little more than this.
    `hashed`: the theme's files (`theme_hashes`), when the build has read them already."""
    hashed = theme_hashes(theme) if hashed is None else hashed
    keys = Keys(site, make_environment(theme), _base_key(site, hashed), PURE)
    plan = [Planned(page.path, keys.page(page), page=n) for n, page in enumerate(site.pages)]
    plan += [Planned(f.path, keys.file(f.path, f.inputs), make=f.make) for f in feed_files(site)]
    show, title = _edition_text(site, theme)
    feeds = edition_feed_files(site, show, title)
    plan += [Planned(f.path, keys.file(f.path, f.inputs), make=f.make) for f in feeds]
    for name, path in theme.files("static").items():
        if name == SEARCH_SCRIPT and not site.config.search.enabled:
            continue  # no search, no search files
        data = path.read_bytes()
        plan.append(Planned(f"static/{name}", keys.file(name, (data,)), make=path.read_bytes))
    return tuple(plan)


def render_site(
    site: Site,
    theme: Theme | None = None,
    plan: tuple[Planned, ...] | None = None,
    workers: int = 1,
) -> Iterator[OutputFile]:
    """Make the planned files (all of the site's by default), one by one and in plan order:
    the caller writes each before the next is made, so the site is never whole in memory.
    With `workers` > 1 and more than PARALLEL_PAGES pages, pages render in worker processes."""
    theme = theme or load_theme(site.config.themes_dir, site.config.site.theme)
    plan = plan_site(site, theme) if plan is None else plan
    env = make_environment(theme)
    strings = load_strings(theme, site.config.site.language)
    # An entry shown on several pages (its day page, the front pages of its listings) is
    # rendered once and reused, which works because links in it are written root-relative
    # (see `_ROOT`); the newest ENTRY_CACHE only (see `_Context.render_entry`).
    entry_cache: dict[tuple[str, str], Markup] = {}

    def render(n: int) -> OutputFile:
        return render_page(env, site, site.pages[n], strings, entry_cache)

    pages = [p.page for p in plan if p.page is not None]
    if workers > 1 and len(pages) > PARALLEL_PAGES and can_fork():
        # Forked workers start with this environment, its templates compiled, and the site.
        weights = [1 + sum(len(g.entries) for g in site.pages[n].days) for n in pages]
        rendered = map_in_order(render, pages, workers, weights)
    else:
        rendered = map(render, pages)
    for planned in plan:
        if planned.make is not None:
            yield OutputFile(planned.path, planned.make())
        else:
            yield next(rendered)


# Fewer pages than this render in this process: starting workers costs more than it saves.
PARALLEL_PAGES = 200
# Rendered entries kept for reuse. Pages render in plan order (home, days, months, tags,
# sources), so an entry's repeats are near each other or on pages with excerpts; keeping
# every entry ever rendered would hold the whole site's HTML (about 1 GB at 100,000 entries)
# in each render process. Most renders are whole posts for their day page, never reused: at
# 2,000 each of the bench's two render workers held 25 MB more, and a cold 10k build took
# no less time.
ENTRY_CACHE = 300


def _edition_text(
    site: Site, theme: Theme
) -> tuple[Callable[[Page], tuple[str, str]], Callable[[EditionKind], str]]:
    """An edition's title and body for its feed entry, from the theme's own templates (as on
    its page), with absolute links; and a feed's title. The theme is read on first use."""
    loaded: list[tuple[jinja2.Environment, dict[str, str]]] = []

    def setup() -> tuple[jinja2.Environment, dict[str, str]]:
        if not loaded:
            loaded.append((make_environment(theme), load_strings(theme, site.config.site.language)))
        return loaded[0]

    def show(page: Page) -> tuple[str, str]:
        env, strings = setup()
        helpers = _helpers(env, site, page, strings, {})
        assert page.edition is not None
        try:
            macros = env.get_template("edition_macros.html").make_module(helpers)
            heading = Markup(macros.edition_title(page.edition.link)).striptags()  # type: ignore[attr-defined]
            context = {**helpers, "page": page, "edition": page.edition, "absolute": True}
            html = env.get_template("edition_body.html").render(context)
        except jinja2.TemplateError as e:
            raise ThemeError(f"{_template_location(e)}: {e} (the feed entry of {page.path})") from e
        return heading, html.replace(_ROOT, site.config.site.base_url).strip()

    def title(kind: EditionKind) -> str:
        strings = setup()[1]
        return f"{site.config.site.title}: {translator(strings)(f'editions_feed_{kind}')}"

    return show, title


# Every file of a theme as (label, sha256 of its bytes); see `theme_hashes`.
def _base_key(site: Site, theme: ThemeHashes) -> str:
    """What every file's key holds: digest's version, the [site] settings, the theme's files."""
    # [search] is in too: with it on, every page has the search box (and another CSP). Not
    # max_output: what it changes is which posts are abridged, in their entries' keys.
    shown = replace(site.config.site, max_output=0)
    settings = f"{__version__}\n{shown!r}\n{site.config.search!r}"
    digest = hashlib.blake2b(settings.encode(), digest_size=16)
    for label, hashed in theme:
        digest.update(label.encode() + b"\0" + hashed)
    return digest.hexdigest()


# Templates write site links as _ROOT + path; each finished page replaces _ROOT with the
# "../" its depth needs. A NUL never comes from a feed: the parser strips control characters
# from text and the HTML sanitiser turns NUL into U+FFFD.
_ROOT = "\x00/"


def content_html(entry: Entry, top: int) -> Markup:
    """An entry's (sanitised) HTML for display, its article taken from its page when it has
    one (`full_text`), else the feed's: its headings moved down so the highest is `top` (a
    post's own <h1> must not outrank the page's), and a trailing link to the comments page
    dropped when the template shows one anyway."""
    article = entry.full_text.html if entry.full_text is not None else ""
    html = article or entry.content_html
    levels = [int(m.group(2)) for m in _HEADING.finditer(html) if not m.group(1)]
    if levels:
        shift = top - min(levels)
        html = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift, 6)}", html)
    if entry.comments:
        tail = re.search(r'\s*<p>\s*<a href="([^"]*)"[^>]*>[^<]*</a>\s*</p>\s*$', html)
        if tail and tail.group(1).replace("&amp;", "&") == entry.comments:
            html = html[: tail.start()]
    return Markup(html)


def entry_anchor(entry: Entry) -> str:
    """The id of the entry's <article>: day pages are linked to at it."""
    return routes.entry_anchor(entry.source, entry.id)


def summary_text(entry: Entry) -> str:
    """The first SUMMARY_CHARS characters of an entry's text, cut at a word (it is text, so
    never inside a tag or an entity). Only the start of a long body is read."""
    body = entry.content_html
    head = body[: SUMMARY_CHARS * 16]
    text = sanitised_text(head)  # its start reads the same: nh3 would parse the whole body
    if len(head) < len(body) and len(text) <= SUMMARY_CHARS + 40:
        text = sanitised_text(body)  # mostly markup up front: read it all
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def render_page(
    env: jinja2.Environment,
    site: Site,
    page: Page,
    strings: dict[str, str] | None = None,
    entry_cache: dict[tuple[str, str], Markup] | None = None,
) -> OutputFile:
    """Render one page; `entry_cache` carries rendered entries from page to page."""
    cfg = site.config.site
    cache = {} if entry_cache is None else entry_cache
    if page.entry is not None:  # a post's page: post.html reads its body (the rest: helpers)
        page = replace(page, entry=site.whole(page.entry))
    helpers = _helpers(env, site, page, strings, cache)
    try:
        html = env.get_template(page.template).render({**helpers, "page": page})
    except jinja2.TemplateSyntaxError as e:
        raise ThemeError(
            f"{e.filename or e.name}:{e.lineno}: template syntax error: {e.message}"
        ) from e
    except jinja2.TemplateError as e:
        raise ThemeError(f"{_template_location(e)}: {e} (rendering {page.path})") from e
    # 404.html is served for any missing URL, at any depth: its links are absolute paths.
    notfound = page.kind == "notfound"
    root = urlsplit(cfg.base_url).path if notfound else "../" * page.path.count("/")
    html = html.replace(_ROOT, root)
    return OutputFile(page.path, html.encode("utf-8"))


def _helpers(
    env: jinja2.Environment,
    site: Site,
    page: Page,
    strings: dict[str, str] | None,
    cache: dict[tuple[str, str], Markup],
) -> dict[str, object]:
    """What every template sees besides `page`: each of `HELPERS`, made for this page."""
    tz = ZoneInfo(site.config.site.timezone)
    context = _Context(env, site, page, {} if strings is None else strings, cache, tz)
    context.helpers.update({name: make(context) for name, (make, _) in HELPERS.items()})
    return context.helpers


def url_for(target: str) -> str:
    """A link to a page of the site (its path in `output/`), from the page it is on."""
    return _ROOT + target


def entry_url(entry: Entry) -> str:
    """The entry's own page: a hand-written post's, on this site; else its link."""
    if entry.slug is not None:
        return url_for(routes.page(routes.post(entry.slug)))
    return entry.link or ""


@dataclass(frozen=True, slots=True)
class _Context:
    """What one page's helpers are made from, and the two that need more than the site."""

    env: jinja2.Environment
    site: Site
    page: Page
    strings: dict[str, str]
    cache: dict[tuple[str, str], Markup]  # rendered entries, kept from page to page
    tz: ZoneInfo
    helpers: dict[str, object] = field(default_factory=dict)  # the page's, once made

    @property
    def cfg(self) -> SiteConfig:
        return self.site.config.site

    def entry_page_url(self, entry: Entry) -> str:
        """Where the entry is shown in full on this site: its day page, at its anchor (a
        hand-written post: its own page; a merged copy: the entry shown in its place)."""
        entry = self.site.kept_of(entry) or entry
        if entry.slug is not None:
            return url_for(routes.page(routes.post(entry.slug)))
        day = entry.date.astimezone(self.tz).date()
        return url_for(routes.page(routes.day(day))) + "#" + entry_anchor(entry)

    def render_entry(self, entry: Entry) -> Markup:
        """entry.html for one entry; it sees the helpers, `entry` and `full` (whether this
        page shows entries in full), not `page`."""
        # A feed's own full_content flips the page's choice for its entries (`flipped`).
        full = self.page.full != (entry.source in self.page.flipped)
        # Full and excerpt are cached apart; ":" never occurs in a source slug.
        key = (entry.source if full else f"excerpt:{entry.source}", entry.id)
        html = self.cache.get(key)
        if html is None:
            context = {**self.helpers, "entry": self.site.whole(entry), "full": full}
            html = Markup(self.env.get_template("entry.html").render(context))
            self.cache[key] = html
            if len(self.cache) > ENTRY_CACHE:
                del self.cache[next(iter(self.cache))]  # the first in: dicts keep their order
        return html


# What every template sees besides `page` (the template contract, docs/themes.md): name ->
# (how it is made for a page, whether it is pure). Pure: it shows nothing beyond the page's
# own values, the config and the theme, which every page's key holds. A template that names
# a helper that is not makes its pages' keys hold that site-wide value (`keys`: tags,
# sources, months, health), or, for any other, the whole site.
HELPERS: dict[str, tuple[Callable[[_Context], object], bool]] = {
    "site": (lambda c: c.cfg, True),
    "search": (lambda c: c.site.config.search, True),  # [search]: in the base key
    "sources": (lambda c: c.site.sources, False),
    "tags": (lambda c: c.site.tags, False),
    "months": (lambda c: c.site.months, False),
    "health": (lambda c: c.site.health, False),
    "url_for": (lambda c: url_for, True),
    "entry_url": (lambda c: entry_url, True),
    "entry_page_url": (lambda c: c.entry_page_url, True),
    "entry_anchor": (lambda c: entry_anchor, True),
    "format_date": (lambda c: date_formatter(c.cfg.language, c.cfg.timezone), True),
    "t": (lambda c: translator(c.strings), True),
    "plural": (lambda c: plural_translator(c.strings, c.cfg.language), True),
    "tags_of": (lambda c: c.site.tags_of, True),
    "source_of": (lambda c: c.site.source_of, True),
    "also_in_of": (lambda c: c.site.also_in_of, True),  # in the entry's key (Keys._shared)
    "kept_of": (lambda c: c.site.kept_of, True),  # in the merged copy's key (the same)
    "abridged": (lambda c: c.site.is_abridged, True),  # in the entry's key (the same)
    "content_html": (lambda c: _bodied(c.site, content_html), True),
    "summary_text": (lambda c: _bodied(c.site, summary_text), True),
    "POSTS_SOURCE": (lambda c: POSTS_SOURCE, True),
    "render_entry": (lambda c: c.render_entry, True),
    "edition_excerpt": (lambda c: _bodied(c.site, edition_excerpt), True),
    "reading_time": (lambda c: _bodied(c.site, reading_time, many=True), True),
}
# The names a page's key may leave out: the pure helpers, `page` (in the key itself) and
# `full`, which render_entry hands entry.html (`page.full`, turned round for some feeds).
PURE = frozenset({"page", "full", *(name for name, (_, pure) in HELPERS.items() if pure)})


def _bodied(site: Site, helper: Callable[..., T], many: bool = False) -> Callable[..., T]:
    """A helper that reads an entry's body (`many`: entries'), given them with their bodies
    (`Site.whole`): a site planned from the entry index holds none."""
    if many:
        return lambda entries, *args: helper(tuple(map(site.whole, entries)), *args)
    return lambda entry, *args: helper(site.whole(entry), *args)


def _template_location(error: Exception) -> str:
    """The template file and line an error came from, read off the traceback."""
    tb = error.__traceback__
    where = "template"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml")):
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where
