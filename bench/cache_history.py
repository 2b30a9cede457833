"""What committing `content/` every hour costs a repository, by cache layout.

Simulates N days of hourly `digest build` runs in a scratch git repository: F generated feeds
post at different rates; each run adds the posts that arrived that hour through the store
(the real `store.save_cache` for the monthly layout; the schema-1 one-file-per-feed layout
as digest wrote it before, `--layout v1`), then `git add -A && git commit`, and `git gc` at
the end of each simulated day. Prints per day: entries, size of `content/`, its largest file,
and `.git` loose (before gc) and packed (after gc).

    python bench/cache_history.py                        # 200 feeds, 7 days, monthly layout
    python bench/cache_history.py --layout v1            # the same history, one file a feed

A feed with a new post gets new HTTP validators (a 200); the others answer 304, which writes
nothing. The feeds already hold `--history` days of posts when the week starts (the first
commit), and the week crosses a month boundary, as a real one does 1 time in 4.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.feeds import codec, store
from digest.models import Entry, FeedCache, FeedInfo

RATES = (0.5, 1, 1, 2, 3, 5, 10)  # posts a day, by feed, cycling: a few busy feeds, most not
START = datetime(2026, 3, 28, tzinfo=UTC)  # the simulated week runs into April
MB = 1024 * 1024


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    return [
        "".join(rng.choice("etaoinshrdlucmfwypvbgkqjxz") for _ in range(rng.randint(2, 9)))
        for _ in range(size)
    ]


WORDS: list[str] = []  # filled once in main, from the seed


def words(rng: random.Random, size: int) -> str:
    """About `size` bytes of text that compresses like prose, not like one repeated word."""
    return " ".join(rng.choices(WORDS, k=max(1, size // 6)))


def post(rng: random.Random, slug: str, n: int, when: datetime, size: int) -> Entry:
    return Entry(
        id=f"https://{slug}.example/p/{n}",
        source=slug,
        title=words(rng, 40).capitalize(),
        link=f"https://{slug}.example/p/{n}",
        author="A. Author",
        published=when,
        updated=None,
        first_seen=when + timedelta(minutes=rng.randint(1, 59)),
        tags=(words(rng, 6),),
        content_html=f"<p>{words(rng, size)}</p>",
    )


def save_v1(path: Path, cache: FeedCache) -> None:
    """The schema-1 layout (digest before issue 14): one file a feed, every entry in it.
    Built from store's own serialisers, so entries are byte for byte what digest writes."""
    data = store._state_to_json(cache) | {
        "schema": 1,
        "entries": [codec.entry_to_json(e) for e in cache.entries],
    }
    store.atomic_write(path, codec.dumps(data), durable=False)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def git_sizes(repo: Path) -> tuple[float, float]:
    """(loose, packed) object sizes in MB, as `git count-objects -v` counts them."""
    counts = dict(line.split(": ") for line in git(repo, "count-objects", "-v").splitlines())
    return int(counts["size"]) / 1024, int(counts["size-pack"]) / 1024


def content_size(content: Path) -> tuple[float, float]:
    """(all of content/, its largest file) in MB."""
    sizes = [p.stat().st_size for p in content.rglob("*") if p.is_file()]
    return sum(sizes) / MB, max(sizes, default=0) / MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layout", choices=("v1", "months"), default="months")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--history", type=int, default=40, help="days of posts at the start")
    parser.add_argument("--entry-bytes", type=int, default=3000, help="text in each post")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()

    repo = args.keep or Path(tempfile.mkdtemp(prefix="cache-history-"))
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "bench@example.org")
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "gc.auto", "0")  # gc only when the simulated day ends
    feeds = repo / "content" / "feeds"
    rng = random.Random(args.seed)
    WORDS[:] = vocabulary(rng)
    slugs = [f"feed{f:03d}" for f in range(args.feeds)]
    rates = {slug: RATES[f % len(RATES)] for f, slug in enumerate(slugs)}
    caches = {
        s: FeedCache(slug=s, feed=FeedInfo(url=f"https://{s}.example/feed", title=s)) for s in slugs
    }
    counts = dict.fromkeys(slugs, 0)

    def run(now: datetime, hours: int) -> int:
        """One fetch of every feed: the posts of the last `hours` hours; returns how many."""
        added = 0
        for slug in slugs:
            new = []
            for hour in range(hours):
                if rng.random() < rates[slug] / 24:
                    when = now - timedelta(hours=hour, minutes=rng.randint(0, 59))
                    new.append(post(rng, slug, counts[slug], when, args.entry_bytes))
                    counts[slug] += 1
            if not new:
                continue  # a 304: nothing written
            old = caches[slug]
            http = dataclasses.replace(
                old.http, status="ok", etag=f'"{counts[slug]}"', last_ok=now, url=old.feed.url
            )
            entries = store.sort_entries((*new, *old.entries))
            cache = dataclasses.replace(old, http=http, entries=entries)
            path = feeds / f"{slug}.json"
            if args.layout == "v1":
                save_v1(path, cache)
                caches[slug] = cache
            else:
                caches[slug] = store.save_cache(path, cache, previous=old)
            added += len(new)
        return added

    started = time.perf_counter()
    run(START, args.history * 24)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "history")
    git(repo, "gc", "-q")
    print(f"layout {args.layout}: {args.feeds} feeds, {args.days} days, repository {repo}")
    print("day  entries  content MB  largest MB  loose MB (before gc)  packed MB (after gc)")
    total, largest = content_size(repo / "content")
    print(f"{0:>3}  {sum(counts.values()):>7}  {total:>10.1f}  {largest:>10.2f}  "
          f"{'-':>20}  {git_sizes(repo)[1]:>20.1f}")  # fmt: skip
    for day in range(1, args.days + 1):
        for hour in range(24):
            now = START + timedelta(days=day - 1, hours=hour + 1)
            run(now, 1)
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "--allow-empty", "-m", f"day {day} hour {hour}")
        loose, _ = git_sizes(repo)
        git(repo, "gc", "-q")
        total, largest = content_size(repo / "content")
        print(f"{day:>3}  {sum(counts.values()):>7}  {total:>10.1f}  {largest:>10.2f}  "
              f"{loose:>20.1f}  {git_sizes(repo)[1]:>20.1f}", flush=True)  # fmt: skip
    print(f"({time.perf_counter() - started:.0f} s)")
    if not args.keep:
        shutil.rmtree(repo)


if __name__ == "__main__":
    main()
