"""How times are written: one rule each for machines (RFC 3339) and for people (UTC). Pure.

Times inside pages are formatted by the theme in the site's timezone and language
(`theme.date_formatter`); these two are for files and messages.
"""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(moment: datetime) -> str:
    """`2026-03-22T12:00:00Z`: RFC 3339 in UTC, whole seconds, as the content cache, Atom
    (RFC 4287 §3.3), JSON Feed and sitemap.xml write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_utc(moment: datetime | None) -> str:
    """`2026-03-22 12:00 UTC` for messages and reports; "?" when unknown."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "?"
