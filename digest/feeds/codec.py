"""Part of stage 5, store: an entry as the content cache's JSON, and back. Pure."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from digest.models import Body, Entry, FullText, Media, Picture
from digest.timefmt import rfc3339


def month_of(entry: Entry) -> str:
    """The month file an entry lives in: its date's month in UTC."""
    return entry.date.astimezone(UTC).strftime("%Y-%m")


def dumps(data: Mapping[str, Any]) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


# What a post carries besides its text (digest.parse.media), and its article from its page
# (digest.feeds.fulltext): saved only when it has it, so the cache files of feeds without any
# stay as they were.
CARRIED = ("media", "picture", "duration", "episode", "full_text")
# An entry's fields as saved: all but source and slug, which the file implies, and `body`,
# which only an entry read from the index has (digest.feeds.index).
ENTRY_FIELDS = tuple(
    f.name for f in dataclasses.fields(Entry) if f.name not in ("source", "slug", "body", *CARRIED)
)


def entry_to_json(entry: Entry) -> dict[str, Any]:
    if entry.body is not None:  # a month file written from the index would lose the body
        raise ValueError(f"{entry.source}: {entry.id}: read without its body, cannot be saved")
    # Field by field: dataclasses.asdict deep-copies every value, a quarter of saving a cache.
    data = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    data["tags"] = list(entry.tags)
    if entry.media:
        data["media"] = [dataclasses.asdict(m) for m in entry.media]
    if entry.picture is not None:
        data["picture"] = dataclasses.asdict(entry.picture)
    for name in ("duration", "episode"):
        if getattr(entry, name) is not None:
            data[name] = getattr(entry, name)
    if entry.full_text is not None:
        data["full_text"] = plain(dataclasses.asdict(entry.full_text))
    return plain(data)


def plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: rfc3339(v) if isinstance(v, datetime) else v for k, v in data.items()}


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def entry_from_json(item: dict[str, Any], slug: str) -> Entry:
    first_seen = parse_time(item["first_seen"])
    assert first_seen is not None
    return Entry(
        id=item["id"],
        source=slug,
        title=item["title"],
        link=item.get("link"),
        author=item.get("author"),
        published=parse_time(item.get("published")),
        updated=parse_time(item.get("updated")),
        first_seen=first_seen,
        tags=tuple(item.get("tags", [])),
        content_html=item.get("content_html", ""),
        comments=item.get("comments"),
        language=item.get("language"),
        media=tuple(Media(**m) for m in item.get("media", ())),
        picture=Picture(**item["picture"]) if item.get("picture") else None,
        duration=item.get("duration"),
        episode=item.get("episode"),
        full_text=full_text_from_json(item["full_text"]) if item.get("full_text") else None,
        body=body_from_json(item["body"], item.get("hash", "")) if "body" in item else None,
    )


def body_from_json(value: list[Any], entry: str = "") -> Body:
    """An index's `"body"` (the hashes and size, then where the texts are, if it knows), and
    its entry's `"hash"`: an entry read from the index."""
    html, article, size, *at = value
    where = (int(at[0]), int(at[1]), int(at[2]), int(at[3])) if len(at) == 4 else None
    return Body(str(html), str(article), int(size), where, str(entry))


def full_text_from_json(item: dict[str, Any]) -> FullText:
    fetched = parse_time(item["fetched"])
    if fetched is None:
        raise ValueError("full_text without the time it was fetched")
    return FullText(**{**item, "fetched": fetched})
