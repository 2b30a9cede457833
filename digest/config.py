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

from digest.errors import ConfigError
from digest.models import (
    POSTS_SOURCE,
    Config,
    DedupConfig,
    DedupMode,
    EditionGroupBy,
    EditionsConfig,
    FeedConfig,
    FetchConfig,
    Filters,
    FullContent,
    Retention,
    SearchConfig,
    SiteConfig,
    TagField,
    TagRule,
    TagsConfig,
)
from digest.sanitize import feed_slug, is_http_url

SITE_KEYS = {
    "title", "base_url", "timezone", "per_page", "feed_entries", "language", "theme",
    "full_content", "cname", "source_feeds",
}  # fmt: skip
FEED_KEYS = {"url", "name", "tags", "min_interval", "retention"} | {
    "include", "exclude", "max_age_days", "max_per_source", "full_content",
}  # fmt: skip
FETCH_KEYS = {"timeout", "connect_timeout", "max_bytes", "workers", "per_host", "min_interval"}
RETENTION_KEYS = {"max_age", "max_entries"}
TOP_KEYS = {"site", "feeds", "fetch", "retention"} | {
    "tags",
    "filters",
    "editions",
    "dedup",
    "search",
}
TAGS_KEYS = {"rules", "aliases", "ignore", "min_entries"}
TAG_RULE_KEYS = {"match", "fields", "tags"}
TAG_FIELDS = ("title", "content", "author", "link")
FILTER_KEYS = {"include", "exclude", "max_age_days", "max_per_source"}
EDITIONS_KEYS = {
    "daily", "weekly", "week_start", "close_after", "excerpt_chars", "group_by", "skip_empty",
}  # fmt: skip
DEDUP_KEYS = {"mode", "threshold", "window", "prefer"}
SEARCH_KEYS = {"enabled"}
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
    tags = _parse_tags(_table(data, "tags", problems), problems)
    filters = _parse_filters(_table(data, "filters", problems), "filters", problems)
    editions = _parse_editions(data, problems)
    dedup = _parse_dedup(_table(data, "dedup", problems), feeds, problems)
    search = _parse_search(_table(data, "search", problems), problems)
    if problems or site is None:
        raise ConfigError(path, problems)
    return Config(
        path=path, site=site, feeds=feeds, fetch=fetch, retention=retention, tags=tags,
        filters=filters, editions=editions, dedup=dedup, search=search,
    )  # fmt: skip


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
        max_bytes=_whole(raw, "fetch.max_bytes", d.max_bytes, 1024, 2**31, problems),
        workers=_whole(raw, "fetch.workers", d.workers, 1, 64, problems),
        per_host=_whole(raw, "fetch.per_host", d.per_host, 1, 16, problems),
        min_interval=_duration(raw.get("min_interval", 0), "fetch.min_interval", problems) or 0,
    )


def _parse_search(raw: dict[str, Any], problems: list[str]) -> SearchConfig:
    problems += _unknown(raw, SEARCH_KEYS, "search.")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"search.enabled: must be true or false, not {enabled!r}")
        return SearchConfig()
    return SearchConfig(enabled=enabled)


def _parse_retention(raw: dict[str, Any], where: str, problems: list[str]) -> Retention:
    problems += _unknown(raw, RETENTION_KEYS, f"{where}.")
    max_age = _duration(raw.get("max_age"), f"{where}.max_age", problems)
    max_entries = None
    if "max_entries" in raw:
        max_entries = _whole(raw, f"{where}.max_entries", 0, 1, 10**9, problems)
    return Retention(max_age=max_age or None, max_entries=max_entries)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _parse_editions(data: dict[str, Any], problems: list[str]) -> EditionsConfig:
    """`[editions]`; without the table there are none, with it daily and weekly default on."""
    if "editions" not in data:
        return EditionsConfig()
    raw = _table(data, "editions", problems)
    problems += _unknown(raw, EDITIONS_KEYS, "editions.")
    flags = {}
    for key, default in (("daily", True), ("weekly", True), ("skip_empty", True)):
        value = raw.get(key, default)
        if not isinstance(value, bool):
            problems.append(f"editions.{key}: must be true or false, not {value!r}")
            value = default
        flags[key] = value
    week_start = raw.get("week_start", "monday")
    if not isinstance(week_start, str) or week_start.strip().lower() not in _WEEKDAYS:
        problems.append(
            f'editions.week_start: a day such as "monday" or "sunday", not {week_start!r}'
        )
        week_start = "monday"
    group_by = raw.get("group_by", "tag")
    if group_by not in ("tag", "source"):
        problems.append(f'editions.group_by: must be "tag" or "source", not {group_by!r}')
        group_by = "tag"
    close_after = _duration(raw.get("close_after", "6h"), "editions.close_after", problems)
    return EditionsConfig(
        daily=flags["daily"],
        weekly=flags["weekly"],
        week_start=_WEEKDAYS.index(week_start.strip().lower()),
        close_after=6 * 3600 if close_after is None else close_after,
        excerpt_chars=_whole(raw, "editions.excerpt_chars", 280, 40, 10_000, problems),
        group_by=cast(EditionGroupBy, group_by),
        skip_empty=flags["skip_empty"],
    )


