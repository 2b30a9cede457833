"""Valid HTML5 from nh3's output: each element where its parent allows it, attribute values
of the right type, unique ids, lists, definition lists, figures, details and tables as the
Nu Html Checker wants them. Pure: `conform` takes markup and returns markup.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass, replace

from digest.sanitize.allowlist import ALLOWED_TAGS, attribute_value
from digest.sanitize.tables import fix_spans
from digest.sanitize.text import words
from digest.sanitize.tree import WHITESPACE, Element, Node, blank, escape, read_tree

# nh3 keeps allowed elements wherever the HTML parser put them: <span><h2>, <ul><p>, <li>
# without a list (its <menu> dropped), <a> without href (a javascript: URL dropped), an <img>
# without src or alt, width="100%", a table whose colspan reaches past every row ... all valid
# to a browser, errors to the Nu Html Checker. Each element is kept where its parent allows it
# and unwrapped (its content kept) elsewhere.
_PHRASING = words(
    """a abbr b br cite code del dfn em i img ins kbd mark q s samp small span strong sub sup
    time u var"""
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_FLOW = frozenset({"blockquote", "details", "div", "dl", "figure", "hr", "ol", "p", "pre", "ul"})
_TRANSPARENT = frozenset({"a", "ins", "del"})
_PHRASING_PARENTS = _PHRASING | _HEADINGS | {"p", "pre"}
_TABLE_SECTIONS = ("thead", "tbody", "tfoot")


@dataclass(frozen=True, slots=True)
class _Context:
    """What the current parent allows. Restrictions only ever tighten going down."""

    phrasing: bool = False  # phrasing content only
    headings: bool = True  # h1-h6 allowed (not in th, dt, summary or phrasing)
    sections: bool = True  # section allowed (not in th, dt)
    tables: bool = True  # table allowed (not in caption)
    in_a: bool = False  # inside <a>: no <a>, no <details>
    in_dfn: bool = False  # inside <dfn>: no <dfn>


_FLOW_CONTEXT = _Context()


class _Conformer:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    # -- content models

    def fix(self, nodes: list[Node], context: _Context) -> list[Node]:
        out: list[Node] = []
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif self.allowed(node.tag, context) and self.usable(node):
                out += self.element(node, context)
            else:
                out += self.unwrap(node, context)
        return out

    def unwrap(self, element: Element, context: _Context) -> list[Node]:
        """`element`'s content in its place; a block's is kept apart from its neighbours."""
        content = self.fix(element.children, context)
        if element.tag in _PHRASING:
            return content
        return [" ", *content, " "]

    @staticmethod
    def allowed(tag: str, context: _Context) -> bool:
        if tag not in ALLOWED_TAGS:
            return False
        if tag == "a":
            return not context.in_a
        if tag == "dfn":
            return not context.in_dfn
        if tag in _PHRASING:
            return True
        if tag in _HEADINGS:
            return context.headings
        if context.phrasing:
            return False
        if tag == "section":
            return context.sections
        if tag == "table":
            return context.tables
        if tag == "details":
            return not context.in_a
        # li, dt, dd, figcaption, summary, caption, thead ... only where their parent is.
        return tag in _FLOW

    def usable(self, element: Element) -> bool:
        """Drops and rewrites attributes; False when the element cannot stand as it is."""
        attrs = element.attrs
        for name in list(attrs):
            value = html.unescape(attrs[name])
            keep = self.attribute_ok(element.tag, name, value)
            if keep is None:
                del attrs[name]
            elif keep != value:
                attrs[name] = escape(keep)
        if element.tag == "a":
            return "href" in attrs
        if element.tag == "img":
            attrs.setdefault("alt", "")
            return "src" in attrs
        if element.tag == "time":
            return "datetime" in attrs
        return True

    def attribute_ok(self, tag: str, name: str, value: str) -> str | None:
        """The value to keep for attribute `name` (None: drop it); ids must be unique."""
        if name != "id":
            return attribute_value(tag, name, value)
        if not value or any(c in value for c in WHITESPACE) or value in self.ids:
            return None
        self.ids.add(value)
        return value

    def element(self, element: Element, context: _Context) -> list[Node]:
        tag = element.tag
        if tag in ("ul", "ol"):
            self.fix_list(element, context)
        elif tag == "dl":
            self.fix_dl(element, context)
        elif tag == "table":
            return self.fix_table(element, context)
        elif tag == "figure":
            self.fix_first_or_last(element, "figcaption", context, context, last=True)
        elif tag == "details":
            first = next((n for n in element.children if not blank(n)), None)
            if not (isinstance(first, Element) and first.tag == "summary"):
                return self.unwrap(element, context)  # the checker wants a summary first
            summary = replace(context, phrasing=True, headings=False)
            self.fix_first_or_last(element, "summary", summary, context, last=False)
        else:
            element.children = self.fix(element.children, self.inside(tag, context))
        return [element]

    @staticmethod
    @functools.lru_cache(maxsize=1024)
    def inside(tag: str, context: _Context) -> _Context:
        """The context for the content of `tag` (allowed in `context`)."""
        if tag == "a":
            return replace(context, in_a=True)
        if tag in _TRANSPARENT:
            return context
        if tag == "dfn":
            return replace(context, phrasing=True, headings=False, in_dfn=True)
        if tag in _PHRASING_PARENTS:
            return replace(context, phrasing=True, headings=False)
        if tag in ("th", "dt"):
            return replace(context, headings=False, sections=False)
        if tag == "caption":
            return replace(context, tables=False)
        return context

    def fix_list(self, element: Element, context: _Context) -> None:
        """ul/ol hold li only: anything else is wrapped in one."""
        out: list[Node] = []
        loose: list[Node] = []

        def wrap() -> None:
            if all(blank(n) for n in loose):
                out.extend(loose)
            else:
                out.append(Element("li", {}, self.fix(loose, context)))
            loose.clear()

        for child in element.children:
            if isinstance(child, Element) and child.tag == "li":
                wrap()
                value = child.attrs.pop("value", None)
                if self.usable(child):
                    if element.tag == "ol" and value is not None:
                        kept = attribute_value("li", "value", html.unescape(value))
                        if kept is not None:
                            child.attrs["value"] = escape(kept)
                    child.children = self.fix(child.children, context)
                    out.append(child)
            else:
                loose.append(child)
        wrap()
        element.children = out

    def fix_dl(self, element: Element, context: _Context) -> None:
        """dl holds groups of dt+ dd+: a dd without a dt gets an empty one, and so on."""
        out: list[Node] = []
        last = ""  # "dt" or "dd"
        term = self.inside("dt", context)
        for child in element.children:
            if blank(child):
                out.append(child)
                continue
            if isinstance(child, Element) and child.tag in ("dt", "dd"):
                self.usable(child)
                child.children = self.fix(child.children, term if child.tag == "dt" else context)
                if child.tag == "dd" and not last:
                    out.append(Element("dt", {}))
                out.append(child)
                last = child.tag
                continue
            content = self.fix([child], context)
            if last == "dd":
                dd = next(n for n in reversed(out) if isinstance(n, Element))
                dd.children += content
            else:
                if not last:
                    out.append(Element("dt", {}))
                out.append(Element("dd", {}, content))
                last = "dd"
        if last == "dt":
            out.append(Element("dd", {}))
        element.children = out

    def fix_first_or_last(
        self, element: Element, tag: str, own: _Context, context: _Context, *, last: bool
    ) -> None:
        """figure's figcaption (first or last child) or details' summary (first child):
        one is kept there, any other unwrapped."""
        places = [i for i, n in enumerate(element.children) if not blank(n)]
        ends = set(places[:1] + places[-1:]) if last else set(places[:1])
        kept = False
        out: list[Node] = []
        for i, child in enumerate(element.children):
            if isinstance(child, Element) and child.tag == tag and i in ends and not kept:
                kept = True
                self.usable(child)
                child.children = self.fix(child.children, own)
                out.append(child)
            else:
                out += self.fix([child], context)
        element.children = out

    def fix_table(self, table: Element, context: _Context) -> list[Node]:
        """caption?, thead?, tbody*, tfoot? of rows of cells; spans clipped to real columns."""
        caption: Element | None = None
        head: Element | None = None
        foot: Element | None = None
        bodies: list[Element] = []
        loose: Element | None = None  # a tbody for rows standing directly in the table
        for child in table.children:
            if not isinstance(child, Element):
                continue
            if child.tag == "tr":
                if loose is None:
                    loose = Element("tbody", {})
                    bodies.append(loose)
                loose.children.append(child)
                continue
            loose = None
            if child.tag == "caption":
                if caption is None:
                    caption = child
                else:
                    caption.children += [" ", *child.children]
            elif child.tag == "thead" and head is None:
                head = child
            elif child.tag == "tfoot" and foot is None:
                foot = child
            elif child.tag in _TABLE_SECTIONS:
                child.tag = "tbody"
                bodies.append(child)
        sections = []
        for section in (head, *bodies, foot):
            if section is not None and self.usable(section):
                rows = (self.fix_row(row, context) for row in section.children)
                section.children = [row for row in rows if row is not None]
                if section.children:
                    sections.append(section)
        if caption is not None:
            self.usable(caption)
            caption.children = self.fix(caption.children, self.inside("caption", context))
        if not sections:
            return [" ", *(caption.children if caption else []), " "]
        fix_spans(sections)
        table.children = [*([caption] if caption else []), *sections]
        return [table]

    def fix_row(self, row: Node, context: _Context) -> Element | None:
        if not isinstance(row, Element) or row.tag != "tr":
            return None
        self.usable(row)
        cells = [c for c in row.children if isinstance(c, Element) and c.tag in ("td", "th")]
        for cell in cells:
            self.usable(cell)
            cell.children = self.fix(cell.children, self.inside(cell.tag, context))
        row.children = list(cells)
        return row if cells else None


def conform(markup: str) -> list[Node]:
    """nh3's output `markup` as a tree of valid HTML5 (`tree.write_all` writes it: valid input
    comes back byte for byte)."""
    return _Conformer().fix(read_tree(markup), _FLOW_CONTEXT)
