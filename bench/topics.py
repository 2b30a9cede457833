"""What tag rules and filters cost in `group.make_site`: N generated entries (20 feeds, 2-8 KB
bodies, 1-3 categories each) built into a site model without, then with, 5 tag rules over
title+content, aliases, ignore, [filters] include/exclude and max_per_source.

    python bench/topics.py [--entries 10000]

Prints the CPU seconds of make_site for both (best of 3) and the difference per 10,000
entries. No rendering, no files: only the model, where the rules and filters run.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.models import (
    Config,
    Entry,
    FeedCache,
    FeedConfig,
    Filters,
    SiteConfig,
    TagRule,
    TagsConfig,
)
from digest.site.group import make_site

WORDS = [
    "alignment",
    "interpretability",
    "model",
    "training",
    "data",
    "circuit",
    "probe",
    "agent",
    "reward",
    "policy",
    "scaling",
    "loss",
    "compute",
    "language",
    "vision",
    "python",
    "rust",
    "forecasting",
    "safety",
    "governance",
]
NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


def corpus(count: int, feeds: int) -> list[FeedCache]:
    rng = random.Random(12)
    by_feed: dict[str, list[Entry]] = {f"feed-{n}": [] for n in range(feeds)}
    for n in range(count):
        slug = f"feed-{n % feeds}"
        words = [rng.choice(WORDS) for _ in range(rng.randint(300, 1200))]
        body = "".join(f"<p>{' '.join(words[i : i + 60])}</p>" for i in range(0, len(words), 60))
        by_feed[slug].append(
            Entry(
                id=f"{slug}/{n}",
                source=slug,
                title=" ".join(rng.choice(WORDS) for _ in range(6)).capitalize(),
                link=f"https://{slug}.example/{n}",
                author=rng.choice(("Ann", "Bo", "Eliezer Example")),
                published=NOW - timedelta(minutes=37 * n),
                updated=None,
                first_seen=NOW,
                tags=tuple(rng.choice(WORDS).title() for _ in range(rng.randint(1, 3))),
                content_html=body,
            )
        )
    return [FeedCache(slug, entries=tuple(items)) for slug, items in by_feed.items()]


def config(feeds: int, rules: bool) -> Config:
    site = SiteConfig(title="Bench", base_url="https://bench.example/", timezone="UTC")
    feed_configs = tuple(
        FeedConfig(url=f"https://feed-{n}.example/feed", name=f"Feed {n}", slug=f"feed-{n}")
        for n in range(feeds)
    )
    if not rules:
        return Config(path=Path("/bench/config.toml"), site=site, feeds=feed_configs)
    tags = TagsConfig(
        rules=tuple(
            TagRule(match=pattern, tags=(tag,))
            for pattern, tag in (
                (r"(?i)\balignment\b", "AI Safety"),
                (r"(?i)\binterpretab", "Interpretability"),
                (r"\bpython\b.*\brust\b", "Languages"),
                (r"(?i)forecast(ing)?", "Forecasting"),
                (r"governance", "Policy"),
            )
        ),
        aliases=(("Model", "Models"), ("Probe", "Probes")),
        ignore=("Data",),
    )
    filters = Filters(
        include=(r"(?i)\b(model|agent|loss)\b",), exclude=(r"zzz-never",), max_per_source=3
    )
    return Config(
        path=Path("/bench/config.toml"), site=site, feeds=feed_configs, tags=tags, filters=filters
    )


def cpu(caches: list[FeedCache], cfg: Config) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        make_site(cfg, caches, (), now=NOW)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    caches = corpus(args.entries, 20)
    plain = cpu(caches, config(20, rules=False))
    ruled = cpu(caches, config(20, rules=True))
    per = (ruled - plain) * 10_000 / args.entries
    print(f"{args.entries} entries: make_site {plain:.2f} s CPU plain, {ruled:.2f} s with rules")
    print(f"rules and filters: {per:.2f} s CPU per 10,000 entries")


if __name__ == "__main__":
    main()