def _parse_dedup(
    raw: dict[str, Any], feeds: tuple[FeedConfig, ...], problems: list[str]
) -> DedupConfig:
    """`[dedup]`; `prefer` names feeds by name or slug and is kept as slugs."""
    problems += _unknown(raw, DEDUP_KEYS, "dedup.")
    d = DedupConfig()
    mode = raw.get("mode", d.mode)
    if mode not in ("off", "link", "content"):
        problems.append(
            f'dedup.mode: must be "off", "link" (same link after normalising) or "content"'
            f" (same link, or same title and near-identical text), not {mode!r}"
        )
        mode = d.mode
    threshold = _number(raw, "dedup.threshold", d.threshold, 0, 1, problems)
    window = _duration(raw.get("window", d.window), "dedup.window", problems)
    prefer = raw.get("prefer", [])
    slugs: list[str] = []
    if not isinstance(prefer, list):
        problems.append('dedup.prefer: must be a list of feed names, e.g. ["LessWrong"]')
        prefer = []
    known = {feed.slug: feed.slug for feed in feeds} | {feed.name: feed.slug for feed in feeds}
    for n, name in enumerate(prefer):
        slug = known.get(name) if isinstance(name, str) else None
        if slug is None:
            names = ", ".join(repr(f.name) for f in feeds[:5]) + (", ..." if feeds[5:] else "")
            problems.append(
                f"dedup.prefer[{n}]: {name!r} names no feed; use a [[feeds]] name or its slug"
                f" ({names})"
            )
        elif slug not in slugs:
            slugs.append(slug)
    return DedupConfig(
        mode=cast(DedupMode, mode),
        threshold=float(threshold),
        window=d.window if window is None else window,
        prefer=tuple(slugs),
    )


