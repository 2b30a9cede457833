"""A build killed with SIGKILL at any moment leaves every cache file whole; nothing is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from faults import FaultServer, growing
from helpers import write_config

from digest.store import load_cache

FEEDS = 40


def run(config: Path, kill_after: float | None) -> float:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1774267200")
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "build", "-q", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if kill_after is None:
        assert proc.wait(timeout=120) == 0
    else:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    return time.monotonic() - started


def titles(root: Path) -> dict[str, set[str]]:
    """Every cache file loads (the real loader); the titles it holds, per feed."""
    found = {}
    for path in sorted((root / "content" / "feeds").glob("*.json")):
        cache = load_cache(path, path.stem)
        found[path.stem] = {e.title for e in cache.entries}
        json.loads(path.read_text(encoding="utf-8"))
    return found


def test_kill_9_at_any_point_loses_nothing(tmp_path: Path) -> None:
    with FaultServer() as server:
        for n in range(FEEDS):
            server.routes[f"/f{n}"] = growing(f"f{n}", delay=0.05)
        config = write_config(
            tmp_path,
            [{"url": server.url(f"/f{n}"), "name": f"f{n}"} for n in range(FEEDS)],
            fetch={"workers": 4, "per_host": 4},
        )
        full = run(config, None)
        seen = titles(tmp_path)
        assert len(seen) == FEEDS
        partial = 0  # kills that landed while feeds were being fetched and saved
        for fraction in (0.15, 0.3, 0.45, 0.6, 0.75, 0.9):
            run(config, full * fraction)
            now = titles(tmp_path)  # raises if any cache file is corrupt
            assert set(now) == set(seen), "no cache file lost"
            for slug, before in seen.items():
                assert before <= now[slug], f"{slug} lost entries after a kill"
            grown = sum(now[slug] != seen[slug] for slug in seen)
            partial += 0 < grown < FEEDS
            seen = now
        assert partial >= 2, "the kills should land in the middle of fetching"
        run(config, None)
        final = titles(tmp_path)
        assert all(seen[slug] < final[slug] for slug in seen), "the next run goes on"
        assert not list((tmp_path / "content" / "feeds").glob(".*.tmp"))
        assert (tmp_path / "output" / "index.html").is_file()
