"""Tests proving the Atom 1.0 validator in tests/atomcheck.py works."""

from __future__ import annotations

from pathlib import Path

import pytest
from atomcheck import ATOM_SCHEMA, check_atom_rules, validate_atom

FEED_AUTHOR = "<author><name>Feed Author</name></author>"
ENTRY = """\
  <entry>
    <title>First post</title>
    <link href="https://example.org/posts/first/"/>
    <id>tag:example.org,2024:posts/first</id>
    <updated>2024-05-01T12:00:00Z</updated>
    <published>2024-05-01T11:30:00+02:00</published>
    <summary>Hello.</summary>
  </entry>
"""


def atom_doc(feed_author: str = FEED_AUTHOR, entry: str = ENTRY) -> str:
    return f"""\
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example site</title>
  <link href="https://example.org/"/>
  <link rel="self" href="https://example.org/atom.xml"/>
  <id>https://example.org/</id>
  <updated>2024-05-01T12:00:00Z</updated>
  {feed_author}
{entry}</feed>
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "atom.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_schema_is_rfc_4287_appendix_b() -> None:
    text = ATOM_SCHEMA.read_text(encoding="utf-8")
    assert "RFC 4287" in text.splitlines()[0]
    for name in (
        "atomUri",
        "atomEmailAddress",
        "extensionElement",
        "undefinedAttribute",
    ):
        assert f"\n{name} =" in text
    assert text.rstrip().endswith("# EOF")


def test_minimal_valid_feed_passes_both(tmp_path: Path) -> None:
    path = write(tmp_path, atom_doc())
    assert validate_atom(path) == []
    assert check_atom_rules(path) == []


def test_entry_author_via_source_is_accepted(tmp_path: Path) -> None:
    entry = ENTRY.replace(
        "<summary>",
        "<source><id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id>"
        "<author><name>Origin</name></author></source>\n    <summary>",
    )
    path = write(tmp_path, atom_doc(feed_author="", entry=entry))
    assert validate_atom(path) == []
    assert check_atom_rules(path) == []


def test_entry_missing_updated_fails_schema(tmp_path: Path) -> None:
    entry = ENTRY.replace("    <updated>2024-05-01T12:00:00Z</updated>\n", "")
    path = write(tmp_path, atom_doc(entry=entry))
    errors = validate_atom(path)
    assert errors
    assert any('missing required element "updated"' in e for e in errors), errors


def test_relative_entry_id_fails_rules(tmp_path: Path) -> None:
    entry = ENTRY.replace("tag:example.org,2024:posts/first", "/posts/first/")
    path = write(tmp_path, atom_doc(entry=entry))
    problems = check_atom_rules(path)
    assert any("'/posts/first/' is not an absolute IRI" in p for p in problems), problems


def test_entry_without_any_author_fails_rules(tmp_path: Path) -> None:
    path = write(tmp_path, atom_doc(feed_author=""))
    assert validate_atom(path) == []  # jing ignores the schema's Schematron rules
    problems = check_atom_rules(path)
    assert any("no atom:author" in p for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00", "not an RFC 3339 date-time"),
        ("2024-05-01T12:00:00Z", "2024-05-01 12:00:00Z", "not an RFC 3339 date-time"),
        ('rel="self" ', 'rel="via" ', 'no atom:link with rel="self"'),
        ('href="https://example.org/posts/first/"', 'href="/posts/first/"', "href"),
    ],
)
def test_other_rules(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = atom_doc()
    assert old in text
    problems = check_atom_rules(write(tmp_path, text.replace(old, new, 1)))
    assert any(expected in p for p in problems), problems


def test_missing_java_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, atom_doc())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="Java"):
        validate_atom(path)
