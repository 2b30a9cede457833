"""CPU of `parse_body` per entry, with digest.parse.fast's lxml path and with feedparser only
(`parse_body(..., fast=False)`).

Generate a corpus first (it stays in WORKDIR/corpus/), then time it:

    python bench/scale.py --feeds 40 --entries 50 --only cold --peer no --workdir /tmp/fp-bench
    python bench/parse_cpu.py /tmp/fp-bench/corpus
    python bench/parse_cpu.py /tmp/fp-bench/corpus --no-sanitise   # the parsers alone

Process CPU time, best of --repeat runs over every *.xml file, each mode in turn.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import digest.parse.raw
from digest.parse import parse_body

NOW = datetime(2026, 3, 23, 12, tzinfo=UTC)


def run(files: list[tuple[str, bytes]], fast: bool) -> tuple[float, int]:
    entries = 0
    start = time.process_time()
    for name, body in files:
        parsed = parse_body(
            body,
            url=f"https://bench.example/{name}",
            headers={"Content-Type": "application/xml"},
            source="bench",
            now=NOW,
            fast=fast,
        )
        entries += len(parsed.entries)
    return time.process_time() - start, entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-sanitise", action="store_true", help="stub out sanitize_html")
    args = parser.parse_args()
    if args.no_sanitise:

        def unsanitised(html: str, *_: Any, **__: Any) -> str:
            return html

        # build_entry (digest.parse.raw) sanitises every RSS and Atom entry, on both paths.
        digest.parse.raw.sanitize_html = unsanitised  # type: ignore[assignment]
    files = [(p.name, p.read_bytes()) for p in sorted(args.corpus.glob("*.xml"))]
    best: dict[bool, float] = {}
    for _ in range(args.repeat):
        for fast in (False, True):
            seconds, entries = run(files, fast)
            best[fast] = min(seconds, best.get(fast, seconds))
    for fast, seconds in best.items():
        label = "fast path" if fast else "feedparser"
        print(
            f"{label:10}  {seconds:6.3f} s CPU  {len(files)} feeds, {entries} entries"
            f"  {seconds / entries * 1000:.3f} ms/entry"
        )
    print(f"fast path / feedparser: {best[True] / best[False]:.2f}")


if __name__ == "__main__":
    main()
