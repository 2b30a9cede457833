"""Feed HTML -> an allowlisted fragment (nh3) that is also valid HTML5, or its plain text.

Before nh3 sees a fragment, it is made cheap to parse (html5ever slows down with the square
of the nesting depth and of the character references in one text node); after, `conform`
makes nh3's output valid to the Nu Html Checker. Pure functions.
"""

from __future__ import annotations

import html
import re

import nh3

from digest.sanitize.allowlist import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    DROPPED_WITH_CONTENT,
    LINK_REL,
    URL_ATTRIBUTES,
)
from digest.sanitize.conform import conform
from digest.sanitize.fragments import retarget_fragments
from digest.sanitize.slugs import short_hash
from digest.sanitize.text import clean_text, words
from digest.sanitize.tree import write_all
from digest.sanitize.urls import QUERY_SAFE, URL_SCHEMES, clean_url, quote_part

# Nesting is cut before nh3 sees it (html5ever's cost grows with depth squared: 100,000
# nested <div>s take minutes) and again in `conform`'s tree (it recurses).
_NH3_DEPTH = 256
# Every pattern that scans for a closing ">" also takes the end of the text: one that only
# fails there would be tried again at every "<" (a million "<a" would take hours).
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*(?:>|\Z)")
# Elements that never stay open around their successors, or close without an end tag.
_FLAT = words(
    """area base br col embed hr img input link meta param source track wbr p li dt dd tr td
    th thead tbody tfoot option optgroup rb rt rp caption colgroup"""
)
# _TAG but for the elements in _FLAT: what can nest.
_NESTING_TAG = re.compile(
    r"<(/?)(?!(?:" + "|".join(sorted(_FLAT)) + r")[\s/>])([A-Za-z][^\s/>]*)[^>]*(?:>|\Z)",
    re.IGNORECASE,
)
# Where html5ever stops looking for the element an end tag closes.
_SCOPE = words(
    """applet caption html table td th marquee object template mi mo mn ms mtext
    annotation-xml foreignobject desc title svg math"""
)


# html5ever also slows down with the square of the character references ("&") in one text
# node (a million "&a;" take a minute): a <wbr> (nh3 drops it) every so many splits the node.
_AMPERSANDS = 500
_AMPERSAND_OR_SKIP = re.compile(
    r"(<(script|style|xmp|iframe|noembed|noframes|noscript|plaintext)\b.*?(?:</\2\s*>|$)"
    r"|<[^>]*(?:>|\Z))|&",
    re.IGNORECASE | re.DOTALL,
)


def _split_text_nodes(fragment: str) -> str:
    if fragment.count("&") <= _AMPERSANDS:
        return fragment
    seen = 0

    def split(match: re.Match[str]) -> str:
        nonlocal seen
        if match.group(1):  # a tag, or an element whose text a <wbr> would show up in
            return match.group()
        seen += 1
        return "<wbr>&" if seen % _AMPERSANDS == 0 else "&"

    return _AMPERSAND_OR_SKIP.sub(split, fragment)


def _bounded(fragment: str) -> str:
    """`fragment` made cheap for html5ever: no deep nesting, no huge text nodes."""
    return _split_text_nodes(_nesting_cut(clean_text(fragment)))


def _nesting_cut(fragment: str) -> str:
    """`fragment` without the tags nested deeper than _NH3_DEPTH (their text is kept)."""
    # Nothing can nest deeper than there are tags: most bodies are done with one count.
    if fragment.count("<") <= _NH3_DEPTH or _nesting(fragment, _NESTING_TAG, None) <= _NH3_DEPTH:
        return fragment
    cut: list[tuple[int, int]] = []
    _nesting(fragment, _TAG, cut)
    out: list[str] = []
    pos = 0
    for start, end in cut:
        out += (fragment[pos:start], " ")
        pos = end
    out.append(fragment[pos:])
    return "".join(out)


