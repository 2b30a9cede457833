"""Editions (issue 13): daily and weekly digests closed at the site's day boundaries, recorded
once in content/editions/, shown on their own pages and in their own feeds.

Projects are built offline from cache files written directly (as in test_incremental), with
a fake clock: `now` is handed to `build` as the CLI hands it SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from atomcheck import check_atom_rules
from helpers import FeedServer, tree, write_config
from hostile_helpers import validate_atom_files

from digest.cli import main
from digest.config import load_config
from digest.editions import excerpt
from digest.errors import ConfigError
from digest.feeds.store import cache_path, load_cache, save_cache
from digest.models import Entry, FeedCache, FeedInfo
from digest.pipeline import build

BASE = "https://example.github.io/digest/"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def post(n: int, published: str, seen: str | None = None, **fields: object) -> Entry:
    """Post `n` of feed "alpha", published at `published` (UTC), first seen at `seen`
    (default: ten minutes later)."""
    when = at(published)
    values: dict[str, object] = {
        "id": f"https://alpha.example/{n}",
        "source": "alpha",
        "title": f"Post number {n}",
        "link": f"https://alpha.example/{n}",
        "author": "Ann Author",
        "published": when,
        "updated": None,
        "first_seen": at(seen) if seen else when + timedelta(minutes=10),
        "tags": (),
        "content_html": f"<p>Words of post {n}. " + "More words here. " * 30 + "</p>",
    }
    values.update(fields)
    return Entry(**values)  # type: ignore[arg-type]


def project(root: Path, posts: list[Entry] | None, editions: str = "", **site: object) -> Path:
    """A project with feed "alpha" holding `posts` (None: no cache) and `[editions]` set to
    `editions`."""
    settings = {"timezone": "Europe/Moscow", "base_url": BASE, **site}
    path = write_config(
        root, [{"url": "https://alpha.example/feed.xml", "name": "Alpha"}], **settings
    )
    path.write_text(path.read_text() + "\n[editions]\n" + editions + "\n")
    if posts is not None:
        set_posts(path, posts)
    return path


def set_posts(path: Path, posts: list[Entry]) -> None:
    config = load_config(path)
    info = FeedInfo(url="https://alpha.example/feed.xml", title="Alpha")
    save_cache(cache_path(config, "alpha"), FeedCache("alpha", info, entries=tuple(posts)))


def add_post(path: Path, new: Entry) -> None:
    config = load_config(path)
    cache = load_cache(cache_path(config, "alpha"), "alpha")
    save_cache(cache_path(config, "alpha"), replace(cache, entries=(new, *cache.entries)))


def run(path: Path, now: str) -> None:
    build(load_config(path), now=at(now), offline=True)


def recorded(path: Path, kind: str = "daily") -> dict[str, dict[str, object]]:
    """The closed editions on disk: key -> the JSON's data."""
    folder = path.parent / "content" / "editions" / kind
    return {f.stem: json.loads(f.read_bytes()) for f in sorted(folder.glob("*.json"))}


def newest_empty(path: Path) -> dict[str, dict[str, object]]:
    """content/editions/empty.json: kind -> the newest edition with no posts (no file)."""
    empty = path.parent / "content" / "editions" / "empty.json"
    return json.loads(empty.read_bytes()) if empty.exists() else {}


def titles(refs: object) -> list[str]:
    assert isinstance(refs, list)
    return [r["id"].rsplit("/", 1)[1] for r in refs]


def page(path: Path, output_path: str) -> str:
    return (path.parent / "output" / output_path).read_text(encoding="utf-8")


# Three days of posts around Moscow's (UTC+3) midnights and UTC's.
THREE_DAYS = [
    post(1, "2026-11-23T20:30:00"),  # 23:30 in Moscow on the 23rd
    post(2, "2026-11-23T21:30:00"),  # 00:30 in Moscow on the 24th; the 23rd in UTC
    post(3, "2026-11-24T12:00:00"),
    post(4, "2026-11-25T22:00:00"),  # 01:00 in Moscow on the 26th; the 25th in UTC
]


