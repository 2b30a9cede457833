"""Filters and limits: include, exclude, max_age_days, full_content per feed, max_per_source.

Projects are built offline from cache files written directly (as in test_incremental), so a
test's setup is its entries and its config; what is checked is what a reader sees on pages.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import tree, write_config
from test_incremental import entry

from digest.config import load_config
from digest.errors import ConfigError
from digest.feeds.store import cache_path, save_cache
from digest.models import Entry, FeedCache, FeedInfo
from digest.pipeline import build
from digest.site.group import make_site
from digest.write import STAMP

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
# An entry in full or as an excerpt, or a line of an older listing page.
TITLE = re.compile(
    r'(?:<h3[^>]* class="entry-title"[^>]*><a|<a class="entry-line") href="[^"]*">([^<]*)</a>'
)


def make(
    root: Path,
    feeds: dict[str, tuple[Entry, ...]],
    own: dict[str, dict[str, object]] | None = None,
    extra: str = "",
    **site: object,
) -> Path:
    """A project whose caches hold `feeds` (slug -> entries); `own`: a feed's own keys;
    `extra`: TOML appended (a [filters] table)."""
    configs = [
        {
            "url": f"https://{slug}.example/feed.xml",
            "name": slug.title(),
            **(own or {}).get(slug, {}),
        }
        for slug in feeds
    ]
    path = write_config(root, configs, **site)
    if extra:
        with path.open("a", encoding="utf-8") as f:
            f.write("\n" + extra)
    config = load_config(path)
    for slug, items in feeds.items():
        info = FeedInfo(url=f"https://{slug}.example/feed.xml", title=slug.title())
        save_cache(cache_path(config, slug), FeedCache(slug, info, entries=items))
    return path


def run(path: Path, now: datetime = NOW) -> Path:
    build(load_config(path), now=now, offline=True)
    return path.parent / "output"


def titles(page: Path) -> list[str]:
    return TITLE.findall(page.read_text(encoding="utf-8"))


def every_title(output: Path) -> set[str]:
    """Titles on any HTML page of the site."""
    return {t for page in output.rglob("*.html") for t in titles(page)}


def shown_in_full(page: Path) -> dict[str, bool]:
    """Each entry's title -> whether the page shows its whole content (else an excerpt)."""
    articles = page.read_text(encoding="utf-8").split("<article")[1:]
    return {TITLE.findall(a)[0]: 'class="entry-content"' in a for a in articles}


def drop_stamp(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name != STAMP}


def posts(source: str, count: int, hours: int = 5) -> tuple[Entry, ...]:
    return tuple(entry(source, n, NOW - timedelta(hours=hours * (n + 1))) for n in range(count))


# --- include / exclude ----------------------------------------------------------------------


def test_include_shows_only_matching_entries_everywhere(tmp_path: Path) -> None:
    path = make(
        tmp_path / "p",
        {"alpha": posts("alpha", 4), "beta": posts("beta", 3)},
        extra='[filters]\ninclude = ["post 1$", "(?i)POST 2$"]\n',
    )
    output = run(path)
    assert every_title(output) == {"alpha post 1", "alpha post 2", "beta post 1", "beta post 2"}
    assert titles(output / "sources" / "alpha" / "index.html") == ["alpha post 1", "alpha post 2"]


def test_exclude_matches_title_content_text_author_and_tags_of_its_feed_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base = posts("alpha", 6)
    alpha = (
        replace(base[0], title="SPAM offer"),
        replace(base[1], content_html="<p>Buy <b>SP</b>AM today.</p>"),  # the text, not HTML
        replace(base[2], author="SPAM bot"),
        replace(base[3], tags=("spam",)),  # case as the pattern says: (?i)
        base[4],
        replace(base[5], link="https://spam.example/"),  # the link is not searched
    )
    beta = (replace(posts("beta", 1)[0], title="SPAM is fine here"),)
    path = make(
        tmp_path / "p", {"alpha": alpha, "beta": beta}, own={"alpha": {"exclude": "(?i)spam"}}
    )
    with caplog.at_level(logging.DEBUG, logger="digest"):
        output = run(path)
    assert every_title(output) == {"alpha post 4", "alpha post 5", "SPAM is fine here"}
    assert "alpha: 4 entries not shown (exclude); they stay in the cache" in caplog.messages


