"""`digest serve`: safe paths, reload injection, which file changes count, debouncing, and the
real thing: a `python -m digest serve` process rebuilding and recovering as files change."""

from __future__ import annotations

import http.client
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import Item, rss, write_config

from digest.config import load_config
from digest.serve import (
    RELOAD_SCRIPT_PATH,
    Burst,
    Rebuilder,
    Server,
    SiteState,
    content_type,
    error_page,
    inject_reload,
    is_change,
    locate,
    rebuild,
)
from digest.serve.watch import DEBOUNCE

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
RELOAD_TAG = f'<script src="{RELOAD_SCRIPT_PATH}"'


# --- which file a URL names -----------------------------------------------------------------


@pytest.fixture
def output(tmp_path: Path) -> Path:
    out = tmp_path / "project" / "output"
    (out / "posts" / "one").mkdir(parents=True)
    (out / "index.html").write_text("home")
    (out / "posts" / "one" / "index.html").write_text("post")
    (out / "atom.xml").write_text("<feed/>")
    (out / ".digest-build.json").write_text("{}")
    (tmp_path / "project" / "config.toml").write_text("secret")
    return out


def test_urls_name_files_inside_output(output: Path) -> None:
    assert locate(output, "/") == locate(output, "/index.html")
    assert locate(output, "/").path == (output / "index.html").resolve()
    assert locate(output, "/posts/one/?x=1").path == (output / "posts/one/index.html").resolve()
    assert locate(output, "/atom.xml#top").path == (output / "atom.xml").resolve()
    # A folder without its slash is redirected: the pages' relative links need it.
    moved = locate(output, "/posts/one?x=1")
    assert (moved.status, moved.location) == (301, "/posts/one/?x=1")
    assert locate(output, "/posts/two/").status == 404
    assert locate(output, "/.digest-build.json").status == 404  # not part of the site


@pytest.mark.parametrize(
    "path",
    [
        "/../config.toml",
        "/%2e%2e/config.toml",
        "/%2E%2E/config.toml",
        "/posts/../../config.toml",
        "/posts/%2e%2e/%2e%2e/config.toml",
        "/..%2fconfig.toml",
        "/..%5cconfig.toml",
        "/index.html%00.png",
        "..",
    ],
)
def test_paths_out_of_output_are_refused(output: Path, path: str) -> None:
    target = locate(output, path)
    assert target.status in (403, 404) and target.path is None


def test_a_symlink_out_of_output_is_refused(output: Path) -> None:
    (output / "leak.toml").symlink_to(output.parent / "config.toml")
    assert locate(output, "/leak.toml").status == 403


def test_content_types() -> None:
    assert content_type(Path("atom.xml")) == "application/atom+xml"
    assert content_type(Path("tags/notes/atom.xml")) == "application/atom+xml"
    assert content_type(Path("sitemap.xml")) == "application/xml"
    assert content_type(Path("index.html")) == "text/html; charset=utf-8"
    assert content_type(Path("static/style.css")) == "text/css; charset=utf-8"
    assert content_type(Path("feeds.json")) == "application/json"
    assert content_type(Path("feed.json")) == "application/feed+json"
    assert content_type(Path("static/favicon.svg")) == "image/svg+xml"
    assert content_type(Path("blob.unknownext")) == "application/octet-stream"


# --- what a response looks like -------------------------------------------------------------


def test_reload_script_goes_before_the_last_body_end() -> None:
    page = b"<html><body><pre>&lt;/body&gt;</pre>\n</BODY></html>\n"
    out = inject_reload(page, 7)
    assert out.count(b"<script") == 1
    assert out.index(RELOAD_TAG.encode()) < out.index(b"</BODY>")
    assert b'data-build="7"' in out
    assert inject_reload(b"no body", 1).startswith(b"no body<script")


def test_error_page_escapes_the_message_and_reloads() -> None:
    page = error_page("themes/x/base.html:3: unexpected '<script>alert(1)</script>'", 4)
    text = page.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert" not in text
    assert RELOAD_TAG in text and 'data-build="4"' in text


