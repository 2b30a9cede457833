"""Stage 6, render: the `Site` model + a theme -> `OutputFile`s (HTML pages, atom.xml, static).

Reads theme files; writes nothing. Jinja runs with autoescape and StrictUndefined, and feed text
only ever enters templates as data, never as template source. Links inside pages are relative
(the site works from file:// and under any sub-path); atom.xml uses absolute URLs from base_url.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from digest import __version__
from digest.errors import ThemeError
from digest.models import POSTS_SOURCE, Entry, OutputFile, Page, Site

_PACKAGE = Path(__file__).resolve().parent
# Inside a wheel the theme is packaged as digest/themes/default; in a source checkout
# (editable install, tests) it is the top-level themes/default.
BUILTIN_THEME = next(
    (
        p
        for p in (_PACKAGE / "themes" / "default", _PACKAGE.parent / "themes" / "default")
        if p.is_dir()
    ),
    _PACKAGE / "themes" / "default",
)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# XML 1.0 forbids these even escaped; a feed that carries them must not break atom.xml.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_site(site: Site, theme: Path = BUILTIN_THEME) -> tuple[OutputFile, ...]:
    env = make_environment(theme)
    # Each entry shows on ~5 pages (home, day, tags, source): its HTML is rendered once and
    # reused, which works because links in it are written root-relative (see `_ROOT`).
    entry_cache: dict[tuple[str, str], Markup] = {}
    files = [render_page(env, site, page, entry_cache) for page in site.pages]
    files.append(OutputFile("atom.xml", render_atom(site)))
    files.append(OutputFile("feeds.json", render_health_json(site)))
    static = theme / "static"
    if static.is_dir():
        for path in sorted(p for p in static.rglob("*") if p.is_file()):
            files.append(
                OutputFile("static/" + path.relative_to(static).as_posix(), path.read_bytes())
            )
    return tuple(files)


def make_environment(theme: Path) -> jinja2.Environment:
    templates = theme / "templates"
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(templates),
                # `{% extends "default/base.html" %}` reaches the built-in original.
                jinja2.PrefixLoader(
                    {"default": jinja2.FileSystemLoader(BUILTIN_THEME / "templates")}
                ),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


# Templates write site links as _ROOT + path; each finished page replaces _ROOT with the
# "../" its depth needs. A NUL never comes from a feed: the parser strips control characters
# from text and the HTML sanitiser turns NUL into U+FFFD.
_ROOT = "\x00/"


def render_page(
    env: jinja2.Environment,
    site: Site,
    page: Page,
    entry_cache: dict[tuple[str, str], Markup] | None = None,
) -> OutputFile:
    tz = ZoneInfo(site.config.site.timezone)
    cache = {} if entry_cache is None else entry_cache

    def url_for(target: str) -> str:
        return _ROOT + target

    def entry_url(entry: Entry) -> str:
        if entry.slug is not None:
            return url_for(f"posts/{entry.slug}/index.html")
        return entry.link or ""

    def local(moment: datetime) -> datetime:
        return moment.astimezone(tz)

    def format_date(moment: datetime | date, style: str = "date") -> str:
        """English for now; 'date' -> '21 March 2026', 'time' -> '21:30', 'iso' -> RFC 3339."""
        if isinstance(moment, datetime):
            moment = local(moment)
            if style == "time":
                return f"{moment:%H:%M}"
            if style == "iso":
                return moment.isoformat()
        if style == "iso":
            return moment.isoformat()
        return f"{moment.day} {moment:%B %Y}"

    def render_entry(entry: Entry) -> Markup:
        """entry.html for one entry; it sees the helpers and `entry`, not `page`."""
        key = (entry.source, entry.id)
        html = cache.get(key)
        if html is None:
            html = Markup(env.get_template("entry.html").render({**helpers, "entry": entry}))
            cache[key] = html
        return html

    helpers: dict[str, object] = {
        "site": site.config.site,
        "sources": site.sources,
        "tags": site.tags,
        "health": site.health,
        "url_for": url_for,
        "entry_url": entry_url,
        "local": local,
        "format_date": format_date,
        "tags_of": site.tags_of,
        "source_of": site.source_of,
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


def render_atom(site: Site) -> bytes:
    """The site feed: the newest `feed_entries` entries, absolute URLs throughout."""
    cfg = site.config.site
    base = cfg.base_url
    entries = site.entries[: cfg.feed_entries]
    updated = max((_entry_updated(e) for e in entries), default=datetime.fromtimestamp(0, UTC))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>{_x(base)}</id>",
        f"  <title>{_x(cfg.title)}</title>",
        f"  <updated>{_time(updated)}</updated>",
        f'  <link rel="self" type="application/atom+xml" href={_a(base + "atom.xml")}/>',
        f'  <link rel="alternate" type="text/html" href={_a(base)}/>',
        f"  <author><name>{_x(cfg.title)}</name></author>",
        f'  <generator version="{__version__}">digest</generator>',
    ]
    for entry in entries:
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
