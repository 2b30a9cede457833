"""A paginated listing's pages, sliced in one place for every listing: group's (home, months,
tags, sources) and the editions index. Pure.

It sits beside `Pagination`, whose rule it applies, in models: the one package both `site`
and `editions` may import (neither may import the other, nor render). Models import nothing
of digest's, so the caller says where page n lives (`routes.listing` of its folder).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from digest.models.site import Pagination

T = TypeVar("T")


def paginate(
    items: tuple[T, ...], per_page: int, path: Callable[[int], str]
) -> list[tuple[str, Pagination, tuple[T, ...]]]:
    """The pages of a listing of `items` (newest first), the front page first, then numbered
    pages 1 (the oldest) up: each page's output path (`path(number)`), its `Pagination` and
    its items. Numbered page n holds the n-th `per_page` items counted from the oldest; the
    front the newest full page and the items not on a full page yet (all of them while there
    are fewer than `per_page`)."""
    total = len(items)
    count = total // per_page
    front = path(0)
    paths = tuple(path(n) for n in range(1, count + 1))
    # Items are newest first: numbered page n is the n-th slice from the end.
    chunks = [items[: total - (count - 1) * per_page] if count else items]
    chunks += [
        items[total - n * per_page : total - (n - 1) * per_page] for n in range(1, count + 1)
    ]
    return [
        (front if n == 0 else paths[n - 1], Pagination(n, count, front, paths), chunk)
        for n, chunk in enumerate(chunks)
    ]
