"""Stage 1, config: `config.toml` -> a frozen, validated `Config`.

Reads one file, touches nothing else (no network). Every problem is collected and reported
at once, each with its TOML path, so one run tells the user everything to fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.config.tables import (
    feed_filters,
    flag,
    parse_dedup,
    parse_editions,
    parse_filters,
    parse_full_text,
    parse_search,
    parse_tags,
)
from digest.config.values import duration, number, positive_int, table, unknown, whole
from digest.errors import ConfigError
from digest.models import (
    POSTS_SOURCE,
    Config,
    FeedConfig,
    FetchConfig,
    FullContent,
    Retention,
    SiteConfig,
)
from digest.sanitize import feed_slug, is_http_url

SITE_KEYS = {
    "title", "base_url", "timezone", "per_page", "feed_entries", "language", "theme",
    "full_content", "excerpt_pages", "cname", "source_feeds", "max_output",
}  # fmt: skip
FEED_KEYS = {"url", "name", "tags", "min_interval", "retention"} | {
    "include", "exclude", "max_age_days", "max_per_source", "full_content", "full_text",
}  # fmt: skip
FETCH_KEYS = {"timeout", "connect_timeout", "max_bytes", "workers", "per_host", "min_interval"}
RETENTION_KEYS = {"max_age", "max_entries"}
# The optional tables are parsed in config/tables.py.
TOP_KEYS = {"site", "feeds", "fetch", "retention"} | {
    "tags",
    "filters",
    "editions",
    "dedup",
    "search",
    "full_text",
}
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
    problems += unknown(data, TOP_KEYS, "")
    site = _parse_site(data.get("site"), problems)
    feeds = _parse_feeds(data.get("feeds", []), path.parent, problems)
    fetch = _parse_fetch(table(data, "fetch", problems), problems)
    retention = _parse_retention(table(data, "retention", problems), "retention", problems)
    tags = parse_tags(table(data, "tags", problems), problems)
    filters = parse_filters(table(data, "filters", problems), "filters", problems)
    editions = parse_editions(data, problems)
    dedup = parse_dedup(table(data, "dedup", problems), feeds, problems)
    search = parse_search(table(data, "search", problems), problems)
    full_text = parse_full_text(table(data, "full_text", problems), problems)
    if problems or site is None:
        raise ConfigError(path, problems)
    return Config(
        path=path, site=site, feeds=feeds, fetch=fetch, retention=retention, tags=tags,
        filters=filters, editions=editions, dedup=dedup, search=search, full_text=full_text,
    )  # fmt: skip


def _parse_fetch(raw: dict[str, Any], problems: list[str]) -> FetchConfig:
    problems += unknown(raw, FETCH_KEYS, "fetch.")
    d = FetchConfig()
    return FetchConfig(
        timeout=number(raw, "fetch.timeout", d.timeout, 0.1, 3600, problems),
        connect_timeout=number(raw, "fetch.connect_timeout", d.connect_timeout, 0.1, 600, problems),
        max_bytes=whole(raw, "fetch.max_bytes", d.max_bytes, 1024, 2**31, problems),
        workers=whole(raw, "fetch.workers", d.workers, 1, 64, problems),
        per_host=whole(raw, "fetch.per_host", d.per_host, 1, 16, problems),
        min_interval=duration(raw.get("min_interval", 0), "fetch.min_interval", problems) or 0,
    )


def _parse_retention(raw: dict[str, Any], where: str, problems: list[str]) -> Retention:
    problems += unknown(raw, RETENTION_KEYS, f"{where}.")
    max_age = duration(raw.get("max_age"), f"{where}.max_age", problems)
    max_entries = None
    if "max_entries" in raw:
        max_entries = whole(raw, f"{where}.max_entries", 0, 1, 10**9, problems)
    return Retention(max_age=max_age or None, max_entries=max_entries)


def _parse_site(raw: object, problems: list[str]) -> SiteConfig | None:
    if raw is None:
        problems.append("site: missing [site] table (title, base_url, timezone)")
        return None
    if not isinstance(raw, dict):
        problems.append("site: must be a table ([site])")
        return None
    problems += unknown(raw, SITE_KEYS, "site.")
    before = len(problems)
    site = SiteConfig(
        title=_site_title(raw, problems),
        base_url=_site_base_url(raw, problems),
        timezone=_site_text(raw, "timezone", "UTC", _is_timezone, _TIMEZONE_HINT, problems),
        per_page=positive_int(raw, "per_page", 20, problems),
        feed_entries=positive_int(raw, "feed_entries", 50, problems),
        language=_site_text(raw, "language", "en", _LANGUAGE.match, _LANGUAGE_HINT, problems),
        theme=_site_text(raw, "theme", "default", _NAME.match, _THEME_HINT, problems),
        full_content=_full_content(raw, problems),
        excerpt_pages=positive_int(raw, "excerpt_pages", 1, problems, least=0),
        source_feeds=_site_flag(raw, "source_feeds", False, problems),
        cname=_site_cname(raw, problems),
        max_output=_max_output(raw, problems),
    )
    return site if len(problems) == before else None


_TIMEZONE_HINT = "is not an IANA time zone such as 'Europe/Berlin'"
_LANGUAGE_HINT = 'is not a BCP 47 language tag such as "ru"'
_THEME_HINT = "is not a theme folder name (themes/<name>/)"
_CNAME_HINT = 'is not a domain name such as "news.example.org"'


def _site_title(raw: dict[str, Any], problems: list[str]) -> str:
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("site.title: required, a non-empty string")
        return ""
    return title.strip()


def _site_base_url(raw: dict[str, Any], problems: list[str]) -> str:
    base_url = raw.get("base_url")
    if not isinstance(base_url, str):
        problems.append("site.base_url: " + BASE_URL_HINT)
        return ""
    return check_base_url(base_url, problems, "site.base_url: ")


def _site_text(
    raw: dict[str, Any],
    key: str,
    default: str,
    valid: Callable[[str], object],
    hint: str,
    problems: list[str],
) -> str:
    """A string setting that `valid` accepts; the message quotes the value, then `hint`."""
    value = raw.get(key, default)
    if not isinstance(value, str) or not valid(value):
        problems.append(f"site.{key}: {value!r} {hint}")
        return default
    return value


def _site_flag(raw: dict[str, Any], key: str, default: bool, problems: list[str]) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        problems.append(f"site.{key}: must be true or false, not {value!r}")
        return default
    return value


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9}


def _max_output(raw: dict[str, Any], problems: list[str]) -> int:
    """`max_output`: bytes, as a number or "800 MB" (decimal units, as GitHub counts); 0 for
    no budget."""
    value = raw.get("max_output", 1_000_000_000)
    match = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if match:
        size = float(match.group(1)) * _UNITS[(match.group(2) or "B").upper()]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        size = value
    else:
        size = -1
    if not 0 <= size <= 10**15:
        problems.append(
            f'site.max_output: must be a size such as "1 GB", "800 MB" or a number of bytes'
            f" (0: no budget), not {value!r}"
        )
        return 1_000_000_000
    return int(size)


def _full_content(raw: dict[str, Any], problems: list[str]) -> FullContent:
    """`full_content`: "front", "all" or "none"; the old true and false keep their meaning
    (every listing in full; none), so an existing config builds the site it always did."""
    value = raw.get("full_content", "front")
    if value is True or value is False:
        return "all" if value else "none"
    if value not in ("front", "all", "none"):
        problems.append(
            f'site.full_content: must be "front" (the home page\'s front page shows whole'
            f' posts), "all" or "none", not {value!r}'
        )
        return "front"
    return cast(FullContent, value)


def _site_cname(raw: dict[str, Any], problems: list[str]) -> str | None:
    cname = raw.get("cname")
    if cname is None:
        return None
    if not isinstance(cname, str) or not _HOST.match(cname):
        problems.append(f"site.cname: {cname!r} {_CNAME_HINT}")
        return None
    return cname


BASE_URL_HINT = 'required, an absolute http(s) URL such as "https://user.github.io/repo/"'


def check_base_url(value: str, problems: list[str], where: str = "") -> str:
    """The site's public URL, absolute, ending in "/" (links in feeds are built on it)."""
    if not is_http_url(value):
        problems.append(f"{where}{value!r} is not an absolute http(s) URL; {BASE_URL_HINT}")
        return value
    return value.strip() if value.strip().endswith("/") else value.strip() + "/"