def test_the_handler_answers_get_head_redirects_and_refusals(output: Path) -> None:
    """The request handler on a real socket: what a browser sees for each kind of URL."""
    state = SiteState(output)
    state.record(None, changed=True)
    server = Server(0, state)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def ask(method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        try:
            conn.request(method, path)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    try:
        status, headers, body = ask("GET", "/posts/one/")
        assert status == 200 and body.startswith(b"post") and RELOAD_TAG.encode() in body
        # HEAD: the same headers, no body.
        head_status, head_headers, head_body = ask("HEAD", "/posts/one/")
        assert (head_status, head_body) == (200, b"")
        assert head_headers["Content-Length"] == headers["Content-Length"] == str(len(body))
        status, headers, body = ask("GET", "/atom.xml")
        assert (status, body) == (200, b"<feed/>")  # not a page: no script
        assert headers["Content-Type"] == "application/atom+xml"
        status, headers, _ = ask("GET", "/posts/one?x=1")
        assert (status, headers["Location"]) == (301, "/posts/one/?x=1")
        assert headers["Cache-Control"] == "no-store"  # a redirect is not remembered either
        status, _, body = ask("GET", "/.digest-build.json")
        assert status == 404 and RELOAD_TAG.encode() in body  # our page, which reloads
        assert ask("GET", "/posts/")[0] == 404  # a folder without index.html: never a listing
        assert ask("GET", "/%2e%2e/config.toml")[0] == 403
        state.record("broken template", changed=False)
        status, _, body = ask("GET", "/")
        assert status == 500 and b"broken template" in body
        assert ask("GET", "/atom.xml")[0] == 200  # the last good files still serve
    finally:
        server.shutdown()
        server.server_close()


# --- which file change matters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "is_dir", "paths", "expected"),
    [
        ("modified", False, ["/p/config.toml"], True),
        ("modified", False, ["/p/content/posts/one.md"], True),
        ("created", False, ["/p/themes/default/templates/base.html"], True),
        ("deleted", False, ["/p/content/feeds/x.json"], True),
        ("created", True, ["/p/themes"], True),  # a themes/ folder appears
        ("moved", False, ["/p/content/posts/.goutputstream-X", "/p/content/posts/one.md"], True),
        ("moved", False, ["/p/content/posts/one.md", "/p/content/posts/one.md~"], True),
        ("modified", False, ["/p/output/index.html"], False),
        ("created", False, ["/p/output/.index.html.abc.tmp"], False),
        ("modified", False, ["/p/other.toml"], False),
        ("modified", False, ["/p/README.md"], False),
        ("created", False, ["/p/content/feeds/.x.json.k3j.tmp"], False),
        ("modified", False, ["/p/content/posts/.one.md.swp"], False),
        ("created", False, ["/p/content/posts/one.md~"], False),
        ("created", False, ["/p/content/posts/4913"], False),
        ("created", False, ["/p/content/posts/#one.md#"], False),
        ("created", False, ["/p/themes/x/templates/base.html___jb_tmp___"], False),
        ("modified", True, ["/p/content/posts"], False),  # echoes a child's own event
        ("opened", False, ["/p/content/posts/one.md"], False),  # the build reading it
        ("closed_no_write", False, ["/p/config.toml"], False),
        ("attrib", False, ["/p/content/posts/one.md"], False),
    ],
)
def test_which_changes_rebuild(event: str, is_dir: bool, paths: list[str], expected: bool) -> None:
    assert is_change(Path("/p"), Path("/p/config.toml"), event, is_dir, paths) is expected


# --- when a burst of changes has settled ----------------------------------------------------


def test_a_burst_rebuilds_once_after_it_settles() -> None:
    burst = Burst(delay=0.3, max_wait=2.0)
    assert burst.wait(10.0) is None
    burst.add(10.0)
    burst.add(10.1)
    assert burst.wait(10.2) == pytest.approx(0.2)  # 0.3 after the last change
    assert burst.wait(10.4) is not None and burst.wait(10.4) <= 0  # type: ignore[operator]
    burst.clear()
    assert burst.wait(10.5) is None


def test_a_never_ending_burst_still_rebuilds_after_max_wait() -> None:
    burst = Burst(delay=0.3, max_wait=2.0)
    for step in range(40):
        burst.add(step * 0.1)
    assert burst.wait(3.9) == pytest.approx(2.0 - 3.9)