def _nesting(fragment: str, tags: re.Pattern[str], cut: list[tuple[int, int]] | None) -> int:
    """How deep html5ever will nest `fragment`'s elements, erring high; with `cut`, also
    collects the spans of the tags below _NH3_DEPTH. An end tag closes an open element of its
    name only above the nearest scope boundary (table, object ...), as in html5ever; p, li,
    td and the like never nest."""
    stack: list[str] = []
    counts: list[dict[str, int]] = [{}]  # open elements by name, per scope
    owners = [""]  # the element that opened each scope
    deepest = 0
    for match in tags.finditer(fragment):
        name = match.group(2).lower()
        deep = len(stack) >= _NH3_DEPTH
        if name in _FLAT:
            if deep and cut is not None:
                cut.append(match.span())
            continue
        if not match.group(1):
            if deep and cut is not None:
                cut.append(match.span())
            stack.append(name)
            if name in _SCOPE:
                counts.append({})
                owners.append(name)
            else:
                counts[-1][name] = counts[-1].get(name, 0) + 1
            deepest = max(deepest, len(stack))
            continue
        if not counts[-1].get(name) and owners[-1] != name:
            continue  # html5ever ignores it too
        if len(stack) > _NH3_DEPTH and cut is not None:
            cut.append(match.span())
        while stack:
            top = stack.pop()
            if top in _SCOPE:
                counts.pop()
                owners.pop()
            else:
                counts[-1][top] -= 1
            if top == name:
                break
    return deepest


def id_prefix(source: str, key: str) -> str:
    """The prefix of the ids in one entry's HTML (footnotes), unique to the entry, so two
    entries on one page never share an id: feed entries by id, posts by slug."""
    return "e" + short_hash(source + "\n" + key) + "-"


def sanitize_html(
    fragment: str, id_prefix: str, base: str | None = None, *, page: str | None = None
) -> str:
    """Allowlist-clean `fragment` into valid HTML5, resolving relative URLs against `base`.

    Ids get `id_prefix`, and `#fragment` links to them with it, so footnotes keep working and
    two posts on one page never clash with each other or with the page's own ids. A
    `#fragment` link to an id the fragment does not have points to that fragment of `page`,
    the entry's own web page, or is dropped (its text kept) without one. (Not `base`: for
    RSS and Atom that is the feed's URL unless the feed says otherwise.)
    A URL that is not http(s)/mailto, or cannot be resolved, is dropped (and its link or image
    with it).
    """

    def keep_url(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in URL_ATTRIBUTES:
            return value
        if value.startswith("#"):
            return f"#{id_prefix}{quote_part(value[1:], QUERY_SAFE)}"
        # A URL still relative (no base known) would point into our own site, so it goes.
        return clean_url(value, base)

    cleaned = nh3.clean(
        _bounded(fragment),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=keep_url,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        id_prefix=id_prefix,
        strip_comments=True,
    )
    # Character references nh3 decoded ("&#x1b;") may be controls too.
    tree = conform(clean_text(cleaned))
    return write_all(retarget_fragments(tree, id_prefix, page)).strip()


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace folded."""
    text = nh3.clean(_bounded(fragment), tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT))
    text = html.unescape(text)
    return " ".join(clean_text(text).split())


# Block elements and <br> separate words: "<h2>Intro</h2><p>Text" reads "Intro Text".
# A lookahead, so the replacement is a constant (" <"): a template (r" \g<0>") is expanded in
# Python for every match, which made this a third of the cost of the text of a long body.
_BREAK = re.compile(
    r"<(?=/?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|table|tr|td|th|figure"
    r"|figcaption|section|article|aside|details|summary)\b|br\b|hr\b)"
)
_ANY_TAG = re.compile(r"<[^>]*(?:>|\Z)")  # an unclosed tag at the end: a fragment cut short


def sanitised_text(fragment: str) -> str:
    """Text of HTML that `sanitize_html` made (what the cache holds), whitespace folded. In
    it every "<" opens a tag (text has "&lt;") and nothing dropped with its content (script,
    style) is left, so tags go by pattern: a fraction of `html_to_text`'s cost, which parses
    any fragment to make it safe first. The start of a fragment cut anywhere reads the same."""
    return " ".join(html.unescape(_ANY_TAG.sub("", _BREAK.sub(" <", fragment))).split())
