"""Scale benchmark: `digest build` on a seeded corpus served over loopback, beside osmos::feed.

Run it from a venv where digest is installed (`pip install -e .`):

    python bench/scale.py                            # 200 feeds x 50 entries: every 10k case
    python bench/scale.py --feeds 20 --entries 20    # a quick look while developing
    python bench/scale.py --scale 100k               # 2,000 feeds x 50 entries, cold only
    python bench/scale.py --only cold,hourly --peer no
    python bench/scale.py --profile                  # also a cold build under cProfile, by stage

The corpus is generated from `--seed` (RSS 2.0 and Atom, 2-8 KB bodies with lists, code,
images, links and footnotes, 60 topics, dates over two months) and served by a threaded
`http.server` on 127.0.0.1 with ETag, Last-Modified and 304s. digest is driven only through
its command line (`digest build -q --config ...`) under `SOURCE_DATE_EPOCH`, which starts at
2026-03-23 12:00 UTC and moves on one hour per case, so the site never depends on the clock.

The cases, in this order, in one folder (each after the one before):
  cold      no content/, no output/: everything fetched (200) and built
  nochange  nothing changed: every feed answers 304
  hourly    FEEDS/20 feeds (10 of 200) have one new entry; the rest answer 304
  onenew    one feed has one new entry

With --actions, as GitHub Actions runs the job: cold, then nochange and hourly each in a fresh
`git clone` of the site's repository (content/ committed by the run before), once as it is
(output/ missing: "fresh") and once with the last run's output/ restored from a tarball
("restored", as actions/cache restores it); each line also says what `digest build` wrote to
GITHUB_OUTPUT.

The peer, osmos::feed (`npm install @osmoscraft/osmosfeed@1.15.1` into `--peer-dir`, done
by this script when missing), runs on the same corpus in the same run: cold, and again after
the hourly change (with `--peer auto`, only up to 20,000 entries: it holds everything in
memory). It downloads every feed on every run and also every new entry's page (its
"enrichment"); those are served too, from 32 fixed pages, with its HTTP going through this
server as a proxy so that the entries' links keep their own host names. It asks for all the
pages at once and gives up on each after 10 s (then retries): on a busy machine many time
out, so its cold figures are then upper bounds (its log says how many: `osmos.log`).

Everything happens in `--workdir` (default: a temporary folder, removed at the end):
corpus/, digest/ (config.toml, content/, output/, digest.log), osmos/, profile/.

Columns:
  wall s     elapsed time of the command
  cpu s      user + system time of the command, all its threads and processes (wait4)
  peak MB    peak resident set size of the command's largest process (ru_maxrss), MiB
  tree MB    peak of the summed memory (Pss: shared pages split between the processes that
             share them) of the command's process tree, sampled every 0.25 s
             (for a command of one process, a little under peak MB: its libraries' pages
             are shared with other processes)
  out w/rm   files written (new, or a new inode/mtime/size) / removed in output/
             (osmos: public/)
  cont w     files written in content/ (osmos: its cache.json is in public/)
  out MB     bytes in output/ after the case
  200 304    feed requests the server answered with 200 / 304 during the case
  pages      entry pages the server answered (osmos's enrichment; digest fetches none)
  rc         the command's exit code

Then the ratios osmos/digest for the cases both ran; with nochange, the request floor: every
feed asked again with its ETag by a bare httpx client on 8 threads (the bench's per_host), no
digest at all, which "nothing changed" cannot go under here; and with `--profile` a table of where
a cold build's main thread spends its time (the HTTP itself runs in fetch's worker threads,
which cProfile does not see; waiting for them is counted in digest.feeds.fetch):
  inclusive s   time with a function of the component on the stack (entered from outside it)
  own s         time in the component itself; code outside every component (the standard
                library, digest.pipeline, ...) is charged to the component that called it;
                "other" is what no component called (startup: imports, the cli)
"""

from __future__ import annotations

import argparse
import ctypes
import html
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from hashlib import sha1
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
EPOCH = 1774267200  # 2026-03-23 12:00 UTC: "now" for the cold build
STEP = 3600  # each case runs one hour after the one before
PEER_PACKAGE = "@osmoscraft/osmosfeed@1.15.1"
CASES = ("cold", "nochange", "hourly", "onenew")
SCALES = {"1k": (20, 50), "10k": (200, 50), "100k": (2000, 50)}

