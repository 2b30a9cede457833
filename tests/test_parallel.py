"""Parsing on every core, and runs with nothing new that write nothing.

A run's `content/` and `output/` are byte-identical whichever number of processes parsed the
feeds (DIGEST_WORKERS), whatever order the feeds finished in; a run where every feed answers
304 loads each cache once and serialises and writes none.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faults import feed_body, slow
from helpers import (
    FeedServer,
    atom,
    digest_command,
    make_items,
    page_text,
    rss,
    stats,
    tree,
    write_config,
)

from digest import pipeline
from digest.cli import main
from digest.config import load_config
from digest.feeds import pool, update
from digest.feeds.fetch import make_client
from digest.feeds.pool import ParsePool, parse_response
from digest.feeds.store import load_cache, save_cache
from digest.feeds.update import ParseFailure
from digest.models import FeedCache, FeedConfig, FetchConfig, HttpState, Response
from digest.render import workers as render_workers
from digest.render.workers import task_chunks

NOW = datetime(2026, 3, 23, 12, tzinfo=UTC)


def corpus(server: FeedServer) -> list[dict[str, object]]:
    """Eight feeds of every kind a run meets: RSS and Atom of several sizes, a body that is
    no feed, a 404, and feeds with ETags (so a second run gets 304s)."""
    feeds: list[dict[str, object]] = []
    for n in range(5):
        items = make_items(f"R{n}", 4 + 3 * n, NOW - timedelta(hours=n), tags=(f"t{n % 2}",))
        url = server.serve(f"/rss{n}", rss(f"RSS {n}", f"https://r{n}.example/", items),
                           ETag=f'"r{n}"')  # fmt: skip
        feeds.append({"url": url, "name": f"RSS {n}", "tags": ["rss"]})
    items = make_items("A", 6, NOW, tags=("atom",))
    url = server.serve("/atom", atom("Atom", "https://a.example/", items), ETag='"a"')
    feeds.append({"url": url, "name": "Atom"})
    broken = server.serve("/broken", b"<html><body>no feed here</body></html>",
                          Content_Type="text/html", ETag='"b"')  # fmt: skip
    feeds.append({"url": broken, "name": "Broken"})
    feeds.append({"url": server.url("/missing"), "name": "Missing"})
    return feeds


def files(project: Path) -> dict[str, bytes]:
    return {
        **{f"content/{k}": v for k, v in tree(project / "content").items()},
        **{f"output/{k}": v for k, v in tree(project / "output").items()},
    }


@pytest.mark.slow
def test_the_same_site_whichever_number_of_processes_parse(
    server: FeedServer, tmp_path: Path, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = corpus(server)
    built = {}
    for workers in ("1", "2", "3"):
        project = tmp_path / f"workers-{workers}"
        config = write_config(project, feeds)
        monkeypatch.setenv("DIGEST_WORKERS", workers)
        assert main(["build", "-q", "--config", str(config)]) == 0
        built[workers] = files(project)
    assert built["1"] == built["2"] == built["3"]
    site = built["1"]
    # A state file per feed, failures kept too; entries in month files.
    assert len([k for k in site if k.count("/") == 2 and k.startswith("content/feeds/")]) == 8
    assert any(b"R4 post 15" in v for k, v in site.items() if k.endswith("/rss-4.json"))
    assert b"not a feed" in site["content/feeds/broken.json"]
    assert b"A post 0" in site["output/sources/atom/index.html"]


def test_the_pool_parses_in_other_processes_as_here() -> None:
    body = rss("Feed", "https://f.example/", make_items("F", 5, NOW))
    headers = {"content-type": "application/rss+xml"}
    response = Response("ok", "https://f.example/feed", body, headers)
    no_feed = Response("ok", "https://f.example/page", b"<html><p>hello</p></html>")
    pool = ParsePool(2)
    try:
        parsed = pool.submit(response, "feed", NOW)
        assert not parsed.done() and not pool.started  # held back: it may be the only one
        failed = pool.submit(no_feed, "page", NOW)
        assert pool.started  # the second started the processes; both went there
        assert parsed.result() == parse_response(response, "feed", NOW)
        assert len(parsed.result().entries) == 5  # type: ignore[union-attr]
        assert failed.result() == parse_response(no_feed, "page", NOW)
        assert isinstance(failed.result(), ParseFailure)  # a value, not an exception
    finally:
        pool.close()


def test_one_body_or_one_process_parses_here() -> None:
    body = rss("Feed", "https://f.example/", make_items("F", 2, NOW))
    response = Response("ok", "https://f.example/feed", body)
    alone = ParsePool(4)
    held = alone.submit(response, "feed", NOW)
    alone.flush()  # no other body came
    assert held.result() == parse_response(response, "feed", NOW) and not alone.started
    single = ParsePool(1)
    assert single.submit(response, "feed", NOW).done() and not single.started
    assert single.submit(response, "feed", NOW).done() and not single.started


@pytest.mark.parametrize("value", ["0", "x", "-1", "1.5"])
def test_a_bad_digest_workers_is_a_clear_error(
    value: str, server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url = server.serve("/f", feed_body("f"))
    config = write_config(tmp_path, [{"url": url, "name": "F"}])
    monkeypatch.setenv("DIGEST_WORKERS", value)
    assert main(["fetch", "--config", str(config)]) == 1
    assert f"DIGEST_WORKERS={value!r}: expected a number of processes, 1 or more" in (
        capsys.readouterr().err
    )
    assert server.requests == []  # before any network traffic


# --- runs with nothing new ------------------------------------------------------------------


def test_a_run_where_every_feed_answers_304_writes_and_serialises_nothing(
    server: FeedServer, tmp_path: Path, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = [f for f in corpus(server) if f["name"] not in ("Broken", "Missing")]
    config_path = write_config(tmp_path, feeds)
    assert main(["fetch", "-q", "--config", str(config_path)]) == 0
    content = tmp_path / "content"
    before = stats(content)
    assert len([name for name in before if name.count("/") == 1]) == len(feeds)  # state files

    # Later: every feed answers 304 (the CLI, then the pipeline with counting seams).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch + 3600))
    served = len(server.requests)
    assert main(["fetch", "-q", "--config", str(config_path)]) == 0
    conditional = server.requests[served:]
    assert len(conditional) == len(feeds) and all("if-none-match" in r.headers for r in conditional)
    assert stats(content) == before

    loads: list[str] = []
    saves: list[str] = []

    def load(path: Path, slug: str) -> FeedCache:
        loads.append(slug)
        return load_cache(path, slug)

    def save(path: Path, cache: FeedCache, *, previous: FeedCache | None = None) -> FeedCache:
        saves.append(cache.slug)
        return save_cache(path, cache, previous=previous)

    config = load_config(config_path)
    later = datetime.fromtimestamp(epoch + 7200, UTC)
    report = pipeline.fetch(config, now=later, load=load, save=save)
    assert [r.outcome for r in report.feeds] == ["not_modified"] * len(feeds)
    assert sorted(loads) == sorted(f.slug for f in config.feeds)  # each cache loaded once
    assert saves == []  # nothing serialised
    assert stats(content) == before

    # A feed with a new post is saved, and only it.
    server.serve("/rss0", rss("RSS 0", "https://r0.example/", make_items("R0", 5, NOW)),
                 ETag='"r0-2"')  # fmt: skip
    report = pipeline.fetch(config, now=later, load=load, save=save)
    assert saves == ["rss-0"]
    changed = {k for k, v in stats(content).items() if before.get(k) != v}
    assert {Path(k).stem for k in changed} == {"rss-0"}  # its state file and its month file


# --- a killed run -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_killed_while_parsing_leaves_no_process_behind(
    server: FeedServer, tmp_path: Path, epoch: int
) -> None:
    """Its workers end with it: none keeps waiting for work, holding the run's output pipes
    open (a CI step would never finish). communicate() returns once every holder is gone."""
    config = write_config(tmp_path, corpus(server))
    proc = subprocess.Popen(
        digest_command("fetch", "-q", "--config", str(config), kill_at="write.temp:2"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, DIGEST_WORKERS="2"),
    )  # fmt: skip
    # The timeout only turns a hang (a worker left holding the pipes) into a failure.
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    saved = list((tmp_path / "content" / "feeds").rglob("*.json"))
    assert len(saved) == 1  # killed writing the second cache file (a month, then a state)


def test_fetched_bodies_wait_for_the_parser_a_few_at_a_time(server: FeedServer) -> None:
    """HTTP outruns parsing on a first run (2,000 feeds: 617 MB of bodies): fetches wait for
    a place, so the bodies fetched and not yet parsed and saved are a few, not every feed's."""
    feeds = []
    for n in range(40):
        body = rss(f"F {n}", f"https://f{n}.example/", make_items(f"F{n}", 2, NOW))
        feeds.append(FeedConfig(url=server.serve(f"/f{n}", body), name=f"F {n}", slug=f"f{n}"))
    settings = FetchConfig(workers=16, per_host=16)
    jobs = tuple((feed, HttpState()) for feed in feeds)
    with make_client("https://digest.example/", settings) as client:
        ready = pool.fetch_and_parse(
            jobs, client, settings, workers=1, needs_parse=lambda f, r: True, now=NOW
        )
        with closing(ready):
            next(ready)  # one feed handed over, and the caller busy with it
            # 16 fetch threads: without places, all 40 feeds are fetched meanwhile.
            # Wait until the requests stop coming (ten polls in a row with none new); a slow
            # machine may stop looking early, which can only make the count smaller.
            asked, quiet = len(server.requests), 0
            while quiet < 10:
                time.sleep(0.05)
                quiet = quiet + 1 if len(server.requests) == asked else 0
                asked = len(server.requests)
            assert asked <= pool.IN_HAND_PER_WORKER
            rest = list(ready)
    assert len(rest) == 39 and len(server.requests) == 40


