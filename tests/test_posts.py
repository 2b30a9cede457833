"""Hand-written posts: the YAML and TOML front matter people write for Jekyll, Hugo, Pelican.

Each post is a real file in a tmp dir, read the way a build reads it (digest.feeds.store.load_posts
through `digest build`, or parse_post on the file's text with its path as the name).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import page_text

from digest.cli import main
from digest.errors import PostError
from digest.models import Entry
from digest.parse.posts import parse_post

REPO = Path(__file__).resolve().parent.parent
BASE = "https://example.org/digest/"


def post(tmp_path: Path, text: str, name: str = "hello.md", timezone: str = "UTC") -> Entry:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_post(
        path.read_text(encoding="utf-8"), filename=str(path), timezone=timezone, base_url=BASE
    )


def error(tmp_path: Path, text: str, name: str = "hello.md") -> str:
    with pytest.raises(PostError) as caught:
        post(tmp_path, text, name)
    return str(caught.value)


def readme_posts() -> list[str]:
    """The README's example posts: its code blocks that start with a front matter fence."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```\w*\n(.*?)^```", readme, re.DOTALL | re.MULTILINE)
    return [b for b in blocks if b.startswith(("---\n", "+++\n"))]


# --- what users already write ----------------------------------------------------------------


def test_the_readme_examples_parse(tmp_path: Path) -> None:
    examples = readme_posts()
    assert [e[:3] for e in examples] == ["---", "+++"]
    yaml_post, toml_post = (post(tmp_path, text) for text in examples)
    assert yaml_post.title == toml_post.title == "About this digest"
    assert yaml_post.tags == ("Meta", "news") == toml_post.tags
    assert yaml_post.author == "The Editors"  # the inline "# optional" is a comment
    assert yaml_post.slug == "about" and toml_post.slug == "hello"  # default: the file name
    assert yaml_post.language == "en-GB"
    assert yaml_post.published == datetime(2026, 3, 22, 23, 30, tzinfo=UTC)
    assert toml_post.published == datetime(2026, 3, 22, 22, 30, tzinfo=UTC)
    assert "<strong>posts</strong>" in yaml_post.content_html


def test_quoted_titles_lose_their_quotes(tmp_path: Path) -> None:
    single = post(tmp_path, "---\ntitle: 'It''s here'\ndate: 2026-03-22\n---\nx\n")
    double = post(tmp_path, '---\ntitle: "Part 2: #1 again"\ndate: 2026-03-22\n---\nx\n')
    assert single.title == "It's here"
    assert double.title == "Part 2: #1 again"


def test_a_quoted_tag_with_a_comma_is_one_tag(tmp_path: Path) -> None:
    assert post(tmp_path, '---\ntitle: T\ndate: 2026-03-22\ntags: ["a, b", c]\n---\n').tags == (
        "a, b",
        "c",
    )
    # comma-separated text, the old form, still gives one tag per name
    assert post(tmp_path, "---\ntitle: T\ndate: 2026-03-22\ntags: a, b\n---\n").tags == ("a", "b")
    block_list = "---\ntitle: T\ndate: 2026-03-22\ntags:\n  - C++\n  - notes\n---\n"
    assert post(tmp_path, block_list).tags == ("C++", "notes")


