"""Read a feed's content cache as tests want it: one object, state and entries together.

Since schema 2 a feed's cache is `content/feeds/<slug>.json` (metadata, HTTP state) plus its
entries by month in `content/feeds/<YYYY-MM>/<slug>.json`; tests that look at the raw JSON
read both through `cache_json`, which gives the schema-1 shape (one object, "entries" newest
first), so writing it out as `<slug>.json` also makes a schema-1 cache.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def cache_json(root: Path, slug: str) -> dict[str, Any]:
    """The cache of feed `slug` in the project at `root`, as one schema-1 object."""
    feeds = root / "content" / "feeds"
    data: dict[str, Any] = json.loads((feeds / f"{slug}.json").read_text(encoding="utf-8"))
    if data["schema"] == 1:
        return data
    months = sorted(
        (p for p in feeds.glob(f"*/{slug}.json") if re.fullmatch(r"\d{4}-\d{2}", p.parent.name)),
        key=lambda p: p.parent.name,
        reverse=True,
    )
    entries = [e for p in months for e in json.loads(p.read_text(encoding="utf-8"))["entries"]]
    return {**data, "schema": 1, "entries": entries}