def _number(
    table: dict[str, Any], where: str, default: float, low: float, high: float, problems: list[str]
) -> float:
    """The number at `where` (its last part is the key in `table`), within [low, high]."""
    value = table.get(where.rsplit(".", 1)[-1], default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        problems.append(f"{where}: must be a number from {low:g} to {high:g}, not {value!r}")
        return default
    return value


def _whole(
    table: dict[str, Any], where: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    """A count or a size: a whole number within [low, high]. `1e6` is one (TOML writes big
    numbers that way), `2.5` is not: it used to be cut to 2 without a word."""
    value = table.get(where.rsplit(".", 1)[-1], default)
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or not low <= value <= high:
        problems.append(f"{where}: must be a whole number from {low} to {high}, not {value!r}")
        return default
    return int(value)


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


# --- [site] -----------------------------------------------------------------------------------


def _parse_site(raw: object, problems: list[str]) -> SiteConfig | None:
    if raw is None:
        problems.append("site: missing [site] table (title, base_url, timezone)")
        return None
    if not isinstance(raw, dict):
        problems.append("site: must be a table ([site])")
        return None
    problems += _unknown(raw, SITE_KEYS, "site.")
    before = len(problems)
    site = SiteConfig(
        title=_site_title(raw, problems),
        base_url=_site_base_url(raw, problems),
        timezone=_site_text(raw, "timezone", "UTC", _is_timezone, _TIMEZONE_HINT, problems),
        per_page=_positive_int(raw, "per_page", 20, problems),
        feed_entries=_positive_int(raw, "feed_entries", 50, problems),
        language=_site_text(raw, "language", "en", _LANGUAGE.match, _LANGUAGE_HINT, problems),
        theme=_site_text(raw, "theme", "default", _NAME.match, _THEME_HINT, problems),
        full_content=_full_content(raw, problems),
        source_feeds=_site_flag(raw, "source_feeds", False, problems),
        cname=_site_cname(raw, problems),
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


def _positive_int(table: dict[str, Any], key: str, default: int, problems: list[str]) -> int:
    value = table.get(key, default)
    # bool is an int subclass; `per_page = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        problems.append(f"site.{key}: must be a whole number from 1 to 10000, not {value!r}")
        return default
    return value


# --- [[feeds]] --------------------------------------------------------------------------------


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
    problems += _unknown(item, FEED_KEYS, f"{where}.")
    before = len(problems)
    url, local = _feed_url(item, where, root, problems)
    name, slug = _feed_name(item, i, slugs, problems)
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
    filters, full_content = _feed_filters(item, where, problems)
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


def _parse_tags(raw: dict[str, Any], problems: list[str]) -> TagsConfig:
    """`[tags]`: rules, aliases, ignore, min_entries."""
    problems += _unknown(raw, TAGS_KEYS, "tags.")
    rules = raw.get("rules", [])
    if not isinstance(rules, list):
        problems.append("tags.rules: must be an array of tables ([[tags.rules]])")
        rules = []
    aliases = raw.get("aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(v, str) and v.strip() and k.strip() for k, v in aliases.items()
    ):
        problems.append('tags.aliases: must be a table of names, e.g. "Machine Learning" = "ml"')
        aliases = {}
    return TagsConfig(
        rules=tuple(r for i, item in enumerate(rules) if (r := _tag_rule(item, i, problems))),
        aliases=tuple((k.strip(), v.strip()) for k, v in aliases.items()),
        ignore=_names(raw, "ignore", "tags.ignore", problems),
        min_entries=_whole(raw, "tags.min_entries", 2, 1, 10**9, problems),
    )


def _tag_rule(item: object, i: int, problems: list[str]) -> TagRule | None:
    where = f"tags.rules[{i}]"
    if not isinstance(item, dict):
        problems.append(f"{where}: must be a table ([[tags.rules]])")
        return None
    problems += _unknown(item, TAG_RULE_KEYS, f"{where}.")
    before = len(problems)
    match = _regex(item.get("match"), f"{where}.match", problems, required=True)
    given = item.get("tags")
    tags: list[str] = [given] if isinstance(given, str) else given or []
    tags = tags if isinstance(tags, list) else []
    if not tags or not all(_text(t) for t in tags):
        problems.append(f'{where}.tags: required, a tag or a list of tags, e.g. ["ai"]')
    fields = item.get("fields", ["title", "content"])
    if (
        not isinstance(fields, list)
        or not fields
        or not all(isinstance(f, str) and f in TAG_FIELDS for f in fields)
    ):
        problems.append(f"{where}.fields: must be a list of {', '.join(map(repr, TAG_FIELDS))}")
    if len(problems) > before or match is None:
        return None
    return TagRule(
        match=match,
        tags=tuple(" ".join(t.split()) for t in tags),
        fields=tuple(cast(TagField, f) for f in dict.fromkeys(fields)),
    )


def _parse_filters(raw: dict[str, Any], where: str, problems: list[str]) -> Filters:
    """`[filters]`: include, exclude, max_age_days, max_per_source."""
    problems += _unknown(raw, FILTER_KEYS, f"{where}.")
    return _filters(raw, where, problems)


def _filters(raw: dict[str, Any], where: str, problems: list[str]) -> Filters:
    def limit(key: str) -> int | None:
        if key not in raw:
            return None
        return _whole(raw, f"{where}.{key}", 0, 1, 10**6, problems) or None

    return Filters(
        include=_patterns(raw, "include", where, problems),
        exclude=_patterns(raw, "exclude", where, problems),
        max_age_days=limit("max_age_days"),
        max_per_source=limit("max_per_source"),
    )


def _feed_filters(
    item: dict[str, Any], where: str, problems: list[str]
) -> tuple[Filters | None, FullContent | None]:
    """A feed's own filter keys (None when it has none) and its `full_content`."""
    filters = None
    if FILTER_KEYS & item.keys():
        filters = _filters(item, where, problems)
    full_content = item.get("full_content")
    if full_content is not None and full_content not in ("front", "all", "none"):
        problems.append(
            f'{where}.full_content: must be "front", "all" or "none", not {full_content!r}'
        )
        full_content = None
    return filters, cast(FullContent | None, full_content)


def _patterns(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> tuple[str, ...]:
    """A regular expression or a list of them, each checked (a bad one names its key)."""
    value = raw.get(key, [])
    if isinstance(value, str):
        found = _regex(value, f"{where}.{key}", problems)
        return (found,) if found is not None else ()
    if not isinstance(value, list):
        problems.append(f"{where}.{key}: must be a regular expression or a list of them")
        return ()
    checked = [_regex(p, f"{where}.{key}[{n}]", problems) for n, p in enumerate(value)]
    return tuple(p for p in checked if p is not None)


def _regex(value: object, where: str, problems: list[str], required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        problems.append(f"{where}: must be a regular expression (a non-empty string)")
        return None
    try:
        re.compile(value)
    except re.error as e:
        problems.append(f"{where}: not a valid regular expression: {e} in {value!r}")
        return None
    return value


def _names(raw: dict[str, Any], key: str, where: str, problems: list[str]) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(_text(v) for v in value):
        problems.append(f'{where}: must be a list of names, e.g. ["Uncategorized"]')
        return ()
    return tuple(" ".join(v.split()) for v in value)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
