"""Stage 1, config: `config.toml` -> a frozen, validated `Config`.

Reads one file, touches nothing else (no network). Every problem is collected and reported
at once, each with its TOML path, so one run tells the user everything to fix.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.errors import ConfigError
from digest.models import POSTS_SOURCE, Config, FeedConfig, FetchConfig, Retention, SiteConfig
from digest.sanitize import is_http_url, safe_slug

SITE_KEYS = {
    "title", "base_url", "timezone", "per_page", "feed_entries", "language", "theme",
    "full_content", "cname", "source_feeds",
}  # fmt: skip
FEED_KEYS = {"url", "name", "tags", "min_interval", "retention"}
FETCH_KEYS = {"timeout", "connect_timeout", "max_bytes", "workers", "per_host", "min_interval"}
RETENTION_KEYS = {"max_age", "max_entries"}
TOP_KEYS = {"site", "feeds", "fetch", "retention"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


def load_config(path: Path) -> Config:
    path = Path(path).absolute()
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(path, ["no such file; create it (the README shows an example)"]) from None
    except OSError as e:
        raise ConfigError(path, [f"cannot read: {e.strerror}"]) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, [f"not valid TOML: {e}"]) from e
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Validate parsed TOML; raise one ConfigError listing every problem."""
    problems: list[str] = []
    problems += _unknown(data, TOP_KEYS, "")
    site = _parse_site(data.get("site"), problems)
    feeds = _parse_feeds(data.get("feeds", []), path.parent, problems)
    fetch = _parse_fetch(_table(data, "fetch", problems), problems)
    retention = _parse_retention(_table(data, "retention", problems), "retention", problems)
    if problems or site is None:
        raise ConfigError(path, problems)
    return Config(path=path, site=site, feeds=feeds, fetch=fetch, retention=retention)


