"""Part of stage 7, render: what each output file shows, as a key (a hash of values), so that a
build renders only the files whose key changed. Pure: values in, strings out; no Jinja runs.

A page's key covers its template and every template that one reaches (`extends`, `include`,
`entry.html` through `render_entry`), the `Page` value itself (every field, so a field added
later counts too), and the site-wide values (`tags`, `sources`, `months`, `health`) only when
one of those templates names them: a new entry changes the tag index's counts, not every page.
Any other name a template looks up must be pure, showing nothing beyond the page, the config
and the theme: render's registry of template helpers (`render.HELPERS`) says which are, and a
template that names one that is not, or a name nobody registered, makes its pages depend on
the whole site. An entry counts with the source and tag names it is shown with (and whether
each tag has a page), its copies from other feeds, and, for a merged copy on its source's
pages, the entry shown in its place. The theme's files, the `[site]` settings and digest's
version are in every key (`base`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import date

import jinja2
from jinja2 import meta, nodes

from digest.models import Entry, Page, Site, Source, Tag, entry_hash

log = logging.getLogger(__name__)

# The site-wide values, each in a page's key only when its templates name it.
_SITE_WIDE = ("tags", "sources", "months", "health")
# render_entry renders this template (render.render_page), so a page that calls it reads it.
_ENTRY_TEMPLATE = "entry.html"


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, looked up once
_LONG = 16  # tuples longer than this are hashed once per build (see Keys._tuples)
# A numbered listing page's, keyed by what it shows of them (`Keys._shown`).
_LISTED = frozenset({"tag", "source", "pagination"})
# The most common values, each by its repr, before any other lookup.
_LEAVES = frozenset({str, int, bool, type(None), date})


def _hash(parts: Iterable[str]) -> str:
    # Each part ends with a NUL: one encode and one update for all of them.
    text = "".join(f"{part}\x00" for part in parts)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class Keys:
    """Keys of one build's files. Entries, tags and sources are hashed once each and
    remembered by identity (the site holds them for the whole build)."""

    def __init__(
        self, site: Site, env: jinja2.Environment, base: str, pure: frozenset[str]
    ) -> None:
        self._site = site
        self._env = env
        self.base = base
        self._pure = pure  # render.PURE: the names templates see that show nothing else
        self._memo: dict[int, str] = {}
        # Long tuples by id, each held here so its id cannot be reused while this lives: a
        # listing's Pagination.paths (one tuple, on each of its pages) would otherwise be
        # hashed once per page, quadratic in the pages of a listing (5,000 at 100k entries).
        self._tuples: dict[int, tuple[tuple[object, ...], str]] = {}
        self._templates: dict[str, str] = {}

    def page(self, page: Page) -> str:
        return _hash(("page", self.base, self._template(page.template), self._shown(page)))

    def _shown(self, page: Page) -> str:
        """The page's value as far as its key goes. A numbered page of a listing shows its own
        entries (`days`) under the listing's name, and a pager: links to the front page, to
        page 1, and to the pages in its window (`Pagination.window`: its neighbours, and one
        newer page at most). The listing's other entries, its count of entries and of pages
        belong to its front page. Keying numbered pages on the whole listing would render
        each again for every new entry, and every page of it each time a page fills, though
        none reads differently (stable pagination); a theme that shows those counts on
        numbered pages is not supported."""
        pager = page.pagination
        if pager is None or pager.number == 0:
            return self.value(page)
        named = [repr((t.slug, t.name)) for t in (page.tag,) if t is not None]
        named += [repr((s.slug, s.name, s.url, s.link)) for s in (page.source,) if s is not None]
        window = tuple(pager.paths[n - 1] for n in pager.window() if n is not None)
        top = min(pager.number + 1, pager.count)  # the newest page it can link to
        named.append(repr((pager.number, top, pager.front, pager.paths[0], window)))
        # The page's fields as they would hash with none of those, then what it shows of them.
        parts: list[str] = []
        self._emit_fields(page, parts, _LISTED)
        return _hash([*parts, *named])

    def file(self, path: str, inputs: tuple[object, ...]) -> str:
        """A file other than a page: the values it is made from."""
        return _hash(("file", self.base, path, self.value(inputs)))

    def value(self, value: object) -> str:
        """A stable hash of a value (never `hash()`, which changes from process to process)."""
        kind = type(value)
        if kind in _LEAVES:
            return repr(value)  # the most common leaves, alone
        parts: list[str] = []
        self._emit(value, parts)
        return parts[0] if len(parts) == 1 else _hash(parts)

    def _emit(self, value: object, parts: list[str], unset: frozenset[str] = frozenset()) -> None:
        """Append a value's parts to `parts`: leaves by their repr, a dataclass's fields (those
        in `unset` as if None) and a short tuple's items between brackets, and entries, tags,
        sources and long tuples by their own hash, made once. One hash for a whole page then,
        not one for each group of days and each tuple in it."""
        kind = type(value)
        if kind in _LEAVES:
            parts.append(repr(value))
        elif kind is Entry or kind is Tag or kind is Source:
            known = self._memo.get(id(value))
            if known is None:
                known = self._memo[id(value)] = self._shared(value)
            parts.append(known)
        elif kind is tuple and len(value) > _LONG:  # type: ignore[arg-type]
            held = self._tuples.get(id(value))
            if held is None:
                items: list[str] = ["seq"]
                for item in value:  # type: ignore[attr-defined]
                    self._emit(item, items)
                held = self._tuples[id(value)] = (value, _hash(items))  # type: ignore[assignment]
            parts.append(held[1])  # type: ignore[index]
        elif kind is tuple or kind is list:
            parts.append("(")
            for item in value:  # type: ignore[attr-defined]
                self._emit(item, parts)
            parts.append(")")
        elif kind is bytes:
            parts.append(hashlib.blake2b(value, digest_size=16).hexdigest())  # type: ignore[arg-type]
        else:
            self._emit_fields(value, parts, unset)

    def _emit_fields(
        self, value: object, parts: list[str], unset: frozenset[str] = frozenset()
    ) -> None:
        """A dataclass by its fields (those in `unset` as if None); anything else by its repr."""
        kind = type(value)
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = (
                tuple(f.name for f in fields(value)) if is_dataclass(kind) else ()  # type: ignore[arg-type]
            )
        if not names:
            parts.append(repr(value))
            return
        parts.append(f"{kind.__name__}(")
        for name in names:
            self._emit(None if name in unset else getattr(value, name), parts)
        parts.append(")")

    def _fields(self, value: object) -> str:
        """A dataclass by its fields, hashed; anything else by its repr."""
        parts: list[str] = []
        self._emit_fields(value, parts)
        return _hash(parts)

    def _shared(self, value: object) -> str:
        """An entry, tag or source: values many pages share, hashed once each."""
        if isinstance(value, Entry):
            # An entry is shown with its source's and tags' names (entry.html, atom:source).
            source = self._site.source_index.get(value.source)
            shown_with = [repr((t.slug, t.name, t.listed)) for t in self._site.tags_of(value)]
            if source is not None:
                shown_with.append(repr((source.slug, source.name, source.url, source.link)))
            # ...and with its copies from other feeds ("also in"), by their feed and link.
            for copy in self._site.also_in_of(value):
                copy_source = self._site.source_index.get(copy.source)
                name = copy_source.name if copy_source is not None else copy.source
                shown_with.append(repr(("also_in", copy.source, name, copy.link)))
            # ...and a merged copy with the entry shown in its place: its source's name and
            # where it is (entry_page_url: its day, from its date, and its anchor).
            kept = self._site.kept_of(value)
            if kept is not None:
                kept_source = self._site.source_index.get(kept.source)
                name = kept_source.name if kept_source is not None else kept.source
                shown_with.append(repr(("kept", kept.source, name, kept.id, kept.date, kept.slug)))
            # ...and whether the size budget shows it abridged ([site] max_output).
            if self._site.is_abridged(value):
                shown_with.append("abridged")
            # Its own fields, the body by its hash: the same whether the entry holds its body
            # or the index stood in for it, so a build from the index keys every page as a
            # build from the months does.
            return _hash(("entry", value.source, entry_hash(value), *shown_with))
        return self._fields(value)

    def _template(self, name: str) -> str:
        """The site-wide values a template (with what it reaches) shows, hashed."""
        known = self._templates.get(name)
        if known is None:
            names = _names_used(self._env, name)
            unknown = names - self._pure - set(_SITE_WIDE)
            if unknown:
                # A name we cannot place (a helper added later, a dynamic include): count the
                # whole site in, so the page is never stale, only rendered more often.
                log.debug("%s uses %s: its pages depend on the whole site", name, unknown)
                names |= set(_SITE_WIDE) | {"entries"}
            parts = [name] + [self._site_wide(n) for n in (*_SITE_WIDE, "entries") if n in names]
            known = self._templates[name] = _hash(parts)
        return known

    def _site_wide(self, name: str) -> str:
        return f"{name}={self.value(getattr(self._site, name))}"


def _names_used(env: jinja2.Environment, name: str) -> set[str]:
    """The context names a template and every template it reaches look up but never set.

    A name set in one of them (`{% set trail = ... %}` for an included breadcrumb) counts as
    set for all: an over-approximation would only cost renders, and this one errs that way.
    """
    seen: set[str] = set()
    used: set[str] = set()
    assigned: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source, _, _ = env.loader.get_source(env, current)  # type: ignore[union-attr]
            names, sets, refs = _analyse(source)
        except jinja2.TemplateError:  # rendering the page reports it, with file and line
            used.add("<unreadable template>")
            continue
        used |= names
        assigned |= sets
        todo += refs
        if "render_entry" in used:
            todo.append(_ENTRY_TEMPLATE)
    return used - assigned


# Parsing only (no template is compiled or rendered here): default delimiters, as in
# theme.make_environment.
_PARSER = jinja2.Environment()


@functools.lru_cache(maxsize=256)
def _analyse(source: str) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    """A template's (names looked up, names set, templates referenced), memoised by its text:
    `digest serve` rebuilds with the same templates again and again."""
    ast = _PARSER.parse(source)
    refs = tuple(meta.find_referenced_templates(ast))
    return (
        frozenset(meta.find_undeclared_variables(ast))
        | ({"<dynamic template>"} if None in refs else set()),
        frozenset(n.name for n in ast.find_all(nodes.Name) if n.ctx == "store") | _imported(ast),
        tuple(r for r in refs if r is not None),
    )


def _imported(ast: nodes.Template) -> frozenset[str]:
    """Names `{% import %}` and `{% from ... import %}` set (macros from another template)."""
    names = {node.target for node in ast.find_all(nodes.Import)}
    for node in ast.find_all(nodes.FromImport):
        names |= {name if isinstance(name, str) else name[1] for name in node.names}
    return frozenset(names)