def test_render_tasks_are_bounded_by_what_their_pages_show() -> None:
    """A task's pages are held whole in the worker and again in the parent: a chunk holds at
    most CHUNK pages and CHUNK_WEIGHT entries, and a page heavier than that goes alone."""
    weights = [1] * 50 + [5_000, 1, 1, 300, 300, 1]
    chunks = task_chunks(range(len(weights)), weights)
    assert [len(c) for c in chunks] == [40, 10, 1, 3, 2]
    assert [c for c in chunks if 50 in c] == [(50,)]
    assert [n for c in chunks for n in c] == list(range(len(weights)))


def _pid_and_double(n: int) -> tuple[int, int]:
    return os.getpid(), 2 * n


def test_render_workers_are_replaced_after_their_share_of_entries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forked worker copies each page of the parent's memory it reads (reference counts):
    it is replaced by a fresh one after RECYCLE_WEIGHT entries, so what it holds stays
    bounded; the results still come back whole and in order."""
    monkeypatch.setattr(render_workers, "RECYCLE_WEIGHT", 30)
    items = list(range(120))
    done = list(render_workers.map_in_order(_pid_and_double, items, 2, [3] * len(items)))
    assert [double for _, double in done] == [2 * n for n in items]
    pids = {pid for pid, _ in done}
    # Three tasks of 40 items (120 of weight), a pool for each past 2 x 30: three workers at
    # least, where one pool of two would have used two at most; never this process.
    assert len(pids) >= 3 and os.getpid() not in pids


# --- a bug for one feed is that feed's failure, never the build's (issue 20) ---------------

# Loaded by every Python process of the run below (the build, the fork server and its parse
# workers) from PYTHONPATH: the parser raises for the "bomb" feed, naming the process it ran in.
_INJECT = """
import os
import digest.parse

