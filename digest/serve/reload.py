"""Live reload for `digest serve`: the build counter the browser polls, the script that polls
it, and the pages the server shows instead of the site (a failed build, nothing found).

Added by the server, never by the build: HTML responses get an external script (the pages'
CSP allows `script-src 'self'` only, so it cannot be inline) that polls a build counter and
reloads the page when it changes. `output/` stays exactly what `digest build` writes. Pure
values and one small lock-guarded state; no I/O.
"""

from __future__ import annotations

import html
import threading
import traceback
from pathlib import Path

from digest.errors import DigestError

# Reserved URLs: `__digest__` is not a name the build ever writes (pages and slugs are
# lower-case words and dashes), so these cannot shadow a page of the site.
RELOAD_SCRIPT_PATH = "/__digest__/reload.js"
BUILD_PATH = "/__digest__/build"
POLL_MS = 1000
HTML_TYPE = "text/html; charset=utf-8"

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


def reserved(route: str, build: int) -> tuple[str, bytes] | None:
    """The Content-Type and body of a `/__digest__/` URL; None for any other path."""
    if route == RELOAD_SCRIPT_PATH:
        return "text/javascript; charset=utf-8", RELOAD_JS
    if route == BUILD_PATH:
        return "text/plain; charset=utf-8", f"{build}\n".encode()
    return None


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
    work at any depth when published), which this server at / does not serve. With the reload
    script, so a page that is being created appears when built."""
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
