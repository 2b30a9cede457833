"""Stage 6, render: the `Site` model + a theme -> `OutputFile`s (HTML pages, atom.xml, static).

Reads theme files; writes nothing. Jinja runs with autoescape and StrictUndefined, and feed text
only ever enters templates as data, never as template source. Links inside pages are relative
(the site works from file:// and under any sub-path); atom.xml uses absolute URLs from base_url.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

import jinja2
from markupsafe import Markup

from digest import __version__
from digest.errors import ThemeError
from digest.models import POSTS_SOURCE, Entry, OutputFile, Page, Site
from digest.parse import html_to_text
from digest.theme import (
    Theme,
    date_formatter,
    load_strings,
    load_theme,
    make_environment,
    translator,
)

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# XML 1.0 forbids these even escaped; a feed that carries them must not break atom.xml.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEADING = re.compile(r"<(/?)h([1-6])\b")
SUMMARY_CHARS = 400


def render_site(site: Site, theme: Theme | None = None) -> tuple[OutputFile, ...]:
    cfg = site.config
    theme = theme or load_theme(cfg.themes_dir, cfg.site.theme)
    env = make_environment(theme)
    strings = load_strings(theme, cfg.site.language)
    # Each entry shows on ~5 pages (home, day, tags, source): its HTML is rendered once and
    # reused, which works because links in it are written root-relative (see `_ROOT`).
    entry_cache: dict[tuple[str, str], Markup] = {}
    files = [render_page(env, site, page, strings, entry_cache) for page in site.pages]
    files.append(OutputFile("atom.xml", render_atom(site)))
    for tag in site.tags:
        feed = render_atom(site, tag.entries, f"tags/{tag.slug}/", f"{cfg.site.title}: {tag.name}")
        files.append(OutputFile(f"tags/{tag.slug}/atom.xml", feed))
    files.append(OutputFile("feeds.json", render_health_json(site)))
    for name, path in theme.files("static").items():
        files.append(OutputFile(f"static/{name}", path.read_bytes()))
    return tuple(files)


# Templates write site links as _ROOT + path; each finished page replaces _ROOT with the
# "../" its depth needs. A NUL never comes from a feed: the parser strips control characters
# from text and the HTML sanitiser turns NUL into U+FFFD.
_ROOT = "\x00/"


def content_html(entry: Entry, top: int) -> Markup:
    """An entry's (sanitised) HTML for display: its headings moved down so the highest is
    `top` (a post's own <h1> must not outrank the page's), and a trailing link to the
    comments page dropped when the template shows one anyway."""
    html = entry.content_html
    levels = [int(m.group(2)) for m in _HEADING.finditer(html) if not m.group(1)]
    if levels:
        shift = top - min(levels)
        html = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift, 6)}", html)
    if entry.comments:
        tail = re.search(r'\s*<p>\s*<a href="([^"]*)"[^>]*>[^<]*</a>\s*</p>\s*$', html)
        if tail and tail.group(1).replace("&amp;", "&") == entry.comments:
            html = html[: tail.start()]
    return Markup(html)


def summary_text(entry: Entry) -> str:
    """The first SUMMARY_CHARS characters of an entry's text, cut at a word."""
    text = html_to_text(entry.content_html)
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

    def url_for(target: str) -> str:
        return _ROOT + target

    def entry_url(entry: Entry) -> str:
        if entry.slug is not None:
            return url_for(f"posts/{entry.slug}/index.html")
        return entry.link or ""

    def render_entry(entry: Entry) -> Markup:
        """entry.html for one entry; it sees the helpers and `entry`, not `page`."""
        key = (entry.source, entry.id)
        html = cache.get(key)
        if html is None:
            html = Markup(env.get_template("entry.html").render({**helpers, "entry": entry}))
            cache[key] = html
        return html

    helpers: dict[str, object] = {
        "site": cfg,
        "sources": site.sources,
        "tags": site.tags,
        "months": site.months,
        "health": site.health,
        "url_for": url_for,
        "entry_url": entry_url,
        "format_date": date_formatter(cfg.language, cfg.timezone),
        "t": translator(strings if strings is not None else {}),
        "tags_of": site.tags_of,
        "source_of": site.source_of,
        "content_html": content_html,
        "summary_text": summary_text,
        "POSTS_SOURCE": POSTS_SOURCE,
        "render_entry": render_entry,
    }
    try:
        html = env.get_template(page.template).render({**helpers, "page": page})
    except jinja2.TemplateSyntaxError as e:
        raise ThemeError(
            f"{e.filename or e.name}:{e.lineno}: template syntax error: {e.message}"
        ) from e
    except jinja2.TemplateError as e:
        raise ThemeError(f"{_template_location(e)}: {e} (rendering {page.path})") from e
    html = html.replace(_ROOT, "../" * page.path.count("/"))
    return OutputFile(page.path, html.encode("utf-8"))


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