def test_a_feeds_include_and_the_global_exclude_both_apply(tmp_path: Path) -> None:
    alpha = posts("alpha", 3)
    tagged = (replace(alpha[0], tags=("Keep",)), replace(alpha[1], tags=("Keep", "Drop")), alpha[2])
    path = make(
        tmp_path / "p",
        {"alpha": tagged, "beta": posts("beta", 2)},
        own={"alpha": {"include": ["^Keep$"]}},
        extra='[filters]\nexclude = "^Drop$"\n',
    )
    assert every_title(run(path)) == {"alpha post 0", "beta post 0", "beta post 1"}


# --- max_age_days -----------------------------------------------------------------------------


def test_max_age_days_drops_old_entries_and_a_later_day_drops_more(tmp_path: Path) -> None:
    days = (0, 1, 2, 3, 6)
    alpha = tuple(entry("alpha", d, NOW - timedelta(days=d)) for d in days)
    beta = tuple(entry("beta", d, NOW - timedelta(days=d)) for d in days)
    path = make(
        tmp_path / "p",
        {"alpha": alpha, "beta": beta},
        own={"beta": {"max_age_days": 5}},  # the feed's own wins over [filters]
        extra="[filters]\nmax_age_days = 2\n",
        timezone="UTC",
    )
    output = run(path)
    assert every_title(output) == {
        "alpha post 0", "alpha post 1", "alpha post 2",
        "beta post 0", "beta post 1", "beta post 2", "beta post 3",
    }  # fmt: skip
    assert titles(output / "2026" / "03" / "20" / "index.html") == ["beta post 3"]
    assert not (output / "2026" / "03" / "17").exists()
    # The same content and config two days later: the build is not skipped as unchanged.
    later = run(path, NOW + timedelta(days=2))
    assert every_title(later) == {
        "alpha post 0", "beta post 0", "beta post 1", "beta post 2", "beta post 3",
    }  # fmt: skip
    # ...and a later hour of that day has nothing new to render.
    again = build(load_config(path), now=NOW + timedelta(days=2, hours=5), offline=True)
    assert again.written.written == 0


def test_without_now_there_is_no_age_limit(tmp_path: Path) -> None:
    old = entry("alpha", 1, NOW - timedelta(days=400))
    path = make(tmp_path / "p", {"alpha": (old,)}, extra="[filters]\nmax_age_days = 1\n")
    config = load_config(path)
    caches = [FeedCache("alpha", entries=(old,))]
    assert make_site(config, caches, ()).entries == (old,)
    assert make_site(config, caches, (), now=NOW).entries == ()


# --- full_content per feed ---------------------------------------------------------------------


def test_a_feeds_full_content_overrides_the_sites_for_its_entries(tmp_path: Path) -> None:
    path = make(
        tmp_path / "p",
        {"alpha": posts("alpha", 2), "beta": posts("beta", 2), "gamma": posts("gamma", 2)},
        own={"alpha": {"full_content": "none"}, "beta": {"full_content": "all"}},
        per_page=10,
    )
    output = run(path)
    home = shown_in_full(output / "index.html")  # the site's "front": whole entries here...
    assert home == {
        "alpha post 0": False, "alpha post 1": False,  # ...but alpha's never on a listing
        "beta post 0": True, "beta post 1": True,
        "gamma post 0": True, "gamma post 1": True,
    }  # fmt: skip
    # Other listings show excerpts, beta's in full ("all").
    assert set(shown_in_full(output / "sources" / "beta" / "index.html").values()) == {True}
    assert set(shown_in_full(output / "sources" / "gamma" / "index.html").values()) == {False}
    month = shown_in_full(output / "2026" / "03" / "index.html")
    assert month["beta post 0"] and not month["alpha post 0"] and not month["gamma post 0"]
    # Day pages, each entry's canonical page, always show it whole.
    day = output / "2026" / "03" / "23" / "index.html"
    assert set(shown_in_full(day).values()) == {True}


