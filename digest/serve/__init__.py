"""`digest serve`: build, serve `output/` on loopback, rebuild on change, reload the browser.

A tool for writing themes and posts, not for publishing: it listens on 127.0.0.1 only.
The package is split by responsibility:

- `http`: which file a URL names, and the request handler (the standard library's
  `SimpleHTTPRequestHandler` with the reload script, error and 404 pages added);
- `watch`: which file change matters, the debounced rebuild, the watchdog observer;
- `reload`: the build counter, the reload script and its `/__digest__/` URLs, the pages shown
  instead of the site.

This module wires them together: `serve` is the whole command.
"""

from __future__ import annotations

import logging
import threading
import webbrowser
from collections.abc import Callable
from datetime import datetime

from digest import pipeline
from digest.errors import ServeError
from digest.models import Config
from digest.serve.http import HOST, Server, Target, content_type, locate
from digest.serve.reload import (
    BUILD_PATH,
    RELOAD_SCRIPT_PATH,
    SiteState,
    error_page,
    failure_message,
    inject_reload,
    not_found_page,
)
from digest.serve.watch import Burst, Rebuilder, Watcher, is_change, rebuild
from digest.write import check_output_dir

__all__ = [
    "BUILD_PATH",
    "HOST",
    "RELOAD_SCRIPT_PATH",
    "Burst",
    "Rebuilder",
    "Server",
    "SiteState",
    "Target",
    "content_type",
    "error_page",
    "failure_message",
    "inject_reload",
    "is_change",
    "locate",
    "not_found_page",
    "rebuild",
    "serve",
]

log = logging.getLogger(__name__)


def serve(
    load: Callable[[], Config],
    *,
    now: Callable[[], datetime],
    port: int = 8000,
    open_browser: bool = False,
    fetch: bool = False,
    progress: pipeline.Progress = lambda report: None,
    on_fetched: Callable[[pipeline.FetchReport], None] = lambda report: None,
    announce: Callable[[str], None] = lambda line: None,
) -> int:
    """Build, then serve output/ until Ctrl-C, rebuilding on every change. Returns 0.

    A config that cannot be loaded at start is an error (there is no site to serve yet);
    once serving, every failure is shown and the server waits for the fix.
    """
    if not 0 <= port <= 65535:
        raise ServeError(f"--port {port}: a port is a number from 0 to 65535 (0 picks a free one)")
    config = load()
    check_output_dir(config.output_dir, config.root)
    state = SiteState(config.output_dir)
    httpd = _listen(port, state)
    watcher: Watcher | None = None

    def build_again() -> None:
        if watcher is not None:
            watcher.refresh()
        rebuild(state, load, now)

    rebuilder = Rebuilder(build_again)
    try:
        # Resolved, so the paths watchdog reports (resolved on some systems) compare equal.
        root = config.root.resolve()
        watcher = Watcher(root, root / config.path.name, rebuilder.changed)
        # Watching starts before the first build, so a save during it is not lost.
        watcher.start()
        rebuild(state, load, now, offline=not fetch, progress=progress, on_fetched=on_fetched)
        rebuilder.start()
        url = f"http://{HOST}:{httpd.server_address[1]}/"
        announce(f"Serving {config.site.title} at {url} (Ctrl-C to stop)")
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


def _listen(port: int, state: SiteState) -> Server:
    try:
        return Server(port, state)
    except OSError as e:
        raise ServeError(
            f"cannot listen on {HOST}:{port}: {e.strerror}; "
            "pick another port with --port N (0 picks a free one)"
        ) from e