# 60 topics; an entry's categories come from ten of them, chosen per feed.
TOPIC_LIST = """Machine Learning, Rust, Python, C++, C#, Go, TypeScript, Databases, PostgreSQL,
SQLite, Distributed Systems, Networking, Security, Cryptography, Compilers, Type Theory,
Functional Programming, Web Performance, CSS, Accessibility, Linux, Kernels, Embedded, Robotics,
Statistics, Economics, Climate, Energy, Biology, Neuroscience, Physics, Mathematics, History,
Philosophy, Ethics, AI Safety, Interpretability, Forecasting, Open Source, Licensing, Testing,
Observability, DevOps, Kubernetes, Cloud, Hardware, GPUs, Audio, Typography, Design, Writing,
Books, Education, Careers, Management, Startups, Privacy, Law, Space, Café Culture"""
TOPICS = tuple(t.strip() for t in TOPIC_LIST.split(","))
WORD_LIST = """the of and to in is that for it as with was on be by this are from at or an have
not which but they all we one there can has more will their if about would so what when system
model data memory cache latency thread query index parser compiler kernel page feed build render
tree graph proof theorem measure sample signal energy market policy evidence argument experiment
result method benchmark trade-off failure recovery update"""
WORDS = tuple(WORD_LIST.split())
NAME_LIST = """Ada Lovelace, Alan Kay, Barbara Liskov, Donald Knuth, Edsger Dijkstra, Frances Allen,
Grace Hopper, Ken Thompson, Leslie Lamport, Margaret Hamilton, Radia Perlman, Tony Hoare,
Юрий Гагарин, José Núñez"""
NAMES = tuple(n.strip() for n in NAME_LIST.split(","))

# -- the corpus --------------------------------------------------------------------------


def sentence(rng: random.Random, low: int = 8, high: int = 24) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, host: str, notes: list[str]) -> str:
    parts = [sentence(rng) for _ in range(rng.randint(2, 5))]
    kind = rng.random()
    if kind < 0.3:
        parts.insert(
            1,
            f'<a href="https://{host}/{rng.choice(WORDS)}/{rng.randint(1, 999)}">'
            f"{sentence(rng, 2, 4)[:-1]}</a>",
        )
    elif kind < 0.45:
        parts.insert(1, f'<a href="/{rng.choice(WORDS)}.html">a relative link</a>')
    elif kind < 0.6:
        number = len(notes) + 1
        parts.insert(1, f'<sup id="fnref{number}"><a href="#fn{number}">{number}</a></sup>')
        notes.append(sentence(rng))
    if rng.random() < 0.3:
        parts.append(f"<em>{sentence(rng, 3, 6)}</em> <code>{rng.choice(WORDS)}()</code>")
    return "<p>" + " ".join(parts) + "</p>"


def make_body(rng: random.Random, host: str) -> str:
    """2-8 KB of HTML: paragraphs, headings, lists, code, images, quotes and footnotes."""
    target = rng.randint(2000, 8000)
    notes: list[str] = []
    blocks: list[str] = []
    size = 0
    while size < target:
        kind = rng.random()
        if kind < 0.5:
            block = paragraph(rng, host, notes)
        elif kind < 0.6:
            level = rng.choice((2, 3))
            block = f"<h{level}>{sentence(rng, 2, 6)[:-1]}</h{level}>"
        elif kind < 0.72:
            tag = rng.choice(("ul", "ol"))
            items = "".join(f"<li>{sentence(rng, 3, 12)}</li>" for _ in range(rng.randint(3, 6)))
            block = f"<{tag}>{items}</{tag}>"
        elif kind < 0.82:
            lines = [
                f"def {rng.choice(WORDS)}_{i}(x):\n    return x < {i} and x & {i}"
                for i in range(rng.randint(2, 6))
            ]
            code = html.escape("\n".join(lines))
            block = f'<pre><code class="language-python">{code}</code></pre>'
        elif kind < 0.92:
            name = f"{rng.randrange(16**8):08x}"
            block = (
                f'<figure><img src="https://{host}/img/{name}.png" alt="{rng.choice(WORDS)}"'
                f' width="{rng.choice((320, 640, 800))}" height="{rng.choice((200, 400))}">'
                f"<figcaption>{sentence(rng, 3, 8)}</figcaption></figure>"
            )
        else:
            block = f"<blockquote><p>{sentence(rng)}</p></blockquote>"
        blocks.append(block)
        size += len(block)
    if notes:
        items = "".join(
            f'<li id="fn{i}">{n} <a href="#fnref{i}">↩</a></li>' for i, n in enumerate(notes, 1)
        )
        blocks.append(f'<div class="footnotes"><hr><ol>{items}</ol></div>')
    return "".join(blocks)