def render_health_json(site: Site) -> bytes:
    """feeds.json: the feed health report, machine-readable (fields in the README)."""

    def when(moment: datetime | None) -> str | None:
        return _time(moment) if moment else None

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
    data = {"version": 1, "feeds": feeds}
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# --- Atom (RFC 4287) ----------------------------------------------------------------------


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
    chosen = (site.entries if entries is None else entries)[: cfg.feed_entries]
    updated = max((_entry_updated(e) for e in chosen), default=datetime.fromtimestamp(0, UTC))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={_a(cfg.language)}>',
        f"  <id>{_x(base + path)}</id>",
        f"  <title>{_x(title or cfg.title)}</title>",
        f"  <updated>{_time(updated)}</updated>",
        f'  <link rel="self" type="application/atom+xml" href={_a(base + path + "atom.xml")}/>',
        f'  <link rel="alternate" type="text/html" href={_a(base + path)}/>',
        f"  <author><name>{_x(cfg.title)}</name></author>",
        f'  <generator version="{__version__}">digest</generator>',
    ]
    for entry in chosen:
        lines += _atom_entry(site, entry)
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _atom_entry(site: Site, entry: Entry) -> list[str]:
    base = site.config.site.base_url
    source = site.source_of(entry)
    page_url = base + f"posts/{entry.slug}/" if entry.slug else None
    link = entry.link or page_url or base
    lines = [
        "  <entry>",
        f"    <id>{_x(_atom_id(entry, base, page_url))}</id>",
        f"    <title>{_x(entry.title)}</title>",
        f'    <link rel="alternate" type="text/html" href={_a(link)}/>',
    ]
    if entry.comments:
        lines.append(f'    <link rel="replies" type="text/html" href={_a(entry.comments)}/>')
    if entry.published:
        lines.append(f"    <published>{_time(entry.published)}</published>")
    lines.append(f"    <updated>{_time(_entry_updated(entry))}</updated>")
    lines.append(f"    <author><name>{_x(entry.author or source.name)}</name></author>")
    for tag in site.tags_of(entry):
        lines.append(
            f"    <category term={_a(tag.slug)} label={_a(tag.name)} scheme={_a(base + 'tags/')}/>"
        )
    lang = f" xml:lang={_a(entry.language)}" if entry.language else ""
    lines.append(f'    <content type="html"{lang}>{_x(entry.content_html)}</content>')
    if entry.source != POSTS_SOURCE:
        # RFC 4287 §4.2.11: keep the original feed's identity with the entry.
        source_page = base + f"sources/{source.slug}/"
        lines += [
            "    <source>",
            f"      <id>{_x(source.url or source_page)}</id>",
            f"      <title>{_x(source.name)}</title>",
            f'      <link rel="alternate" type="text/html" href={_a(source.link or source_page)}/>',
        ]
        if source.url:
            lines.append(f'      <link rel="self" href={_a(source.url)}/>')
        lines.append("    </source>")
    lines.append("  </entry>")
    return lines


def _atom_id(entry: Entry, base: str, page_url: str | None) -> str:
    """Keep the original id when it is an absolute IRI (RFC 4287 §4.2.6); else mint a stable one."""
    if page_url:
        return page_url
    if _SCHEME.match(entry.id) and " " not in entry.id:
        return entry.id
    host = urlsplit(base).hostname or "localhost"
    digest = hashlib.sha1(f"{entry.source}\n{entry.id}".encode()).hexdigest()
    return f"tag:{host},{entry.first_seen:%Y-%m-%d}:{entry.source}/{digest}"


def _entry_updated(entry: Entry) -> datetime:
    return entry.updated or entry.date


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _x(text: str) -> str:
    return escape(_XML_ILLEGAL.sub("", text))


def _a(text: str) -> str:
    return quoteattr(_XML_ILLEGAL.sub("", text))
