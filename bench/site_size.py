"""Output bytes per entry: how big `output/` grows with the entries it holds, per full_content.

Builds bench.py's generated corpus (FEEDS local RSS files of ENTRIES entries, ~3 KB of HTML
each, 17 topic tags and 9 area tags) once per `[site] full_content` value and prints the size
of output/ per entry. GitHub Pages publishes at most 1 GB, so 1e9 / (bytes per entry) is
roughly how many entries a site can hold there.

    python bench/site_size.py                     # 40 feeds x 50 entries = 2,000 entries
    python bench/site_size.py --modes true        # a digest before full_content had modes
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import make_corpus  # bench.py, beside this file


def build(folder: Path, full_content: str) -> tuple[int, int]:
    """Build the corpus in `folder` with `full_content`: the bytes of its output/, and of its
    HTML pages alone (the feeds hold `feed_entries` each, a cost that does not grow)."""
    config = folder / "config.toml"
    text = config.read_text(encoding="utf-8")
    value = full_content if full_content in ("true", "false") else f'"{full_content}"'
    config.write_text(text.replace("per_page = 20", f"per_page = 20\nfull_content = {value}"))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1774267200")
    command = [sys.executable, "-m", "digest", "build", "-q", "--config", str(config)]
    subprocess.run(command, check=True, env=env)
    files = [p for p in (folder / "output").rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), sum(
        p.stat().st_size for p in files if p.suffix == ".html"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--modes", nargs="+", default=["all", "front", "none"])
    args = parser.parse_args()
    n = args.feeds * args.entries
    for mode in args.modes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            make_corpus(folder, args.feeds, args.entries, "feeds")
            size, html = build(folder, mode)
            pages = sum(1 for _ in (folder / "output").rglob("*.html"))
            print(
                f"full_content = {mode:5}: {n} entries, {pages} pages, {size / 1e6:6.1f} MB,"
                f" {size / n / 1e3:5.1f} KB per entry ({html / n / 1e3:5.1f} KB of HTML pages),"
                f" ~{1e9 / (size / n):,.0f} entries per GB"
            )


if __name__ == "__main__":
    main()
