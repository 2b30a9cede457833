"""Stage 3, parse (hand-written posts): Markdown text with front matter -> `Entry`. Pure.

The front matter is the one people already write for Jekyll, Hugo or Pelican: YAML between
`---` lines or TOML between `+++` lines. Every error names the file, and the line and key when
there is one. Unknown keys (`layout`, `draft`, ...) are logged and ignored, so posts brought
over from another generator build without edits.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import TypeVar
from zoneinfo import ZoneInfo

import markdown
import yaml

from digest import routes
from digest.errors import PostError
from digest.models import POSTS_SOURCE, Entry, PostFile, sort_entries
from digest.sanitize import clean_text, id_prefix, language_tag, safe_slug, sanitize_html

log = logging.getLogger(__name__)
_T = TypeVar("_T")

POST_KEYS = frozenset({"title", "date", "tags", "author", "slug", "language"})
FENCES = {"---": "YAML", "+++": "TOML"}
DATE_FORMATS = "YYYY-MM-DD or YYYY-MM-DD HH:MM, with an optional offset such as +02:00"
SLUG_LENGTH = 80  # what posts had before the shared slug rule: their URLs stay the same
# tomllib reports "(at line 3, column 8)", counted from the block's first line.
_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The front matter as read: values by key, the file line of each key, the body after."""

    values: Mapping[str, object]
    lines: Mapping[str, int]
    body: str


