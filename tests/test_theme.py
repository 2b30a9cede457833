"""Themes people can change: a project theme overrides file by file; errors name the place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import html_pages

from digest.cli import main
from digest.render.theme import BUILTIN_THEME

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "site"


def project(tmp_path: Path, theme: str | None) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "site")
    config = tmp_path / "site" / "config.toml"
    if theme:
        config.write_text(
            config.read_text().replace("per_page = 3", f'per_page = 3\ntheme = "{theme}"')
        )
    return config


def test_the_documented_example_theme_overrides_one_file_at_a_time(
    tmp_path: Path, epoch: int
) -> None:
    config = project(tmp_path, "compact")
    shutil.copytree(ROOT / "docs" / "example-theme", tmp_path / "site" / "themes" / "compact")
    assert main(["build", "-q", "--config", str(config)]) == 0
    out = tmp_path / "site" / "output"
    home = (out / "index.html").read_text(encoding="utf-8")
    # entry.html overridden: compact entries, no full content.
    assert 'class="entry compact"' in home and "entry-content" not in home
    # base.html extends the built-in original ("default/base.html") and adds to its footer.
    for page in html_pages(out):
        html = page.read_text(encoding="utf-8")
        assert '<p class="colophon">Compact edition.</p>' in html, page
        assert 'rel="alternate" type="application/atom+xml"' in html, page  # from the original
    # Interface strings: the theme's own win, the rest stay built-in.
    assert "Follow (Atom)" in home and "Skip to content" in home
    # Static files: style.css replaced, favicon.svg kept from the built-in theme.
    css = (ROOT / "docs" / "example-theme" / "static" / "style.css").read_bytes()
    assert (out / "static" / "style.css").read_bytes() == css
    builtin_icon = (BUILTIN_THEME / "static" / "favicon.svg").read_bytes()
    assert (out / "static" / "favicon.svg").read_bytes() == builtin_icon
    # Pages the theme does not touch still use the built-in templates.
    assert "Feed health" in (out / "feeds" / "index.html").read_text(encoding="utf-8")


def test_a_template_error_names_the_file_line_and_variable(
    tmp_path: Path, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project(tmp_path, "broken")
    templates = tmp_path / "site" / "themes" / "broken" / "templates"
    templates.mkdir(parents=True)
    (templates / "tags.html").write_text(
        '{% extends "default/base.html" %}\n{% block main %}\n<h1>Tags</h1>\n'
        "<p>{{ tag_count_typo }}</p>\n{% endblock %}\n"
    )
    assert main(["build", "-q", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"{templates / 'tags.html'}:4" in err
    assert "'tag_count_typo' is undefined" in err


def test_a_template_syntax_error_names_the_file_and_line(
    tmp_path: Path, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project(tmp_path, "broken")
    templates = tmp_path / "site" / "themes" / "broken" / "templates"
    templates.mkdir(parents=True)
    (templates / "entry.html").write_text("<article>\n{% if entry.title %}\n</article>\n")
    assert main(["build", "-q", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert str(templates / "entry.html") in err and "syntax error" in err


def test_an_unknown_theme_is_a_config_problem(
    tmp_path: Path, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project(tmp_path, "nowhere")
    assert main(["build", "-q", "--config", str(config)]) == 1
    assert "themes/nowhere: no such theme folder" in capsys.readouterr().err
