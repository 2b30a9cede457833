"""Feed bytes -> UTF-8 XML that feedparser cannot be hurt by. Pure functions.

The character encoding is decided once (a BOM wins, then bytes that are valid UTF-8, then the
declared charset, then UTF-8 with stray bytes read as Windows-1252), characters XML forbids
are removed, and the document type declaration (with any entity declarations) is dropped
before a parser sees it, so no entity is ever expanded and nothing is ever fetched.
"""

from __future__ import annotations

import codecs
import html.entities
import re

from digest.errors import FeedError
from digest.sanitize.text import clean_text

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# "<?" (or "<" and a letter) in encodings that are not ASCII-compatible, without a BOM.
_WIDE_STARTS = (
    (re.compile(b"^<\x00\x00\x00"), "utf-32-le"),
    (re.compile(b"^\x00\x00\x00<"), "utf-32-be"),
    (re.compile(b"^<\x00[^\x00]\x00"), "utf-16-le"),
    (re.compile(b"^\x00<\x00[^\x00]"), "utf-16-be"),
    (re.compile(b"^\x4c\x6f\xa7\x94"), "cp037"),  # "<?xm" in EBCDIC
)
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# Labels that, by the WHATWG Encoding Standard, mean Windows-1252.
_LATIN1 = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252"})


