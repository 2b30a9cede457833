"""parse_body: data files in, what a reader would get out; and the guard on every path to it.

Each tests/data/feeds/NAME.{xml,rss,atom,json} is parsed at a fixed `now` and compared with
NAME.expected.json (the feed, its format and entries as readable JSON, or the error). After a
deliberate change, `pytest tests/test_parse.py --regen-expected` rewrites them: review the diff.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path

import pytest
from budget_child import element_feed, entity_feed
from helpers import FeedServer, write_config

import digest
from digest.errors import FeedError
from digest.models import Entry, ParsedFeed
from digest.parse import parse_body

NOW = datetime(2026, 3, 23, 12, tzinfo=UTC)
FEEDS = Path(__file__).parent / "data" / "feeds"
CASES = sorted(
    p for p in FEEDS.iterdir() if p.suffix in (".xml", ".rss", ".atom", ".json") and
    not p.name.endswith(".expected.json")
)  # fmt: skip
BUDGET_MB = 400  # address space for the whole interpreter, feeds and all


def as_json(parsed: ParsedFeed) -> dict[str, object]:
    """What a reader would notice of a parse; `source` and `first_seen` are the test's own."""
    entries = []
    for entry in parsed.entries:
        data = asdict(entry)
        for key in ("source", "first_seen", "slug"):
            del data[key]
        for key in ("published", "updated"):
            data[key] = data[key] and data[key].isoformat()
        data["tags"] = list(data["tags"])
        # The fields added since these files were written (what a post carries besides its
        # text, issue 22): only when the entry has them.
        for f in fields(Entry)[[f.name for f in fields(Entry)].index("slug") + 1 :]:
            if getattr(entry, f.name) == f.default:
                del data[f.name]
        entries.append(data)
    return {"format": parsed.format, "feed": asdict(parsed.feed), "entries": entries}


def parse_case(path: Path) -> dict[str, object]:
    try:
        parsed = parse_body(
            path.read_bytes(), url=f"https://feeds.example/{path.name}", headers={},
            source="case", now=NOW,
        )  # fmt: skip
    except FeedError as e:
        return {"error": str(e)}
    return as_json(parsed)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_feed_file(path: Path, request: pytest.FixtureRequest) -> None:
    got = parse_case(path)
    expected = path.with_name(path.stem + ".expected.json")
    if request.config.getoption("--regen-expected"):
        expected.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert got == json.loads(expected.read_text("utf-8"))


def entry_ids(path: str) -> list[str]:
    got = parse_case(FEEDS / path)
    return [e["id"] for e in got["entries"]]  # type: ignore[index, attr-defined]


@pytest.mark.parametrize(
    "path", ["duplicates-rss.rss", "duplicates-atom.atom", "duplicates-json.json"]
)
def test_one_rule_for_repeated_ids_in_every_format(path: str) -> None:
    # The same post twice is kept once; another post under the same id is kept too.
    ids = entry_ids(path)
    assert len(ids) == len(set(ids)) == 2
    assert ids[0].endswith("same") and ids[1].startswith(ids[0] + "#dup-")


@pytest.mark.parametrize(
    "path,format",
    [("rss11-empty.xml", "RSS 1.1"), ("rss091.rss", "RSS 0.91"), ("atom03.atom", "Atom 0.3"),
     ("jsonfeed10.json", "JSON Feed 1.0"), ("jsonfeed11.json", "JSON Feed 1.1"),
     ("atom-no-namespace.atom", "Atom")],
)  # fmt: skip
def test_the_format_is_reported(path: str, format: str) -> None:
    assert parse_case(FEEDS / path)["format"] == format


@pytest.mark.parametrize(
    "path,what",
    [("not-a-feed-app-service.xml", "an Atom Publishing Protocol service document"),
     ("not-a-feed-kml.xml", "a KML map"), ("not-a-feed-rdf-lowercase.xml", "<rdf:rdf>"),
     ("not-a-feed-page.xml", "a web page; it advertises https://feeds.example/atom.xml")],
)  # fmt: skip
def test_a_document_that_is_no_feed_is_named(path: str, what: str) -> None:
    error = parse_case(FEEDS / path)["error"]
    assert isinstance(error, str) and error.startswith("not a feed") and what in error