@pytest.mark.parametrize(
    ("timezone", "expected", "last_close"),
    [
        # The 26th in Moscow ends at 21:00 UTC; its edition closes 6 h later.
        ("Europe/Moscow", {"2026-11-23": ["1"], "2026-11-24": ["3", "2"], "2026-11-25": [],
                           "2026-11-26": ["4"]}, "2026-11-27T03:00:00"),
        ("UTC", {"2026-11-23": ["2", "1"], "2026-11-24": ["3"], "2026-11-25": ["4"]},
         "2026-11-26T06:00:00"),
    ],
)  # fmt: skip
def test_daily_editions_split_at_the_site_timezones_midnight(
    tmp_path: Path, timezone: str, expected: dict[str, list[str]], last_close: str
) -> None:
    path = project(tmp_path / "p", THREE_DAYS, "weekly = false", timezone=timezone)
    with_posts = {key: posts for key, posts in expected.items() if posts}
    just_before = (at(last_close) - timedelta(seconds=1)).isoformat()[:19]
    run(path, just_before)
    assert sorted(recorded(path)) == sorted(with_posts)[:-1]  # the last one is not due yet

    run(path, last_close)

    editions = recorded(path)
    assert {key: titles(e["entries"]) for key, e in editions.items()} == with_posts
    assert all(e["late"] == [] and e["closed_at"] for e in editions.values())
    # A day with no posts leaves no file (skip_empty): empty.json names the newest such day.
    empty_days = [key for key, posts in expected.items() if not posts]
    assert [e["key"] for e in newest_empty(path).values()] == empty_days[-1:]
    # A day with no posts has no page (skip_empty), the others one each, linked both ways.
    output = path.parent / "output" / "editions" / "daily"
    shown = sorted(p.name for p in output.iterdir() if p.is_dir())
    assert shown == [key for key, posts in expected.items() if posts]
    day = shown[0]
    assert "Post number 1" in page(path, f"editions/daily/{day}/index.html")
    day_page = page(path, f"{day.replace('-', '/')}/index.html")
    assert f'editions/daily/{day}/index.html">Daily edition: ' in day_page


def test_a_post_fetched_after_its_day_closed_arrives_late_and_the_closed_edition_stays(
    tmp_path: Path,
) -> None:
    path = project(tmp_path / "p", [post(1, "2026-11-24T09:00:00")], "weekly = false")
    run(path, "2026-11-25T04:00:00")  # the 24th (Moscow) closed at 03:00 UTC on the 25th
    closed = path.parent / "content" / "editions" / "daily" / "2026-11-24.json"
    edition_page = path.parent / "output" / "editions" / "daily" / "2026-11-24" / "index.html"
    json_bytes, page_bytes = closed.read_bytes(), edition_page.read_bytes()

    # Published at 23:50 in Moscow on the 24th, fetched after its edition closed; and a post
    # from a month ago, fetched then too (a feed's history): no news, only on its day page.
    add_post(path, post(2, "2026-11-24T20:50:00", seen="2026-11-25T05:00:00"))
    add_post(path, post(3, "2026-10-24T20:50:00", seen="2026-11-25T05:00:00"))
    run(path, "2026-11-25T05:00:00")

    assert closed.read_bytes() == json_bytes
    assert edition_page.read_bytes() == page_bytes
    assert "Post number 2" in page(path, "2026/11/24/index.html")  # its day page has it

    run(path, "2026-11-26T04:00:00")  # the 25th closes

    assert closed.read_bytes() == json_bytes
    next_edition = recorded(path)["2026-11-25"]
    assert titles(next_edition["entries"]) == [] and titles(next_edition["late"]) == ["2"]
    html = page(path, "editions/daily/2026-11-25/index.html")
    late = html[html.index('<h2 id="late">Arrived late</h2>') :]
    assert "Post number 2" in late
    assert "1 post from 1 source" in html
    # The older edition now links to the newer one, and back.
    assert "editions/daily/2026-11-25/index.html" in page(
        path, "editions/daily/2026-11-24/index.html"
    )