def test_rebuilder_builds_once_per_burst() -> None:
    # A fake clock decides when the burst has settled, so load on the machine cannot split
    # the burst in two or make the build early; real waits below are only safety timeouts.
    now = [0.0]
    builds: list[float] = []
    done = threading.Event()

    def build() -> None:
        builds.append(now[0])
        done.set()

    rebuilder = Rebuilder(build, clock=lambda: now[0])
    rebuilder.start()
    try:
        for _ in range(10):  # an editor's save: several events, 20 ms apart
            rebuilder.changed()
            now[0] += 0.02
        assert not done.wait(0.5)  # the clock stands still: the burst has not settled
        now[0] += DEBOUNCE
        assert done.wait(30)
    finally:
        rebuilder.stop()
    assert builds == [pytest.approx(0.2 + DEBOUNCE)]  # one build, once the burst settled


# --- a rebuild's outcome --------------------------------------------------------------------


def make_project(folder: Path, title: str = "Serve Digest") -> Path:
    """A config with one local feed file and one hand-written post."""
    items = [Item("Local feed item", "local-1", datetime(2026, 3, 21, 10, 0, tzinfo=UTC))]
    (folder / "feed.rss").write_bytes(rss("Local", "https://local.example/", items))
    config = write_config(folder, [{"url": "feed.rss", "name": "Local"}], title=title)
    write_post(folder, "First post title")
    return config


def write_post(folder: Path, title: str) -> None:
    posts = folder / "content" / "posts"
    posts.mkdir(parents=True, exist_ok=True)
    (posts / "one.md").write_text(
        f"---\ntitle: {title}\ndate: 2026-03-22 10:00\n---\nHello.\n", encoding="utf-8"
    )


