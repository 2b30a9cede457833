"""Dedup benchmark: the cost of `digest.site.dedup.dedup` (each post once) per 10,000 entries.

    python bench/dedup.py                   # 10,000 entries, ~10% of them cross-post copies
    python bench/dedup.py --entries 100000  # the same mix at 100,000 (it should be ~10x)

The corpus is generated from `--seed`: posts with 2-8 KB bodies (bench/scale.py's generator)
over 20 feeds and two months. A tenth of the entries are a second copy of another feed's
post: half under the same link with tracking parameters (the link rule), half on another host
with another id and the same title and text but its own footer (the content rule). Another
2% are weekly "Open thread" posts, a title every feed shares, with a "Discuss" body (the
guard) or a long body of their own. Prints the best of `--repeat` runs, in seconds and entries
per second, and checks that exactly the planted copies were merged.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scale import make_body, sentence  # bench/scale.py: the corpus generator

from digest.models import DedupConfig, Entry, sort_entries
from digest.site.dedup import dedup

FEEDS = 20
START = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


def make_entry(
    feed: int, n: int, title: str, body: str, when: datetime, link: str | None = None
) -> Entry:
    host = f"feed{feed}.example"
    return Entry(
        id=f"https://{host}/posts/{n}",
        source=f"feed-{feed}",
        title=title,
        link=link or f"https://{host}/posts/{n}",
        author=None,
        published=when,
        updated=None,
        first_seen=when,
        tags=(),
        content_html=body,
    )


def make_corpus(total: int, seed: int) -> tuple[tuple[Entry, ...], int]:
    """`total` entries newest first, and how many of them are planted copies."""
    rng = random.Random(seed)
    copies = total // 10
    threads = total // 50
    originals = total - copies - threads
    entries: list[Entry] = []
    for n in range(originals):
        feed = rng.randrange(FEEDS)
        when = START - timedelta(minutes=rng.randrange(60 * 24 * 60))
        title = f"{sentence(rng, 4, 9)[:-1]} ({n})"  # ~unique, as real titles mostly are
        entries.append(make_entry(feed, n, title, make_body(rng, f"feed{feed}.example"), when))
    for n, original in enumerate(rng.sample(entries, copies)):
        feed = (int(original.source.split("-")[1]) + 1 + rng.randrange(FEEDS - 1)) % FEEDS
        when = original.date + timedelta(hours=rng.randint(0, 30))
        if n % 2:  # the same page, linked with tracking parameters
            link = f"{original.link}/?utm_source=rss&utm_medium=feed&ref=feed{feed}"
            body, title = original.content_html, original.title
        else:  # the same text on another host, under another id and link
            link = None
            body = original.content_html + f"<p>Discuss this post on feed {feed}.</p>"
            title = original.title.upper()
        entries.append(make_entry(feed, originals + n, title, body, when, link))
    for n in range(threads):
        feed = n % FEEDS
        when = START - timedelta(days=7 * (n // FEEDS), hours=n % FEEDS)
        body = "<p>Discuss</p>" if n % 2 else make_body(rng, f"feed{feed}.example")
        entries.append(make_entry(feed, originals + copies + n, "Open thread", body, when))
    return sort_entries(entries), copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    made = time.perf_counter()
    entries, copies = make_corpus(args.entries, args.seed)
    size = sum(len(e.content_html) for e in entries) / len(entries)
    print(
        f"corpus: {len(entries):,} entries, {copies:,} planted copies, "
        f"{size / 1024:.1f} KB average body ({time.perf_counter() - made:.1f} s to make)"
    )
    config = DedupConfig()
    best = cpu = float("inf")
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = dedup(entries, config)
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    rules = {rule: sum(d.rule == rule for d in result.duplicates) for rule in ("link", "content")}
    print(
        f"dedup: {best:.3f} s for {len(entries):,} entries ({len(entries) / best:,.0f} entries/s,"
        f" {best / len(entries) * 10_000:.3f} s per 10,000); merged {len(result.duplicates):,}"
        f" copies ({rules['link']:,} by link, {rules['content']:,} by content); CPU {cpu:.3f} s"
    )
    if len(result.duplicates) != copies:
        sys.exit(f"expected {copies} merges, found {len(result.duplicates)}")


if __name__ == "__main__":
    main()
