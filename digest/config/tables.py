"""Part of stage 1, config: the optional tables, `[tags]`, `[filters]` (and each feed's filter
keys), `[editions]`, `[dedup]`, `[search]` and `[full_text]`. Each table is parsed by its own
function, in the manner of `digest.config`: problems collected with their TOML path."""

from __future__ import annotations

import re
from typing import Any, cast

from digest.config.values import duration, number, table, unknown, whole
from digest.models import (
    DedupConfig,
    DedupMode,
    EditionGroupBy,
    EditionsConfig,
    FeedConfig,
    Filters,
    FullContent,
    FullTextConfig,
    SearchConfig,
    TagField,
    TagRule,
    TagsConfig,
)

TAGS_KEYS = {"rules", "aliases", "ignore", "min_entries"}


TAG_RULE_KEYS = {"match", "fields", "tags"}


TAG_FIELDS = ("title", "content", "author", "link")


FILTER_KEYS = {"include", "exclude", "max_age_days", "max_per_source"}


EDITIONS_KEYS = {
    "daily", "weekly", "week_start", "close_after", "excerpt_chars", "group_by", "skip_empty",
}  # fmt: skip


DEDUP_KEYS = {"mode", "threshold", "window", "prefer"}


SEARCH_KEYS = {"enabled"}


FULL_TEXT_KEYS = {"enabled", "per_run", "delay"}


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_search(raw: dict[str, Any], problems: list[str]) -> SearchConfig:
    problems += unknown(raw, SEARCH_KEYS, "search.")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"search.enabled: must be true or false, not {enabled!r}")
        return SearchConfig()
    return SearchConfig(enabled=enabled)


def parse_full_text(raw: dict[str, Any], problems: list[str]) -> FullTextConfig:
    """`[full_text]`: off unless `enabled` (or a feed's own `full_text`) says so."""
    problems += unknown(raw, FULL_TEXT_KEYS, "full_text.")
    d = FullTextConfig()
    return FullTextConfig(
        enabled=flag(raw.get("enabled", d.enabled), "full_text.enabled", problems),
        per_run=whole(raw, "full_text.per_run", d.per_run, 1, 1000, problems),
        delay=number(raw, "full_text.delay", d.delay, 0, 60, problems),
    )


def flag(value: object, where: str, problems: list[str]) -> bool:
    """true or false; anything else is a problem (and false)."""
    if not isinstance(value, bool):
        problems.append(f"{where}: must be true or false, not {value!r}")
        return False
    return value


def parse_editions(data: dict[str, Any], problems: list[str]) -> EditionsConfig:
    """`[editions]`; without the table there are none, with it daily and weekly default on."""
    if "editions" not in data:
        return EditionsConfig()
    raw = table(data, "editions", problems)
    problems += unknown(raw, EDITIONS_KEYS, "editions.")
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
    close_after = duration(raw.get("close_after", "6h"), "editions.close_after", problems)
    return EditionsConfig(
        daily=flags["daily"],
        weekly=flags["weekly"],
        week_start=_WEEKDAYS.index(week_start.strip().lower()),
        close_after=6 * 3600 if close_after is None else close_after,
        excerpt_chars=whole(raw, "editions.excerpt_chars", 280, 40, 10_000, problems),
        group_by=cast(EditionGroupBy, group_by),
        skip_empty=flags["skip_empty"],
    )


def parse_dedup(
    raw: dict[str, Any], feeds: tuple[FeedConfig, ...], problems: list[str]
) -> DedupConfig:
    """`[dedup]`; `prefer` names feeds by name or slug and is kept as slugs."""
    problems += unknown(raw, DEDUP_KEYS, "dedup.")
    d = DedupConfig()
    mode = raw.get("mode", d.mode)
    if mode not in ("off", "link", "content"):
        problems.append(
            f'dedup.mode: must be "off", "link" (same link after normalising) or "content"'
            f" (same link, or same title and near-identical text), not {mode!r}"
        )
        mode = d.mode
    threshold = number(raw, "dedup.threshold", d.threshold, 0, 1, problems)
    window = duration(raw.get("window", d.window), "dedup.window", problems)
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


def parse_tags(raw: dict[str, Any], problems: list[str]) -> TagsConfig:
    """`[tags]`: rules, aliases, ignore, min_entries."""
    problems += unknown(raw, TAGS_KEYS, "tags.")
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
        min_entries=whole(raw, "tags.min_entries", 2, 1, 10**9, problems),
    )


def _tag_rule(item: object, i: int, problems: list[str]) -> TagRule | None:
    where = f"tags.rules[{i}]"
    if not isinstance(item, dict):
        problems.append(f"{where}: must be a table ([[tags.rules]])")
        return None
    problems += unknown(item, TAG_RULE_KEYS, f"{where}.")
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


def parse_filters(raw: dict[str, Any], where: str, problems: list[str]) -> Filters:
    """`[filters]`: include, exclude, max_age_days, max_per_source."""
    problems += unknown(raw, FILTER_KEYS, f"{where}.")
    return _filters(raw, where, problems)


def _filters(raw: dict[str, Any], where: str, problems: list[str]) -> Filters:
    def limit(key: str) -> int | None:
        if key not in raw:
            return None
        return whole(raw, f"{where}.{key}", 0, 1, 10**6, problems) or None

    return Filters(
        include=_patterns(raw, "include", where, problems),
        exclude=_patterns(raw, "exclude", where, problems),
        max_age_days=limit("max_age_days"),
        max_per_source=limit("max_per_source"),
    )


def feed_filters(
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
