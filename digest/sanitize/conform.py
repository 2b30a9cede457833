"""Hostile feeds in, safe and valid text, URLs and HTML out. Pure functions, used by `parse`.

- `prepare_feed`: feed bytes -> UTF-8 bytes feedparser cannot be hurt by: the character
  encoding decided once (a BOM wins, then bytes that are valid UTF-8, then the declared
  charset, then UTF-8 with stray bytes read as Windows-1252), characters XML forbids removed,
  and the document type declaration (with any entity declarations) dropped before a parser
  sees it, so no entity is ever expanded and nothing is ever fetched.
- `clean_text`: what may be text; `clean_url`: http(s)/mailto URLs, resolved and normalised;
  `language_tag`: BCP 47 tags a validator accepts; `safe_slug`: names as file names.
- `sanitize_html`: feed HTML -> an allowlisted fragment (nh3) that is also valid HTML5 (the
  Nu Html Checker finds no error in it): elements only where their parent allows them,
  attribute values of the right type, unique ids, tables whose cells span real columns.
"""

from __future__ import annotations

import bisect
import codecs
import functools
import hashlib
import html
import html.entities
import ipaddress
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import nh3
from slugify import slugify

from digest.errors import FeedError

# --- characters -----------------------------------------------------------------------------

# C1 controls are, in practice, Windows-1252 bytes decoded as Latin-1 (HTML5 maps &#146; the
# same way); the five bytes Windows-1252 leaves undefined map to nothing.
_C1_AS_CP1252 = {chr(b): bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xA0)}
# Never text: C0 controls but tab, newline and return (XML 1.0 forbids them), DEL, C1
# controls, lone surrogates (they cannot even be encoded), noncharacters. (Two expressions:
# one class with both ranges and astral code points is ten times slower.)
_BAD_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_ASTRAL_NONCHARACTERS = re.compile(
    "[" + "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(1, 17)) + "]"
)


# What XML 1.0 cannot carry, even escaped: every XML file we write drops these.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 forbids (atom.xml, sitemap.xml, opml.xml)."""
    return _NOT_XML.sub("", value)


def clean_text(value: str) -> str:
    """`value` without the characters no text needs (C1 controls read as Windows-1252)."""
    value = _BAD_CHARS.sub(lambda m: _C1_AS_CP1252.get(m.group(), ""), value)
    if _ASTRAL.search(value):
        value = _ASTRAL_NONCHARACTERS.sub("", value)
    return value


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- URLs -----------------------------------------------------------------------------------

URL_SCHEMES = frozenset({"http", "https", "mailto"})
HTTP_SCHEMES = frozenset({"http", "https"})
_LONE_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_HOST = re.compile(
    r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$"
)


def _quote(part: str, safe: str) -> str:
    """Percent-encode what may not stand in a URL part; keeps existing %XX escapes."""
    return quote(_LONE_PERCENT.sub("%25", part), safe=safe)


def clean_url(
    value: str, base: str | None = None, schemes: frozenset[str] = URL_SCHEMES
) -> str | None:
    """`value` resolved against `base` as an absolute URL a browser and a validator agree on,
    or None: another scheme (javascript:, data:, vbscript:, file: ...), no host, a bad host or
    port, or still relative. User names and passwords in URLs are dropped."""
    value = value.strip()
    if not value:
        return None
    try:
        # urlsplit drops the tabs and newlines browsers ignore ("java\tscript:") and leading
        # control characters and spaces, as browsers do.
        parts = urlsplit(urljoin(base, value) if base else value)
        scheme = parts.scheme.lower()
        if scheme not in schemes:
            return None
        if scheme == "mailto":
            address = _quote(parts.path, "@!$&'()*+,;=-._~%")
            query = _quote(parts.query, _QUERY_SAFE)
            if parts.netloc or not address:
                return None
            return f"mailto:{address}" + (f"?{query}" if query else "")
        host, port = parts.hostname, parts.port  # ValueError: a bad port or IPv6 literal
    except ValueError:
        return None
    if not host:
        return None
    if ":" in host:
        try:
            netloc = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    else:
        try:
            netloc = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        if not _HOST.match(netloc):
            return None
    if port is not None:
        netloc += f":{port}"
    return urlunsplit(
        (
            scheme,
            netloc,
            _quote(parts.path, _PATH_SAFE),
            _quote(parts.query, _QUERY_SAFE),
            _quote(parts.fragment, _QUERY_SAFE),
        )
    )


