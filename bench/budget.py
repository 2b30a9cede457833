"""How close the size budget's estimate (digest/site/budget.py) comes to a built site.

    python bench/budget.py path/to/config.toml [more configs...]

For each project, built already (`digest build`; the bench's own: bench/scale.py --workdir),
prints the bytes of output/ beside the estimate the budget makes of the same site with no
budget, and each part of both: the estimate's terms (pages, entries, bodies with search,
feeds) and output/ by kind of file. The estimate is meant to be a little above the truth.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from digest.config import load_config
from digest.models import shown_bytes
from digest.pipeline import _posts, load_caches
from digest.site.group import make_site
from digest.write.sizes import file_sizes


def kind(name: str) -> str:
    first = name.split("/", 1)[0]
    if first.isdigit():
        return "day pages" if name.count("/") == 3 else "month and year pages"
    if name.endswith((".xml", ".json")) and first in ("tags", "sources", "atom.xml", "feed.json"):
        return "feeds"
    return {"tags": "tag pages", "sources": "source pages", "pagefind": "search index"}.get(
        first, "other"
    )


def main() -> None:
    for path in sys.argv[1:]:
        config = load_config(Path(path))
        config = replace(config, site=replace(config.site, max_output=0))
        site = make_site(config, load_caches(config), _posts(config), now=datetime.now(UTC))
        assert site.budget is not None
        sizes = Counter[str]()
        for name, size in file_sizes(config.output_dir):
            sizes[kind(name)] += size
        actual = sum(sizes.values())
        bodies = sum(shown_bytes(e) for e in site.entries)
        print(f"{path}: {len(site.entries):,} entries, {len(site.pages):,} pages")
        print(f"  output/   {actual / 1e6:10.2f} MB")
        print(
            f"  estimate  {site.budget.estimate / 1e6:10.2f} MB"
            f" ({site.budget.estimate / actual:.2f}x); bodies {bodies / 1e6:.2f} MB"
        )
        for name, size in sizes.most_common():
            print(f"    {name:22} {size / 1e6:10.2f} MB")


if __name__ == "__main__":
    main()
