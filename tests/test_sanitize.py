"""digest.sanitize, function by function: what a reader of the digest would notice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.config import parse_config
from digest.config.edit import unique_name
from digest.sanitize import clean_text, sanitize_html, urls
from digest.sanitize.urls import HTTP_SCHEMES, URL_SCHEMES, clean_url

# --- clean_text --------------------------------------------------------------------------------

# What clean_text removes, written as plainly as possible: the oracle its fast path must match.
_C1_AS_CP1252 = {chr(b): bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xA0)}
_NEVER_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(1, 17))
    + "]"
)


def _reference(value: str) -> str:
    return _NEVER_TEXT.sub(lambda m: _C1_AS_CP1252.get(m.group(), ""), value)


# Every edge of every range clean_text cares about; each is tested with its neighbours.
_RANGE_EDGES = (
    0x00, 0x08, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0x9F, 0xA0, 0xFF, 0x100,
    0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFDCF, 0xFDD0, 0xFDEF, 0xFDF0, 0xFFFD, 0xFFFE, 0xFFFF,
    0x10000, 0x10FFFF,
    *(plane << 16 | low for plane in range(1, 17) for low in (0xFFFE, 0xFFFF)),
)  # fmt: skip
_EDGES = sorted({p + d for p in _RANGE_EDGES for d in (-1, 0, 1) if 0 <= p + d <= 0x10FFFF})


def test_clean_text_matches_the_rule_on_every_boundary_code_point() -> None:
    # Alone, and in strings of each width CPython stores (ASCII, Latin-1, BMP, astral): the
    # fast path depends on the widest character in the string.
    for point in _EDGES:
        char = chr(point)
        for context in ("", "a", "é", "\u20ac", "\U0001f600"):
            for value in (f"{context}{char}", f"{char}{context}", f"{context}x{char}y{context}"):
                assert clean_text(value) == _reference(value), hex(point)


def test_clean_text_drops_astral_noncharacters_but_keeps_emoji() -> None:
    assert clean_text("A\U0001fffe\U0010ffffB \U0001f600") == "AB \U0001f600"
    assert clean_text("caf\x82\x00e") == "caf\u201ae"  # C1 read as Windows-1252, NUL gone


_AROUND_EDGES = st.sampled_from([chr(p) for p in _EDGES if not 0xD800 <= p <= 0xDFFF])


@given(st.lists(st.text() | _AROUND_EDGES, max_size=20).map("".join))
def test_clean_text_matches_the_rule_on_any_text(value: str) -> None:
    assert clean_text(value) == _reference(value)


# --- fragment-only links ----------------------------------------------------------------------

ARTICLE = "https://example.org/post"
FEED = "https://example.org/feed.xml"


def test_a_fragment_link_whose_target_is_elsewhere_goes_to_the_article() -> None:
    out = sanitize_html('<p>See <a href="#section-2">part two</a>.</p>', "e1-", FEED, page=ARTICLE)
    assert 'href="https://example.org/post#section-2"' in out
    assert ">part two</a>" in out


def test_the_page_is_the_article_not_the_base() -> None:
    # The base of an RSS or Atom entry is the feed's URL; a fragment there means nothing.
    out = sanitize_html('<a href="#s2">two</a>', "e1-", FEED, page=ARTICLE + "#top")
    assert 'href="https://example.org/post#s2"' in out
    assert sanitize_html('<a href="#s2">two</a>', "e1-", FEED) == "two"


def test_a_fragment_link_whose_target_is_in_the_entry_stays_in_the_entry() -> None:
    entry = (
        '<p>A claim.<sup id="ref-1"><a href="#fn:1">1</a></sup></p>'
        '<ol><li id="fn:1">The source. <a href="#ref-1">back</a></li></ol>'
        '<h2 id="café">Café</h2><p><a href="#caf%C3%A9">up</a></p>'
    )
    out = sanitize_html(entry, "e1-", FEED, page=ARTICLE)
    assert '<a href="#e1-fn:1"' in out and '<li id="e1-fn:1">' in out
    assert '<a href="#e1-ref-1"' in out and '<sup id="e1-ref-1">' in out
    assert '<a href="#e1-caf%C3%A9"' in out and '<h2 id="e1-café">' in out
    assert ARTICLE not in out


def test_a_target_the_sanitiser_drops_is_not_in_the_entry() -> None:
    entry = '<script id="gone"></script><p>x</p><a href="#gone">g</a>'  # the id goes with it
    out = sanitize_html(entry, "e1-", FEED, page=ARTICLE)
    assert 'href="https://example.org/post#gone"' in out


def test_without_a_page_a_fragment_link_to_nowhere_is_only_its_text() -> None:
    entry = (
        '<p><a href="#elsewhere">elsewhere</a> and <a href="#here">here</a></p><p id="here">!</p>'
    )
    out = sanitize_html(entry, "e1-")
    assert out == (
        '<p>elsewhere and <a href="#e1-here" rel="nofollow noopener noreferrer">here</a></p>'
        '<p id="e1-here">!</p>'
    )
    # A quotation's source the same way: the cite attribute goes, the quotation stays.
    assert sanitize_html('<q cite="#elsewhere">q</q>', "e1-") == "<q>q</q>"


# --- one slug rule: names `digest add` and `import-opml` choose, the config accepts ----------


def _config_with(names: list[str]) -> dict[str, object]:
    return {
        "site": {"title": "T", "base_url": "https://example.org/", "timezone": "UTC"},
        "feeds": [{"url": f"https://example.org/{i}.xml", "name": n} for i, n in enumerate(names)],
    }


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [
        ("con feed", ["con"], "con feed (2)"),  # "con" is a device name: its slug is "con-feed"
        ("Café", ["cafe"], "Café (2)"),
        ("posts", [], "posts (2)"),  # the hand-written posts' folder
        ("C++", ["C"], "C++"),  # "c-plus-plus" and "c": two slugs
        ("!!!", ["???"], "!!!"),  # nothing to slugify: each gets its own hash
    ],
)
def test_unique_name_is_one_the_config_accepts(name: str, taken: list[str], expected: str) -> None:
    chosen = unique_name(name, taken)
    assert chosen == expected
    config = parse_config(_config_with([*taken, chosen]), Path("config.toml"))
    assert [feed.name for feed in config.feeds] == [*taken, chosen]


# --- the short way for plain links (clean_url) ------------------------------------------------

# Links as feeds write them, plain (the short way) most of the time, and every odd part the
# general way handles: a scheme in capitals, a port, a user, a dot segment, an empty query, a
# lone %, a character to encode, a host IDNA or _HOST refuses.
_PLAIN = {"x", "post-1", "a.b", "2026", "img.png", "%2F", "~", "(", "*", "+", ",", ";", "=", "@"}
_ODD = {"..", ".", "", "%zz", "%", "é", "[", "|", " ", "'", "!", "$", "-", "_", ":", "?", "#"}
_URLS = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["https://"] * 6 + ["http://", "HTTP://", "", "javascript:", "//"]),
        st.sampled_from(
            ["a.example"] * 6
            + ["A.example", "b-c.example", "xn--bcher-kva.ch", "1.2.3.4", "user:pw@a.example"]
            + ["a_b.example", "a.example.", "-a.example", "", "é.example", "localhost"]
        ),
        st.sampled_from([""] * 8 + [":80", ":0080", ":x"]),
        st.lists(st.sampled_from(sorted(_PLAIN) * 3 + sorted(_ODD)), max_size=5).map(
            lambda parts: "".join("/" + p for p in parts)
        ),
        st.sampled_from(["", "", "", "?q=1&r=2", "?a=%41", "?", "?a b", "??", "?x=/y"]),
        st.sampled_from(["", "", "", "#frag", "#", "#a?b", "#a#b"]),
    ),
)


@settings(max_examples=3000, deadline=None, database=None, derandomize=True)
@given(
    _URLS,
    st.sampled_from([None, "https://base.example/dir/page", "http://b.example"]),
    st.sampled_from([URL_SCHEMES, HTTP_SCHEMES]),
)
def test_a_plain_link_takes_the_short_way_to_the_same_url(
    value: str, base: str | None, schemes: frozenset[str]
) -> None:
    """Most links in bodies skip urljoin, urlsplit and quoting (urls._PLAIN_URL): for any
    string, clean_url gives what the general way gives."""
    assert clean_url(value, base, schemes) == urls._clean_url(value.strip(), base, schemes)


def test_the_short_way_is_taken() -> None:
    assert urls._PLAIN_URL.fullmatch("https://a.example/2026/03/post-1?x=1#top")
    assert not urls._PLAIN_URL.fullmatch("https://a.example/x/../y")