@pytest.mark.parametrize(
    ("week_start", "expected"),
    [
        # ISO weeks: Sunday the 29th ends week 48, Monday the 30th starts week 49.
        ("monday", {"2026-W48": ("2026-11-23", ["1"]), "2026-W49": ("2026-11-30", ["2"])}),
        # Weeks from Sunday: both in the week of Monday the 30th (ISO week 49).
        ("sunday", {"2026-W49": ("2026-11-29", ["2", "1"])}),
    ],
)
def test_weekly_editions_split_at_the_week_start(
    tmp_path: Path, week_start: str, expected: dict[str, tuple[str, list[str]]]
) -> None:
    posts = [post(1, "2026-11-29T12:00:00"), post(2, "2026-11-30T12:00:00")]
    settings = f'daily = false\nweek_start = "{week_start}"'
    path = project(tmp_path / "p", posts, settings, timezone="UTC")
    run(path, "2026-12-07T06:00:00")  # the week of the 30th (from Monday) closes now
    editions = recorded(path, "weekly")
    assert {k: (e["first_day"], titles(e["entries"])) for k, e in editions.items()} == expected
    key = sorted(expected)[-1]
    html = page(path, f"editions/weekly/{key}/index.html")
    assert "Weekly edition" in html and "Week of " in html
    assert recorded(path, "daily") == {}


@pytest.mark.parametrize("skip_empty", [True, False])
def test_a_gap_of_four_days_closes_four_editions_in_order(tmp_path: Path, skip_empty: bool) -> None:
    settings = f"weekly = false\nskip_empty = {str(skip_empty).lower()}"
    path = project(tmp_path / "p", [post(0, "2026-11-20T09:00:00")], settings)
    run(path, "2026-11-21T04:00:00")
    assert list(recorded(path)) == ["2026-11-20"]
    for n, day in ((1, "21"), (2, "22"), (4, "24")):  # nothing on the 23rd
        add_post(path, post(n, f"2026-11-{day}T09:00:00"))

    run(path, "2026-11-25T04:00:00")  # four days later

    editions = recorded(path)
    days = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]
    # The empty 23rd is recorded in a file of its own only when its page is shown.
    assert list(editions) == (days[:3] + days[4:] if skip_empty else days)
    empty = editions["2026-11-23"] if not skip_empty else newest_empty(path)["daily"]
    assert empty["key"] == "2026-11-23" and empty["entries"] == empty["late"] == []
    assert (newest_empty(path) == {}) is not skip_empty
    assert {e["closed_at"] for k, e in editions.items() if k != "2026-11-20"} == {
        "2026-11-25T04:00:00Z"
    }
    pages = sorted(p.name for p in (path.parent / "output/editions/daily").iterdir() if p.is_dir())
    assert ("2026-11-23" in pages) is not skip_empty
    assert len(pages) == (4 if skip_empty else 5)
    feed = feedparser.parse((path.parent / "output/editions/daily.xml").read_bytes())
    assert len(feed.entries) == len(pages)


# --- periods with no posts ------------------------------------------------------------------


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    """The files added, changed or removed between two trees: what `git status` lists."""
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def test_a_quiet_month_changes_one_small_file_and_the_next_post_gets_its_edition(
    tmp_path: Path,
) -> None:
    path = project(tmp_path / "p", [post(1, "2026-11-20T09:00:00")])  # daily and weekly
    editions, output = path.parent / "content" / "editions", path.parent / "output"
    run(path, "2026-11-23T04:00:00")  # the 20th (a post), the 21st and 22nd, the week of the 16th
    assert sorted(tree(editions)) == ["daily/2026-11-20.json", "empty.json", "weekly/2026-W47.json"]
    before, pages = tree(editions), tree(output)

    run(path, "2026-12-21T04:00:00")  # four weeks later: 28 days and 4 weeks close, all empty

    after = tree(editions)
    assert changed(before, after) == {"empty.json"}  # one file for git, not 32
    assert len(after["empty.json"]) < 1000
    assert {kind: e["key"] for kind, e in newest_empty(path).items()} == {
        "daily": "2026-12-20",
        "weekly": "2026-W51",
    }
    assert newest_empty(path)["daily"]["closed_at"] == "2026-12-21T04:00:00Z"
    assert tree(output) == pages  # the empty editions show nowhere: the site is as it was
    run(path, "2026-12-21T05:00:00")
    assert tree(editions) == after

    add_post(path, post(2, "2026-12-21T09:00:00"))
    run(path, "2026-12-22T04:00:00")  # the 21st closes

    assert changed(after, tree(editions)) == {"daily/2026-12-21.json"}
    assert titles(recorded(path)["2026-12-21"]["entries"]) == ["2"]
    assert "Post number 2" in page(path, "editions/daily/2026-12-21/index.html")
    assert "editions/daily/2026-12-21/index.html" in page(
        path, "editions/daily/2026-11-20/index.html"
    )
    # What a build from scratch makes of the same content/ (the build's inputs say it all).
    shutil.copytree(path.parent, tmp_path / "fresh", ignore=shutil.ignore_patterns("output"))
    run(tmp_path / "fresh" / "config.toml", "2026-12-22T04:00:00")
    assert tree(tmp_path / "fresh" / "output") == tree(output)