def is_http_url(value: str) -> bool:
    """The one test for "an absolute http(s) URL with a host" (config, fetch, add, OPML)."""
    try:
        parts = urlsplit(value.strip())
        return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname)
    except ValueError:  # a bad port or IPv6 literal
        return False


def http_url(value: object, base: str | None) -> str | None:
    """An absolute http(s) URL from a feed's link field, or None."""
    if not isinstance(value, str):
        return None
    return clean_url(clean_text(value), base, HTTP_SCHEMES)


# --- language tags --------------------------------------------------------------------------

# ISO 639-1, plus a few languages that only have three-letter codes; a tag's primary subtag
# must be one of these, as the Nu Html Checker checks it against the IANA registry.
_LANGUAGES = _words(
    """aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr
    ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
    ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
    ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr
    ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
    yo za zh zu ast ckb fil gsw haw yue"""
)
_DEPRECATED_LANGUAGES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
_SCRIPTS = _words(
    """Arab Armn Beng Cyrl Deva Ethi Geor Grek Gujr Guru Hang Hans Hant Hebr Hira Jpan Kana
    Khmr Knda Kore Laoo Latn Mlym Mong Mymr Orya Sinh Taml Telu Thai Tibt"""
)
# ISO 3166-1 alpha-2, and 419 (Latin America).
_REGIONS = _words(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW 419"""
)


def language_tag(value: object) -> str | None:
    """A language tag for lang= and xml:lang=: a registered language, then at most a known
    script and a region ("en", "en-US", "zh-Hant-TW"); other subtags are dropped. None when
    the language is unknown ("english", "xx")."""
    if not isinstance(value, str):
        return None
    subtags = clean_text(value).strip().replace("_", "-").split("-")
    primary = subtags[0].lower()
    primary = _DEPRECATED_LANGUAGES.get(primary, primary)
    if primary not in _LANGUAGES:
        return None
    tag = [primary]
    rest = subtags[1:]
    if rest and rest[0].title() in _SCRIPTS:
        tag.append(rest.pop(0).title())
    if rest and rest[0].upper() in _REGIONS:
        tag.append(rest[0].upper())
    return "-".join(tag)


# --- slugs ----------------------------------------------------------------------------------

# Device names Windows will not create a file or folder under, whatever the extension.
_RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{n}" for d in ("com", "lpt") for n in range(10)]
)
# Symbols that make a name different ("C++" and "C#" are not the tag "C").
_SLUG_REPLACEMENTS = [["+", " plus "], ["#", " sharp "]]


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:length]


def safe_slug(name: str, *, fallback: str, max_length: int = 60) -> str:
    """A file-name-safe slug ([a-z0-9-], at most `max_length` long) for `name`, the same for
    the same name on every run. A name with nothing to slugify ("!!!") gets `fallback` plus a
    hash of the name; a long one keeps its start plus a hash of the whole; a Windows device
    name ("CON", "nul") gets "-" + `fallback` appended."""
    slug = slugify(name, replacements=_SLUG_REPLACEMENTS)
    if not slug:
        return f"{fallback}-{short_hash(name)}"
    if len(slug) > max_length:
        slug = slug[: max_length - 9].rstrip("-") + "-" + short_hash(slug)
    if slug in _RESERVED_NAMES:
        slug = f"{slug}-{fallback}"
    return slug


# --- feed bytes -----------------------------------------------------------------------------

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
    stripped = text.lstrip(_XML_SPACE)
    if stripped[:1] in ("{", "["):  # JSON: nothing of XML applies
        return text.encode("utf-8"), _utf8(content_type)
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


def _doctype_end(text: str, i: int) -> int:
    """The index after the '>' closing a document type declaration, or -1."""
    n = len(text)
    in_subset = False
    while i < n:
        c = text[i]
        if c in "\"'":
            end = text.find(c, i + 1)
            if end < 0:
                return -1
            i = end + 1
            continue
        if in_subset and text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return -1
            i = end + 3
            continue
        if in_subset and text.startswith("<?", i):
            end = text.find("?>", i + 2)
            if end < 0:
                return -1
            i = end + 2
            continue
        if c == "[":
            in_subset = True
        elif c == "]":
            in_subset = False
        elif c == ">" and not in_subset:
            return i + 1
        i += 1
    return -1


# --- HTML -----------------------------------------------------------------------------------

# Tags and attributes of long-form writing. Everything else is dropped (its text kept);
# script/style (and other raw-text elements) are dropped with their content by nh3.
ALLOWED_TAGS = _words(
    """a abbr b blockquote br caption cite code dd del details dfn div dl dt em figcaption
    figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp section small span
    strong sub summary sup table tbody td tfoot th thead time tr u ul var"""
)
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
# Dropped with their content. textarea and title hold text with character references too
# (see _split_text_nodes), but no text a post means to show.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "textarea", "title"})
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
LINK_REL = "nofollow noopener noreferrer"

# Nesting is cut before nh3 sees it (html5ever's cost grows with depth squared: 100,000
# nested <div>s take minutes) and again in the tree below (it recurses).
_NH3_DEPTH = 256
_TREE_DEPTH = 128
# Every pattern that scans for a closing ">" also takes the end of the text: one that only
# fails there would be tried again at every "<" (a million "<a" would take hours).
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*(?:>|\Z)")
# Elements that never stay open around their successors, or close without an end tag.
_FLAT = _words(
    """area base br col embed hr img input link meta param source track wbr p li dt dd tr td
    th thead tbody tfoot option optgroup rb rt rp caption colgroup"""
)
# _TAG but for the elements in _FLAT: what can nest.
_NESTING_TAG = re.compile(
    r"<(/?)(?!(?:" + "|".join(sorted(_FLAT)) + r")[\s/>])([A-Za-z][^\s/>]*)[^>]*(?:>|\Z)",
    re.IGNORECASE,
)
# Where html5ever stops looking for the element an end tag closes.
_SCOPE = _words(
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
    if _nesting(fragment, _NESTING_TAG, None) <= _NH3_DEPTH:
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


def sanitize_html(fragment: str, id_prefix: str, base: str | None = None) -> str:
    """Allowlist-clean `fragment` into valid HTML5, resolving relative URLs against `base`.

    Ids get `id_prefix`, and `#fragment` links with them, so footnotes keep working and two
    posts on one page never clash with each other or with the page's own ids. A URL that is
    not http(s)/mailto, or cannot be resolved, is dropped (and its link or image with it).
    """

    def keep_url(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in URL_ATTRIBUTES:
            return value
        if value.startswith("#"):
            return f"#{id_prefix}{_quote(value[1:], _QUERY_SAFE)}"
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
    return _Conformer().conform(clean_text(cleaned)).strip()


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace folded."""
    text = nh3.clean(_bounded(fragment), tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT))
    text = html.unescape(text)
    return " ".join(clean_text(text).split())


