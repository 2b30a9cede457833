"""Part of stage 7, render: finding a theme's templates, static files and interface strings,
and formatting dates in the reader's language. Reads theme files; writes nothing.

A project's `themes/<name>/` is searched before the built-in theme, file by file: overriding
one template, one CSS file or one language's strings is enough.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

# Jinja and Babel are imported where pages are made: a build that finds nothing changed only
# reads the theme's files (see pipeline.build), and starts ~0.1 s sooner without them.
if TYPE_CHECKING:
    import jinja2
    from babel import Locale

from digest.errors import ThemeError

_PACKAGE = Path(__file__).resolve().parent.parent  # digest/, where the wheel puts themes/
# Inside a wheel the theme is packaged as digest/themes/default; in a source checkout
# (editable install, tests) it is the top-level themes/default.
BUILTIN_THEME = next(
    (
        p
        for p in (_PACKAGE / "themes" / "default", _PACKAGE.parent / "themes" / "default")
        if p.is_dir()
    ),
    _PACKAGE / "themes" / "default",
)
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Theme:
    """The folders to search, the project's first; the built-in theme is always last."""

    folders: tuple[Path, ...]

    def files(self, sub: str) -> dict[str, Path]:
        """Every file under `sub` (e.g. "static"), by relative path; earlier folders win."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders):
            base = folder / sub
            if base.is_dir():
                for path in base.rglob("*"):
                    if path.is_file():
                        found[path.relative_to(base).as_posix()] = path
        return dict(sorted(found.items()))


def load_theme(project_themes: Path, name: str) -> Theme:
    folder = project_themes / name
    if name != "default" and not folder.is_dir():
        raise ThemeError(f"{folder}: no such theme folder; create it or set [site] theme")
    own = (folder,) if folder.is_dir() and folder.resolve() != BUILTIN_THEME.resolve() else ()
    return Theme(folders=(*own, BUILTIN_THEME))


def make_environment(theme: Theme) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader([str(f / "templates") for f in theme.folders]),
                # `{% extends "default/base.html" %}` reaches the built-in original.
                jinja2.PrefixLoader(
                    {"default": jinja2.FileSystemLoader(BUILTIN_THEME / "templates")}
                ),
            ]
        ),
        autoescape=True,
        # Each build makes its own environment, and no template changes during one: Jinja
        # would otherwise stat a template's file each time it is fetched (once per entry).
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def candidates(language: str) -> list[str]:
    """ "pt-BR" -> ["pt-BR", "pt", "en"]: the most specific catalog first, English last."""
    parts = language.replace("_", "-").split("-")
    names = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    return list(dict.fromkeys([*names, FALLBACK_LANGUAGE]))


def load_strings(theme: Theme, language: str) -> dict[str, str]:
    """Interface strings from `i18n/<language>.toml`, any missing one falling back to English."""
    strings: dict[str, str] = {}
    for name in reversed(candidates(language)):
        for folder in reversed(theme.folders):
            path = folder / "i18n" / f"{name}.toml"
            if path.is_file():
                try:
                    data = tomllib.loads(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                    raise ThemeError(f"{path}: cannot read interface strings: {e}") from e
                strings.update({k: v for k, v in data.items() if isinstance(v, str)})
    return strings


def translator(strings: dict[str, str]) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        """An interface string; `{name}` placeholders are filled from `values`."""
        try:
            text = strings[key]
        except KeyError:
            raise ThemeError(f"no interface string {key!r} in the theme's i18n/en.toml") from None
        return text.format(**values) if values else text

    return t


def babel_locale(language: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    for name in candidates(language):
        try:
            return Locale.parse(name, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(FALLBACK_LANGUAGE)


@functools.cache  # one per site: its memos below outlive each page's helpers
def date_formatter(language: str, timezone: str) -> Callable[..., str]:
    """format_date(moment, style) in the site's language (Babel's CLDR data) and timezone."""
    from babel.dates import format_date, format_time, get_datetime_format

    locale = babel_locale(language)
    tz = ZoneInfo(timezone)
    joined = str(get_datetime_format("medium", locale=locale)).replace("'", "")

    # Babel formats a date in ~50 µs and a site shows each of its days and minutes many
    # times over (every entry, on ~5 pages): each is formatted once. The short time style
    # shows hours and minutes only, so a minute is its key.
    @functools.cache
    def clock(hour: int, minute: int) -> str:
        return format_time(time(hour, minute), "short", locale=locale)

    @functools.cache
    def calendar(day: date, style: str) -> str:
        if style == "day":
            return format_date(day, "full", locale=locale)
        if style == "month":
            return str(format_date(day, "LLLL y", locale=locale)).capitalize()
        return format_date(day, "long", locale=locale)

    def format_moment(moment: datetime | date, style: str = "date") -> str:
        """Styles: date (21 March 2026), day (Saturday, 21 March 2026), month (March 2026),
        time (21:30), datetime (21 March 2026, 21:30), iso (RFC 3339, for datetime=)."""
        if isinstance(moment, datetime):
            moment = moment.astimezone(tz)
            if style == "time":
                return clock(moment.hour, moment.minute)
            if style == "datetime":
                time_text = clock(moment.hour, moment.minute)
                day_text = calendar(moment.date(), "date")
                return joined.replace("{1}", day_text).replace("{0}", time_text)
        if style == "iso":
            return moment.isoformat()
        day = moment.date() if isinstance(moment, datetime) else moment
        return calendar(day, style if style in ("day", "month") else "date")

    return format_moment


def plural_translator(strings: dict[str, str], language: str) -> Callable[..., str]:
    """plural(key, n): the string `<key>_<form>` for n's CLDR plural form in the language
    ("one", "few", "many", "other"...), falling back to `<key>_other`; `{n}` is filled."""
    locale = babel_locale(language)
    t = translator(strings)

    def plural(key: str, n: int, **values: object) -> str:
        form = f"{key}_{locale.plural_form(n)}"
        return t(form if form in strings else f"{key}_other", n=n, **values)

    return plural


ThemeHashes = tuple[tuple[str, bytes], ...]


def theme_hashes(theme: Theme) -> ThemeHashes:
    """The theme's files, folder by folder, each labelled "theme<n>:<its path in the folder>"
    (so the same project hashes the same in any folder). A build reads them once, for the
    fingerprint of its inputs (`write.stamp`) and for every file's key (`_base_key`)."""
    return tuple(
        (
            f"theme{n}:{path.relative_to(folder).as_posix()}",
            hashlib.sha256(path.read_bytes()).digest(),
        )
        for n, folder in enumerate(theme.folders)
        for path in sorted(p for p in folder.rglob("*") if p.is_file())
    )