_real = digest.parse.parse_body

def parse_body(body, *, url, **kwargs):
    if url.endswith("/bomb"):
        raise ZeroDivisionError(f"injected in process {os.getpid()}")
    return _real(body, url=url, **kwargs)

digest.parse.parse_body = parse_body
"""


def three_feeds(server: FeedServer, start: datetime) -> list[dict[str, object]]:
    feeds: list[dict[str, object]] = []
    for name in ("Alpha", "Beta", "Bomb"):
        items = make_items(name, 3, start)
        server.serve(f"/{name.lower()}", rss(name, f"https://{name.lower()}.example/", items))
        feeds.append({"url": server.url(f"/{name.lower()}"), "name": name})
    return feeds


@pytest.mark.parametrize("workers", [1, 2])
def test_whatever_the_parser_raises_fails_only_that_feed(
    server: FeedServer, tmp_path: Path, workers: int
) -> None:
    """One of three feeds makes the parser raise (in a parse worker with 2 processes, in the
    build's own process with 1): the other two get their new posts, the bomb keeps its cached
    ones, and the summary, feeds.json and the health page name it as a bug in digest."""
    config = write_config(tmp_path, three_feeds(server, NOW))
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(int(NOW.timestamp())), DIGEST_WORKERS=str(workers))
    command = [sys.executable, "-m", "digest", "build", "--config", str(config)]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    bomb_cache = tree(tmp_path / "content" / "feeds")

    later = NOW + timedelta(hours=2)
    three_feeds(server, later)  # every feed has a new post (and so a new body)
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(_INJECT, encoding="utf-8")
    env.update(SOURCE_DATE_EPOCH=str(int(later.timestamp())), PYTHONPATH=str(tmp_path / "inject"))
    strict = ["--strict"] if workers == 1 else []
    proc = subprocess.Popen(
        [*command, *strict], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = proc.communicate(timeout=120)  # only so that a hang fails instead of hanging
    assert proc.returncode == (3 if strict else 0), err
    printed = out + err
    assert "Traceback" not in printed
    assert "Bomb" in printed and "This is a bug in digest" in printed, printed
    pid = int(printed.split("injected in process ")[1].split(",")[0])
    assert (pid == proc.pid) == (workers == 1), "parsed where the test meant it to be"

    site = tmp_path / "output"
    health = {f["name"]: f for f in json.loads((site / "feeds.json").read_bytes())["feeds"]}
    assert health["Alpha"]["status"] == health["Beta"]["status"] == "ok"
    assert health["Bomb"]["status"] == "failing"
    assert "This is a bug in digest" in health["Bomb"]["last_error"]
    assert "ZeroDivisionError: injected in process" in health["Bomb"]["last_error"]
    assert "This is a bug in digest" in page_text(site / "feeds" / "index.html")
    home = page_text(site / "index.html")
    assert "Alpha post 0" in home and "Beta post 0" in home  # the new posts of the others
    bomb_page = page_text(site / "sources" / "bomb" / "index.html")
    assert all(f"Bomb post {n}" in bomb_page for n in range(3)), "its cached posts stay"
    months = {k: v for k, v in tree(tmp_path / "content" / "feeds").items() if "/" in k}
    assert {k: v for k, v in months.items() if k.endswith("bomb.json")} == {
        k: v for k, v in bomb_cache.items() if "/" in k and k.endswith("bomb.json")
    }, "the bomb's cached posts are kept as they were"


def test_whatever_updating_raises_fails_only_that_feed(
    server: FeedServer, tmp_path: Path, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for a bug past the parser, in merging a feed's entries into its cache."""
    config = write_config(tmp_path, three_feeds(server, NOW))
    real = update._merged

    def merged(cache: FeedCache, parsed: Any, *args: Any) -> Any:
        if cache.slug == "bomb":
            raise KeyError("injected")
        return real(cache, parsed, *args)

    monkeypatch.setattr(update, "_merged", merged)
    assert main(["build", "-q", "--config", str(config)]) == 0
    site = tmp_path / "output"
    health = {f["name"]: f for f in json.loads((site / "feeds.json").read_bytes())["feeds"]}
    assert health["Alpha"]["status"] == health["Beta"]["status"] == "ok"
    assert "updating this feed (KeyError: 'injected'" in health["Bomb"]["last_error"]
    assert "Alpha post 2" in page_text(site / "index.html")


_KILL = """
import multiprocessing
import os
import signal
import time
import digest.parse

_real = digest.parse.parse_body

def parse_body(body, *, url, **kwargs):
    if url.endswith("/bomb") and multiprocessing.parent_process() is not None:
        time.sleep(0.5)  # the other feeds' parses done first, most of the time
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
    return _real(body, url=url, **kwargs)

digest.parse.parse_body = parse_body
"""


@pytest.mark.slow  # a pool broken and started again
def test_a_parse_worker_that_dies_fails_its_feed_and_the_build_goes_on(
    server: FeedServer, tmp_path: Path
) -> None:
    """A parse worker killed while parsing one feed (the OOM killer, a crash in C code): that
    feed fails as a bug in digest, a feed fetched after it is parsed in a new pool, the build
    exits 0. (A feed whose parse was in flight in the same pool fails with it, this run.)"""
    feeds = three_feeds(server, NOW)
    late = rss("Late", "https://late.example/", make_items("Late", 2, NOW))
    server.routes["/late"] = slow(late, 3.0)  # fetched once the first pool is broken
    feeds.append({"url": server.url("/late"), "name": "Late"})
    config = write_config(tmp_path, feeds)
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(_KILL, encoding="utf-8")
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(int(NOW.timestamp())), DIGEST_WORKERS="2")
    env["PYTHONPATH"] = str(tmp_path / "inject")
    proc = subprocess.run(
        [sys.executable, "-m", "digest", "build", "--config", str(config)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    health = {
        f["name"]: f for f in json.loads((tmp_path / "output" / "feeds.json").read_bytes())["feeds"]
    }
    assert health["Bomb"]["status"] == "failing"
    assert "BrokenProcessPool" in health["Bomb"]["last_error"]
    assert "This is a bug in digest" in health["Bomb"]["last_error"]
    assert health["Late"]["status"] == "ok" and health["Late"]["entries"] == 2
    for name in ("Alpha", "Beta"):  # parsed before the crash, or failed with it
        assert health[name]["status"] == "ok" or "BrokenProcessPool" in health[name]["last_error"]
