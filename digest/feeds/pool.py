"""Fetching on threads, parsing on every core: each feed handed back as soon as it is ready.

Part of the pipeline's wiring, between `fetch` and `update`. HTTP mostly waits, so it runs on
threads (`fetch.submit_fetches`, bounded per host as ever). feedparser and the sanitiser are
most of a cold run's CPU and the GIL keeps threads from sharing it out, so the bodies that
need parsing go to a process pool (a lone one stays here: `ParsePool`). Only plain values
cross the process boundary: a `Response` (body bytes, URL, headers), the feed's slug and
`now` one way; a `ParsedFeed` or a `ParseFailure` back. Parsing is pure, so where a body was
parsed cannot change what came of it: a run is byte-identical with any number of processes.
Updating and saving stay in the calling thread, one feed at a time, in the order feeds
finish (which nothing may depend on).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable, Generator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from queue import SimpleQueue
from typing import Any

import httpx

from digest.errors import FeedError, bug_message
from digest.feeds.fetch import submit_fetches
from digest.feeds.update import Parsed, ParseFailure
from digest.models import FeedConfig, FetchConfig, HttpState, Response

# Fetched responses waiting to be parsed and saved, per parsing process (see fetch_and_parse).
IN_HAND_PER_WORKER = 4
# A feed ready for `update.refresh`: what was fetched and, when it needed parsing, the result.
Ready = tuple[FeedConfig, Response, Parsed | None]


def parse_response(response: Response, source: str, now: datetime) -> Parsed:
    """parse, its failure turned into a value; top-level, so a worker process can run it.
    A FeedError is the feed's fault; anything else is a bug in digest, and still only this
    feed's failure: the build goes on with every other feed."""
    # Imported here: the parsers (feedparser, lxml) are ~0.1 s to load, and a run whose feeds
    # all answer 304 parses nothing. The fork server loads them once for every worker.
    from digest.parse import parse_body

    try:
        return parse_body(
            response.body, url=response.url, headers=response.headers, source=source, now=now
        )
    except FeedError as e:
        return ParseFailure(str(e))
    except Exception as e:  # a bug (an OverflowError deep in a parser): this feed's failure
        return ParseFailure(bug_message("reading", e))


class ParsePool:
    """Parses bodies in up to `workers` processes, started only once two bodies need it.

    Starting processes costs more than parsing one feed, and a run often has one changed feed
    among many that answer 304. So the first body is held back: a second one starts the pool
    and both go to it; if none comes, `flush` (no more bodies) parses it right here. With
    one worker, every body is parsed right here, at once.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._held: tuple[Future[Parsed], Response, str, datetime] | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def submit(self, response: Response, source: str, now: datetime) -> Future[Parsed]:
        if self.workers <= 1:
            return _parsed_here(response, source, now)
        if self._pool is None and self._held is None:
            later: Future[Parsed] = Future()
            self._held = (later, response, source, now)
            return later
        if self._held is not None:
            later, first, first_source, first_now = self._held
            self._held = None
            _forward(self._submit(first, first_source, first_now), later)
        return self._submit(response, source, now)

    def _submit(self, response: Response, source: str, now: datetime) -> Future[Parsed]:
        if self._pool is not None:
            try:
                return self._pool.submit(parse_response, response, source, now)
            except BrokenProcessPool:
                # A worker died (killed, out of memory, a crash in C code): the feeds it
                # had failed with that; the next ones get a new pool.
                self._pool.shutdown(wait=False)
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=_context(), initializer=_end_with_parent
        )
        return self._pool.submit(parse_response, response, source, now)

    def flush(self) -> None:
        """No more bodies will come: the one held back, if any, is parsed here."""
        if self._held is not None:
            later, response, source, now = self._held
            self._held = None
            later.set_result(parse_response(response, source, now))

    def close(self, cancel: bool = False) -> None:
        self._held = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None


def _parsed_here(response: Response, source: str, now: datetime) -> Future[Parsed]:
    here: Future[Parsed] = Future()
    here.set_result(parse_response(response, source, now))
    return here


def _forward(source: Future[Parsed], target: Future[Parsed]) -> None:
    """When `source` is done, `target` has its result (or its exception)."""

    def copy(done: Future[Parsed]) -> None:
        error = done.exception()
        if error is not None:
            target.set_exception(error)
        else:
            target.set_result(done.result())

    source.add_done_callback(copy)


def _failure(error: BaseException) -> ParseFailure:
    """The feed whose parse ended in `error` (its worker died, or its result could not come
    back) failed this run, and only it."""
    return ParseFailure(bug_message("reading", error))


def _context() -> multiprocessing.context.BaseContext:
    # Not fork: the fetch threads are running, and a fork copies whatever locks they hold.
    # The fork server is one clean process that imports the parser once; each worker is a
    # cheap fork of it. (Windows has only spawn.)
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "digest.parse"])
    return context


def _end_with_parent() -> None:
    """In each worker: exit once the process that started the pool is gone. Killed (kill -9,
    the OOM killer), it cannot tell its workers; they would wait for work forever, holding
    its output pipes open (a CI step, a test's subprocess.run, would never end). Ctrl-C is
    the parent's to handle: it stops the pool, without a traceback from every worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def fetch_and_parse(
    jobs: tuple[tuple[FeedConfig, HttpState], ...],
    client: httpx.Client,
    settings: FetchConfig,
    *,
    workers: int,
    needs_parse: Callable[[FeedConfig, Response], bool],
    now: datetime,
) -> Generator[Ready, None, None]:
    """Each feed, in the calling thread, as soon as it is fetched and (when `needs_parse`
    says so) parsed, so its cache can be saved at once: a run killed part-way keeps what it
    had. Close the iterator when stopping early (`contextlib.closing`): pending work is
    cancelled and the threads and processes end."""
    finished: SimpleQueue[Future[Any]] = SimpleQueue()
    threads = ThreadPoolExecutor(max_workers=settings.workers)
    parser = ParsePool(workers)
    # Responses in hand at once, fetched and not yet parsed and saved. HTTP outruns parsing
    # on a first run: unbounded, every body (617 MB at 2,000 feeds) waited in memory for the
    # parser. Enough to keep every parser busy and the next bodies coming.
    room = threading.Semaphore(IN_HAND_PER_WORKER * max(workers, 1))
    complete = False
    try:
        fetching = submit_fetches(jobs, client, settings, threads, room)
        parsing: dict[Future[Parsed], tuple[FeedConfig, Response]] = {}
        for future in fetching:
            future.add_done_callback(finished.put)
        while fetching or parsing:
            done = finished.get()
            if done in fetching:
                feed, response = fetching.pop(done), done.result()
                if needs_parse(feed, response):
                    job = parser.submit(response, feed.slug, now)
                    parsing[job] = (feed, response)
                    job.add_done_callback(finished.put)  # at once when already done
                else:
                    yield feed, response, None
                    room.release()
                if not fetching:
                    parser.flush()
            else:
                feed, response = parsing.pop(done)
                error = done.exception()  # parse_response returns failures: a dead worker
                yield feed, response, done.result() if error is None else _failure(error)
                room.release()
        complete = True
    finally:
        room.release(settings.workers)  # no fetch left waiting for a place, whatever happened
        threads.shutdown(wait=True, cancel_futures=not complete)
        parser.close(cancel=not complete)
