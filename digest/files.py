"""Atomic file writes for the stages that write to disk: `feeds`, `editions`, `write`, `config`.

Touches the disk only. Every file is written to a temp file and renamed over the old one, so a
run killed at any moment leaves whole files; a file whose bytes did not change is not touched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, durable: bool = False) -> bool:
    """Write `data` to `path` unless it already holds exactly that; True when written.

    The rename makes every write whole even if the process is killed. `durable` also fsyncs
    (kept for the content cache, which cannot be rebuilt; output pages can, and thousands of
    fsyncs would dominate a build).
    """
    try:
        if path.read_bytes() == data:
            return False
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a web server must read these
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