def _table(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a table ([{key}])")
        return {}
    return value


def _parse_fetch(raw: dict[str, Any], problems: list[str]) -> FetchConfig:
    problems += _unknown(raw, FETCH_KEYS, "fetch.")
    d = FetchConfig()
    return FetchConfig(
        timeout=_number(raw, "fetch.timeout", d.timeout, 0.1, 3600, problems),
        connect_timeout=_number(
            raw, "fetch.connect_timeout", d.connect_timeout, 0.1, 600, problems
        ),
        max_bytes=int(_number(raw, "fetch.max_bytes", d.max_bytes, 1024, 2**31, problems)),
        workers=int(_number(raw, "fetch.workers", d.workers, 1, 64, problems)),
        per_host=int(_number(raw, "fetch.per_host", d.per_host, 1, 16, problems)),
        min_interval=_duration(raw.get("min_interval", 0), "fetch.min_interval", problems) or 0,
    )


def _parse_retention(raw: dict[str, Any], where: str, problems: list[str]) -> Retention:
    problems += _unknown(raw, RETENTION_KEYS, f"{where}.")
    max_age = _duration(raw.get("max_age"), f"{where}.max_age", problems)
    max_entries = None
    if "max_entries" in raw:
        max_entries = int(_number(raw, f"{where}.max_entries", 0, 1, 10**9, problems))
    return Retention(max_age=max_age or None, max_entries=max_entries)


def _number(
    table: dict[str, Any], where: str, default: float, low: float, high: float, problems: list[str]
) -> float:
    key = where.rsplit(".", 1)[-1]
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        problems.append(f"{where}: must be a number from {low:g} to {high:g}, not {value!r}")
        return default
    return value


def _duration(value: object, where: str, problems: list[str]) -> int | None:
    """Seconds from 90 (seconds) or "90s", "30m", "2h", "7d"; None when absent."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text[:-1].isdigit() and text[-1:] in _UNITS:
            return int(text[:-1]) * _UNITS[text[-1]]
    problems.append(f'{where}: a duration such as "30m", "2h" or "7d", not {value!r}')
    return None


def _unknown(table: dict[str, Any], known: set[str], prefix: str) -> list[str]:
    return [
        f"{prefix}{key}: unknown key (known keys: {', '.join(sorted(known))})"
        for key in table
        if key not in known
    ]


def _parse_site(raw: object, problems: list[str]) -> SiteConfig | None:
    if raw is None:
        problems.append("site: missing [site] table (title, base_url, timezone)")
        return None
    if not isinstance(raw, dict):
        problems.append("site: must be a table ([site])")
        return None
    problems += _unknown(raw, SITE_KEYS, "site.")
    before = len(problems)

    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("site.title: required, a non-empty string")

    base_url = raw.get("base_url")
    if isinstance(base_url, str):
        base_url = check_base_url(base_url, problems, "site.base_url: ")
    else:
        problems.append("site.base_url: " + BASE_URL_HINT)

    timezone = raw.get("timezone", "UTC")
    if not isinstance(timezone, str) or not _is_timezone(timezone):
        problems.append(
            f"site.timezone: {timezone!r} is not an IANA time zone such as 'Europe/Berlin'"
        )

    per_page = _positive_int(raw, "per_page", 20, problems)
    feed_entries = _positive_int(raw, "feed_entries", 50, problems)
    language = raw.get("language", "en")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        problems.append(f'site.language: {language!r} is not a BCP 47 language tag such as "ru"')
    theme = raw.get("theme", "default")
    if not isinstance(theme, str) or not _NAME.match(theme):
        problems.append(f"site.theme: {theme!r} is not a theme folder name (themes/<name>/)")
    full_content = raw.get("full_content", True)
    source_feeds = raw.get("source_feeds", False)
    for key, flag in (("full_content", full_content), ("source_feeds", source_feeds)):
        if not isinstance(flag, bool):
            problems.append(f"site.{key}: must be true or false, not {flag!r}")
    cname = raw.get("cname")
    if cname is not None and (not isinstance(cname, str) or not _HOST.match(cname)):
        problems.append(f'site.cname: {cname!r} is not a domain name such as "news.example.org"')

    if len(problems) > before:
        return None
    assert isinstance(title, str) and isinstance(base_url, str) and isinstance(timezone, str)
    assert isinstance(language, str) and isinstance(theme, str)
    return SiteConfig(
        title=title.strip(),
        base_url=base_url,
        timezone=timezone,
        per_page=per_page,
        feed_entries=feed_entries,
        language=language,
        theme=theme,
        full_content=bool(full_content),
        cname=cname,
        source_feeds=bool(source_feeds),
    )


BASE_URL_HINT = 'required, an absolute http(s) URL such as "https://user.github.io/repo/"'


def check_base_url(value: str, problems: list[str], where: str = "") -> str:
    """The site's public URL, absolute, ending in "/" (links in feeds are built on it)."""
    if not is_http_url(value):
        problems.append(f"{where}{value!r} is not an absolute http(s) URL; {BASE_URL_HINT}")
        return value
    return value.strip() if value.strip().endswith("/") else value.strip() + "/"


def _positive_int(table: dict[str, Any], key: str, default: int, problems: list[str]) -> int:
    value = table.get(key, default)
    # bool is an int subclass; `per_page = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        problems.append(f"site.{key}: must be a whole number from 1 to 10000, not {value!r}")
        return default
    return value


def _parse_feeds(raw: object, root: Path, problems: list[str]) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        problems.append("feeds: must be an array of tables ([[feeds]])")
        return ()
    feeds: list[FeedConfig] = []
    slugs: dict[str, int] = {}
    for i, item in enumerate(raw):
        where = f"feeds[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table ([[feeds]])")
            continue
        problems += _unknown(item, FEED_KEYS, f"{where}.")
        before = len(problems)

        url = item.get("url")
        local: Path | None = None
        if not isinstance(url, str) or not url.strip():
            problems.append(f"{where}.url: required, an http(s) URL or a path to a feed file")
        elif not is_http_url(url):
            local = (root / url).resolve()
            if not local.is_file():
                problems.append(f"{where}.url: {url!r} is not an http(s) URL or an existing file")

        name = item.get("name")
        slug = ""
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}.name: required, a non-empty string")
        else:
            slug = safe_slug(name, fallback="feed")
            if slug == POSTS_SOURCE:
                problems.append(f"{where}.name: {name!r} is reserved for hand-written posts")
            elif slug in slugs:
                problems.append(
                    f"{where}.name: {name!r} gives the same slug {slug!r} as feeds[{slugs[slug]}];"
                    " names must differ"
                )
            else:
                slugs[slug] = i

        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            problems.append(f'{where}.tags: must be a list of non-empty strings, e.g. ["ai"]')
        min_interval = _duration(item.get("min_interval"), f"{where}.min_interval", problems)
        retention = None
        if "retention" in item:
            if isinstance(item["retention"], dict):
                retention = _parse_retention(item["retention"], f"{where}.retention", problems)
            else:
                problems.append(f'{where}.retention: must be a table, e.g. {{ max_age = "90d" }}')

        if len(problems) == before:
            assert isinstance(url, str) and isinstance(name, str)
            feeds.append(
                FeedConfig(
                    url=url.strip(),
                    name=name.strip(),
                    slug=slug,
                    tags=tuple(t.strip() for t in tags),
                    path=local,
                    min_interval=min_interval,
                    retention=retention,
                )
            )
    return tuple(feeds)


def _is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
