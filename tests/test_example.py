"""The example digest of this repository builds offline from its committed cache (as
committed: `helpers.committed_example`, whatever a `digest build` made of the checkout)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from atomcheck import check_atom_rules, validate_atom
from helpers import committed_example, html_pages, page_text, tree

from digest.cli import main


def test_example_digest_builds_offline_with_the_sample_posts(tmp_path: Path) -> None:
    config = committed_example(tmp_path)
    assert main(["build", "--offline", "-q", "--config", str(config)]) == 0
    out = tmp_path / "output"
    home = page_text(out / "index.html")
    assert "Hello, World of Mechanistic Interpetability" in home
    assert "About this digest" in home
    assert len(list(html_pages(out))) > 15
    assert (out / "sources" / "lesswrong" / "index.html").is_file()
    assert validate_atom(out / "atom.xml") == []
    assert check_atom_rules(out / "atom.xml") == []


def test_example_digest_shows_its_committed_editions(tmp_path: Path) -> None:
    """The closed editions in content/editions/ render as they were recorded, whatever
    the clock says (a later clock closes only newer, empty days, which show nothing)."""
    config = committed_example(tmp_path)
    committed = sorted(p.stem for p in (tmp_path / "content" / "editions" / "daily").glob("*.json"))
    assert committed[0] == "2026-03-16" and committed[-1] == "2026-03-22"
    assert main(["build", "--offline", "-q", "--config", str(config)]) == 0
    out = tmp_path / "output"
    for day in committed:
        assert (out / "editions" / "daily" / day / "index.html").is_file()
    edition = page_text(out / "editions" / "daily" / "2026-03-22" / "index.html")
    assert "Hello, World of Mechanistic Interpetability" in edition
    assert "About this digest" in edition
    assert "editions/daily/2026-03-22/" in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "editions" / "weekly" / "2026-W12" / "index.html").is_file()
    assert validate_atom(out / "editions" / "daily.xml") == []
    assert check_atom_rules(out / "editions" / "daily.xml") == []


def build_at(config: Path, moment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    when = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(when.timestamp())))
    assert main(["build", "--offline", "-q", "--config", str(config)]) == 0


def test_a_build_months_later_adds_one_file_to_the_editions_and_a_new_post_its_edition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's `digest build` in December: every day and week since the example's last
    post closes, with no posts, into content/editions/empty.json, not a file each."""
    config = committed_example(tmp_path)
    editions = tmp_path / "content" / "editions"
    committed = tree(editions)

    build_at(config, "2026-12-07T12:00:00", monkeypatch)

    after = tree(editions)
    assert sorted(after) == sorted([*committed, "empty.json"])  # `git status`: one new file
    assert all(after[name] == data for name, data in committed.items())
    assert len(after["empty.json"]) < 1000
    empty = json.loads(after["empty.json"])
    assert {kind: e["key"] for kind, e in empty.items()} == {
        "daily": "2026-12-06",
        "weekly": "2026-W49",
    }
    for name, data in after.items():  # every edition file holds posts
        assert name == "empty.json" or json.loads(data)["entries"], name

    # A post on a new day (Berlin time): its day closes at 06:00 the next morning, with it.
    (tmp_path / "content" / "posts" / "news.md").write_text(
        "---\ntitle: News of the day\ndate: 2026-12-07 15:00\n---\nSome news.\n",
        encoding="utf-8",
    )
    build_at(config, "2026-12-08T05:00:00", monkeypatch)

    assert sorted(tree(editions)) == sorted([*after, "daily/2026-12-07.json"])
    edition = json.loads((editions / "daily" / "2026-12-07.json").read_bytes())
    assert [ref["source"] for ref in edition["entries"]] == ["posts"]
    page = page_text(tmp_path / "output" / "editions" / "daily" / "2026-12-07" / "index.html")
    assert "News of the day" in page
