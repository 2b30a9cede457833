"""The example digest of this repository builds offline from its committed cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from atomcheck import check_atom_rules, validate_atom
from helpers import html_pages, page_text

from digest.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_example_digest_builds_offline_with_the_sample_posts(tmp_path: Path) -> None:
    shutil.copy(ROOT / "config.toml", tmp_path)
    shutil.copytree(ROOT / "content", tmp_path / "content")
    assert main(["build", "--offline", "-q", "--config", str(tmp_path / "config.toml")]) == 0
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
    shutil.copy(ROOT / "config.toml", tmp_path)
    shutil.copytree(ROOT / "content", tmp_path / "content")
    assert main(["build", "--offline", "-q", "--config", str(tmp_path / "config.toml")]) == 0
    out = tmp_path / "output"
    committed = sorted(p.stem for p in (ROOT / "content" / "editions" / "daily").glob("*.json"))
    assert committed[0] == "2026-03-16" and committed[-1] == "2026-03-22"
    for day in committed:
        assert (out / "editions" / "daily" / day / "index.html").is_file()
    edition = page_text(out / "editions" / "daily" / "2026-03-22" / "index.html")
    assert "Hello, World of Mechanistic Interpetability" in edition
    assert "About this digest" in edition
    assert "editions/daily/2026-03-22/" in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "editions" / "weekly" / "2026-W12" / "index.html").is_file()
    assert validate_atom(out / "editions" / "daily.xml") == []
    assert check_atom_rules(out / "editions" / "daily.xml") == []