@dataclass
class FeedSpec:
    """One served feed: its window of entries moves on by one for each new entry."""

    index: int
    seed: int
    entries: int
    atom: bool
    title: str
    topics: list[str]
    dates: list[datetime]  # entry n's date, n = 0.. (new entries are appended)
    path: Path = field(default=Path())
    etag: str = ""
    last_modified: str = ""

    @property
    def host(self) -> str:
        return f"feed{self.index}.example"

    def entry(self, n: int) -> str:
        rng = random.Random(f"{self.seed}:{self.index}:{n}")
        title = sentence(rng, 3, 9)[:-1]
        if n % 7 == 3:
            title += " & <friends>"
        link = f"https://{self.host}/{self.dates[n]:%Y/%m}/post-{n}"
        tags = rng.sample(self.topics, rng.randint(1, 4))
        author = rng.choice(NAMES)
        body = make_body(rng, self.host)
        date = self.dates[n]
        if self.atom:
            cats = "".join(f"<category term={quoteattr(t)}/>" for t in tags)
            return (
                f'<entry><title>{escape(title)}</title><link rel="alternate" href="{link}"/>'
                f"<id>tag:{self.host},2026:{n}</id><published>{date:%Y-%m-%dT%H:%M:%SZ}"
                f"</published><updated>{date:%Y-%m-%dT%H:%M:%SZ}</updated><author><name>"
                f'{escape(author)}</name></author>{cats}<content type="html">'
                f"{escape(body)}</content></entry>"
            )
        cats = "".join(f"<category>{escape(t)}</category>" for t in tags)
        return (
            f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{format_datetime(date)}</pubDate><dc:creator>{escape(author)}"
            f"</dc:creator>{cats}<comments>{link}#comments</comments>"
            f"<description><![CDATA[{body}]]></description></item>"
        )

    def render(self) -> bytes:
        first = len(self.dates) - self.entries  # the newest `entries`, newest first
        items = "".join(self.entry(n) for n in range(len(self.dates) - 1, first - 1, -1))
        newest = max(self.dates)
        if self.atom:
            text = (
                f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
                f' xml:lang="en"><title>{escape(self.title)}</title><id>https://{self.host}/</id>'
                f'<link rel="alternate" href="https://{self.host}/"/><updated>'
                f"{newest:%Y-%m-%dT%H:%M:%SZ}</updated>{items}</feed>"
            )
        else:
            text = (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
                f"<title>{escape(self.title)}</title><link>https://{self.host}/</link>"
                f"<description>Notes on {escape(', '.join(self.topics[:3]))}</description>"
                f"<language>en</language>{items}</channel></rss>"
            )
        return text.encode()

    def publish(self, folder: Path) -> None:
        """Write the current window; a new body gets a new ETag and Last-Modified."""
        body = self.render()
        self.path = folder / f"feed{self.index:04d}-{len(self.dates)}.xml"
        self.path.write_bytes(body)
        self.etag = '"' + sha1(body).hexdigest()[:16] + '"'
        self.last_modified = format_datetime(max(self.dates), usegmt=True)


def make_corpus(folder: Path, feeds: int, entries: int, seed: int) -> list[FeedSpec]:
    rng = random.Random(seed)
    now = datetime.fromtimestamp(EPOCH, UTC)
    specs = []
    for i in range(feeds):
        dates = sorted(
            now - timedelta(seconds=rng.randint(3600, 60 * 86400)) for _ in range(entries)
        )
        title = f"{rng.choice(NAMES).split()[0]}'s {rng.choice(TOPICS)} notes #{i}"
        spec = FeedSpec(i, seed, entries, rng.random() < 0.5, title, rng.sample(TOPICS, 10), dates)
        spec.publish(folder)
        specs.append(spec)
    return specs


# -- the server --------------------------------------------------------------------------