def test_a_post_for_a_closed_empty_day_arrives_late_as_if_the_day_had_its_file(
    tmp_path: Path,
) -> None:
    """`skip_empty = false` gives each empty day its file, as every run did before empty.json:
    the editions with posts come out byte for byte the same without those files."""
    found = {}
    for skip_empty in ("true", "false"):
        settings = f"weekly = false\nskip_empty = {skip_empty}"
        path = project(tmp_path / skip_empty, [post(1, "2026-11-20T09:00:00")], settings)
        run(path, "2026-11-21T04:00:00")  # the 20th
        run(path, "2026-11-23T04:00:00")  # the 21st and the 22nd, empty
        # Fetched after they closed: one dated the 21st (not the newest closed day), one the 22nd.
        add_post(path, post(2, "2026-11-21T09:00:00", seen="2026-11-23T05:00:00"))
        add_post(path, post(3, "2026-11-22T09:00:00", seen="2026-11-23T05:00:00"))
        run(path, "2026-11-24T04:00:00")  # the 23rd
        found[skip_empty] = tree(path.parent / "content" / "editions")
        assert "Post number 2" in page(path, "2026/11/21/index.html")  # on its day page
    assert sorted(found["false"]) == [f"daily/2026-11-{day}.json" for day in (20, 21, 22, 23)]
    assert sorted(found["true"]) == ["daily/2026-11-20.json", "daily/2026-11-23.json", "empty.json"]
    late = json.loads(found["true"]["daily/2026-11-23.json"])
    assert titles(late["entries"]) == [] and titles(late["late"]) == ["3", "2"]
    for name in ("daily/2026-11-20.json", "daily/2026-11-23.json"):
        assert found["true"][name] == found["false"][name]
    assert json.loads(found["true"]["empty.json"]) == {
        "daily": json.loads(found["false"]["daily/2026-11-22.json"])
    }


