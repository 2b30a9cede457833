"""Part of stage 7, render: one function applied to many items in forked worker processes,
the results handed back in order. Computes only; the caller writes.

Workers are forked, not spawned: they start with the parent's memory (the site, the Jinja
environment with its compiled templates), so nothing large is pickled to them, only item
numbers in and results out. Forking is safe only in a process with one thread, and only on
Linux (macOS may crash a forked child), so `can_fork` says when to use this at all.

Also `no_cycle_collection`, under which a build plans its site: CPython's cycle collector,
paused or frozen, is what forked workers inherit, so it is managed here beside them.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from digest.errors import DigestError

T = TypeVar("T")
CHUNK = 40  # items a worker handles per task: few, so finished results wait little in memory
# ...and the weight of a task (render: the entries its pages show). A day page of a busy
# digest shows 1,600 entries (11 MB of HTML at 100k entries): forty of those in one task were
# 440 MB held in the worker, in its pickle and again in the parent.
CHUNK_WEIGHT = 400
# A forked worker shares the parent's memory until it writes to it, and reading an object
# writes its reference count: each entry a worker renders copies the pages that entry sits
# on into the worker. Over a cold build of 100,000 entries that was about 500 MB a worker, on
# top of the parent's 1.3 GB. Replaced after rendering this much weight (entries shown),
# a worker holds at most that many entries' pages; forking a new one costs a few ms.
RECYCLE_WEIGHT = 20_000

# The function a worker applies, set once by `_start` (a pool's initializer is the one place
# per worker to set it; under fork it arrives without being pickled).
_work: Callable[[int], Any] | None = None

WORKERS_ENV = "DIGEST_WORKERS"


def worker_count(env: Mapping[str, str] = os.environ) -> int:
    """Processes to parse and render in: DIGEST_WORKERS, else one per core."""
    raw = env.get(WORKERS_ENV, "").strip()
    if not raw:
        return os.cpu_count() or 1
    if not raw.isdigit() or int(raw) < 1:
        raise DigestError(f"{WORKERS_ENV}={raw!r}: expected a number of processes, 1 or more")
    return int(raw)


def can_fork() -> bool:
    """`digest serve` has threads (it renders in-process); a spawned worker would import
    `python -m digest`'s __main__, which runs the command line."""
    return sys.platform == "linux" and threading.active_count() == 1


def map_in_order(
    work: Callable[[int], T],
    items: Sequence[int],
    workers: int,
    weights: Sequence[int] | None = None,
) -> Iterator[T]:
    """`work(item)` for every item, computed by `workers` forked processes, yielded in the
    order of `items`. At most two chunks per worker are in flight, so results wait in memory
    only until the caller takes them. A chunk holds at most CHUNK items and, with `weights`
    (one per item, e.g. its entries), at most CHUNK_WEIGHT of weight unless one item alone
    weighs more. The workers are replaced by fresh ones after each RECYCLE_WEIGHT of weight
    apiece (see there)."""
    weights = weights or [1] * len(items)
    weight_of = dict(zip(items, weights, strict=True))
    batch: list[tuple[int, ...]] = []
    held = 0
    for chunk in task_chunks(items, weights):
        batch.append(chunk)
        held += sum(weight_of[item] for item in chunk)
        if held >= RECYCLE_WEIGHT * workers:
            yield from _in_pool(work, batch, workers)
            batch, held = [], 0
    if batch:
        yield from _in_pool(work, batch, workers)


def _in_pool(
    work: Callable[[int], T], chunks: Sequence[tuple[int, ...]], workers: int
) -> Iterator[T]:
    """The chunks' results, in order, from a pool of `workers` forked for them alone."""
    todo = iter(chunks)
    # Workers share the build's objects (the site) copy-on-write; a collection in a worker
    # would touch the header of each one, copying every page of them. Frozen, they are left
    # out of every collection, in the workers and here, until the pool is done.
    gc.freeze()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start,
        initargs=(work,),
    )
    try:
        pending = deque(pool.submit(_chunk, c) for c in itertools.islice(todo, 2 * workers))
        while pending:
            done: list[T] = pending.popleft().result()
            for chunk in itertools.islice(todo, 1):
                pending.append(pool.submit(_chunk, chunk))
            yield from done
    finally:
        pool.shutdown(cancel_futures=True)
        gc.unfreeze()


def task_chunks(items: Sequence[int], weights: Sequence[int]) -> list[tuple[int, ...]]:
    """`items` in order, cut into the tasks `map_in_order` hands out (see there)."""
    chunks: list[tuple[int, ...]] = []
    chunk: list[int] = []
    weight = 0
    for item, item_weight in zip(items, weights, strict=True):
        if chunk and (len(chunk) == CHUNK or weight + item_weight > CHUNK_WEIGHT):
            chunks.append(tuple(chunk))
            chunk, weight = [], 0
        chunk.append(item)
        weight += item_weight
    if chunk:
        chunks.append(tuple(chunk))
    return chunks


def _start(work: Callable[[int], Any]) -> None:
    global _work
    _work = work
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()


def _exit_with(parent: int) -> None:
    """A worker waits for tasks on a pipe its siblings also hold open, so when the build is
    killed (kill -9, an OOM killer) it would wait forever: it leaves when its parent has."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _chunk(items: tuple[int, ...]) -> list[Any]:
    assert _work is not None, "_start runs first in every worker"
    return [_work(item) for item in items]


@contextmanager
def no_cycle_collection(freeze: bool = False) -> Iterator[None]:
    """Without CPython's collector of reference cycles. Planning makes millions of objects
    that live until the site is written, and the collector walked them all again each time
    they grew by a quarter: 11 times, a third of planning 100,000 entries (8.2 s, 5.1 s
    without). Reference counting still frees what is let go; the cycles made meanwhile (694
    objects there) wait for the next collection. Not for rendering: forked workers would
    inherit it paused. `freeze`: what was made then stays out of the collector's walks
    (`gc.freeze`; one more walk took 0.95 s) until the caller unfreezes it, once let go."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if enabled and freeze:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()