class Corpus:
    """The feeds being served, and what the server answered since the last `take_counts`."""

    def __init__(self, folder: Path, specs: list[FeedSpec]) -> None:
        self.folder = folder
        self.specs = specs
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def add_entries(self, rng: random.Random, feeds: int, step: int) -> None:
        """One new entry in each of `feeds` feeds, dated a few minutes before the step."""
        when = datetime.fromtimestamp(EPOCH + step * STEP, UTC) - timedelta(minutes=5)
        for index in sorted(rng.sample(range(len(self.specs)), feeds)):
            self.specs[index].dates.append(when)
            self.specs[index].publish(self.folder)

    def reset(self) -> None:
        """Back to the corpus as made: every feed without its new entries."""
        for spec in self.specs:
            if len(spec.dates) > spec.entries:
                del spec.dates[spec.entries :]
                spec.publish(self.folder)

    def count(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def take_counts(self) -> Counter[str]:
        with self.lock:
            counts, self.counts = self.counts, Counter()
        return counts


def not_modified(headers: Message, spec: FeedSpec) -> bool:
    """RFC 9110 13.1: If-None-Match wins over If-Modified-Since."""
    if (tags := headers.get("If-None-Match")) is not None:
        return spec.etag in [t.strip().removeprefix("W/") for t in tags.split(",")] or tags == "*"
    if since := headers.get("If-Modified-Since"):
        try:
            return parsedate_to_datetime(since) >= parsedate_to_datetime(spec.last_modified)
        except (TypeError, ValueError):
            return False
    return False


@cache
def entry_pages() -> list[bytes]:
    """The entry pages osmos downloads, as a few fixed pages (each as big as an entry)."""
    pages = []
    for i in range(32):
        rng = random.Random(f"page:{i}")
        title, summary = sentence(rng, 3, 9), sentence(rng)
        pages.append(
            f"<!doctype html><html><head><title>{title}</title><meta property="
            f'"og:description" content="{summary}"></head><body><main>'
            f"{make_body(rng, 'page.example')}</main></body></html>".encode()
        )
    return pages


def serve(corpus: Corpus) -> ThreadingHTTPServer:
    """Feeds at /feeds/feedN.xml; entry pages at https://feedN.example/... (as a proxy)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            url = urlsplit(self.path)  # absolute-form when osmos uses us as its proxy
            if url.hostname and url.hostname.endswith(".example"):
                self.page(self.path)
                return
            name = url.path.rsplit("/", 1)[-1]
            try:
                spec = corpus.specs[int(name.removeprefix("feed").removesuffix(".xml"))]
            except (ValueError, IndexError):
                corpus.count("404")
                self.reply(404, b"not found\n", "text/plain")
                return
            if not_modified(self.headers, spec):
                corpus.count("304")
                self.reply(304, b"", "", spec)
                return
            corpus.count("200")
            kind = "application/atom+xml" if spec.atom else "application/rss+xml"
            self.reply(200, spec.path.read_bytes(), kind + "; charset=utf-8", spec)

        def page(self, url: str) -> None:
            corpus.count("pages")
            pages = entry_pages()
            self.reply(
                200, pages[int(sha1(url.encode()).hexdigest(), 16) % len(pages)], "text/html"
            )

        def reply(self, status: int, body: bytes, kind: str, spec: FeedSpec | None = None) -> None:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            if urlsplit(self.path).scheme:
                # A proxied request (osmos): close, or its idle keep-alive connections hold
                # the pool's threads while thousands of its requests wait (and time out).
                self.send_header("Connection", "close")
            if spec:
                self.send_header("ETag", spec.etag)
                self.send_header("Last-Modified", spec.last_modified)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        """A bounded pool of handler threads: osmos asks for every entry page at once."""

        request_queue_size = 4096
        pool = ThreadPoolExecutor(max_workers=32)

        def process_request(self, request: Any, client_address: Any) -> None:
            self.pool.submit(self.process_request_thread, request, client_address)

        def handle_error(self, request: Any, client_address: Any) -> None:
            corpus.count("errors")  # a client that gave up waiting (osmos times out at 10 s)

    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


# -- running and measuring ---------------------------------------------------------------


@dataclass
class Result:
    case: str
    tool: str
    wall: float = 0.0
    cpu: float = 0.0
    peak_mb: float = 0.0
    tree_mb: float = 0.0
    out_written: int = 0
    out_removed: int = 0
    content_written: int | None = None
    out_bytes: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    rc: int = 0
    note: str = ""


Snapshot = dict[str, tuple[int, int, int]]


def snapshot(folder: Path) -> Snapshot:
    """Every file under folder: (inode, mtime_ns, size). An atomic rewrite changes the inode."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            st = path.stat()
            found[str(path.relative_to(folder))] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return found


def changed(before: Snapshot, after: Snapshot) -> tuple[int, int]:
    written = sum(1 for path, stat in after.items() if before.get(path) != stat)
    return written, sum(1 for path in before if path not in after)


def adopt_orphans() -> None:
    """Make this process the reaper of the children's orphans (Linux), so that their time is
    counted too: a process pool's workers, a forkserver that outlives its parent."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


Process = tuple[int, str, int]  # parent pid, command name, RSS in bytes


def processes() -> dict[int, Process]:
    """Every process, from /proc (Linux; elsewhere none): pid -> (parent, name, RSS)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            name, rest = Path(entry.path, "stat").read_text().split("(", 1)[1].rsplit(")", 1)
            fields = rest.split()
        except (OSError, IndexError, ValueError):
            continue  # not a process, or one that just ended
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        found[int(entry.name)] = (int(fields[1]), name, rss)
    return found


def descendants(root: int, table: dict[int, Process]) -> set[int]:
    """`root` and every process below it in `table`."""
    tree, size = {root}, 0
    while len(tree) != size:
        size = len(tree)
        tree |= {pid for pid, (ppid, _, _) in table.items() if ppid in tree}
    return tree


class TreeMemory(threading.Thread):
    """The peak of the summed memory of a process and its descendants, sampled every 0.25 s
    from /proc (Linux; elsewhere 0). Each process counts its proportional set size (Pss): a
    page shared by forked workers is split between them, not counted once per process as
    summed RSS would (a render worker forked from the build shares most of its pages)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.done = root, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25) and Path("/proc/self/stat").exists():
            self.peak = max(self.peak, self.sample())

    def sample(self) -> int:
        table = processes()
        tree = descendants(self.root, table) & table.keys()  # the root may have just ended
        return sum(self.pss(pid, table[pid][2]) for pid in tree)

    @staticmethod
    def pss(pid: int, rss: int) -> int:
        """The process's Pss in bytes; its RSS where the kernel does not tell (before 4.14)."""
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        return rss


Timings = tuple[float, float, float, float, int]


def run(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Timings:
    """Run command; (wall s, user+sys s, max RSS MB, tree MB, exit code) of it and its children.

    CPU time is summed over every process of the tree (each reaped by its parent, or by us);
    max RSS is the largest single process's peak (ru_maxrss); tree MB is TreeMemory's.
    """
    with log.open("ab") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        memory = TreeMemory(child.pid)
        memory.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        memory.done.set()
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # orphans left behind, given time to finish
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.05)
            continue
        cpu, peak = cpu + usage.ru_utime + usage.ru_stime, max(peak, usage.ru_maxrss)
    peak_mb = peak / 1024  # ru_maxrss is in KiB on Linux
    return wall, cpu, peak_mb, max(peak_mb, memory.peak / 2**20), child.returncode


def measure(
    case: str,
    tool: str,
    command: list[str],
    site: Path,
    out: str,
    content: str | None,
    env: dict[str, str],
    corpus: Corpus,
) -> Result:
    out_before = snapshot(site / out)
    content_before = snapshot(site / content) if content else {}
    corpus.take_counts()
    # The case before wrote up to a few hundred MB: on disk now, so that this case does not
    # run beside the kernel writing them back (a nothing-changed build after a cold one
    # measured 1.02 s so, 0.85-0.93 s on a quiet disk).
    os.sync()
    wall, cpu, peak, tree, rc = run(command, site, env, site / f"{tool}.log")
    result = Result(case, tool, wall, cpu, peak, tree, rc=rc, counts=corpus.take_counts())
    out_after = snapshot(site / out)
    result.out_written, result.out_removed = changed(out_before, out_after)
    result.out_bytes = sum(size for _, _, size in out_after.values())
    if content:
        result.content_written = changed(content_before, snapshot(site / content))[0]
    return result


def compile_digest() -> None:
    """Byte-compile the digest being measured, as `pip install` does for a wheel. An editable
    checkout under PYTHONDONTWRITEBYTECODE (set on some CI images and sandboxes) otherwise
    compiles every module changed since its last .pyc on every run of every case: importing
    digest then takes 0.32 s instead of 0.25 s (best of ten)."""
    import compileall

    import digest

    compileall.compile_dir(str(Path(digest.__file__).parent), quiet=1)


def digest_command() -> str:
    """The `digest` beside this Python (its venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "digest"
    return str(beside) if beside.is_file() else shutil.which("digest") or "digest"


def base_env(epoch: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return env | {"SOURCE_DATE_EPOCH": str(epoch), "NO_PROXY": "127.0.0.1", "TZ": "UTC"}


def write_config(site: Path, specs: list[FeedSpec], base: str, max_output: str | None) -> Path:
    lines = [
        "[site]",
        'title = "Bench digest"',
        'base_url = "https://bench.example/"',
        'timezone = "Europe/Berlin"',
        *([f"max_output = {json.dumps(max_output)}"] if max_output is not None else []),
        "",
        "[fetch]",
        "per_host = 8  # every feed is on 127.0.0.1 here; real feeds spread over many hosts",
    ]
    for spec in specs:
        lines += [
            "",
            "[[feeds]]",
            f'url = "{base}/feeds/feed{spec.index}.xml"',
            f"name = {json.dumps(spec.title)}",
        ]
    site.mkdir(parents=True, exist_ok=True)
    (site / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return site / "config.toml"


def write_peer_config(site: Path, specs: list[FeedSpec], base: str) -> None:
    lines = [
        "siteTitle: Bench osmos",
        "cacheMaxDays: 100000  # the corpus is dated in 2026-03",
        "sources:",
    ]
    lines += [f"  - href: {base}/feeds/feed{spec.index}.xml" for spec in specs]
    site.mkdir(parents=True, exist_ok=True)
    (site / "osmosfeed.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def install_peer(peer_dir: Path) -> tuple[Path | None, str]:
    main = peer_dir / "node_modules" / "@osmoscraft" / "osmosfeed" / "main.js"
    if main.is_file():
        return main, ""
    if not (shutil.which("npm") and shutil.which("node")):
        return None, "node/npm not found"
    command = ["npm", "install", "--prefix", str(peer_dir), "--no-audit", "--no-fund", PEER_PACKAGE]
    try:
        peer_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"npm install: {e}"
    if done.returncode or not main.is_file():
        return None, "npm install failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return main, ""


# -- the profile -------------------------------------------------------------------------

COMPONENTS = (
    "digest.feeds.fetch",
    "digest.parse",
    "digest.sanitize",
    "digest.feeds.update",
    "digest.feeds.store",
    "digest.site",
    "digest.render",
    "digest.write",
    "jinja2",
    "feedparser",
    "nh3",
)
Func = tuple[str, int, str]


def component(func: Func) -> str | None:
    filename, _, name = func
    path = filename.replace("\\", "/")
    for comp in COMPONENTS:
        if comp.startswith("digest."):
            module = comp.replace(".", "/")  # a module or a package of digest
            if f"/{module}.py" in path or f"/{module}/" in path:
                return comp
        elif f"/{comp}/" in path or (filename == "~" and comp in name):
            return comp
    if "/templates/" in path or filename.startswith("<template"):
        return "jinja2"  # compiled theme templates run as jinja2 code
    return None


def stage_profile(prof: Path) -> list[tuple[str, float, float]]:
    """(component, inclusive s, own s) from a cProfile dump; see the module docstring."""
    stats: dict[Func, tuple[int, int, float, float, dict[Func, tuple[int, int, float, float]]]]
    stats = pstats.Stats(str(prof)).stats  # type: ignore[attr-defined]
    comps = {func: component(func) for func in stats}
    inclusive: dict[str, float] = dict.fromkeys((*COMPONENTS, "other"), 0.0)
    for func, (*_, callers) in stats.items():
        if comp := comps[func]:
            inclusive[comp] += sum(e[3] for c, e in callers.items() if comps.get(c) != comp)
            if not callers:
                inclusive[comp] += stats[func][3]
    shares: dict[Func, dict[str, float]] = {}
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))  # long chains of callers

    def share(func: Func, stack: set[Func]) -> dict[str, float]:
        if comp := comps.get(func):
            return {comp: 1.0}
        if func in shares:
            return shares[func]
        callers = {c: e[3] for c, e in stats[func][4].items() if c in stats and c not in stack}
        total = sum(callers.values())
        if not callers or total <= 0:
            return {"other": 1.0}
        mix: dict[str, float] = {}
        for caller, weight in callers.items():
            for comp, part in share(caller, stack | {func}).items():
                mix[comp] = mix.get(comp, 0.0) + part * weight / total
        shares[func] = dict(mix)
        return shares[func]

    own = dict.fromkeys(inclusive, 0.0)
    for func, (_, _, tottime, *_rest) in stats.items():
        for comp, part in share(func, set()).items():
            own[comp] += tottime * part
    return [(c, inclusive[c], own[c]) for c in (*COMPONENTS, "other")]


# -- the table ---------------------------------------------------------------------------


def table(results: Iterable[Result]) -> str:
    head: tuple[str, ...] = ("case", "tool", "wall s", "cpu s", "peak MB", "tree MB")
    head += ("out w/rm", "cont w", "out MB", "200", "304", "pages", "rc")
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for r in results:
        if r.note:
            notes.append(f"{r.case} {r.tool}: {r.note}")
            continue
        if r.counts["errors"]:
            notes.append(f"{r.case} {r.tool}: {r.counts['errors']} requests dropped by the client")
        content = "-" if r.content_written is None else str(r.content_written)
        rows.append(
            (
                *(r.case, r.tool, f"{r.wall:.2f}", f"{r.cpu:.2f}", f"{r.peak_mb:.0f}"),
                f"{r.tree_mb:.0f}",
                *(f"{r.out_written}/{r.out_removed}", content, f"{r.out_bytes / 1e6:.1f}"),
                *(str(n) for n in (r.counts["200"], r.counts["304"], r.counts["pages"], r.rc)),
            )
        )
    widths = [max(len(row[i]) for row in (head, *rows)) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in (head, *rows)
    ]
    return "\n".join(lines + notes)


def ratios(results: list[Result]) -> list[str]:
    lines = []
    for case in CASES:
        pair = {r.tool: r for r in results if r.case == case and not r.note}
        if len(pair) == 2:
            d, o = pair["digest"], pair["osmos"]
            requests = sum(o.counts.values()) / max(1, sum(d.counts.values()))
            lines.append(
                f"osmos/digest, {case}: wall {o.wall / d.wall:.1f}x, cpu {o.cpu / d.cpu:.1f}x, "
                f"peak memory {o.peak_mb / d.peak_mb:.1f}x, requests {requests:.1f}x"
            )
    return lines


def profile_table(rows: list[tuple[str, float, float]]) -> str:
    profiled = sum(own for _, _, own in rows) or 1.0
    lines = [f"{'component':<16} {'inclusive s':>11} {'own s':>8} {'own %':>6}"]
    for comp, incl, own in rows:
        lines.append(f"{comp:<16} {incl:>11.2f} {own:>8.2f} {100 * own / profiled:>5.1f}%")
    return "\n".join(lines)


# -- the run -----------------------------------------------------------------------------


@dataclass
class Bench:
    """One run: the served corpus, digest's site folder and the peer's, the results so far."""

    work: Path
    corpus: Corpus
    base: str
    only: list[str]
    peer: Path | None
    peer_note: str
    max_output: str | None = None  # [site] max_output; None: digest's default
    results: list[Result] = field(default_factory=list)

    def digest(
        self, case: str, step: int, site: Path | None = None, profile: bool = False
    ) -> Result:
        site = site or self.work / "digest"
        if not (site / "config.toml").exists():
            write_config(site, self.corpus.specs, self.base, self.max_output)
        command = [digest_command()]
        if profile:
            prof = str(site / "build.prof")
            command = [sys.executable, "-m", "cProfile", "-o", prof, "-m", "digest"]
        command += ["build", "-q", "--config", str(site / "config.toml")]
        env = base_env(EPOCH + step * STEP)
        result = measure(case, "digest", command, site, "output", "content", env, self.corpus)
        if case in self.only and not profile:
            self.results.append(result)
            print(f"  {case:<9} digest {result.wall:7.2f} s", flush=True)
        return result

    def osmos(self, case: str, step: int) -> None:
        if case not in self.only:
            return
        if not self.peer:
            self.results.append(Result(case, "osmos", note=self.peer_note))
            return
        site = self.work / "osmos"
        if not (site / "osmosfeed.yaml").exists():
            write_peer_config(site, self.corpus.specs, self.base)
        proxy = {name: self.base for name in ("http_proxy", "https_proxy")}
        proxy |= {name.upper(): self.base for name in proxy}
        env = base_env(EPOCH + step * STEP) | proxy | {"NO_PROXY": ""}
        env["NODE_OPTIONS"] = "--max-old-space-size=16384"  # its default heap is too small
        command = ["node", str(self.peer)]
        result = measure(case, "osmos", command, site, "public", None, env, self.corpus)
        self.results.append(result)
        print(f"  {case:<9} osmos  {result.wall:7.2f} s", flush=True)

    def run_cases(self, rng: random.Random) -> None:
        """The cases in order, each on the state the one before left (cold is always run)."""
        feeds = len(self.corpus.specs)
        last = max(CASES.index(c) for c in self.only)
        self.digest("cold", 0)
        self.osmos("cold", 0)
        if last >= 1:
            self.digest("nochange", 1)
        if last >= 2:
            self.corpus.add_entries(rng, max(1, feeds // 20), 2)
            self.digest("hourly", 2)
            self.osmos("hourly", 2)
        if last >= 3:
            self.corpus.add_entries(rng, 1, 3)
            self.digest("onenew", 3)

    def actions(self, rng: random.Random) -> list[str]:
        """The job GitHub Actions runs, each run in a fresh clone of the site's repository
        (content/ committed, output/ ignored), as `digest init`'s workflow checks it out: with
        the last run's output/ restored from a tarball (as actions/cache restores it) and
        without. Both clones of a case start from the same commit; the restored one's
        content/ is pushed and its output/ is the next case's tarball. Returns notes."""
        site, repo, tarball = self.work / "digest", self.work / "site.git", self.work / "out.tar"
        self.digest("cold", 0)
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@bench.example"]
        (site / ".gitignore").write_text("output/\n*.log\n", encoding="utf-8")
        for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "cold"]):
            subprocess.run([*git, *command], cwd=site, check=True)
        subprocess.run(["git", "clone", "-q", "--bare", str(site), str(repo)], check=True)
        subprocess.run(
            ["tar", "--posix", "-cf", str(tarball), "-C", str(site), "output"], check=True
        )
        notes = []
        for case, step in (("nochange", 1), ("hourly", 2)):
            if case == "hourly":
                self.corpus.add_entries(rng, max(1, len(self.corpus.specs) // 20), step)
            clones = {v: self.work / f"{case}-{v}" for v in ("fresh", "restored")}
            for clone in clones.values():
                shutil.rmtree(clone, ignore_errors=True)
                subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
            start = time.perf_counter()
            subprocess.run(["tar", "-xf", str(tarball), "-C", str(clones["restored"])], check=True)
            notes.append(f"{case}: restoring output/ (tar -x): {time.perf_counter() - start:.2f} s")
            for variant, clone in clones.items():
                command = [digest_command(), "build", "-q", "--config", str(clone / "config.toml")]
                label = f"{case}/{variant}"
                said_to = self.work / f"{case}-{variant}.github-output"
                said_to.unlink(missing_ok=True)
                env = base_env(EPOCH + step * STEP) | {"GITHUB_OUTPUT": str(said_to)}
                result = measure(
                    label, "digest", command, clone, "output", "content", env, self.corpus
                )
                self.results.append(result)
                said = said_to.read_text(encoding="utf-8").split()[0]
                notes.append(f"{label}: {said}")
                print(f"  {label:<18} digest {result.wall:7.2f} s", flush=True)
            restored = clones["restored"]
            for command in (["add", "content"], ["commit", "-qm", case], ["push", "-q"]):
                # nothing to commit after a run where every feed answered 304
                subprocess.run([*git, *command], cwd=restored, check=False, capture_output=True)
            subprocess.run(
                ["tar", "--posix", "-cf", str(tarball), "-C", str(restored), "output"], check=True
            )
        return notes

    def profile(self) -> str:
        """A cold build of the original corpus under cProfile, summed by component."""
        self.corpus.reset()
        site = self.work / "profile"
        shutil.rmtree(site, ignore_errors=True)
        result = self.digest("cold", 0, site=site, profile=True)
        rows = stage_profile(site / "build.prof")
        profiled = sum(own for _, _, own in rows)
        return (
            f"cold build under cProfile: {result.wall:.2f} s wall (rc {result.rc}), "
            f"{profiled:.2f} s profiled in the main thread\n" + profile_table(rows)
        )


def request_floor(base: str, specs: list[FeedSpec], threads: int = 8) -> str:
    """What "nothing changed" cannot go under on this machine: every feed asked again with its
    ETag (304) by a bare httpx client on `threads` threads (the bench's per_host, every feed
    being on 127.0.0.1), with no digest at all."""
    import httpx

    urls = [f"{base}/feeds/feed{spec.index}.xml" for spec in specs]
    with httpx.Client() as client:
        etags = {url: client.get(url).headers.get("etag", "") for url in urls}

        def ask(url: str) -> int:
            return client.get(url, headers={"If-None-Match": etags[url]}).status_code

        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            codes = Counter(pool.map(ask, urls))
        took = time.perf_counter() - start
    answers = ", ".join(f"{n} x {code}" for code, n in sorted(codes.items()))
    return (
        f"request floor: {len(urls)} conditional GETs ({answers}) from a bare httpx client on"
        f" {threads} threads: {took:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=SCALES, help="1k, 10k (default: all cases), 100k (cold)")
    parser.add_argument("--feeds", type=int, help="feeds in the corpus (default 200)")
    parser.add_argument("--entries", type=int, help="entries per feed (default 50)")
    parser.add_argument("--only", help=f"comma-separated cases among {','.join(CASES)}")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--peer", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--peer-dir", type=Path, default=HERE / ".peer")
    parser.add_argument("--profile", action="store_true", help="also a cold build under cProfile")
    parser.add_argument("--workdir", type=Path, help="keep corpus, sites and logs here")
    parser.add_argument(
        "--max-output", help='[site] max_output of the digest built ("0": no size budget)'
    )
    parser.add_argument(
        "--actions",
        action="store_true",
        help="run as GitHub Actions does: each case in a fresh clone, output/ restored or not",
    )
    args = parser.parse_args()

    feeds, entries = SCALES[args.scale or "10k"]
    feeds, entries = args.feeds or feeds, args.entries or entries
    default_only = "cold" if args.scale == "100k" else ",".join(CASES)
    only = [c.replace("-", "") for c in (args.only or default_only).split(",")]
    if unknown := set(only) - set(CASES):
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    if not Path(digest_command()).is_file():
        sys.exit("install digest first: pip install -e .")
    compile_digest()
    # auto: osmos keeps every entry in memory (~2 GB at 10k); not at 100k
    peer_wanted = args.peer == "yes" or (args.peer == "auto" and feeds * entries <= 20_000)
    peer_wanted = peer_wanted and not args.actions

    adopt_orphans()
    with tempfile.TemporaryDirectory(prefix="digest-scale-") as tmp:
        work = args.workdir or Path(tmp)
        for folder in ("corpus", "digest", "osmos", "profile"):
            shutil.rmtree(work / folder, ignore_errors=True)
        (work / "corpus").mkdir(parents=True)
        start = time.perf_counter()
        specs = make_corpus(work / "corpus", feeds, entries, args.seed)
        size = sum(s.path.stat().st_size for s in specs) / 1e6
        atom = sum(s.atom for s in specs)
        print(
            f"corpus: {feeds} feeds x {entries} entries = {feeds * entries:,} entries, "
            f"{atom} Atom + {feeds - atom} RSS, {size:.1f} MB of XML "
            f"(seed {args.seed}, made in {time.perf_counter() - start:.0f} s)"
        )
        corpus = Corpus(work / "corpus", specs)
        httpd = serve(corpus)
        peer, why = install_peer(args.peer_dir) if peer_wanted else (None, "")
        note = f"not installed: {why}" if peer_wanted else "not run (--peer, or over 20k entries)"
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        bench = Bench(work, corpus, base, only, peer, note, args.max_output)
        notes = []
        if args.actions:
            notes = bench.actions(random.Random(args.seed + 1))
        else:
            bench.run_cases(random.Random(args.seed + 1))
        print()
        print(table(bench.results))
        print("\n".join(notes))
        print("\n".join(ratios(bench.results)))
        if "nochange" in only:
            print(request_floor(base, corpus.specs))
        if args.profile:
            print()
            print(bench.profile())
        httpd.shutdown()


if __name__ == "__main__":
    main()
