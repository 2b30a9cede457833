"""The built site's size against where it is published: GitHub Pages refuses a site over 1 GB.

`output_warnings` is pure; `folder_bytes` reads file sizes under output/ (stat only). The
pipeline adds the warnings to its report, which cli prints and adds to the GitHub step summary.
"""

from __future__ import annotations

import os
from pathlib import Path

from digest.models import SiteConfig

# "Published GitHub Pages sites may be no larger than 1 GB" (GitHub Pages limits); read as
# 10^9 bytes, the smaller of the two readings.
GITHUB_PAGES_BYTES = 1_000_000_000
WARN_SHARE = 0.8  # warn this far up, while there is still time to change a setting


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under `folder` (0 when it does not exist). Read on every
    build, so with scandir: pathlib's rglob costs several times more for the same stats."""
    total = 0
    todo = [str(folder)]
    while todo:
        try:
            with os.scandir(todo.pop()) as found:
                for item in found:
                    if item.is_dir(follow_symlinks=False):
                        todo.append(item.path)
                    elif item.is_file():
                        total += item.stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            continue
    return total


def output_warnings(
    output_bytes: int,
    site: SiteConfig,
    *,
    limit: int = GITHUB_PAGES_BYTES,
    share: float = WARN_SHARE,
    search: bool = False,
) -> tuple[str, ...]:
    """A warning, naming the settings that shrink the site, once `output_bytes` passes
    `share` of `limit`; none below it."""
    if output_bytes <= limit * share:
        return ()
    ways = [
        "a larger [site] per_page (fewer listing pages)",
        "[retention] max_age or max_entries (fewer entries kept)",
    ]
    if search:  # Pagefind's index is about 2.6 KB an entry
        ways.append("[search] enabled = false (no search index)")
    if site.full_content == "all":
        # Every listing then repeats each whole post: by far the biggest saving.
        ways.insert(0, '[site] full_content = "front" (whole posts on the front page only)')
    return (
        f"output/ is {output_bytes / 1e6:,.0f} MB, {output_bytes / limit:.0%} of the"
        f" {limit / 1e9:g} GB GitHub Pages publishes; to make it smaller, set in config.toml "
        + ", or ".join(ways),
    )
