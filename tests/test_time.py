"""Time as a way in: year pages, the archive's months, day pages linked to their neighbours.

Projects are built offline from cache files written directly (as in test_incremental), in
the site timezone Europe/Berlin, with 5 entries per listing page.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from helpers import tree, write_config

from digest.config import load_config
from digest.feeds.store import cache_path, load_cache, save_cache
from digest.models import Entry, FeedCache, FeedInfo
from digest.pipeline import build

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


def entry(n: int, when: datetime) -> Entry:
    return Entry(
        id=f"https://a.example/posts/{n}",
        source="a",
        title=f"Post {n}",
        link=f"https://a.example/posts/{n}",
        author=None,
        published=when,
        updated=None,
        first_seen=when,
        tags=(),
        content_html=f"<p>Body of post {n}.</p>",
    )


# Three days in March 2026 (the 5th, the 10th, the 21st), one in December 2025 and, across
# the turn of the year in Berlin, 2025-12-31 23:30 UTC is 2026-01-01.
DATES = [
    datetime(2026, 3, 21, 9, 0, tzinfo=UTC),
    datetime(2026, 3, 21, 8, 0, tzinfo=UTC),
    datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
    datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2025, 12, 2, 9, 0, tzinfo=UTC),
]


def project(root: Path, items: list[Entry]) -> Path:
    path = write_config(root, [{"url": "https://a.example/feed.xml", "name": "A"}])
    config = load_config(path)
    info = FeedInfo(url="https://a.example/feed.xml", title="A")
    save_cache(cache_path(config, "a"), FeedCache("a", info, entries=tuple(items)))
    return path


def run(path: Path) -> dict[str, str]:
    build(load_config(path), now=NOW, offline=True)
    return {k: v.decode() for k, v in tree(path.parent / "output").items() if k.endswith(".html")}


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def rel(html: str, kind: str) -> str | None:
    found = re.search(rf'<link rel="{kind}" href="([^"]+)">', html)
    return found.group(1) if found else None


def section(html: str, css_class: str) -> str:
    found = re.search(rf'<(nav|section) class="{css_class}".*?</\1>', html, re.S)
    assert found, css_class
    return found.group(0)


def test_a_year_page_lists_its_months_and_days_with_counts_and_no_entries(
    tmp_path: Path,
) -> None:
    site = run(project(tmp_path, [entry(n, d) for n, d in enumerate(DATES)]))
    year = site["2026/index.html"]
    months = section(year, "year-months")
    assert 'href="../2026/03/index.html"' in months
    assert re.findall(
        r'<a href="\.\./2026/(\d\d)/index.html">[^<]+</a> <span class="count">\((\d+)\)', months
    ) == [("03", "4"), ("01", "1")]  # newest first
    days = re.findall(
        r'href="\.\./(2026/\d\d/\d\d)/index.html"><time[^>]*>[^<]+</time></a>'
        r' <span class="count">\((\d+)\)',
        months,
    )
    assert [day for day, _ in days] == sorted({day for day, _ in days}, reverse=True)
    assert sum(int(n) for _, n in days) == 5  # every day of the year, each with its count
    # The entries are on the day and month pages: the year page is no third copy of them.
    assert 'class="entry-title"' not in year and "Body of post 0." not in year
    # 2025 keeps its last entry: it is 2026 in the site's timezone.
    assert "(1)" in section(site["2025/index.html"], "year-months")
    trail = section(year, "breadcrumb")
    assert text(trail) == "Home Archive 2026"


def test_the_archive_lists_every_month_newest_first_with_counts(tmp_path: Path) -> None:
    archive = run(project(tmp_path, [entry(n, d) for n, d in enumerate(DATES)]))[
        "archive/index.html"
    ]
    main = archive[archive.index("<main") : archive.index("</main>")]
    assert text(main) == ("Archive 2026 March 2026 (4) January 2026 (1) 2025 December 2025 (1)")
    assert '<a href="../2026/index.html">2026</a>' in main
    assert '<a href="../2025/index.html">2025</a>' in main


def test_day_pages_link_to_the_nearest_days_with_entries(tmp_path: Path) -> None:
    site = run(project(tmp_path, [entry(n, d) for n, d in enumerate(DATES)]))
    first, middle, last = (
        site["2025/12/02/index.html"],
        site["2026/03/10/index.html"],
        site["2026/03/21/index.html"],
    )
    # The first day has only a next, the last only a previous; days without entries are
    # skipped (nothing between the 10th and the 21st).
    assert (rel(first, "prev"), rel(first, "next")) == (None, "../../../2026/01/01/index.html")
    assert (rel(middle, "prev"), rel(middle, "next")) == (
        "../../../2026/03/05/index.html",
        "../../../2026/03/21/index.html",
    )
    assert (rel(last, "prev"), rel(last, "next")) == ("../../../2026/03/10/index.html", None)
    # And visible, in words, in the page.
    nav = section(middle, "day-nav")
    assert text(nav) == "‹ Previous day: March 5, 2026 Next day: March 21, 2026 ›"
    assert 'rel="prev"' in nav and 'rel="next"' in nav
    assert "day-nav" in first and 'rel="prev"' not in section(first, "day-nav")
    assert text(section(middle, "breadcrumb")) == ("Home Archive 2026 March 2026 March 10, 2026")
    assert 'href="../../../2026/index.html"' in section(middle, "breadcrumb")


def test_a_new_day_re_renders_the_day_before_it(tmp_path: Path) -> None:
    path = project(tmp_path / "p", [entry(n, d) for n, d in enumerate(DATES)])
    before = run(path)
    assert rel(before["2026/03/21/index.html"], "next") is None

    config = load_config(path)
    cache = load_cache(cache_path(config, "a"), "a")
    new = entry(99, datetime(2026, 3, 23, 9, 0, tzinfo=UTC))
    save_cache(cache_path(config, "a"), FeedCache("a", cache.feed, entries=(new, *cache.entries)))
    after = run(path)
    assert rel(after["2026/03/21/index.html"], "next") == "../../../2026/03/23/index.html"
    assert rel(after["2026/03/23/index.html"], "prev") == "../../../2026/03/21/index.html"
    assert after["2026/03/10/index.html"] == before["2026/03/10/index.html"]

    # Byte for byte what a build into an empty folder gives.
    shutil.copytree(path.parent, tmp_path / "fresh", ignore=shutil.ignore_patterns("output"))
    assert run(tmp_path / "fresh" / "config.toml") == after