def test_changing_a_feeds_full_content_rerenders_its_listings(tmp_path: Path) -> None:
    feeds = {"alpha": posts("alpha", 2), "beta": posts("beta", 2)}
    path = make(tmp_path / "p", feeds, per_page=10)
    output = run(path)
    assert shown_in_full(output / "index.html")["alpha post 0"]
    make(tmp_path / "p", feeds, own={"alpha": {"full_content": "none"}}, per_page=10)
    fresh = make(tmp_path / "q", feeds, own={"alpha": {"full_content": "none"}}, per_page=10)
    assert not shown_in_full(run(path) / "index.html")["alpha post 0"]
    # Incrementally rebuilt, byte for byte what a build from nothing gives.
    assert drop_stamp(tree(output)) == drop_stamp(tree(run(fresh)))


# --- max_per_source -----------------------------------------------------------------------------


def test_max_per_source_limits_one_source_on_the_home_page_only(tmp_path: Path) -> None:
    loud = posts("loud", 30, hours=1)  # hourly
    quiet = posts("quiet", 4, hours=7)
    path = make(
        tmp_path / "p",
        {"loud": loud, "quiet": quiet},
        extra="[filters]\nmax_per_source = 2\n",
        per_page=5,
    )
    output = run(path)
    home_pages = [output / "index.html", *(output / "page").glob("*/index.html")]
    on_home = [t for page in home_pages for t in titles(page)]
    # Every quiet post (also limited: never more than 2 in 5 in a row) is on the home page...
    assert {f"quiet post {n}" for n in range(4)} <= set(on_home)
    # ...and of any 5 posts in a row (by date, both feeds), at most 2 loud ones.
    everything = sorted(loud + quiet, key=lambda e: e.date)
    listed = [e.title in on_home and e.source == "loud" for e in everything]
    assert max(sum(listed[i : i + 5]) for i in range(len(listed))) == 2
    assert len(set(on_home)) < 34
    # Its other posts stay on its source, day and tag pages.
    source = [output / "sources" / "loud" / "index.html"]
    source += (output / "sources" / "loud" / "page").glob("*/index.html")
    assert {t for page in source for t in titles(page)} == {f"loud post {n}" for n in range(30)}
    assert {f"loud post {n}" for n in range(30)} <= every_title(output)


def test_a_feeds_max_per_source_overrides_the_global_one(tmp_path: Path) -> None:
    path = make(
        tmp_path / "p",
        {"loud": posts("loud", 5, hours=1), "other": posts("other", 5, hours=1)},
        own={"other": {"max_per_source": 5}},
        extra="[filters]\nmax_per_source = 1\n",
        per_page=10,
    )
    home = titles(run(path) / "index.html")
    assert sum(t.startswith("loud") for t in home) == 1
    assert sum(t.startswith("other") for t in home) == 5


# --- the cache keeps what filters hide -----------------------------------------------------------


def test_filtered_entries_stay_in_the_cache_and_come_back_without_fetching(
    tmp_path: Path,
) -> None:
    feeds = {"alpha": posts("alpha", 4), "beta": posts("beta", 2)}
    path = make(tmp_path / "p", feeds, own={"alpha": {"exclude": "post [0-2]$"}})
    content = tree(tmp_path / "p" / "content")
    assert "alpha post 0" not in every_title(run(path))
    assert tree(tmp_path / "p" / "content") == content  # nothing filtered out of the cache

    make(tmp_path / "p", feeds)  # the same caches, the filter removed; built offline
    assert {f"alpha post {n}" for n in range(4)} <= every_title(run(path))


# --- bad config ----------------------------------------------------------------------------------


def test_a_bad_regular_expression_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        [
            {"url": "https://a.example/feed", "name": "A"},
            {"url": "https://b.example/feed", "name": "B", "exclude": "([unclosed"},
            {"url": "https://c.example/feed", "name": "C", "full_content": "some"},
        ],
    )
    with path.open("a", encoding="utf-8") as f:
        f.write('\n[filters]\ninclude = ["ok", "*bad"]\nmax_age_days = 0\nmax_per_source = 2.5\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "feeds[1].exclude: not a valid regular expression: " in message
    assert "filters.include[1]: not a valid regular expression: nothing to repeat" in message
    assert "filters.max_age_days: must be a whole number" in message
    assert "filters.max_per_source: must be a whole number" in message
    assert 'feeds[2].full_content: must be "front", "all" or "none"' in message
    assert "filters.include[0]" not in message
