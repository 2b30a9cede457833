"""`digest serve`: build, serve `output/` on loopback, rebuild on change, reload the browser.

A tool for writing themes and posts, not for publishing: it listens on 127.0.0.1 only. The
pieces that decide things (which file a URL names, what a response looks like, which file
change matters, when a burst of changes has settled) are plain functions and small classes;
the HTTP handler, the watchdog observer and the threads that run them sit at the end.

Live reload is added by the server, never by the build: HTML responses get an external
script (the pages' CSP allows `script-src 'self'` only, so it cannot be inline) that polls a
build counter and reloads the page when it changes. `output/` stays exactly what
`digest build` writes.
"""

from __future__ import annotations

import contextlib
import html
import logging
import mimetypes
import os
import socketserver
import sys
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from digest import pipeline
from digest.errors import DigestError, ServeError
from digest.models import Config
from digest.write import check_output_dir

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
# Reserved URLs: `__digest__` is not a name the build ever writes (pages and slugs are
# lower-case words and dashes), so these cannot shadow a page of the site.
RELOAD_SCRIPT_PATH = "/__digest__/reload.js"
BUILD_PATH = "/__digest__/build"
DEBOUNCE = 0.3  # seconds without a change before rebuilding: an editor's save is a burst
MAX_WAIT = 2.0  # ...but a folder being copied in still rebuilds within this
POLL_MS = 1000

WATCHED_FOLDERS = ("content", "themes")
HTML_SUFFIXES = (".html", ".htm")


# --- which file a URL names -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """What a request path resolves to: a file (200), a redirect (301) or nothing (403/404)."""

    status: int
    path: Path | None = None
    location: str | None = None


def locate(output: Path, raw_path: str) -> Target:
    """The file under `output` that the request path names, without ever leaving `output`.

    Percent-escapes are decoded before checking, so `/%2e%2e/config.toml` is caught like
    `/../config.toml`; the resolved path must still be inside `output` (a symlink pointing out
    is refused too). Dot files (`.digest-build.json`, temp files) are not part of the site.
    """
    path = raw_path.split("#", 1)[0]
    path, _, query = path.partition("?")
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return Target(404)  # no file of the site has a name that is not UTF-8
    if not decoded.startswith("/") or "\x00" in decoded or "\\" in decoded:
        return Target(403)
    parts = [p for p in decoded.split("/") if p not in ("", ".")]
    if ".." in parts:
        return Target(403)
    if any(p.startswith(".") for p in parts):
        return Target(404)
    base = output.resolve()
    found = base.joinpath(*parts).resolve()
    if not found.is_relative_to(base):
        return Target(403)
    if found.is_dir():
        if not path.endswith("/"):
            # Pages link relatively, so /posts/one must become /posts/one/ before serving it.
            return Target(301, location=path + "/" + (f"?{query}" if query else ""))
        found = found / "index.html"
    return Target(200, path=found) if found.is_file() else Target(404)


_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}


def content_type(path: Path) -> str:
    """The Content-Type for a file of the site.

    A fixed table rather than `mimetypes` alone: its answers depend on the machine's
    /etc/mime.types, and feed readers care that atom.xml is application/atom+xml.
    """
    if path.name == "atom.xml":
        return "application/atom+xml"
    if path.name == "feed.json":
        return "application/feed+json"  # JSON Feed's registered type
    known = _TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


# --- what a response looks like -------------------------------------------------------------

RELOAD_JS = f"""\
// digest serve: reloads this page when the site is rebuilt. Added by the development
// server only; the files in output/ never contain it.
(function () {{
  "use strict";
  var me = document.currentScript;
  var shown = me ? me.getAttribute("data-build") : null;
  function poll() {{
    fetch("{BUILD_PATH}", {{ cache: "no-store" }})
      .then(function (response) {{ return response.ok ? response.text() : shown; }})
      .then(function (build) {{
        if (shown !== null && build.trim() !== shown) {{
          location.reload();
        }} else {{
          setTimeout(poll, {POLL_MS});
        }}
      }}, function () {{
        setTimeout(poll, {POLL_MS});  // server stopped or restarting: keep asking
      }});
  }}
  setTimeout(poll, {POLL_MS});
}})();
""".encode()


def reload_tag(build: int) -> bytes:
    # The build the page was served at rides along, so a rebuild that lands between serving
    # the page and its first poll still reloads it.
    return f'<script src="{RELOAD_SCRIPT_PATH}" data-build="{build}"></script>\n'.encode()


def inject_reload(page: bytes, build: int) -> bytes:
    """The page with the reload script before its last `</body>` (at the end if none)."""
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + reload_tag(build)
    return page[:at] + reload_tag(build) + page[at:]


def error_page(message: str, build: int) -> bytes:
    """Shown instead of every page while the last build failed; reloads once it is fixed."""
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>digest: the build failed</title>\n"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem}pre{white-space:pre-wrap;overflow-wrap:anywhere;padding:1rem;"
        "background:#fee;color:#300;border-left:4px solid #c00}</style>\n"
        "</head>\n<body>\n<h1>The build failed</h1>\n"
        f"<pre>{html.escape(message)}</pre>\n"
        "<p>Fix the file and save it: this page reloads when the site builds again. "
        "Until then every page shows this message.</p>\n"
        "</body>\n</html>\n"
    )
    return inject_reload(page.encode(), build)


