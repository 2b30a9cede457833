"""The site model from entries and config: tags, days, sources, pagination. Pure values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digest.group import feed_health, make_site
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
    site = make_site(config(), caches(entry("1", NOW, tags=("science",))), ())
    assert [(t.name, len(t.entries)) for t in site.tags] == [("Science", 1)]
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


@pytest.mark.parametrize(
    ("count", "paths"),
    [
        (0, ["index.html"]),  # an empty site still has a home page
        (3, ["index.html"]),
        (4, ["index.html", "page/2/index.html"]),
        (9, ["index.html", "page/2/index.html", "page/3/index.html"]),
    ],
)
def test_home_pages_hold_per_page_entries_each(count: int, paths: list[str]) -> None:
    entries = [entry(str(n), NOW - timedelta(minutes=n)) for n in range(count)]
    site = make_site(config(per_page=3), caches(*entries), ())
    home = pages(site.pages, "home")
    assert [p.path for p in home] == paths
    shown = [e.id for p in home for g in p.days for e in g.entries]
    assert shown == [str(n) for n in range(count)]  # every entry once, in order


def test_pages_link_to_their_neighbours() -> None:
    entries = [entry(str(n), NOW - timedelta(minutes=n)) for n in range(5)]
    site = make_site(config(per_page=2), caches(*entries), ())
    first, middle, last = pages(site.pages, "home")
    assert first.pagination and middle.pagination and last.pagination
    assert (first.pagination.prev_path, first.pagination.next_path) == (None, "page/2/index.html")
    assert (middle.pagination.prev_path, middle.pagination.next_path) == (
        "index.html",
        "page/3/index.html",
    )
    assert (last.pagination.prev_path, last.pagination.next_path) == ("page/2/index.html", None)


def test_the_page_number_window_shows_gaps() -> None:
    paths = tuple(str(n) for n in range(1, 11))
    assert Pagination(1, 10, paths).window() == (1, 2, 3, None, 10)
    assert Pagination(6, 10, paths).window() == (1, None, 4, 5, 6, 7, 8, None, 10)
    assert Pagination(4, 10, paths).window() == (1, 2, 3, 4, 5, 6, None, 10)
    assert Pagination(1, 1, paths[:1]).window() == (1,)


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