def test_a_failed_rebuild_is_recorded_and_the_next_good_one_recovers(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    state = SiteState(tmp_path / "output")
    now: Callable[[], datetime] = lambda: NOW  # noqa: E731
    assert rebuild(state, lambda: load_config(config), now) is None
    assert state.snapshot() == (1, None)
    assert rebuild(state, lambda: load_config(config), now) is None
    assert state.snapshot() == (1, None)  # nothing changed: open pages need no reload

    good = config.read_text(encoding="utf-8")
    config.write_text("[site\ntitle = ", encoding="utf-8")
    message = rebuild(state, lambda: load_config(config), now)
    assert message is not None and "not valid TOML" in message and str(config) in message
    assert state.snapshot() == (2, message)
    assert rebuild(state, lambda: load_config(config), now) == message
    assert state.snapshot() == (2, message)  # the same failure again: no reload

    config.write_text(good, encoding="utf-8")
    assert rebuild(state, lambda: load_config(config), now) is None
    assert state.snapshot() == (3, None)


def test_an_unexpected_exception_is_shown_with_its_traceback(tmp_path: Path) -> None:
    state = SiteState(tmp_path / "output")

    def load() -> object:
        raise ZeroDivisionError("boom")

    message = rebuild(state, load, lambda: NOW)  # type: ignore[arg-type]
    assert message is not None
    assert "ZeroDivisionError: boom" in message and "Traceback" in message
    assert state.snapshot() == (1, message)


# --- the real thing -------------------------------------------------------------------------


class Served:
    """A running `digest serve` process and what it prints."""

    def __init__(self, proc: subprocess.Popen[bytes], url: str, stderr: Path) -> None:
        self.proc, self.url, self.stderr = proc, url, stderr

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.read().decode(), dict(e.headers)

    def raw_status(self, path: str) -> int:
        """The status for a path sent exactly as given (urllib would normalise it)."""
        port = int(self.url.rsplit(":", 1)[1].strip("/"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def build(self) -> int:
        return int(self.get("/__digest__/build")[1])

    def wait_for_build(self, after: int, timeout: float = 10) -> None:
        """Until the counter passes `after` (it advances just after the files are written)."""
        deadline = time.monotonic() + timeout
        while self.build() <= after:
            assert time.monotonic() < deadline, f"build stayed {after}:\n{self.log()}"
            time.sleep(0.05)

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, path: str, text: str, status: int = 200, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        seen: tuple[int, str] = (0, "")
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"digest serve exited:\n{self.log()}"
            code, body, _ = self.get(path)
            seen = (code, body)
            if code == status and text in body:
                return body
            time.sleep(0.1)
        raise AssertionError(
            f"{path} never showed {text!r} with {status} in {timeout} s; last {seen[0]}:\n"
            f"{seen[1][:2000]}\nserver log:\n{self.log()}"
        )


def read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    """The first line on the process's stdout, without hanging the test if none comes."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"digest serve printed nothing in {timeout} s")
    return proc.stdout.readline().decode()


@pytest.mark.slow  # a `digest serve` process through several rebuilds
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_serve_rebuilds_reloads_survives_errors_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    stderr = tmp_path / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "DIGEST_BASE_URL")}
    command = [sys.executable, "-m", "digest", "serve", "--port", "0", "--fetch"]
    # A child inherits an ignored SIGINT (pytest run as a background job of a script), and
    # Python then never raises KeyboardInterrupt; a handled SIGINT is reset to the default.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with stderr.open("wb") as err:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                [*command, "--config", str(config)],
                stdout=subprocess.PIPE, stderr=err, env=env, cwd=tmp_path,
            )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)
    with proc:
        try:
            line = read_line(proc, timeout=30)
            assert line.startswith("Serving Serve Digest at http://127.0.0.1:"), line
            assert line.rstrip().endswith("/ (Ctrl-C to stop)")
            served = Served(proc, line.split(" at ", 1)[1].split(" ", 1)[0], stderr)

            # The site, with the reload script added by the server only.
            status, home, headers = served.get("/")
            assert status == 200
            assert "First post title" in home and "Local feed item" in home  # --fetch read it
            assert RELOAD_TAG in home and home.index(RELOAD_TAG) < home.rindex("</body>")
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert headers["Cache-Control"] == "no-store"
            on_disk = (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
            assert "__digest__" not in on_disk and "First post title" in on_disk
            status, script, headers = served.get(RELOAD_SCRIPT_PATH)
            assert status == 200 and "location.reload()" in script
            assert headers["Content-Type"].startswith("text/javascript")
            status, atom, headers = served.get("/atom.xml")
            assert status == 200 and "__digest__" not in atom
            assert headers["Content-Type"] == "application/atom+xml"
            assert served.get("/posts/one/index.html")[0] == 200

            # Nothing outside output/.
            for path in ("/../config.toml", "/%2e%2e/config.toml", "/posts/../../config.toml"):
                assert served.raw_status(path) in (403, 404), path

            # Edit the post: rebuilt once the burst settles, and open pages see a new build.
            before = served.build()
            write_post(tmp_path, "Edited post title")
            served.wait_for("/", "Edited post title")
            served.wait_for_build(after=before)

            # Scratch files and output/ do not rebuild (each build logs one "built" line).
            time.sleep(0.5)  # let the edit's burst finish before counting
            builds_logged = served.log().count("built")
            posts = tmp_path / "content" / "posts"
            (posts / ".one.md.swp").write_text("swap")
            (posts / "one.md~").write_text("backup")
            (tmp_path / "output" / "extra.txt").write_text("mine")
            time.sleep(1.0)
            assert served.log().count("built") == builds_logged, served.log()
            (posts / ".one.md.swp").unlink()
            (posts / "one.md~").unlink()

            # The config's title.
            good = config.read_text(encoding="utf-8").replace("Serve Digest", "Renamed Digest")
            config.write_text(good, encoding="utf-8")
            served.wait_for("/", "<title>Renamed Digest</title>")

            # A broken config: every page says why, the terminal too, the server lives on.
            before = served.build()
            config.write_text("[site\ntitle = ", encoding="utf-8")
            page = served.wait_for("/", "not valid TOML", status=500)
            assert RELOAD_TAG in page  # so the page recovers by itself
            assert served.wait_for("/posts/one/", "not valid TOML", status=500)
            assert served.get("/static/style.css")[0] == 200  # the last good files still serve
            assert served.build() > before
            assert "not valid TOML" in served.log()
            assert proc.poll() is None
            config.write_text(good, encoding="utf-8")
            served.wait_for("/", "Edited post title")

            # A broken template in a themes/ folder that did not exist at start, then removed.
            templates = tmp_path / "themes" / "default" / "templates"
            templates.mkdir(parents=True)
            (templates / "base.html").write_text("<p>{% if %}</p>\n", encoding="utf-8")
            served.wait_for("/", "base.html", status=500)
            (templates / "base.html").unlink()
            served.wait_for("/", "Edited post title")

            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0, served.log()
            assert "Traceback" not in served.log()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