def not_found_page(path: str, build: int) -> bytes:
    """Our own page, not the site's 404.html: that one links through base_url's path (it must
    work at any depth when published), which this server at / does not serve."""
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Not found</title>\n</head>\n<body>\n<h1>Not found</h1>\n"
        f"<p>Nothing in output/ at <code>{html.escape(path)}</code>.</p>\n"
        '<p><a href="/">The home page</a></p>\n</body>\n</html>\n'
    )
    return inject_reload(page.encode(), build)


def failure_message(error: Exception) -> str:
    """What the terminal and the browser show when a rebuild fails.

    A DigestError's message is written for the user already; anything else is a bug in
    digest or a theme, and the last frames of the traceback say where.
    """
    if isinstance(error, DigestError):
        return str(error)
    lines = traceback.format_exception(type(error), error, error.__traceback__, limit=-4)
    return "unexpected error while building (a bug; please report it):\n" + "".join(lines)


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


# --- the state the server shows ---------------------------------------------------------------


class SiteState:
    """The build counter and the last build's error, shared by the builder and the handlers.

    The counter advances whenever what a browser would show changes: files were written or
    removed, or the build started or stopped failing (or fails differently).
    """

    def __init__(self, output: Path) -> None:
        self.output = output
        self._lock = threading.Lock()
        self._build = 0
        self._error: str | None = None

    def record(self, error: str | None, changed: bool) -> None:
        with self._lock:
            if changed or error != self._error or self._build == 0:
                self._build += 1
            self._error = error

    def snapshot(self) -> tuple[int, str | None]:
        with self._lock:
            return self._build, self._error


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


# --- the edges: HTTP and watchdog -------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    # A browser's open connection must not delay Ctrl-C: handler threads are not waited for.
    daemon_threads = True
    block_on_close = False

    def __init__(self, port: int, state: SiteState) -> None:
        self.state = state
        super().__init__((HOST, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall for seconds on a
        # machine with slow DNS; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # the browser went away mid-response
            log.debug("client %s disconnected: %s", client_address, error)
        else:
            log.exception("digest serve: error while answering %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "digest-serve"

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        state = self.server.state
        build, error = state.snapshot()
        path = self.path.split("?", 1)[0]
        if path == RELOAD_SCRIPT_PATH:
            return self._send(200, "text/javascript; charset=utf-8", RELOAD_JS, head)
        if path == BUILD_PATH:
            return self._send(200, "text/plain; charset=utf-8", f"{build}\n".encode(), head)

        target = locate(state.output, self.path)
        if target.status == 403:
            return self._send(403, "text/plain; charset=utf-8", b"outside the site\n", head)
        if target.status == 301 and target.location is not None:
            self.send_response(301)
            self.send_header("Location", target.location)
            self.send_header("Content-Length", "0")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            return None
        is_page = target.path is None or target.path.suffix in HTML_SUFFIXES
        if error is not None and is_page:
            return self._send(500, "text/html; charset=utf-8", error_page(error, build), head)
        body = None
        if target.path is not None:
            try:
                body = target.path.read_bytes()
            except OSError:  # removed by a rebuild between locating and reading
                body = None
        if target.path is None or body is None:
            # With the reload script, so a page that is being created appears when built.
            page = not_found_page(path, build)
            return self._send(404, "text/html; charset=utf-8", page, head)
        if is_page:
            body = inject_reload(body, build)
        return self._send(200, content_type(target.path), body, head)

    def _send(self, status: int, kind: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


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


def serve(
    load: Callable[[], Config],
    *,
    now: Callable[[], datetime],
    port: int = 8000,
    open_browser: bool = False,
    fetch: bool = False,
    progress: pipeline.Progress = lambda report: None,
    on_fetched: Callable[[pipeline.FetchReport], None] = lambda report: None,
) -> int:
    """Build, then serve output/ until Ctrl-C, rebuilding on every change. Returns 0.

    A config that cannot be loaded at start is an error (there is no site to serve yet);
    once serving, every failure is shown and the server waits for the fix.
    """
    if not 0 <= port <= 65535:
        raise ServeError(f"--port {port}: a port is a number from 0 to 65535 (0 picks a free one)")
    config = load()
    check_output_dir(config.output_dir, config.root)
    # Resolved, so the paths watchdog reports (resolved on some systems) compare equal.
    root = config.root.resolve()
    state = SiteState(config.output_dir)
    try:
        httpd = _Server(port, state)
    except OSError as e:
        raise ServeError(
            f"cannot listen on {HOST}:{port}: {e.strerror}; "
            "pick another port with --port N (0 picks a free one)"
        ) from e

    watcher: Watcher | None = None

    def build_again() -> None:
        if watcher is not None:
            watcher.refresh()
        rebuild(state, load, now)

    rebuilder = Rebuilder(build_again)
    try:
        watcher = Watcher(root, root / config.path.name, rebuilder.changed)
        # Watching starts before the first build, so a save during it is not lost.
        watcher.start()
        rebuild(state, load, now, offline=not fetch, progress=progress, on_fetched=on_fetched)
        rebuilder.start()
        url = f"http://{HOST}:{httpd.server_address[1]}/"
        print(f"Serving {config.site.title} at {url} (Ctrl-C to stop)", flush=True)
        if open_browser:
            # On a thread: with a console browser (lynx, w3m) open() returns only when it
            # quits, and the server must be answering by then.
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        httpd.serve_forever()
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        if watcher is not None:
            watcher.stop()
        rebuilder.stop()
        httpd.server_close()
    return 0
