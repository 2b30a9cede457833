"""The site model from entries and config: tags, days, sources, pagination. Pure values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digest.models import (
    POSTS_SOURCE,
    Config,
    Entry,
    FeedCache,
    FeedConfig,
    HttpState,
    Page,
    Pagination,
    SiteConfig,
)
from digest.site.group import make_site
from digest.site.health import feed_health

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
EARLY = NOW - timedelta(days=30)
FEEDS = (
    FeedConfig(url="https://a.example/feed", name="A", slug="a", tags=("Science",)),
    FeedConfig(url="https://b.example/feed", name="B", slug="b"),
)


def config(timezone: str = "UTC", per_page: int = 20) -> Config:
    site = SiteConfig(
        title="Digest", base_url="https://digest.example/", timezone=timezone, per_page=per_page
    )
    return Config(path=Path("/nowhere/config.toml"), site=site, feeds=FEEDS)


def entry(
    id: str, when: datetime, source: str = "a", tags: tuple[str, ...] = (), slug: str | None = None
) -> Entry:
    return Entry(
        id=id,
        source=source,
        title=id,
        link=None if slug else f"https://{source}.example/{id}",
        author=None,
        published=when,
        updated=None,
        first_seen=max(when, NOW),  # a date after first seen would be clamped to it
        tags=tags,
        content_html="",
        slug=slug,
    )


def caches(*entries: Entry) -> tuple[FeedCache, ...]:
    return tuple(
        FeedCache(slug=f.slug, entries=tuple(e for e in entries if e.source == f.slug))
        for f in FEEDS
    )


def pages(site_pages: tuple[Page, ...], kind: str) -> list[Page]:
    return [p for p in site_pages if p.kind == kind]


# --- tags ------------------------------------------------------------------------------------


def test_tag_spellings_fold_onto_one_tag_named_by_the_most_used() -> None:
    entries = (
        entry("1", NOW, tags=("machine learning",)),
        entry("2", NOW - timedelta(hours=1), source="b", tags=("Machine  Learning",)),
        entry("3", NOW - timedelta(hours=2), source="b", tags=("Machine Learning", "ai")),
        entry("4", NOW - timedelta(hours=3), source="b", tags=("MACHINE LEARNING", "AI", "ai")),
    )
    site = make_site(config(), caches(*entries), ())
    by_slug = {t.slug: t for t in site.tags}
    ml = by_slug["machine-learning"]
    assert ml.name == "Machine Learning"  # two of four; ties go to the alphabetically first
    assert [e.id for e in ml.entries] == ["1", "2", "3", "4"]  # newest first
    assert [e.id for e in by_slug["ai"].entries] == ["3", "4"]  # "AI" twice on 4 counts once
    assert [t.name for t in site.tags_of(entries[3])] == ["ai", "Machine Learning"]


def test_a_feeds_configured_tags_apply_to_each_of_its_entries() -> None:
    site = make_site(config(), caches(entry("1", NOW, tags=("science",)), entry("2", EARLY)), ())
    assert [(t.name, len(t.entries)) for t in site.tags] == [("Science", 2)]
    assert [p.path for p in pages(site.pages, "tag")] == ["tags/science/index.html"]


# --- days and months in the site's timezone ---------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "when", "day"),
    [
        ("UTC", datetime(2026, 3, 21, 23, 30, tzinfo=UTC), date(2026, 3, 21)),
        ("Europe/Berlin", datetime(2026, 3, 21, 23, 30, tzinfo=UTC), date(2026, 3, 22)),
        ("Europe/Berlin", datetime(2026, 3, 21, 22, 59, tzinfo=UTC), date(2026, 3, 21)),
        ("America/New_York", datetime(2026, 3, 22, 3, 59, tzinfo=UTC), date(2026, 3, 21)),
        ("America/New_York", datetime(2026, 3, 22, 4, 0, tzinfo=UTC), date(2026, 3, 22)),
        # Summer time starts in Berlin on 29 March 2026: midnight is then 22:00 UTC.
        ("Europe/Berlin", datetime(2026, 3, 29, 22, 0, tzinfo=UTC), date(2026, 3, 30)),
    ],
)
def test_an_entry_is_on_its_day_in_the_site_timezone(
    timezone: str, when: datetime, day: date
) -> None:
    site = make_site(config(timezone), caches(entry("1", when)), ())
    (day_page,) = pages(site.pages, "day")
    assert day_page.period == day
    assert day_page.path == f"{day:%Y/%m/%d}/index.html"


def test_a_month_starts_at_midnight_in_the_site_timezone() -> None:
    new_year = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January in Berlin
    site = make_site(config("Europe/Berlin"), caches(entry("1", new_year)), ())
    assert [p.path for p in pages(site.pages, "month")] == ["2026/01/index.html"]
    assert site.months == ((date(2026, 1, 1), 1),)


def test_listings_group_entries_by_day_newest_first() -> None:
    entries = [entry(str(n), NOW - timedelta(hours=10 * n)) for n in range(6)]
    site = make_site(config(), caches(*entries), ())
    (home,) = pages(site.pages, "home")
    assert [(g.day.day, [e.id for e in g.entries]) for g in home.days] == [
        (23, ["0", "1"]),
        (22, ["2", "3"]),
        (21, ["4", "5"]),
    ]


# --- pagination ------------------------------------------------------------------------------


def shown(page: Page) -> list[str]:
    return [e.id for g in page.days for e in g.entries]


@pytest.mark.parametrize(
    ("count", "paths", "front"),
    [
        (0, ["index.html"], 0),  # an empty site still has a home page
        (2, ["index.html"], 2),
        (3, ["index.html", "page/1/index.html"], 3),
        (5, ["index.html", "page/1/index.html"], 5),  # the front: 2 new + the newest full page
        (6, ["index.html", "page/1/index.html", "page/2/index.html"], 3),
        (10, ["index.html", "page/1/index.html", "page/2/index.html", "page/3/index.html"], 4),
    ],
)
def test_numbered_pages_hold_per_page_entries_counted_from_the_oldest(
    count: int, paths: list[str], front: int
) -> None:
    entries = [entry(str(n), NOW - timedelta(minutes=n)) for n in range(count)]
    site = make_site(config(per_page=3), caches(*entries), ())
    home = pages(site.pages, "home")
    assert [p.path for p in home] == paths
    assert shown(home[0]) == [str(n) for n in range(front)]  # the newest, newest first
    for number, page in enumerate(home[1:], start=1):
        oldest = count - 3 * (number - 1)  # page 1 ends with the oldest entry
        assert shown(page) == [str(n) for n in range(oldest - 3, oldest)]


def test_numbered_pages_keep_their_entries_when_new_ones_arrive() -> None:
    before = [entry(str(n), EARLY + timedelta(minutes=n)) for n in range(7)]
    for new in range(1, 5):
        later = before + [entry(f"new{n}", NOW + timedelta(minutes=n)) for n in range(new)]
        old, now = (
            {p.path: p for p in pages(make_site(config(per_page=3), caches(*e), ()).pages, "home")}
            for e in (before, later)
        )
        for path, page in old.items():
            if path != "index.html":
                assert now[path].days == page.days, (new, path)


def test_pages_link_to_their_neighbours_newest_first() -> None:
    entries = [entry(str(n), NOW - timedelta(minutes=n)) for n in range(10)]
    site = make_site(config(per_page=3), caches(*entries), ())
    front, one, two, three = (p.pagination for p in pages(site.pages, "home"))
    assert front and one and two and three
    # The front shows 0-3 (page 3 is 1-3), so its next page is page 2.
    assert (front.prev_path, front.next_path) == (None, "page/2/index.html")
    assert (three.prev_path, three.next_path) == ("index.html", "page/2/index.html")
    assert (two.prev_path, two.next_path) == ("page/3/index.html", "page/1/index.html")
    assert (one.prev_path, one.next_path) == ("page/2/index.html", None)
    assert (one.first_path, one.last_path) == ("index.html", "page/1/index.html")


def test_the_page_number_window_shows_gaps_and_no_page_newer_than_the_next() -> None:
    paths = tuple(str(n) for n in range(1, 11))
    assert Pagination(0, 10, "f", paths).window() == (10, 9, 8, None, 1)
    assert Pagination(10, 10, "f", paths).window() == (10, 9, 8, None, 1)
    assert Pagination(6, 10, "f", paths).window() == (7, 6, 5, 4, None, 1)
    assert Pagination(3, 10, "f", paths).window() == (4, 3, 2, 1)
    assert Pagination(1, 1, "f", paths[:1]).window() == (1,)
    assert Pagination(0, 0, "f", ()).window() == ()
    # Page 6 of 10 and of 11 show the same numbers: a new page changes no older one.
    assert Pagination(6, 11, "f", (*paths, "11")).window() == (7, 6, 5, 4, None, 1)


# --- sources and posts -----------------------------------------------------------------------


def test_each_source_lists_its_own_entries_and_posts_come_last() -> None:
    post = entry("posts/hello", NOW - timedelta(days=1), POSTS_SOURCE, slug="hello")
    entries = (entry("a1", NOW), entry("b1", NOW - timedelta(hours=1), "b"), entry("a2", EARLY))
    site = make_site(config(), caches(*entries), (post,))
    assert [(s.slug, [e.id for e in s.entries]) for s in site.sources] == [
        ("a", ["a1", "a2"]),
        ("b", ["b1"]),
        (POSTS_SOURCE, ["posts/hello"]),
    ]
    assert [p.path for p in pages(site.pages, "post")] == ["posts/hello/index.html"]
    assert [e.id for e in site.entries] == ["a1", "b1", "posts/hello", "a2"]


def test_a_source_without_entries_still_has_a_page() -> None:
    site = make_site(config(), caches(entry("a1", NOW)), ())
    assert [p.path for p in pages(site.pages, "source")] == [
        "sources/a/index.html",
        "sources/b/index.html",
    ]


def test_feed_health_in_words() -> None:
    failing = HttpState(
        status="error",
        failures=3,
        failing_since=datetime(2026, 3, 22, 9, 0, tzinfo=UTC),
        next_due=datetime(2026, 3, 23, 13, 0, tzinfo=UTC),
    )
    health = feed_health(config(), (FeedCache("a", http=failing), FeedCache("b")))
    assert [(h.slug, h.status, h.summary) for h in health] == [
        (
            "a",
            "failing",
            "failing 3 times since 2026-03-22 09:00 UTC; backing off until 2026-03-23 13:00 UTC",
        ),
        ("b", "new", "not fetched yet"),
    ]
    assert [h.needs_attention for h in health] == [True, False]
