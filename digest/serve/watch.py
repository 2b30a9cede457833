"""The watching side of `digest serve`: which file change matters, when a burst of changes
has settled, and the rebuild it triggers (on its own thread, never raising for a failed build).

The deciding pieces (`is_change`, `Burst`) are plain functions and small classes; the watchdog
observer and the rebuild thread sit at the end. Writes only through the build.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from digest import pipeline
from digest.models import Config
from digest.serve.reload import SiteState, failure_message

log = logging.getLogger(__name__)

DEBOUNCE = 0.3  # seconds without a change before rebuilding: an editor's save is a burst
MAX_WAIT = 2.0  # ...but a folder being copied in still rebuilds within this
WATCHED_FOLDERS = ("content", "themes")


# --- which file change matters --------------------------------------------------------------

# The events that mean a file's bytes or a folder's listing changed. Not "opened" or
# "closed_no_write": the build reads every input, and those would trigger it again forever.
CHANGE_EVENTS = frozenset({"created", "modified", "deleted", "moved"})


def is_scratch_file(name: str) -> bool:
    """Temp and editor files that come and go while saving: never a reason to rebuild.

    Dot files cover our own atomic writes (`.name.XXXX.tmp`), vim swap files (`.x.swp`) and
    emacs locks (`.#x`); the rest are backups, autosaves and other editors' temp files.
    """
    return (
        name.startswith((".", "#"))
        or name.endswith(("~", ".swp", ".swo", ".swx", ".tmp", ".part", ".crdownload"))
        or name.endswith(("___jb_tmp___", "___jb_old___"))  # JetBrains "safe write"
        or name == "4913"  # vim's probe that it may write in the folder
    )


def is_relevant(root: Path, config_path: Path, path: Path) -> bool:
    """A change to this path can change the site: the config file, or a file below
    content/ or themes/ (not output/, which the build itself writes)."""
    if path == config_path:
        return True
    if not path.is_relative_to(root):
        return False
    parts = path.relative_to(root).parts
    return (
        len(parts) > 0
        and parts[0] in WATCHED_FOLDERS
        and not any(is_scratch_file(p) for p in parts[1:])
    )


def is_change(
    root: Path, config_path: Path, event_type: str, is_directory: bool, paths: Iterable[str]
) -> bool:
    """Whether a file system event should trigger a rebuild.

    A folder's "modified" is skipped: it only echoes a change to a file inside, which has its
    own event (and saving a swap file would otherwise count). A move counts when either end
    is relevant, so "write a temp file, rename it over the post" is caught.
    """
    if event_type not in CHANGE_EVENTS or (is_directory and event_type == "modified"):
        return False
    return any(is_relevant(root, config_path, Path(p)) for p in paths if p)


# --- when a burst of changes has settled ----------------------------------------------------


@dataclass(slots=True)
class Burst:
    """The changes since the last rebuild; due `delay` after the last one (an editor's save
    is several events), or `max_wait` after the first, so a long copy still shows progress."""

    delay: float = DEBOUNCE
    max_wait: float = MAX_WAIT
    first: float | None = None
    last: float | None = None

    def add(self, now: float) -> None:
        if self.first is None:
            self.first = now
        self.last = now

    def wait(self, now: float) -> float | None:
        """Seconds until a rebuild is due (0 or less: now); None when nothing changed."""
        if self.first is None or self.last is None:
            return None
        return min(self.last + self.delay, self.first + self.max_wait) - now

    def clear(self) -> None:
        self.first = self.last = None


# --- the rebuild ---------------------------------------------------------------------------


def rebuild(
    state: SiteState,
    load: Callable[[], Config],
    now: Callable[[], datetime],
    *,
    offline: bool = True,
    progress: pipeline.Progress = lambda report: None,
    on_fetched: Callable[[pipeline.FetchReport], None] = lambda report: None,
) -> str | None:
    """Load the config and build; record the outcome in `state`. The error message, or None.

    Never raises for a failed build (the server must outlive a broken template); only
    KeyboardInterrupt and other BaseExceptions get through.
    """
    started = time.perf_counter()
    try:
        config = load()
        report = pipeline.build(config, now=now(), offline=offline, progress=progress)
    except Exception as e:
        message = failure_message(e)
        state.record(message, changed=False)
        log.error(
            "digest: the build failed; the browser shows this until it is fixed:\n%s", message
        )
        return message
    if report.fetched is not None:
        on_fetched(report.fetched)
    w = report.written
    recovered = state.snapshot()[1] is not None
    state.record(None, changed=bool(w.written or w.removed))
    log.info(
        "%s: %d entries, %d pages; %d files written, %d unchanged, %d removed (%.2f s)",
        "built again, fixed" if recovered else "built", report.entries, report.pages,
        w.written, w.unchanged, w.removed, time.perf_counter() - started,
    )  # fmt: skip
    return None


class Rebuilder:
    """Runs `build` on its own thread once per settled burst of `changed()` calls."""

    def __init__(self, build: Callable[[], object], clock: Callable[[], float] = time.monotonic):
        self._build = build
        self._clock = clock
        self._burst = Burst()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="digest-rebuild", daemon=True)

    def changed(self) -> None:
        with self._wake:
            self._burst.add(self._clock())
            self._wake.notify()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive():
            # A build in progress is let finish (it writes atomically either way); the thread
            # is a daemon, so a stuck build cannot keep the process alive past the timeout.
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping:
                    wait = self._burst.wait(self._clock())
                    if wait is not None and wait <= 0:
                        break
                    self._wake.wait(wait)
                if self._stopping:
                    return
                self._burst.clear()
            # Outside the lock: changes made during the build start the next burst.
            self._build()


# --- the watchdog edge ---------------------------------------------------------------------


class _Events(FileSystemEventHandler):
    def __init__(self, root: Path, config_path: Path, changed: Callable[[], None]) -> None:
        self.root, self.config_path, self.changed = root, config_path, changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")]
        if is_change(self.root, self.config_path, event.event_type, event.is_directory, paths):
            log.debug("changed: %s %s", event.event_type, " -> ".join(p for p in paths if p))
            self.changed()


class Watcher:
    """Watches the config file's folder (not recursively), content/ and themes/.

    Not the whole project recursively: output/ changes on every build, and a project folder
    may hold .git or a virtualenv with thousands of folders. content/ or themes/ may appear
    (or be replaced) while serving; `refresh` (called before every build) watches them then.
    """

    def __init__(self, root: Path, config_path: Path, changed: Callable[[], None]) -> None:
        self.root = root
        self._events = _Events(root, config_path, changed)
        self._observer: BaseObserver = Observer()
        self._folders: dict[Path, tuple[ObservedWatch, int]] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        try:
            self._observer.schedule(self._events, str(self.root), recursive=False)
            self.refresh()
        except OSError as e:
            # inotify's per-user limits on watches and instances are easy to exhaust (IDEs,
            # other watchers); polling is slower to notice but works everywhere.
            log.warning("cannot watch files with the system's notifications (%s); polling", e)
            self._observer = PollingObserver()
            self._folders.clear()
            self._observer.schedule(self._events, str(self.root), recursive=False)
            self.refresh()
        self._observer.start()

    def refresh(self) -> None:
        with self._lock:
            for name in WATCHED_FOLDERS:
                folder = self.root / name
                try:
                    inode = folder.stat().st_ino if folder.is_dir() else None
                except OSError:
                    inode = None
                old = self._folders.get(folder)
                if old is not None and old[1] == inode:
                    continue
                if old is not None:  # deleted or replaced: its watch sees nothing any more
                    with contextlib.suppress(KeyError):  # its emitter may be gone already
                        self._observer.unschedule(old[0])
                    del self._folders[folder]
                if inode is not None:
                    watch = self._observer.schedule(self._events, str(folder), recursive=True)
                    self._folders[folder] = (watch, inode)

    def stop(self) -> None:
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(5)
