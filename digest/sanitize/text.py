"""Text: the characters no text needs (`clean_text`) and those XML 1.0 cannot carry
(`xml_text`). Pure functions."""

from __future__ import annotations

import re

# C1 controls are, in practice, Windows-1252 bytes decoded as Latin-1 (HTML5 maps &#146; the
# same way); the five bytes Windows-1252 leaves undefined map to nothing.
_C1_AS_CP1252 = {chr(b): bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xA0)}
# Never text: C0 controls but tab, newline and return (XML 1.0 forbids them), DEL, C1
# controls, lone surrogates (they cannot even be encoded), noncharacters. (Two expressions:
# one class with both ranges and astral code points is ten times slower.)
_BAD_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_ASTRAL_NONCHARACTERS = tuple(chr(p << 16 | n) for p in range(1, 17) for n in (0xFFFE, 0xFFFF))


# What XML 1.0 cannot carry, even escaped: every XML file we write drops these.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 forbids (atom.xml, sitemap.xml, opml.xml)."""
    return _NOT_XML.sub("", value)


def clean_text(value: str) -> str:
    """`value` without the characters no text needs (C1 controls read as Windows-1252)."""
    value = _BAD_CHARS.sub(lambda m: _C1_AS_CP1252.get(m.group(), ""), value)
    # Not a regular expression: a class of astral code points runs at a few million
    # characters a second, `in` at hundreds of millions, and at once on a str without astral
    # characters (CPython compares with the widest character the str records).
    if not value.isascii():
        for noncharacter in _ASTRAL_NONCHARACTERS:
            if noncharacter in value:
                value = value.replace(noncharacter, "")
    return value


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`: how the long allowlists here are written."""
    return frozenset(text.split())
