"""One new post, offline: what a build costs when one feed gained one post, without the fetch.

    python bench/onenew.py DIR/digest          # a built project, e.g. bench/scale.py --workdir DIR
    python bench/onenew.py DIR/digest --feeds 10    # one new post in each of 10 feeds
    python bench/onenew.py DIR/digest --profile
    python bench/onenew.py DIR/digest --profile --sort tottime   # by each function's own time

Copies the project (content/ and output/) to a temp folder beside it, saves one more entry in
its first feed's cache (each of the first N feeds' with --feeds N: bench/scale.py's hourly case
is --feeds 10 at 10k, without its fetch) as a fetch saves it (a copy of its newest entry, an
hour newer), and
times `build(offline=True)` on it in this process, and prints the process's largest memory
and the time of each stage (with --profile, under cProfile, and the 40 costliest calls). The copy
is synced to disk before the clock starts, so its writeback is not timed; it is deleted after.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from digest import pipeline, write
from digest.config import load_config
from digest.feeds.store import cache_path, load_cache, save_cache
from digest.pipeline import build
from digest.render import pages
from digest.write import search, stamp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "project", type=Path, help="a built project (config.toml, content/, output/)"
    )
    parser.add_argument(
        "--feeds", type=int, default=1, help="feeds that gain one post each (default 1)"
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--sort", default="cumulative", help="with --profile: pstats order (e.g. tottime)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.project.parent) as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(args.project, copy, symlinks=True)
        os.sync()
        config = load_config(copy / "config.toml")
        now = None
        for feed in config.feeds[: args.feeds]:
            cache = load_cache(cache_path(config, feed.slug), feed.slug)
            newest = cache.entries[0]
            at = max(e.first_seen for e in cache.entries) + timedelta(hours=1)
            now = at if now is None else max(now, at)
            new = replace(
                newest, id=f"{newest.id}-new", title="A new post",
                link=f"{newest.link or ''}-new", published=at, first_seen=at,
            )  # fmt: skip
            entries = (new, *cache.entries)
            path = cache_path(config, feed.slug)
            save_cache(path, replace(cache, entries=entries), previous=cache)
        assert now is not None, "a project with no feeds"
        spent: dict[str, float] = {}
        timed(spent)
        profile = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profile:
            profile.enable()
        report = build(load_config(copy / "config.toml"), now=now, offline=True)
        if profile:
            profile.disable()
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
        print(f"{args.feeds} new post(s), offline: {took:.2f} s, at most {peak:,.0f} MB")
        print(f"  {report.written}")
        for stage, seconds in spent.items():
            print(f"  {stage:<38} {seconds:6.2f} s")
        if profile:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(40)


# The stages timed, by the module each is looked up in when called (build imports plan_site
# when it plans, write_changed render_site when it renders), in the order they run.
STAGES = (
    (pipeline, "load_caches", "read the feeds' states"),
    (stamp, "fingerprint", "fingerprint the inputs (the indexes)"),
    (pipeline, "with_index", "read the entry indexes"),
    (pipeline, "make_site", "the site model"),
    (pages, "plan_site", "key every file"),
    (write, "write_site", "render and write what changed"),
    (write, "_remove_stale", "  of which: the walk for stale files"),
    (search, "update_index", "search index (Pagefind)"),
)


def timed(spent: dict[str, float]) -> None:
    """Wrap each of STAGES to add its wall time to `spent` (a stage called twice adds up)."""
    for module, name, label in STAGES:
        spent[label] = 0.0
        function = getattr(module, name)

        def wrapper(*args: object, _f: Any = function, _label: str = label, **kw: object) -> Any:
            start = time.perf_counter()
            try:
                return _f(*args, **kw)
            finally:
                spent[_label] += time.perf_counter() - start

        setattr(module, name, wrapper)


if __name__ == "__main__":
    main()