def test_json_nested_too_deep_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="invalid JSON"):
        parse_body(b"[" * 200_000, url="https://x.example/", headers={}, source="x", now=NOW)


# --- one guarded entry point ----------------------------------------------------------------


def test_only_parse_imports_feedparser() -> None:
    importers = []
    for module in sorted(Path(digest.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            if any(name.split(".")[0] == "feedparser" for name in names):
                importers.append(module.relative_to(Path(digest.__file__).parent).as_posix())
    # parse/fast/ is parse's fast path: it mirrors feedparser with feedparser's own helpers,
    # all taken in one module.
    assert sorted(set(importers)) == ["parse/__init__.py", "parse/fast/feedparser_internals.py"]


def run_budgeted(*args: str) -> dict[str, object]:
    """tests/budget_child.py in a fresh interpreter limited to BUDGET_MB of address space."""
    child = Path(__file__).parent / "budget_child.py"
    done = subprocess.run(
        [sys.executable, str(child), str(BUDGET_MB), *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout)
    assert result["outcome"] in ("ok", "error"), result  # not MemoryError
    return result


@pytest.fixture(scope="module")
def hostile_feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    feeds = {"entities": entity_feed(), "elements": element_feed()}
    for name, body in feeds.items():
        (folder / f"{name}.rss").write_bytes(body)
    return {name: folder / f"{name}.rss" for name in feeds}


@pytest.mark.slow
def test_entity_declarations_are_not_expanded_by_parse_body(
    hostile_feeds: dict[str, Path],
) -> None:
    body = hostile_feeds["entities"]
    result = run_budgeted("parse", str(body))
    assert result["outcome"] == "ok" and result["entries"] == body.read_text().count("<item>")
    # Each reference stays a few characters of text: nothing is expanded.
    assert isinstance(result["output_chars"], int) and result["output_chars"] < 2 * len(
        body.read_bytes()
    )


@pytest.mark.slow
def test_too_many_elements_are_refused_by_parse_body(hostile_feeds: dict[str, Path]) -> None:
    result = run_budgeted("parse", str(hostile_feeds["elements"]))
    assert result["outcome"] == "error" and "more than 250,000 XML elements" in str(result["error"])


@pytest.mark.slow
def test_digest_add_reads_a_hostile_feed_within_the_budget(
    hostile_feeds: dict[str, Path], tmp_path: Path, server: FeedServer
) -> None:
    entities = server.serve("/entities.rss", hostile_feeds["entities"].read_bytes())
    config = write_config(tmp_path / "a", [])
    result = run_budgeted("add", str(config), entities)
    assert result == {
        "outcome": "ok",
        "entries": hostile_feeds["entities"].read_text().count("<item>"),
        "format": "RSS 2.0",
        "max_rss_mb": result["max_rss_mb"],
    }
    elements = server.serve("/elements.rss", hostile_feeds["elements"].read_bytes())
    config = write_config(tmp_path / "b", [])
    result = run_budgeted("add", str(config), elements)
    assert result["outcome"] == "error" and "more than 250,000 XML elements" in str(result["error"])
    assert "[[feeds]]" not in config.read_text()


def test_a_fragment_link_without_its_target_goes_to_the_original_article() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<link>https://blog.example/</link><item><title>Post</title>
<link>https://blog.example/2026/post</link><guid>https://blog.example/2026/post</guid>
<description><![CDATA[<p>See <a href="#section-2">section 2</a> and note<a href="#fn1">1</a>.</p>
<ol><li id="fn1">A footnote.</li></ol>]]></description></item></channel></rss>"""
    parsed = parse_body(body, url="https://blog.example/feed", headers={}, source="b", now=NOW)
    html = parsed.entries[0].content_html
    # The section lives on the article's page only; the footnote is in the entry itself.
    assert 'href="https://blog.example/2026/post#section-2"' in html
    assert 'href="#fn1"' not in html and 'href="#e' in html
