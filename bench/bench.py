"""Benchmark `digest build`: wall time and peak memory, cold and with nothing changed.

Two corpora, each built in a fresh temp folder by the installed `digest` command:
- the example digest of this repository (config.toml + the committed content/), offline;
- a generated one: FEEDS RSS feeds of ENTRIES entries each (~3 KB of HTML per entry), served
  over loopback HTTP by this script (with ETags, so an unchanged run gets 304s).

    python bench/bench.py                      # 200 feeds x 50 entries
    python bench/bench.py --feeds 20 --entries 20

Figures go in the closing notes; timed tests would be flaky, so timing lives here.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPH = (
    "<p>Lorem ipsum dolor sit amet, <a href='/x'>consectetur</a> adipiscing elit, sed do eiusmod "
    "tempor incididunt ut labore et dolore magna aliqua. <em>Ut enim</em> ad minim veniam, quis "
    "nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.</p>"
)


def run(config: Path, *args: str, fetch_only: bool = False) -> tuple[float, float]:
    """Run `digest build` (or fetch); return (seconds, peak RSS of the child in MB).

    Peak RSS is RUSAGE_CHILDREN's maxrss: the largest child so far, so runs are listed in
    an order where that is meaningful (or read each figure as "at most").
    """
    digest = shutil.which("digest") or sys.exit("install digest first: pip install .")
    env = dict(os.environ, SOURCE_DATE_EPOCH="1774267200")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    command = "fetch" if fetch_only else "build"
    subprocess.run([digest, command, "-q", "--config", str(config), *args], check=True, env=env)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def serve(folder: Path) -> ThreadingHTTPServer:
    """Serve folder/feeds/* on 127.0.0.1 with strong ETags and 304s."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = folder / "feeds" / Path(self.path).name
            body = path.read_bytes()
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def make_corpus(folder: Path, feeds: int, entries: int, base: str) -> Path:
    start = datetime(2026, 3, 22, 12, tzinfo=UTC)
    (folder / "feeds").mkdir(parents=True)
    lines = [
        "[site]",
        'title = "Bench"',
        'base_url = "https://bench.example/"',
        'timezone = "Europe/Berlin"',
        "per_page = 20",
        "",
        "[fetch]",
        "per_host = 8  # every feed is on 127.0.0.1 here; real feeds spread over many hosts",
    ]
    for f in range(feeds):
        items = []
        for e in range(entries):
            date = start - timedelta(hours=f + 13 * e)
            link = f"https://feed{f}.example/posts/{e}"
            body = f"<h2>Part {e}</h2>" + PARAGRAPH * 7
            items.append(
                f"<item><title>Feed {f} post {e}</title><link>{link}</link><guid>{link}</guid>"
                f"<pubDate>{format_datetime(date)}</pubDate><category>topic {e % 17}</category>"
                f"<category>Area {f % 9}</category><description>{escape(body)}</description></item>"
            )
        (folder / "feeds" / f"feed{f}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {f}</title><link>https://feed{f}.example/</link><description>d"
            f"</description>{''.join(items)}</channel></rss>",
            encoding="utf-8",
        )
        lines += ["", "[[feeds]]", f'url = "{base}/feed{f}.xml"', f'name = "Feed {f}"']
    config = folder / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp) / "example"
        example.mkdir()
        shutil.copy(ROOT / "config.toml", example)
        shutil.copytree(ROOT / "content", example / "content")
        cold = run(example / "config.toml", "--offline")
        warm = run(example / "config.toml", "--offline")
        pages = sum(1 for _ in (example / "output").rglob("*.html"))
        print(f"example digest ({pages} pages), build --offline:")
        print(f"  cold       {cold[0]:6.2f} s  peak {cold[1]:6.0f} MB")
        print(f"  no change  {warm[0]:6.2f} s  peak {warm[1]:6.0f} MB")

        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        httpd = serve(corpus)
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        config = make_corpus(corpus, args.feeds, args.entries, base)
        size = sum(p.stat().st_size for p in (corpus / "feeds").iterdir()) / 1e6
        n = args.feeds * args.entries
        print(f"generated corpus: {args.feeds} feeds x {args.entries} entries = {n}, {size:.1f} MB")
        fetched = run(config, fetch_only=True)
        print(f"  fetch, cold (HTTP+parse+save)     {fetched[0]:6.2f} s  peak {fetched[1]:6.0f} MB")
        print(f"    = {n / fetched[0]:,.0f} entries/s")
        shutil.rmtree(corpus / "content")
        first = run(config)
        print(f"  build, cold (fetch+render+write)  {first[0]:6.2f} s  peak {first[1]:6.0f} MB")
        same = run(config)
        print(f"  build, no change (all 304)        {same[0]:6.2f} s  peak {same[1]:6.0f} MB")
        shutil.rmtree(corpus / "output")
        offline = run(config, "--offline")
        print(f"  build --offline, no output yet    {offline[0]:6.2f} s  peak {offline[1]:6.0f} MB")
        again = run(config, "--offline")
        print(f"  build --offline, no change        {again[0]:6.2f} s  peak {again[1]:6.0f} MB")
        pages = sum(1 for _ in (corpus / "output").rglob("*.html"))
        print(f"  {pages} pages")


if __name__ == "__main__":
    main()