def test_toml_front_matter(tmp_path: Path) -> None:
    entry = post(
        tmp_path,
        '+++\ntitle = "Notes"\ndate = 2026-03-20T08:00:00-05:00\ntags = "x, y"\n'
        'author = "Ann"\nslug = "My Notes"\nlanguage = "pt-br"\n+++\n# Heading\n',
    )
    assert entry.title == "Notes" and entry.author == "Ann"
    assert entry.published == datetime(2026, 3, 20, 13, 0, tzinfo=UTC)
    assert entry.tags == ("x", "y")
    assert entry.slug == "my-notes" and entry.id == "posts/my-notes"
    assert entry.language == "pt-BR"
    assert "<h1" in entry.content_html and "Heading" in entry.content_html


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("date: 2026-03-22 23:30", datetime(2026, 3, 22, 22, 30, tzinfo=UTC)),  # text, naive
        ("date: 2026-03-22 23:30:00", datetime(2026, 3, 22, 22, 30, tzinfo=UTC)),  # YAML, naive
        ("date: 2026-03-22", datetime(2026, 3, 21, 23, 0, tzinfo=UTC)),  # a day: its midnight
        ("date: 2026-03-22T23:30:00Z", datetime(2026, 3, 22, 23, 30, tzinfo=UTC)),
        ("date: '2026-03-22T23:30+02:00'", datetime(2026, 3, 22, 21, 30, tzinfo=UTC)),
    ],
)
def test_dates_without_offset_are_in_the_site_timezone(
    tmp_path: Path, front: str, expected: datetime
) -> None:
    text = f"---\ntitle: T\n{front}\n---\n"
    assert post(tmp_path, text, timezone="Europe/Berlin").published == expected


def test_language_per_post(tmp_path: Path) -> None:
    assert post(tmp_path, "---\ntitle: T\ndate: 2026-03-22\nlanguage: de\n---\n").language == "de"
    assert post(tmp_path, "---\ntitle: T\ndate: 2026-03-22\n---\n").language is None
    message = error(tmp_path, "---\ntitle: T\ndate: 2026-03-22\nlanguage: english\n---\n")
    assert message.startswith(f"{tmp_path / 'hello.md'}: line 4: language: 'english' is not")


def test_slugs_follow_the_one_slug_rule(tmp_path: Path) -> None:
    front = "---\ntitle: T\ndate: 2026-03-22\n---\n"
    assert post(tmp_path, front, name="C++ tips.md").slug == "c-plus-plus-tips"
    assert post(tmp_path, front, name="con.md").slug == "con-post"  # a Windows device name
    assert post(tmp_path, front, name="!!!.md").slug.startswith("post-")
    assert post(tmp_path, front, name="Ünïcode Notes.md").slug == "unicode-notes"


def test_unknown_keys_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    text = "---\nlayout: post\ntitle: T\ndate: 2026-03-22\ntag: x\ndraft: false\n---\n"
    assert post(tmp_path, text).tags == ()
    path = tmp_path / "hello.md"
    assert f"{path}: line 2: layout: ignored, not a post key\n" in caplog.text
    assert f"{path}: line 6: draft: ignored, not a post key\n" in caplog.text
    assert f"{path}: line 5: tag: ignored, not a post key (did you mean 'tags'?)" in caplog.text


# --- errors name the file, the line and the key -------------------------------------------------