def test_a_broken_empty_json_stops_the_run_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(tmp_path / "p", [post(1, "2026-11-20T09:00:00")], "weekly = false")
    empty = path.parent / "content" / "editions" / "empty.json"
    empty.parent.mkdir(parents=True)
    empty.write_text('{"daily": {"schema": 1, "kind": "daily"}}')
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(at("2026-11-25T04:00:00").timestamp())))
    assert main(["build", "--offline", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(empty) in err and "not a valid edition" in err
    assert empty.read_text() == '{"daily": {"schema": 1, "kind": "daily"}}', "never overwritten"


# --- feeds ----------------------------------------------------------------------------------


def feed_project(root: Path) -> Path:
    posts = [
        post(1, "2026-11-23T09:00:00", tags=("Python",)),
        post(2, "2026-11-24T09:00:00", tags=("Python",)),
        post(3, "2026-11-24T10:00:00", tags=("Rust", "Python"), title="Tom & Jerry <b>"),
        post(4, "2026-11-26T09:00:00", tags=()),
    ]
    return project(root, posts, "")


def test_edition_feeds_round_trip_and_are_valid_atom(tmp_path: Path) -> None:
    path = feed_project(tmp_path / "p")
    run(path, "2026-12-01T12:00:00")
    out = path.parent / "output"
    daily_xml = out / "editions" / "daily.xml"
    weekly_xml = out / "editions" / "weekly.xml"
    assert validate_atom_files([daily_xml, weekly_xml]) == []  # RFC 4287's RELAX NG schema
    assert check_atom_rules(daily_xml) == [] and check_atom_rules(weekly_xml) == []
    atom = feedparser.parse(daily_xml.read_bytes())
    assert atom.bozo == 0
    assert [e.id for e in atom.entries] == [
        f"tag:example.github.io,2026:digest/editions/daily/2026-11-{day}" for day in (26, 24, 23)
    ]
    assert atom.entries[1].title == "Tuesday, November 24, 2026"
    assert atom.entries[1].link == BASE + "editions/daily/2026-11-24/"
    assert atom.entries[1].updated == "2026-12-01T12:00:00Z"
    content = atom.entries[1].content[0].value
    assert "2 posts from 1 source" in content
    assert "Tom &amp; Jerry &lt;b&gt;" in content  # a title is text, never markup
    assert f'href="{BASE}2026/11/24/index.html#entry-' in content  # absolute links
    assert 'href="https://alpha.example/3"' in content  # and the original
    assert 'href="../' not in content and "\x00" not in content

    jf = json.loads((out / "editions" / "daily.json").read_text(encoding="utf-8"))
    assert jf["version"] == "https://jsonfeed.org/version/1.1"
    assert [(i["id"], i["title"], i["url"]) for i in jf["items"]] == [
        (e.id, e.title, e.link) for e in atom.entries
    ]
    spec_keys = {"id", "url", "title", "content_html", "date_published", "date_modified"}
    assert all(set(item) == spec_keys for item in jf["items"])  # JSON Feed 1.1 item keys
    assert {item["date_published"] for item in jf["items"]} == {"2026-12-01T12:00:00Z"}
    assert jf["feed_url"] == BASE + "editions/daily.json"
    weekly = feedparser.parse((out / "editions" / "weekly.xml").read_bytes())
    assert [e.id for e in weekly.entries] == [
        "tag:example.github.io,2026:digest/editions/weekly/2026-W48"
    ]
    # Post 3 (Rust, Python) sits under the tag the edition's posts share; untagged: "Other".
    html = page(path, "editions/daily/2026-11-24/index.html")
    assert '<h2 id="topic-python">Python</h2>' in html and 'id="topic-rust"' not in html
    assert '<h2 id="other-posts">Other posts</h2>' in page(
        path, "editions/daily/2026-11-26/index.html"
    )
    # The edition pages and the index name the feeds.
    for name in ("editions/daily/2026-11-24/index.html", "editions/index.html"):
        html = page(path, name)
        assert 'rel="alternate" type="application/atom+xml"' in html
        assert "editions/daily.xml" in html and "editions/daily.json" in html


def test_edition_feed_ids_and_bytes_stay_the_same_across_rebuilds_and_folders(
    tmp_path: Path,
) -> None:
    path = feed_project(tmp_path / "a")
    run(path, "2026-12-01T12:00:00")
    first = tree(path.parent / "output" / "editions")
    run(path, "2026-12-01T13:00:00")  # a later run closes nothing new
    assert tree(path.parent / "output" / "editions") == first
    # Another machine: the project's files (content/ with the editions) elsewhere.
    shutil.copytree(path.parent, tmp_path / "b", ignore=shutil.ignore_patterns("output"))
    run(tmp_path / "b" / "config.toml", "2026-12-01T14:00:00")
    assert tree(tmp_path / "b" / "output" / "editions") == first


def test_a_late_edition_rebuilds_incrementally_as_a_fresh_build_would(tmp_path: Path) -> None:
    path = feed_project(tmp_path / "p")
    run(path, "2026-11-25T04:00:00")
    add_post(path, post(5, "2026-11-25T09:00:00", tags=("Rust",)))
    run(path, "2026-11-26T04:00:00")  # closes the 25th: links on older pages change
    incremental = tree(path.parent / "output")
    shutil.copytree(path.parent, tmp_path / "fresh", ignore=shutil.ignore_patterns("output"))
    run(tmp_path / "fresh" / "config.toml", "2026-11-26T04:00:00")
    fresh = tree(tmp_path / "fresh" / "output")
    assert sorted(incremental) == sorted(fresh)
    assert [n for n in fresh if fresh[n] != incremental[n]] == []
    assert "editions/daily/2026-11-25/index.html" in page(path, "2026/11/25/index.html")
    assert "editions/daily/2026-11-25/index.html" in page(path, "index.html")


def test_through_the_cli_source_date_epoch_closes_editions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = feed_project(tmp_path / "p")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(at("2026-11-25T04:00:00").timestamp())))
    assert main(["build", "-q", "--offline", "--config", str(path)]) == 0
    assert list(recorded(path)) == ["2026-11-23", "2026-11-24"]
    index = page(path, "editions/index.html")
    assert index.index("2026-11-24/") < index.index("2026-11-23/")  # newest first


