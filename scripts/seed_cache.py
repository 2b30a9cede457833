"""Seed content/ for the example digest from the bundled sample feeds (no network).

For each feed of ./config.toml that has a sample in samples/, parse the sample through the
real pipeline and write content/feeds/<slug>.json marked `"sample": true`, so that the first
real fetch of that feed replaces the sample posts. Deterministic: run it twice, same bytes.

    python scripts/seed_cache.py
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from digest.config import load_config
from digest.feeds.fetch import fetch_feed, make_client
from digest.feeds.store import cache_path, save_cache
from digest.models import FeedCache, HttpState
from digest.pipeline import update_feed

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {"lesswrong": "samples/lesswrong.xml", "ai-alignment-forum": "samples/alignmentforum.xml"}
SEEDED_AT = datetime(2026, 3, 23, 0, 0, tzinfo=UTC)  # "first seen" of every sample post


def main() -> None:
    config = load_config(ROOT / "config.toml")
    with make_client(config.site.base_url, config.fetch) as client:
        for feed in config.feeds:
            if feed.slug not in SAMPLES:
                continue
            local = dataclasses.replace(feed, path=ROOT / SAMPLES[feed.slug])
            response = fetch_feed(local, HttpState(), client, config.fetch)
            cache, report = update_feed(config, FeedCache(feed.slug), local, response, SEEDED_AT)
            if report.outcome != "ok":
                raise SystemExit(f"{SAMPLES[feed.slug]}: {report.error}")
            cache = dataclasses.replace(
                cache,
                sample=True,
                feed=dataclasses.replace(cache.feed, url=feed.url),
                http=HttpState(),  # the real URL has never been fetched
            )
            save_cache(cache_path(config, feed.slug), cache)
            print(
                f"{cache_path(config, feed.slug).relative_to(ROOT)}: {len(cache.entries)} entries"
            )


if __name__ == "__main__":
    main()