def parse_post(text: str, *, filename: str, timezone: str, base_url: str) -> Entry:
    """A Markdown post with front matter (`title`, `date`; optional `tags`, `author`, `slug`,
    `language`).

    A date without an offset is read in the site timezone; relative links resolve against the
    post's own public URL (they must work wherever the post is shown, in listings too).
    """
    front = read_front_matter(text, filename)
    for key in sorted(set(front.values) - POST_KEYS, key=lambda k: (front.lines.get(k, 0), k)):
        # 0.75: "tag" and "authors" get a hint, "draft" is not taken for "date"
        close = difflib.get_close_matches(key, POST_KEYS, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        log.warning("%s: %s%s: ignored, not a post key%s", filename, _at(front, key), key, hint)
    problems: dict[str, str] = {}  # key -> what is wrong with it, one problem per key
    title = _field(front, "title", _text, "", problems)
    published = _field(front, "date", lambda v: _date(v, timezone), None, problems)
    tags: tuple[str, ...] = _field(front, "tags", _tags, (), problems)
    author = _field(front, "author", _names, "", problems)
    slug_text = _field(front, "slug", _text, "", problems)
    language = _field(front, "language", _language, None, problems)
    if not title and "title" not in problems:
        problems["title"] = f"{_at(front, 'title')}title: required"
    if published is None and "date" not in problems:
        problems["date"] = f"{_at(front, 'date')}date: required, as {DATE_FORMATS}"
    if problems or published is None:
        raise PostError(f"{filename}: " + "; ".join(problems.values()))
    slug = safe_slug(slug_text or PurePath(filename).stem, fallback="post", max_length=SLUG_LENGTH)
    body = markdown.markdown(front.body, extensions=["extra", "sane_lists"], output_format="html")
    # Relative links resolve against the post's own public URL: they must work wherever the
    # post is shown, in listings too.
    page = routes.absolute(base_url, routes.post(slug))
    return Entry(
        id=f"{POSTS_SOURCE}/{slug}",
        source=POSTS_SOURCE,
        title=title,
        link=None,
        author=author or None,
        published=published,
        updated=None,
        first_seen=published,
        tags=tags,
        content_html=sanitize_html(body, id_prefix(POSTS_SOURCE, slug), page, page=page),
        language=language,
        slug=slug,
    )


def parse_posts(files: tuple[PostFile, ...], *, timezone: str, base_url: str) -> tuple[Entry, ...]:
    """Every hand-written post, newest first; two posts with one slug are an error."""
    posts: dict[str, Entry] = {}
    for file in files:
        post = parse_post(file.text, filename=str(file.path), timezone=timezone, base_url=base_url)
        assert post.slug is not None
        if post.slug in posts:
            raise PostError(f"{file.path}: slug {post.slug!r} is used by another post; set `slug:`")
        posts[post.slug] = post
    return sort_entries(posts.values())


def read_front_matter(text: str, filename: str) -> FrontMatter:
    """Split a post into its front matter (YAML or TOML, read) and its Markdown body."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    first, _, rest = text.partition("\n")
    fence = first.rstrip()
    if fence not in FENCES:
        raise PostError(
            f"{filename}: no front matter; start the file with a '---' (YAML) "
            "or a '+++' (TOML) line"
        )
    end = re.search(rf"^{re.escape(fence)}[ \t]*$", rest, re.MULTILINE)
    if end is None:
        raise PostError(f"{filename}: line 1: the front matter never ends; close it with '{fence}'")
    block, body = rest[: end.start()], rest[end.end() :].removeprefix("\n")
    if fence == "---":
        values, lines = _read_yaml(block, filename)
    else:
        values, lines = _read_toml(block, filename)
    return FrontMatter(values, lines, body)


def _read_yaml(block: str, filename: str) -> tuple[dict[str, object], dict[str, int]]:
    # The safe loader builds only plain data: `!!python/object` and friends are refused.
    loader = yaml.SafeLoader(block)
    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    try:
        node = loader.get_single_node()
        if node is not None and not isinstance(node, yaml.MappingNode):
            raise PostError(f"{filename}: line 2: the front matter must be `key: value` lines")
        for key_node, value_node in node.value if node is not None else ():
            key = str(key_node.value).lower()
            line = key_node.start_mark.line + 2  # the block starts on line 2; marks count from 0
            try:
                values[key] = loader.construct_object(value_node, deep=True)
            except ValueError as e:  # a date YAML reads but the calendar has not: 2026-02-30
                raise PostError(f"{filename}: line {line}: {key}: {value_node.value!r}: {e}") from e
            lines[key] = line  # a key written twice: the last one counts, as in YAML
    except yaml.YAMLError as e:
        raise PostError(f"{filename}: {_yaml_problem(e)}") from e
    finally:
        loader.dispose()
    return values, lines


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 2}: " if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    if "mapping values are not allowed" in problem:
        problem += " (put a value that holds ': ' in quotes)"
    return f"{where}invalid YAML front matter: {problem}"


def _read_toml(block: str, filename: str) -> tuple[dict[str, object], dict[str, int]]:
    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        at = _TOML_AT.search(message)
        where = f"line {int(at.group(1)) + 1}: " if at else ""
        message = _TOML_AT.sub("", message)
        raise PostError(f"{filename}: {where}invalid TOML front matter: {message}") from e
    lines: dict[str, int] = {}
    for number, line in enumerate(block.split("\n"), start=2):
        if line.lstrip().startswith("["):  # a [table]: the keys after it are not top-level
            break
        key = re.match(r"""\s*["']?([A-Za-z0-9_-]+)["']?\s*=""", line)
        if key:
            lines.setdefault(key.group(1).lower(), number)
    return {k.lower(): v for k, v in data.items()}, lines


def _field(
    front: FrontMatter,
    key: str,
    read: Callable[[object], _T],
    default: _T,
    problems: dict[str, str],
) -> _T:
    """The value of `key` as `read` makes it, or `default` when absent (or null, `key:`)."""
    value = front.values.get(key)
    if value is None:
        return default
    try:
        return read(value)
    except ValueError as e:
        problems[key] = f"{_at(front, key)}{key}: {e}"
        return default


def _at(front: FrontMatter, key: str) -> str:
    line = front.lines.get(key)
    return f"line {line}: " if line else ""


def _text(value: object) -> str:
    """One line of text from a scalar; YAML and TOML numbers count (`title: 2024`)."""
    if isinstance(value, str):
        return " ".join(clean_text(value).split())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{value!r} is not text; put it in quotes")


def _names(value: object) -> str:
    """An author, or several (`author: [Ann, Bo]`), as one line of text."""
    if isinstance(value, list):
        return ", ".join(name for name in map(_text, value) if name)
    return _text(value)


def _tags(value: object) -> tuple[str, ...]:
    """A list (`[a, b]`, `["a, b"]` is one tag) or comma-separated text (`a, b`)."""
    if isinstance(value, list):
        names = [_text(item) for item in value]
    elif isinstance(value, str):
        names = [_text(item) for item in value.split(",")]
    else:
        raise ValueError(f"{value!r} is not a list of tags; write [a, b] or 'a, b'")
    return tuple(dict.fromkeys(name for name in names if name))


def _date(value: object, timezone: str) -> datetime:
    """An aware UTC datetime from a YAML/TOML datetime or date, or from text in the ISO 8601
    forms accepted before front matter was YAML. Naive ones are in the site timezone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):  # a day: its midnight
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date; write {DATE_FORMATS}") from None
    else:
        raise ValueError(f"{value!r} is not a date; write {DATE_FORMATS}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    # Within a day of the calendar's ends, a page could not show it in every time zone.
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = datetime.min.replace(tzinfo=UTC)
    if not date(1, 1, 3) <= moment.date() <= date(9999, 12, 29):
        raise ValueError(f"'{value}' is out of range; write a date from year 1 to 9999")
    return moment


def _language(value: object) -> str:
    tag = language_tag(_text(value))
    if tag is None:
        raise ValueError(f"{value!r} is not a language tag (BCP 47, such as en, en-GB, pt-BR)")
    return tag