# --- pieces ---------------------------------------------------------------------------------


def test_an_excerpt_ends_at_a_sentence_or_a_word_never_inside_an_entity(tmp_path: Path) -> None:
    text = "First sentence here. Second one is longer than that, and goes on and on."
    assert excerpt(text, 40) == "First sentence here."
    assert excerpt("one two three four five six", 15) == "one two three …"
    assert excerpt("short", 15) == "short"
    body = "<p>Fish &amp; chips &lt;tasty&gt; " + "and more &amp; more " * 20 + "</p>"
    path = project(
        tmp_path / "p", [post(1, "2026-11-24T09:00:00", content_html=body)], "excerpt_chars = 40"
    )
    run(path, "2026-11-25T04:00:00")
    html = page(path, "editions/daily/2026-11-24/index.html")
    summary = html.split('<p class="entry-summary">')[1].split("</p>")[0]
    assert summary.startswith("Fish &amp; chips &lt;tasty&gt; and more &amp;")
    assert summary.endswith(" …") and len(summary.replace("&amp;", "&")) < 60
    assert "Words of" not in html and "More words here. More" not in html  # no full bodies


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('week_start = "funday"', "editions.week_start: "),
        ('group_by = "mood"', "editions.group_by: "),
        ('close_after = "soon"', "editions.close_after: "),
        ("excerpt_chars = 2", "editions.excerpt_chars: "),
        ("daily = 1", "editions.daily: "),
        ("monthly = true", "editions.monthly: unknown key"),
    ],
)
def test_a_bad_editions_setting_is_named(tmp_path: Path, setting: str, message: str) -> None:
    path = project(tmp_path / "p", None, setting)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)


def test_by_source_groups_and_russian_strings(tmp_path: Path) -> None:
    posts = [post(n, f"2026-11-24T0{n}:00:00") for n in range(1, 6)]
    path = project(tmp_path / "p", posts, 'group_by = "source"', language="ru")
    run(path, "2026-11-25T04:00:00")
    html = page(path, "editions/daily/2026-11-24/index.html")
    assert "5 публикаций из 1 источника" in html
    assert "Выпуск дня" in html and '<h2 id="topic-alpha">Alpha</h2>' in html
    assert "вторник, 24 ноября 2026" in html.lower()


# --- in a browser, and the Nu checker (slow) ----------------------------------------------


