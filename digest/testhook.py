"""A test seam: kill this process at a named point, so the kill tests need no timer races.

`checkpoint(name)` does nothing unless the environment variable ``DIGEST_TEST_KILL_AT`` is
``name`` or ``name:n``; then the n-th time (default: the first) this process reaches `name`,
it sends itself SIGKILL, exactly as a user's ``kill -9`` or an OOM killer would. When the
variable is unset a checkpoint costs one dict lookup (``os.environ.get``), which is why it can
sit in `files.atomic_write`, on every file a build writes.

The points (see tests/test_kill.py):
  ``write.temp``    the temp file is written (and fsynced when durable), not yet renamed
  ``write.renamed`` the rename is done: the new file is in place
"""

from __future__ import annotations

import os
import signal

_ENV = "DIGEST_TEST_KILL_AT"
_reached: dict[str, int] = {}


def checkpoint(name: str) -> None:
    """SIGKILL this process if ``DIGEST_TEST_KILL_AT`` names this point and this visit."""
    wanted = os.environ.get(_ENV)
    if wanted is None:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