def _parse_feeds(raw: object, root: Path, problems: list[str]) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        problems.append("feeds: must be an array of tables ([[feeds]])")
        return ()
    feeds: list[FeedConfig] = []
    slugs: dict[str, int] = {}  # slug -> index of the feed that has it
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            problems.append(f"feeds[{i}]: must be a table ([[feeds]])")
            continue
        feed = _parse_feed(item, i, root, slugs, problems)
        if feed is not None:
            feeds.append(feed)
    return tuple(feeds)


def _parse_feed(
    item: dict[str, Any], i: int, root: Path, slugs: dict[str, int], problems: list[str]
) -> FeedConfig | None:
    """One `[[feeds]]` table; None when it has a problem (each one added to `problems`)."""
    where = f"feeds[{i}]"
    problems += unknown(item, FEED_KEYS, f"{where}.")
    before = len(problems)
    url, local = _feed_url(item, where, root, problems)
    name, slug = _feed_name(item, i, slugs, problems)
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.append(f'{where}.tags: must be a list of non-empty strings, e.g. ["ai"]')
    min_interval = duration(item.get("min_interval"), f"{where}.min_interval", problems)
    retention = None
    if "retention" in item:
        if isinstance(item["retention"], dict):
            retention = _parse_retention(item["retention"], f"{where}.retention", problems)
        else:
            problems.append(f'{where}.retention: must be a table, e.g. {{ max_age = "90d" }}')
    filters, full_content = feed_filters(item, where, problems)
    full_text = item.get("full_text")
    if full_text is not None:
        full_text = flag(full_text, f"{where}.full_text", problems)
    if len(problems) > before:
        return None
    return FeedConfig(
        url=url,
        name=name,
        slug=slug,
        tags=tuple(t.strip() for t in tags),
        path=local,
        min_interval=min_interval,
        retention=retention,
        filters=filters,
        full_content=full_content,
        full_text=full_text,
    )