def _cp1252_for_bad_bytes(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler for UTF-8: a single byte that is not UTF-8 is read as
    Windows-1252 ("caf\xe9" is "café"); the start of a cut-off sequence is U+FFFD."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    if len(bad) > 1:
        return "\ufffd", error.end
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("digest-cp1252", _cp1252_for_bad_bytes)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_feed(body: bytes, content_type: str | None) -> str:
    """The text of a feed, decoded the way that shows it as meant where that can be known.

    A byte order mark wins; then bytes that are valid UTF-8 are UTF-8 whatever the label (a
    UTF-8 feed labelled Windows-1252 is common; the reverse reading would be mojibake); then
    the charset of the Content-Type or the XML declaration, unless it is UTF-8 or Latin-1 /
    Windows-1252; then UTF-8 with every byte that is not UTF-8 read as Windows-1252 (a
    Windows-1252 feed labelled UTF-8, or one that mixes both).
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace")
    for start, codec in _WIDE_STARTS:
        if start.match(body):
            text = body.decode(codec, errors="replace")
            declared = _codec(_declared(text.encode("ascii", errors="replace"), None))
            if codec == "cp037" and declared and declared != codec:
                try:
                    return body.decode(declared)
                except (UnicodeDecodeError, LookupError):
                    pass
            return text
    body = body.replace(b"\x00", b"")  # never text, and no UTF-16 left to find it in
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _codec(_declared(body, content_type))
    if declared and declared not in _LATIN1 and not declared.startswith(("utf", "ascii")):
        try:  # Shift_JIS, KOI8-R, ISO-8859-2 ...
            return body.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
    # UTF-8, Windows-1252 or a mix: what is valid UTF-8 is UTF-8, any other byte Windows-1252.
    return body.decode("utf-8", errors="digest-cp1252")


def _declared(head: bytes, content_type: str | None) -> str | None:
    charset = _CHARSET.search(content_type or "")
    if charset:
        return charset.group(1)
    declaration = _DECLARED_ENCODING.match(head[:1024])
    return declaration.group(1).decode("ascii") if declaration else None


_XML_DECLARATION = re.compile(r"^\s*<\?xml\s[^>]*?\?>")
_XML_SPACE = " \t\r\n"
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
# What feedparser takes as the start of the document element: everything before it is "the
# prolog" to its own DOCTYPE handling, which re-declares entities it finds there.
_FEEDPARSER_ROOT = re.compile(r"<[A-Za-z0-9_]")
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_OUR_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Entity references outside CDATA sections and comments (which hold them as text).
_ENTITY_REFERENCE = re.compile(
    r"(<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z))|&([A-Za-z_:][\w.:-]*);", re.DOTALL
)
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_CDATA_OR_COMMENT = re.compile(r"<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z)", re.DOTALL)
# feedparser spends 10-40 us on each element (most in its lenient parser, on broken XML):
# a feed with more elements than this (outside CDATA sections) would take minutes. Real feeds,
# even large ones, have a few thousand; their HTML is escaped text or CDATA, not elements.
MAX_ELEMENTS = 250_000


def _xml_char_ref(match: re.Match[str]) -> str:
    """A character reference XML 1.0 allows, else nothing (&#0; &#x1b; &#xD800; ...)."""
    hexadecimal, decimal = match.groups()
    digits = hexadecimal or decimal
    if len(digits) > 8:
        return ""
    point = int(digits, 16 if hexadecimal else 10)
    allowed = (
        point in (0x9, 0xA, 0xD)
        or 0x20 <= point <= 0xD7FF
        or 0xE000 <= point <= 0xFFFD
        or 0x10000 <= point <= 0x10FFFF
    )
    return match.group() if allowed else ""


def _entity_reference(match: re.Match[str]) -> str:
    """XML's five entities stay; HTML's (&nbsp; in RSS 0.91) become character references;
    any other (declared in a DOCTYPE now dropped, or nowhere) is text: "&name;"."""
    kept, name = match.groups()
    if kept or name in _XML_ENTITIES:
        return match.group()
    characters = html.entities.html5.get(f"{name};")
    if characters is None:
        return f"&amp;{name};"
    return "".join(f"&#{ord(c)};" for c in characters)


def prepare_feed(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Feed bytes -> (UTF-8 bytes, the Content-Type to pass on) for feedparser.

    The document type declaration is dropped with any internal subset, so no entity is ever
    declared (billion laughs, quadratic blowup, external entities such as file:///etc/passwd
    or http://...); an entity reference left behind is then text. A document whose prolog
    declares entities where this cannot drop them cleanly is refused (FeedError).
    Without a DTD, a reference to an entity XML does not define would stop the strict XML
    parser (and send feedparser to its slow, lenient one): it is made a character reference
    (HTML's named characters) or text. A document of more than MAX_ELEMENTS elements is
    refused.
    """
    text = decode_feed(body, content_type).lstrip("\ufeff")
    text = _CHAR_REF.sub(_xml_char_ref, clean_text(text))
    if text.count("<") > MAX_ELEMENTS and _CDATA_OR_COMMENT.sub("", text).count("<") > MAX_ELEMENTS:
        raise FeedError(f"refused: more than {MAX_ELEMENTS:,} XML elements")
    text = _OUR_DECLARATION + _without_prolog(text)
    root = _FEEDPARSER_ROOT.search(text)
    if _ENTITY_DECLARATION.search(text, 0, root.start() if root else len(text)):
        raise FeedError("refused: the document declares XML entities (<!ENTITY) before its root")
    text = _ENTITY_REFERENCE.sub(_entity_reference, text)
    return text.encode("utf-8"), _utf8(content_type)


def _utf8(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip() + "; charset=utf-8"


def _without_prolog(text: str) -> str:
    """`text` from its root element on: the XML declaration, comments, processing instructions
    and the document type declaration before it are dropped. Returned unchanged when the prolog
    is not one (text before the first element, an unterminated declaration)."""
    declaration = _XML_DECLARATION.match(text)
    i = declaration.end() if declaration else 0
    n = len(text)
    while True:
        while i < n and text[i] in _XML_SPACE:
            i += 1
        if text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return text
            i = end + 3
        elif text.startswith("<?", i):
            end = text.find("?>", i + 2)
            if end < 0:
                return text
            i = end + 2
        elif text[i : i + 9].upper() == "<!DOCTYPE":
            end = _doctype_end(text, i + 9)
            if end < 0:
                return text
            i = end
        else:
            return text[i:]


# What the DOCTYPE scan skips whole, wherever a '>' or ']' inside would mislead it: quoted
# literals anywhere, comments and processing instructions in the internal subset only.
_SKIPPED = (('"', '"', False), ("'", "'", False), ("<!--", "-->", True), ("<?", "?>", True))


def _doctype_end(text: str, i: int) -> int:
    """The index after the '>' closing a document type declaration, or -1."""
    n = len(text)
    in_subset = False
    while i < n:
        skipped = next(
            (s for s in _SKIPPED if (in_subset or not s[2]) and text.startswith(s[0], i)), None
        )
        if skipped is not None:
            opener, closer, _ = skipped
            end = text.find(closer, i + len(opener))
            if end < 0:
                return -1
            i = end + len(closer)
            continue
        c = text[i]
        if c == "[":
            in_subset = True
        elif c == "]":
            in_subset = False
        elif c == ">" and not in_subset:
            return i + 1
        i += 1
    return -1
