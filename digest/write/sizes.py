"""Sizes against where a digest is kept and published: GitHub refuses large files in the
committed content/, and GitHub Pages a site over 1 GB.

`content_warnings` and `output_warnings` are pure; `content_sizes` and `folder_bytes` read
file sizes (stat only). The
pipeline adds the warnings to its report, which cli prints and adds to the GitHub step summary.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from digest.feeds.store import MONTH_FOLDER
from digest.models import Config, Retention, SiteConfig

# "Published GitHub Pages sites may be no larger than 1 GB" (GitHub Pages limits); read as
# 10^9 bytes, the smaller of the two readings.
GITHUB_PAGES_BYTES = 1_000_000_000
WARN_SHARE = 0.8  # warn this far up, while there is still time to change a setting


def file_sizes(folder: Path) -> Iterator[tuple[str, int]]:
    """(path within `folder`, "/"-separated; bytes) of every file under it; none when it does
    not exist. With scandir: pathlib's rglob costs several times more for the same stats."""
    todo = [(str(folder), "")]
    while todo:
        path, prefix = todo.pop()
        try:
            with os.scandir(path) as found:
                for item in found:
                    name = prefix + item.name
                    if item.is_dir(follow_symlinks=False):
                        todo.append((item.path, name + "/"))
                    elif item.is_file():
                        with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                            yield name, item.stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            continue


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under `folder` (0 when it does not exist): read on every build."""
    return sum(size for _, size in file_sizes(folder))


def size_text(size: int) -> str:
    """Bytes as people read them, in decimal units as GitHub counts: "894 MB", "1.7 MB",
    "950 KB"."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            value = size / scale
            return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
    return f"{size} B"


def output_warnings(
    output_bytes: int,
    site: SiteConfig,
    *,
    limit: int = GITHUB_PAGES_BYTES,
    share: float = WARN_SHARE,
    search: bool = False,
) -> tuple[str, ...]:
    """A warning, naming the settings that shrink the site, once `output_bytes` passes
    `share` of `limit`; none below it. With a size budget up to `limit` ([site] max_output,
    digest.site.budget), only once it passes the budget: the estimate fell short."""
    budget = site.max_output
    if 0 < budget <= limit:
        if output_bytes <= budget:
            return ()
        return (
            f"output/ is {size_text(output_bytes)}, over [site] max_output"
            f" ({size_text(budget)}) though its oldest posts are abridged: set a lower"
            f" max_output to abridge more (digest's estimate runs low for this theme), or"
            f" shrink the rest with full_content, excerpt_pages, per_page or [retention]"
            f" (docs/output.md)",
        )
    if output_bytes <= limit * share:
        return ()
    ways = [
        "a larger [site] per_page (fewer listing pages)",
        "[retention] max_age or max_entries (fewer entries kept)",
    ]
    if search:  # Pagefind's index is about 2.6 KB an entry
        ways.append("[search] enabled = false (no search index)")
    if site.excerpt_pages > 1:  # an excerpt is ~1.5 KB, a line ~0.25 KB, on every listing
        ways.insert(0, "[site] excerpt_pages = 1 (older listing pages list a line per entry)")
    if site.full_content == "all":
        # Every listing then repeats each whole post: by far the biggest saving.
        ways.insert(0, '[site] full_content = "front" (whole posts on the front page only)')
    return (
        f"output/ is {output_bytes / 1e6:,.0f} MB, {output_bytes / limit:.0%} of the"
        f" {limit / 1e9:g} GB GitHub Pages publishes; to make it smaller, set in config.toml "
        + ", or ".join(ways),
    )


# --- content/: warnings before GitHub refuses the cache ---------------------------------------

MB = 1024 * 1024
# Half of GitHub's 50 MB warning (it refuses a push with a file over 100 MB), and the size
# GitHub asks repositories to stay under: the hourly commit of content/ grows the history.
FILE_LIMIT = 25 * MB
CONTENT_LIMIT = 1024 * MB


def content_sizes(config: Config) -> dict[str, int]:
    """Every file under `content/` (temp files aside) -> bytes, by "/"-path within it."""
    return {
        name: size
        for name, size in file_sizes(config.content_dir)
        if not name.rsplit("/", 1)[-1].startswith(".")
    }


def content_warnings(
    config: Config,
    sizes: Mapping[str, int],
    *,
    file_limit: int = FILE_LIMIT,
    content_limit: int = CONTENT_LIMIT,
) -> tuple[str, ...]:
    """Pure: a sentence for each file of `content/` over `file_limit` and for `content/` over
    `content_limit`, naming the feed and the `[retention]` setting that bounds it."""
    feeds = {f.slug: f for f in config.feeds}
    warnings = []
    for name, size in sorted(sizes.items()):
        if size > file_limit:
            feed = feeds.get(_feed_slug(name) or "")
            fix = _bound(config, feed.name, feed.retention) if feed else "make it smaller"
            warnings.append(
                f"content/{name} is {size / MB:.1f} MB (GitHub warns at 50 MB a file and "
                f"refuses a push with a file over 100 MB): {fix}"
            )
    total = sum(sizes.values())
    if total > content_limit:
        per_feed: dict[str, int] = {}
        for name, size in sizes.items():
            slug = _feed_slug(name)
            if slug in feeds:
                per_feed[slug] = per_feed.get(slug, 0) + size
        largest = sorted(per_feed.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        fixes = "; ".join(_bound(config, feeds[s].name, feeds[s].retention) for s, _ in largest)
        listed = ", ".join(f'"{feeds[s].name}" {size / MB:.0f} MB' for s, size in largest)
        warnings.append(
            f"content/ is {total / MB:.0f} MB (the hourly commit of it makes the repository "
            f"grow; GitHub asks repositories to stay under 1 GB); the largest feeds: {listed}. "
            + (fixes or "set [retention] max_age or max_entries in config.toml")
        )
    return tuple(warnings)


def _feed_slug(name: str) -> str | None:
    """`feeds/<slug>.json` or `feeds/<YYYY-MM>/<slug>.json` -> slug; else None."""
    parts = name.split("/")
    if parts[0] != "feeds" or not parts[-1].endswith(".json"):
        return None
    if len(parts) == 2 or (len(parts) == 3 and MONTH_FOLDER.fullmatch(parts[1])):
        return parts[-1].removesuffix(".json")
    return None


def _bound(config: Config, name: str, own: Retention | None) -> str:
    """What to change so that feed `name` keeps fewer entries."""
    if own is not None and (own.max_age or own.max_entries):
        return f'lower the retention = {{ {_rule(own)} }} of feed "{name}" in its [[feeds]] table'
    rule = config.retention
    if rule.max_age or rule.max_entries:
        return (
            f'feed "{name}" follows [retention] ({_rule(rule)}): lower it, or give that feed '
            "its own retention = { max_entries = N } in its [[feeds]] table"
        )
    return (
        f'feed "{name}" keeps every entry: set [retention] max_age or max_entries in '
        'config.toml, or retention = { max_age = "365d" } in its [[feeds]] table'
    )


def _rule(rule: Retention) -> str:
    parts = []
    if rule.max_age:
        days, rest = divmod(rule.max_age, 86400)
        parts.append(f'max_age = "{days}d"' if not rest else f'max_age = "{rule.max_age}s"')
    if rule.max_entries is not None:
        parts.append(f"max_entries = {rule.max_entries}")
    return ", ".join(parts)
