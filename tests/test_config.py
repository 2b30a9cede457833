"""config.toml's contract, without a file: each key's bad value and the message that names it
by its full TOML path; every mistake reported in one run; good values read as meant."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from digest.config import parse_config
from digest.errors import ConfigError
from digest.models import Retention

PATH = Path("/project/config.toml")
GOOD: dict[str, Any] = {
    "site": {"title": "T", "base_url": "https://x.example/"},
    "feeds": [{"url": "https://a.example/feed", "name": "A"}],
}
MISSING = object()  # as a value: the key is taken out
DURATION = 'a duration such as "30m", "2h" or "7d", not'

# (where the bad value goes, the value, the one problem reported)
CASES: list[tuple[tuple[str | int, ...], object, str]] = [
    (("sites",), {}, "sites: unknown key (known keys: "),  # every top-level table, listed
    # [site]
    (("site",), MISSING, "site: missing [site] table (title, base_url, timezone)"),
    (("site",), "T", "site: must be a table ([site])"),
    (("site", "colour"), "red", "site.colour: unknown key (known keys: base_url, cname,"),
    (("site", "title"), " ", "site.title: required, a non-empty string"),
    (("site", "title"), MISSING, "site.title: required, a non-empty string"),
    (("site", "base_url"), "ftp://x.example/", "site.base_url: 'ftp://x.example/' is not an"),
    (("site", "base_url"), 3, "site.base_url: required, an absolute http(s) URL"),
    (("site", "timezone"), "Mars/Olympus", "site.timezone: 'Mars/Olympus' is not an IANA"),
    (("site", "timezone"), 2, "site.timezone: 2 is not an IANA time zone"),
    (("site", "per_page"), 0, "site.per_page: must be a whole number from 1 to 10000, not 0"),
    (("site", "per_page"), True, "site.per_page: must be a whole number from 1 to 10000, not True"),
    (("site", "feed_entries"), "5", "site.feed_entries: must be a whole number from 1 to 10000"),
    (("site", "language"), "english!", "site.language: 'english!' is not a BCP 47 language tag"),
    (("site", "theme"), "../x", "site.theme: '../x' is not a theme folder name"),
    (("site", "full_content"), "yes", 'site.full_content: must be "front" (the home page'),
    (("site", "full_content"), 1, 'site.full_content: must be "front"'),
    (("site", "source_feeds"), 1, "site.source_feeds: must be true or false, not 1"),
    (("site", "cname"), "not a host", "site.cname: 'not a host' is not a domain name"),
    # [search]
    (("search",), True, "search: must be a table ([search])"),
    (("search", "enable"), False, "search.enable: unknown key (known keys: enabled)"),
    (("search", "enabled"), "no", "search.enabled: must be true or false, not 'no'"),
    # [fetch]
    (("fetch",), 3, "fetch: must be a table ([fetch])"),
    (("fetch", "retries"), 3, "fetch.retries: unknown key (known keys: connect_timeout,"),
    (("fetch", "timeout"), 0, "fetch.timeout: must be a number from 0.1 to 3600, not 0"),
    (("fetch", "timeout"), True, "fetch.timeout: must be a number from 0.1 to 3600, not True"),
    (("fetch", "connect_timeout"), "10", "fetch.connect_timeout: must be a number from 0.1 to 600"),
    (
        ("fetch", "max_bytes"),
        100,
        "fetch.max_bytes: must be a whole number from 1024 to 2147483648",
    ),
    (("fetch", "workers"), 2.5, "fetch.workers: must be a whole number from 1 to 64, not 2.5"),
    (("fetch", "workers"), 65, "fetch.workers: must be a whole number from 1 to 64, not 65"),
    (("fetch", "per_host"), "2", "fetch.per_host: must be a whole number from 1 to 16, not '2'"),
    (("fetch", "min_interval"), "soon", f"fetch.min_interval: {DURATION} 'soon'"),
    (("fetch", "min_interval"), -1, f"fetch.min_interval: {DURATION} -1"),
    # [retention]
    (("retention",), [], "retention: must be a table ([retention])"),
    (("retention", "keep"), 1, "retention.keep: unknown key (known keys: max_age, max_entries)"),
    (("retention", "max_age"), "forever", f"retention.max_age: {DURATION} 'forever'"),
    (("retention", "max_age"), 1.5, f"retention.max_age: {DURATION} 1.5"),
    (("retention", "max_entries"), 0, "retention.max_entries: must be a whole number from 1 to"),
    (("retention", "max_entries"), "9", "retention.max_entries: must be a whole number from 1"),
    # [[feeds]]
    (("feeds",), {}, "feeds: must be an array of tables ([[feeds]])"),
    (("feeds", 0), "https://a.example/feed", "feeds[0]: must be a table ([[feeds]])"),
    (("feeds", 0, "title"), "A", "feeds[0].title: unknown key (known keys: exclude, full_content,"),
    (("feeds", 0, "url"), MISSING, "feeds[0].url: required, an http(s) URL or a path to a feed"),
    (("feeds", 0, "url"), "htp:/nowhere", "feeds[0].url: 'htp:/nowhere' is not an http(s) URL"),
    (("feeds", 0, "name"), "", "feeds[0].name: required, a non-empty string"),
    (("feeds", 0, "name"), "Posts", "feeds[0].name: 'Posts' is reserved for hand-written posts"),
    (("feeds", 1), {"url": "https://b.example/", "name": "a"}, "feeds[1].name: 'a' gives the same"),
    (("feeds", 0, "tags"), "ai", "feeds[0].tags: must be a list of non-empty strings"),
    (("feeds", 0, "tags"), ["ai", ""], "feeds[0].tags: must be a list of non-empty strings"),
    (("feeds", 0, "min_interval"), "1w", f"feeds[0].min_interval: {DURATION} '1w'"),
    (("feeds", 0, "retention"), "90d", "feeds[0].retention: must be a table, e.g. {"),
    (("feeds", 0, "retention", "keep"), 1, "feeds[0].retention.keep: unknown key (known keys: max"),
    (("feeds", 0, "retention", "max_age"), "3 weeks", f"feeds[0].retention.max_age: {DURATION}"),
    (("feeds", 0, "retention", "max_entries"), 2.5, "feeds[0].retention.max_entries: must be a"),
]


def changed(where: tuple[str | int, ...], value: object) -> dict[str, Any]:
    """GOOD with `value` at `where` (tables on the way are created), or the key taken out."""
    data = copy.deepcopy(GOOD)
    parent: Any = data
    for key in where[:-1]:
        if isinstance(parent, dict) and key not in parent:
            parent[key] = {}
        parent = parent[key]
    last = where[-1]
    if value is MISSING:
        del parent[last]
    elif isinstance(parent, list) and last == len(parent):
        parent.append(value)
    else:
        parent[last] = value
    return data


def problems_of(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        parse_config(data, PATH)
    assert raised.value.path == PATH and str(PATH) in str(raised.value)
    return raised.value.problems


def case_id(where: tuple[str | int, ...], value: object) -> str:
    return ".".join(map(str, where)) + ("-missing" if value is MISSING else f"={value!r}")


@pytest.mark.parametrize(
    ("where", "value", "message"), CASES, ids=[case_id(where, value) for where, value, _ in CASES]
)
def test_a_bad_value_is_one_problem_named_by_its_path(
    where: tuple[str | int, ...], value: object, message: str
) -> None:
    problems = problems_of(changed(where, value))
    assert len(problems) == 1, problems
    assert problems[0].startswith(message), problems[0]


def test_every_problem_is_reported_at_once() -> None:
    """One mistake of each kind: the run that finds one finds them all, in file order."""
    data = copy.deepcopy(GOOD)
    data["site"]["per_page"] = 0
    data["fetch"] = {"workers": 0, "retries": 1}
    data["retention"] = {"max_age": "soon"}
    data["feeds"].append({"url": "htp:/x", "name": "A", "retention": {"max_entries": -1}})
    problems = problems_of(data)
    assert [p.split(":", 1)[0] for p in problems] == [
        "site.per_page",
        "feeds[1].url",
        "feeds[1].name",  # the same slug as feeds[0]
        "feeds[1].retention.max_entries",
        "fetch.retries",
        "fetch.workers",
        "retention.max_age",
    ]


def test_good_values_read_as_meant() -> None:
    data = copy.deepcopy(GOOD)
    data["site"].update(base_url="https://x.example/sub", cname="news.example.org")
    data["fetch"] = {"max_bytes": 1e6, "workers": 4.0, "min_interval": "2h"}
    data["retention"] = {"max_age": "7d", "max_entries": 100}
    data["feeds"][0].update(tags=[" ai "], min_interval=90, retention={"max_age": "30m"})
    config = parse_config(data, PATH)
    assert config.site.base_url == "https://x.example/sub/"
    assert config.site.cname == "news.example.org"
    assert (config.fetch.max_bytes, config.fetch.workers) == (1_000_000, 4)
    assert isinstance(config.fetch.workers, int)
    assert config.fetch.min_interval == 7200
    assert config.retention == Retention(max_age=7 * 86400, max_entries=100)
    feed = config.feeds[0]
    assert (feed.tags, feed.min_interval, feed.retention) == (("ai",), 90, Retention(1800, None))
