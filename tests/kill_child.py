"""Run `digest` and kill it by SIGKILL at a named point, as a user's `kill -9` or the OOM
killer would.

    python kill_child.py POINT[:N] -- DIGEST_ARGS...

Started as a subprocess by the kill tests (helpers.digest_command): it wraps a function digest
calls at POINT, then runs `digest DIGEST_ARGS`; the N-th time (default: the first) the process
gets there, it sends itself SIGKILL. So each case dies at the same place on every run, whatever
the machine's load, and digest carries no code for its tests. The points:

  write.temp     `files.atomic_write` has written its temp file (fsynced when durable) and not
                 renamed it: just before its `os.replace`
  write.renamed  the rename is done, the new file in place: just after that `os.replace`
  store.months   `store.save_cache` has written every month file, not the state file: just
                 before the state file's `atomic_write`
  store.state    the state file is written, emptied months not yet deleted: just after it

Only this process is armed: the saves happen in it, and its workers (parse, render) write no
file. A run that never gets to the N-th visit ends as digest does, with a line saying so.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

POINTS = ("write.temp", "write.renamed", "store.months", "store.state")


def arm(point: str, nth: int) -> Callable[[], int]:
    """Wrap the call at `point` so that its `nth` visit kills this process; returns a function
    that tells the visits so far."""
    from digest import files
    from digest.feeds import store

    visits = 0

    def reached() -> None:
        nonlocal visits
        visits += 1
        if visits == nth:
            os.kill(os.getpid(), signal.SIGKILL)

    if point.startswith("write."):
        replace, atomic_write = os.replace, files.atomic_write.__code__

        def replace_at_point(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            ours = sys._getframe(1).f_code is atomic_write  # not some other rename
            if ours and point == "write.temp":
                reached()
            replace(src, dst, *args, **kwargs)
            if ours and point == "write.renamed":
                reached()

        os.replace = replace_at_point  # the one `files` calls: `os` is a single module
    else:
        write = store.atomic_write

        def write_at_point(path: Path, data: bytes, durable: bool = False) -> bool:
            state = not store.MONTH_FOLDER.fullmatch(path.parent.name)  # not a month file
            if state and point == "store.months":
                reached()
            written = write(path, data, durable)
            if state and point == "store.state":
                reached()
            return written

        store.atomic_write = write_at_point  # the name `save_cache` calls
    return lambda: visits


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[2] != "--":
        raise SystemExit(__doc__)
    point, args = sys.argv[1], sys.argv[3:]
    name, _, nth = point.partition(":")
    if name not in POINTS or not (nth or "1").isdigit():
        raise SystemExit(__doc__)
    visits = arm(name, int(nth or 1))

    from digest.cli import main as digest

    code = digest(args)
    print(f"kill_child.py: {point} not reached ({visits()} visits)", file=sys.stderr)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