# --- valid HTML5 from nh3's output ------------------------------------------------------------
#
# nh3 keeps allowed elements wherever the HTML parser put them: <span><h2>, <ul><p>, <li>
# without a list (its <menu> dropped), <a> without href (a javascript: URL dropped), an <img>
# without src or alt, width="100%", a table whose colspan reaches past every row ... all valid
# to a browser, errors to the Nu Html Checker. The fragment is read into a tree (nh3's output
# is regular: every tag is closed, every attribute value double-quoted, every "<" in text and
# attributes escaped), each element kept where its parent allows it and unwrapped (its content
# kept) elsewhere, and written back; valid input comes back byte for byte.

_VOID = frozenset({"br", "hr", "img"})
_PHRASING = _words(
    """a abbr b br cite code del dfn em i img ins kbd mark q s samp small span strong sub sup
    time u var"""
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_FLOW = frozenset({"blockquote", "details", "div", "dl", "figure", "hr", "ol", "p", "pre", "ul"})
_TRANSPARENT = frozenset({"a", "ins", "del"})
_PHRASING_PARENTS = _PHRASING | _HEADINGS | {"p", "pre"}
_TABLE_SECTIONS = ("thead", "tbody", "tfoot")
_WHITESPACE = " \t\n\r\f"
_TAG_TOKEN = re.compile(r"<(/?)([a-z][a-z0-9]*)((?:\s[^>]*)?)>")
_ATTRIBUTE = re.compile(r'([^\s="]+)(?:="([^"]*)")?')
_INTEGER = re.compile(r"^-?[0-9]{1,9}$")
_DIGITS = re.compile(r"^[0-9]{1,6}$")
_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,3})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)
_MAX_SPAN_AREA = 100_000  # cells a table's colspan x rowspan may cover before spans go


