"""`paginate`: a listing's items sliced into its pages, the one rule every listing follows
(group's listings, the editions index; `Pagination` says what the numbers mean)."""

from __future__ import annotations

from digest import routes
from digest.models.paging import paginate


def listing(n: int) -> str:
    return routes.listing("tags/ai/", n)


def test_fewer_than_a_page_is_the_front_page_alone() -> None:
    [(path, pager, items)] = paginate(("c", "b", "a"), 4, listing)
    assert (path, items) == ("tags/ai/index.html", ("c", "b", "a"))
    assert (pager.number, pager.count, pager.front, pager.paths) == (0, 0, path, ())


def test_numbered_pages_count_from_the_oldest_and_the_front_shows_the_newest_full_one() -> None:
    items = tuple("gfedcba")  # newest first
    pages = paginate(items, 3, listing)
    assert [(path, pager.number, chunk) for path, pager, chunk in pages] == [
        ("tags/ai/index.html", 0, tuple("gfed")),  # not on a full page yet, and page 2
        ("tags/ai/page/1/index.html", 1, tuple("cba")),
        ("tags/ai/page/2/index.html", 2, tuple("fed")),
    ]
    assert {pager.count for _, pager, _ in pages} == {2}
    # One tuple of paths for the whole listing (render keys hash it once).
    assert len({id(pager.paths) for _, pager, _ in pages}) == 1


def test_a_numbered_page_keeps_its_items_when_new_ones_arrive() -> None:
    before = paginate(tuple("fedcba"), 3, listing)
    after = paginate(tuple("hgfedcba"), 3, listing)
    assert before[1:] == after[1:]
    assert after[0][2] == tuple("hgfed")