def _feed_url(
    item: dict[str, Any], where: str, root: Path, problems: list[str]
) -> tuple[str, Path | None]:
    """The URL, and the resolved file when it names a local feed file rather than http(s)."""
    url = item.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append(f"{where}.url: required, an http(s) URL or a path to a feed file")
        return "", None
    if is_http_url(url):
        return url.strip(), None
    local = (root / url).resolve()
    if not local.is_file():
        problems.append(f"{where}.url: {url!r} is not an http(s) URL or an existing file")
    return url.strip(), local


def _feed_name(
    item: dict[str, Any], i: int, slugs: dict[str, int], problems: list[str]
) -> tuple[str, str]:
    """The name and its slug, which names the feed's files: it must be unique and not ours."""
    where = f"feeds[{i}].name"
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: required, a non-empty string")
        return "", ""
    slug = feed_slug(name)
    if slug == POSTS_SOURCE:
        problems.append(f"{where}: {name!r} is reserved for hand-written posts")
    elif slug in slugs:
        problems.append(
            f"{where}: {name!r} gives the same slug {slug!r} as feeds[{slugs[slug]}];"
            " names must differ"
        )
    else:
        slugs[slug] = i
    return name.strip(), slug


def _is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# --- [tags] and [filters] ---------------------------------------------------------------------