def test_a_bad_date_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    assert error(tmp_path, "---\ntitle: T\ndate: tomorrow\n---\n", "x.md") == (
        f"{path}: line 3: date: 'tomorrow' is not a date; write YYYY-MM-DD or "
        "YYYY-MM-DD HH:MM, with an optional offset such as +02:00"
    )
    toml = error(tmp_path, '+++\ntitle = "T"\n\ndate = 12\n+++\n', "x.md")
    assert toml.startswith(f"{path}: line 4: date: 12 is not a date")
    # dates YAML and TOML read as dates, but no calendar has
    assert error(tmp_path, "---\ntitle: T\ndate: 2026-02-30\n---\n", "x.md") == (
        f"{path}: line 3: date: '2026-02-30': day is out of range for month"
    )
    assert error(tmp_path, '+++\ntitle = "T"\ndate = 2026-02-30\n+++\n', "x.md") == (
        f"{path}: line 3: invalid TOML front matter: Invalid date or datetime"
    )
    # the calendar's ends: no page could show them in every time zone (was an OverflowError)
    assert error(tmp_path, "---\ntitle: T\ndate: 0001-01-01T00:00:00+01:00\n---\n", "x.md") == (
        f"{path}: line 3: date: '0001-01-01 00:00:00+01:00' is out of range; "
        "write a date from year 1 to 9999"
    )
    late = error(tmp_path, "---\ntitle: T\ndate: 9999-12-31\n---\n", "x.md")
    assert late.startswith(f"{path}: line 3: date: ") and late.endswith(
        "out of range; write a date from year 1 to 9999"
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    message = error(tmp_path, "---\nauthor: A\ntags: {a: 1}\n---\n")
    assert "line 3: tags: {'a': 1} is not a list of tags" in message
    assert "title: required" in message and "date: required" in message
    assert "line 2: title: 'x' " not in message
    assert "line 2: title: required" in error(tmp_path, "---\ntitle: ''\ndate: 2026-03-22\n---\n")
    # a key inside a TOML table is not the post's: no line of its own to point at
    nested = error(tmp_path, '+++\ndate = 2026-03-22\n[params]\ntitle = "T"\n+++\n')
    assert nested == f"{tmp_path / 'hello.md'}: title: required"
    assert "line 2: title: True is not text; put it in quotes" in error(
        tmp_path, "---\ntitle: yes\ndate: 2026-03-22\n---\n"
    )


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "hello.md"
    message = error(tmp_path, "---\ntitle: T\ndate: 2026-03-22\ntags: [a, b\n---\n")
    assert message.startswith(f"{path}: line 5: invalid YAML front matter:")
    colon = error(tmp_path, "---\ntitle: Part 2: the return\ndate: 2026-03-22\n---\n")
    assert colon.startswith(f"{path}: line 2: invalid YAML front matter: mapping values")
    assert "in quotes" in colon


def test_toml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    message = error(tmp_path, '+++\ntitle = "T"\ndate = tomorrow\n+++\n')
    assert message.startswith(f"{tmp_path / 'hello.md'}: line 3: invalid TOML front matter:")
    assert "(at line" not in message  # tomllib's count starts at the block, not the file


def test_no_front_matter_or_an_unclosed_one(tmp_path: Path) -> None:
    path = tmp_path / "hello.md"
    assert error(tmp_path, "# Just Markdown\n") == (
        f"{path}: no front matter; start the file with a '---' (YAML) or a '+++' (TOML) line"
    )
    assert error(tmp_path, "---\ntitle: T\ndate: 2026-03-22\n") == (
        f"{path}: line 1: the front matter never ends; close it with '---'"
    )
    assert "must be `key: value` lines" in error(tmp_path, "---\n- a\n- b\n---\n")


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\ndate: 2026-03-22\n---\n"
    )
    message = error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'hello.md'}: line 2: invalid YAML front matter:")
    assert "python/object/apply:os.system" in message
    assert not marker.exists()


# --- through a build ---------------------------------------------------------------------------


def test_a_toml_post_in_another_language_builds(
    tmp_path: Path, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    assert main(["init", str(site)]) == 0
    posts = site / "content" / "posts"
    (posts / "hallo.md").write_text(
        '+++\ntitle = "Hallo Welt"\ndate = 2026-03-21\nlanguage = "de"\n'
        'tags = ["Notizen"]\n+++\nGuten **Tag**.\n',
        encoding="utf-8",
    )
    config = str(site / "config.toml")
    assert main(["build", "--offline", "--config", config]) == 0
    page = site / "output" / "posts" / "hallo" / "index.html"
    assert "Hallo Welt" in page_text(page) and "<strong>Tag</strong>" in page.read_text()
    # in the listings and the Atom feed it is marked as German (the post's own page is the
    # theme's post.html, which does not mark it yet)
    assert 'lang="de"' in (site / "output" / "index.html").read_text(encoding="utf-8")
    assert 'xml:lang="de"' in (site / "output" / "atom.xml").read_text(encoding="utf-8")

    capsys.readouterr()
    (posts / "broken.md").write_text("---\ntitle: B\ndate: soon\n---\n", encoding="utf-8")
    assert main(["build", "--offline", "--config", config]) == 1
    assert f"{posts / 'broken.md'}: line 3: date: 'soon' is not a date" in capsys.readouterr().err
