"""Where a build's memory goes: every process of `digest build`, sampled while it runs.

    python bench/memory.py path/to/config.toml            # as the project is
    python bench/memory.py path/to/config.toml --fresh    # output/ removed first: all rendered
    python bench/memory.py path/to/config.toml -- --offline

Runs `digest build -q --config CONFIG [ARGS...]` (the digest beside this Python) under
SOURCE_DATE_EPOCH (default 2026-03-23 13:00 UTC, `--epoch`) and samples the Pss of its
process tree every 0.25 s, as bench/scale.py's "tree MB" does (shared pages split between the
processes sharing them). Prints the peak with each process's share at that moment (the build,
its render and parse workers, Pagefind), then the total over time, so a phase can be told
from the next. For the bench corpus: bench/scale.py --workdir DIR keeps DIR/digest/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scale import TreeMemory, adopt_orphans, descendants, digest_command, processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--fresh", action="store_true", help="remove output/ first")
    parser.add_argument("--epoch", type=int, default=1774270800, help="SOURCE_DATE_EPOCH")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)  # after it: digest build's own
    args = parser.parse_args(argv[:cut])
    extra = argv[cut + 1 :]
    project = args.config.parent
    if args.fresh:
        shutil.rmtree(project / "output", ignore_errors=True)
    adopt_orphans()
    command = [digest_command(), "build", "-q", "--config", str(args.config), *extra]
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(args.epoch))
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=project, env=env)
    peak: tuple[int, list[tuple[int, str, int]], float] = (0, [], 0.0)
    series: list[tuple[float, int]] = []
    while child.poll() is None:
        table = processes()
        tree = descendants(child.pid, table) & table.keys()
        shares = [(pid, table[pid][1], TreeMemory.pss(pid, table[pid][2])) for pid in tree]
        total = sum(share for _, _, share in shares)
        now = time.perf_counter() - start
        series.append((now, total))
        if total > peak[0]:
            peak = (total, shares, now)
        time.sleep(0.25)
    wall = time.perf_counter() - start
    print(f"rc {child.returncode}, {wall:.1f} s; peak {peak[0] / 2**20:,.0f} MB at {peak[2]:.1f} s")
    for pid, name, share in sorted(peak[1], key=lambda p: -p[2]):
        print(f"  {pid:>8} {name:<18} {share / 2**20:8,.0f} MB")
    step = max(1, len(series) // 30)
    for moment, total in series[::step]:
        print(f"  t = {moment:6.1f} s  {total / 2**20:8,.0f} MB")


if __name__ == "__main__":
    main()