@dataclass(slots=True)
class _Element:
    tag: str
    attrs: dict[str, str]  # name -> value as written (escaped)
    children: list[_Element | str] = field(default_factory=list)  # str: text as written


_Node = _Element | str


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


def _escape(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("\xa0", "&nbsp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def _blank(node: _Node) -> bool:
    return isinstance(node, str) and not node.strip(_WHITESPACE)


def _read_tree(markup: str) -> list[_Node]:
    """nh3's output as a tree; elements nested deeper than _TREE_DEPTH are unwrapped."""
    root = _Element("", {})
    stack: list[tuple[str, _Element]] = [("", root)]  # (tag, element its content goes into)
    parts = _TAG_TOKEN.split(markup)  # text, then (closing, tag, attributes, text) per tag
    if parts[0]:
        root.children.append(parts[0])
    for i in range(1, len(parts), 4):
        closing, tag, rest, text = parts[i : i + 4]
        if closing:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth][0] == tag:
                    del stack[depth:]
                    break
        else:
            attrs = {m[0]: m[1] for m in _ATTRIBUTE.findall(rest)} if rest else {}
            parent = stack[-1][1]
            if tag in _VOID:
                parent.children.append(_Element(tag, attrs))
            elif len(stack) > _TREE_DEPTH:
                stack.append((tag, parent))  # unwrapped: its content goes to the parent
            else:
                element = _Element(tag, attrs)
                parent.children.append(element)
                stack.append((tag, element))
        if text:
            stack[-1][1].children.append(text)
    return root.children


def _write(node: _Node, out: list[str]) -> None:
    if isinstance(node, str):
        out.append(node)
        return
    out.append(f"<{node.tag}")
    for name, value in node.attrs.items():
        out.append(f' {name}="{value}"')
    out.append(">")
    if node.tag in _VOID:
        return
    for child in node.children:
        _write(child, out)
    out.append(f"</{node.tag}>")


def _attribute(element: _Element, name: str) -> str | None:
    raw = element.attrs.get(name)
    return None if raw is None else html.unescape(raw)


def _valid_datetime(value: str) -> bool:
    if not _DATETIME.match(value):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.year >= 1


class _Conformer:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    def conform(self, markup: str) -> str:
        out: list[str] = []
        for node in self.fix(_read_tree(markup), _FLOW_CONTEXT):
            _write(node, out)
        return "".join(out)

    # -- content models

    def fix(self, nodes: list[_Node], context: _Context) -> list[_Node]:
        out: list[_Node] = []
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif self.allowed(node.tag, context) and self.usable(node):
                out += self.element(node, context)
            else:
                out += self.unwrap(node, context)
        return out

    def unwrap(self, element: _Element, context: _Context) -> list[_Node]:
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

    def usable(self, element: _Element) -> bool:
        """Drops and rewrites attributes; False when the element cannot stand as it is."""
        attrs = element.attrs
        for name in list(attrs):
            value = html.unescape(attrs[name])
            keep = self.attribute_ok(element.tag, name, value)
            if keep is None:
                del attrs[name]
            elif keep != value:
                attrs[name] = _escape(keep)
        if element.tag == "a":
            return "href" in attrs
        if element.tag == "img":
            attrs.setdefault("alt", "")
            return "src" in attrs
        if element.tag == "time":
            return "datetime" in attrs
        return True

    def attribute_ok(self, tag: str, name: str, value: str) -> str | None:
        """The value to keep for attribute `name` (None: drop it)."""
        if name == "id":
            if not value or any(c in value for c in _WHITESPACE) or value in self.ids:
                return None
            self.ids.add(value)
            return value
        if name == "lang":
            return language_tag(value)
        if name == "dir":
            return value.lower() if value.lower() in ("ltr", "rtl", "auto") else None
        if name == "title":
            return value
        if name in URL_ATTRIBUTES:
            # nh3 has resolved and filtered them (keep_url); checked again, cheaply.
            scheme = value.split(":", 1)[0].lower() if ":" in value else ""
            return value if value.startswith("#") or scheme in URL_SCHEMES else None
        if tag == "a" and name == "rel":
            return value
        if tag == "img":
            if name == "loading":
                return "lazy"
            if name == "alt":
                return value
            if name in ("width", "height"):
                return str(int(value.strip())) if _DIGITS.match(value.strip()) else None
        if tag == "ol":
            if name == "reversed":
                return ""
            if name == "start":
                return value.strip() if _INTEGER.match(value.strip()) else None
        if tag == "li" and name == "value":
            return value.strip() if _INTEGER.match(value.strip()) else None
        if tag == "time" and name == "datetime":
            return value.strip() if _valid_datetime(value.strip()) else None
        if tag == "th" and name == "scope":
            scope = value.strip().lower()
            return scope if scope in ("row", "col", "rowgroup", "colgroup") else None
        if tag in ("td", "th") and name in ("colspan", "rowspan"):
            return value  # checked with the whole table
        return None

    def element(self, element: _Element, context: _Context) -> list[_Node]:
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
            first = next((n for n in element.children if not _blank(n)), None)
            if not (isinstance(first, _Element) and first.tag == "summary"):
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

    def fix_list(self, element: _Element, context: _Context) -> None:
        """ul/ol hold li only: anything else is wrapped in one."""
        out: list[_Node] = []
        loose: list[_Node] = []

        def wrap() -> None:
            if all(_blank(n) for n in loose):
                out.extend(loose)
            else:
                out.append(_Element("li", {}, self.fix(loose, context)))
            loose.clear()

        for child in element.children:
            if isinstance(child, _Element) and child.tag == "li":
                wrap()
                value = child.attrs.pop("value", None)
                if self.usable(child):
                    if element.tag == "ol" and value is not None:
                        kept = html.unescape(value).strip()
                        if _INTEGER.match(kept):
                            child.attrs["value"] = _escape(kept)
                    child.children = self.fix(child.children, context)
                    out.append(child)
            else:
                loose.append(child)
        wrap()
        element.children = out

    def fix_dl(self, element: _Element, context: _Context) -> None:
        """dl holds groups of dt+ dd+: a dd without a dt gets an empty one, and so on."""
        out: list[_Node] = []
        last = ""  # "dt" or "dd"
        term = self.inside("dt", context)
        for child in element.children:
            if _blank(child):
                out.append(child)
                continue
            if isinstance(child, _Element) and child.tag in ("dt", "dd"):
                self.usable(child)
                child.children = self.fix(child.children, term if child.tag == "dt" else context)
                if child.tag == "dd" and not last:
                    out.append(_Element("dt", {}))
                out.append(child)
                last = child.tag
                continue
            content = self.fix([child], context)
            if last == "dd":
                dd = next(n for n in reversed(out) if isinstance(n, _Element))
                dd.children += content
            else:
                if not last:
                    out.append(_Element("dt", {}))
                out.append(_Element("dd", {}, content))
                last = "dd"
        if last == "dt":
            out.append(_Element("dd", {}))
        element.children = out

    def fix_first_or_last(
        self, element: _Element, tag: str, own: _Context, context: _Context, *, last: bool
    ) -> None:
        """figure's figcaption (first or last child) or details' summary (first child):
        one is kept there, any other unwrapped."""
        places = [i for i, n in enumerate(element.children) if not _blank(n)]
        ends = set(places[:1] + places[-1:]) if last else set(places[:1])
        kept = False
        out: list[_Node] = []
        for i, child in enumerate(element.children):
            if isinstance(child, _Element) and child.tag == tag and i in ends and not kept:
                kept = True
                self.usable(child)
                child.children = self.fix(child.children, own)
                out.append(child)
            else:
                out += self.fix([child], context)
        element.children = out

    def fix_table(self, table: _Element, context: _Context) -> list[_Node]:
        """caption?, thead?, tbody*, tfoot? of rows of cells; spans clipped to real columns."""
        caption: _Element | None = None
        head: _Element | None = None
        foot: _Element | None = None
        bodies: list[_Element] = []
        loose: _Element | None = None  # a tbody for rows standing directly in the table
        for child in table.children:
            if not isinstance(child, _Element):
                continue
            if child.tag == "tr":
                if loose is None:
                    loose = _Element("tbody", {})
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
        self.fix_spans(sections)
        table.children = [*([caption] if caption else []), *sections]
        return [table]

    def fix_row(self, row: _Node, context: _Context) -> _Element | None:
        if not isinstance(row, _Element) or row.tag != "tr":
            return None
        self.usable(row)
        cells = [c for c in row.children if isinstance(c, _Element) and c.tag in ("td", "th")]
        for cell in cells:
            self.usable(cell)
            cell.children = self.fix(cell.children, self.inside(cell.tag, context))
        row.children = list(cells)
        return row if cells else None

    @staticmethod
    def fix_spans(sections: list[_Element]) -> None:
        """Rowspans end with their row group; a column no cell begins in is removed from the
        colspans that cover it (else: "Table columns ... have no cells beginning in them")."""
        cells: list[tuple[_Element, int, int, int, int]] = []  # cell, group, row, cols, rows
        area = 0
        for group, section in enumerate(sections):
            rows = [row for row in section.children if isinstance(row, _Element)]
            for r, row in enumerate(rows):
                for cell in row.children:
                    assert isinstance(cell, _Element)
                    colspan = _span(cell, "colspan", 1, 1000)
                    rowspan = _span(cell, "rowspan", 0, 65534)
                    if rowspan == 0 or r + rowspan > len(rows):
                        rowspan = len(rows) - r
                    area += colspan * rowspan
                    cells.append((cell, group, r, colspan, rowspan))
        if area > _MAX_SPAN_AREA:  # not worth laying out: no spans at all
            for cell, *_ in cells:
                cell.attrs.pop("colspan", None)
                cell.attrs.pop("rowspan", None)
            return
        taken: set[tuple[int, int, int]] = set()
        placed: list[tuple[_Element, int, int, int]] = []  # cell, column, colspan, rowspan
        column, here = 0, (-1, -1)
        for cell, group, r, colspan, rowspan in cells:
            if (group, r) != here:
                column, here = 0, (group, r)
            while (group, r, column) in taken:
                column += 1
            taken.update((group, r + i, column + j) for i in range(rowspan) for j in range(colspan))
            placed.append((cell, column, colspan, rowspan))
            column += colspan
        starts = sorted({column for _, column, _, _ in placed})
        for cell, column, colspan, rowspan in placed:
            # Columns no cell begins in are not columns: a colspan counts the others.
            columns = bisect.bisect_left(starts, column + colspan) - bisect.bisect_left(
                starts, column
            )
            for name, value in (("colspan", columns), ("rowspan", rowspan)):
                if value > 1:
                    cell.attrs[name] = str(value)
                else:
                    cell.attrs.pop(name, None)


def _span(cell: _Element, name: str, low: int, high: int) -> int:
    value = (_attribute(cell, name) or "").strip()
    if not _DIGITS.match(value):
        return 1
    return min(max(int(value), low), high)