@pytest.fixture(scope="module")
def ru_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A Russian-language site with a daily edition of ten posts with long words and tags."""
    root = tmp_path_factory.mktemp("ru")
    long_word = "Сверхдлинноесловобезпробеловкотороенедолжнорастягиватьстраницу" * 2
    posts = [
        post(
            n,
            f"2026-11-24T{n:02d}:00:00",
            title=f"Заголовок {n}: {long_word}",
            tags=(("Python", "Наука")[n % 2],),
            content_html=f"<p>Текст публикации {n}. " + "Ещё немного слов. " * 40 + "</p>",
        )
        for n in range(1, 11)
    ]
    posts.append(post(11, "2026-11-23T20:50:00", seen="2026-11-25T05:00:00", tags=()))
    path = project(root / "site", posts[:10], "", language="ru")
    run(path, "2026-11-25T04:00:00")
    add_post(path, posts[10])
    run(path, "2026-11-26T04:00:00")
    with FeedServer(folder=path.parent / "output") as server:
        yield path.parent / "output", server.url("/")


@pytest.mark.slow
def test_edition_pages_are_valid_html(ru_site: tuple[Path, str]) -> None:
    from htmlcheck import validate_html

    out = ru_site[0]
    pages = [*(out / "editions").rglob("*.html"), out / "index.html", out / "2026/11/24/index.html"]
    assert validate_html(pages) == []


PHONE_PAGES = (
    "editions/daily/2026-11-24/index.html",
    "editions/daily/2026-11-25/index.html",
    "editions/index.html",
)


@pytest.mark.slow
def test_the_daily_edition_in_a_browser_is_axe_clean_russian_and_fits_a_phone(
    ru_site: tuple[Path, str],
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM

    base = ru_site[1]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )  # fmt: skip
        try:
            for url in PHONE_PAGES:
                for width, scheme in ((390, "light"), (1280, "light"), (390, "dark")):
                    viewport = {"width": width, "height": 900}
                    page = browser.new_page(viewport=viewport, color_scheme=scheme)
                    page.route("**/*", lambda route: route.continue_()
                               if route.request.url.startswith("http://127.0.0.1")
                               else route.abort())  # fmt: skip
                    page.goto(base + url)
                    assert page.locator("main h1").count() == 1
                    # axe at phone width, light and dark (the desktop layout has the same
                    # markup and colours); every width is checked for sideways scrolling.
                    violations = Axe().run(page).response["violations"] if width < 1000 else []
                    bad = [
                        f"{v['id']} ({v['impact']}): {v['help']}"
                        for v in violations
                        if v["impact"] in ("serious", "critical")
                    ]
                    assert bad == [], f"{url} at {width}px, {scheme}"
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth"
                        " - document.documentElement.clientWidth"
                    )
                    assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at {width}px"
                    if url.startswith("editions/daily/2026-11-24"):
                        text = page.locator("main").text_content() or ""
                        assert "Выпуск дня" in text and "10 публикаций из 1 источника" in text
                        assert "Оригинал" in text
                        toc = page.locator("nav.edition-toc")
                        assert toc.get_attribute("aria-label") == "Содержание"
                        # The table of contents leads to its topics.
                        page.locator(".edition-toc a").first.click()
                        assert page.evaluate("location.hash").startswith("#topic-")
                    if url.startswith("editions/daily/2026-11-25"):
                        assert "опозданием" in (page.locator("main").text_content() or "")
                    page.close()
        finally:
            browser.close()


def test_digest_fetch_closes_due_editions_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = "".join(
        f"<item><title>Item {n}</title><link>https://local.example/{n}</link>"
        f"<guid>https://local.example/{n}</guid><pubDate>{day} Nov 2026 09:00:00 +0000</pubDate>"
        "<description>Some words.</description></item>"
        for n, day in ((1, "Mon, 23"), (2, "Tue, 24"))
    )
    root = tmp_path / "p"
    root.mkdir()
    (root / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'
        f"<link>https://local.example/</link><description>d</description>{items}</channel></rss>"
    )
    path = write_config(root, [{"url": "feed.xml", "name": "Local"}], timezone="UTC")
    path.write_text(path.read_text() + '\n[editions]\nweekly = false\nclose_after = "1h"\n')
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(at("2026-11-25T01:00:00").timestamp())))
    # A shard sees only its part of the feeds: the build after the shards closes editions.
    assert main(["fetch", "-q", "--shard", "1/1", "--config", str(path)]) == 0
    assert recorded(path) == {}
    assert main(["fetch", "-q", "--config", str(path)]) == 0
    assert {k: titles(e["entries"]) for k, e in recorded(path).items()} == {
        "2026-11-23": ["1"],
        "2026-11-24": ["2"],
    }
    assert not (root / "output").exists()  # fetch renders nothing


def test_a_temp_file_left_by_a_killed_run_is_cleared(tmp_path: Path) -> None:
    path = project(tmp_path / "p", [post(1, "2026-11-24T09:00:00")], "weekly = false")
    folder = path.parent / "content" / "editions" / "daily"
    folder.mkdir(parents=True)
    leftover = folder / ".2026-11-24.json.k1ll3d.tmp"
    leftover.write_text("{")  # killed between writing the temp file and the rename
    other = folder.parent / ".empty.json.k1ll3d.tmp"
    other.write_text("{")
    run(path, "2026-11-25T04:00:00")
    assert not leftover.exists() and not other.exists()
    assert [p.name for p in folder.iterdir()] == ["2026-11-24.json"]


def test_the_first_run_closes_at_most_feed_entries_editions(tmp_path: Path) -> None:
    posts = [post(n, f"2026-11-2{n}T09:00:00") for n in range(5)]  # the 20th to the 24th
    path = project(tmp_path / "p", posts, "weekly = false", feed_entries=2)
    run(path, "2026-11-25T04:00:00")
    assert list(recorded(path)) == ["2026-11-23", "2026-11-24"]
