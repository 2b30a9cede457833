"""The update stage's decisions, values in and values out: no disk, no network, no clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.feeds.schedule import not_due
from digest.feeds.update import ParseFailure, merge, needs_parse, refresh, retain
from digest.models import (
    Entry,
    FeedCache,
    FeedConfig,
    FeedInfo,
    FetchConfig,
    HttpState,
    ParsedFeed,
    Response,
    Retention,
)

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=1)
FEED = FeedConfig(url="https://example.org/feed.xml", name="Example", slug="example")
SETTINGS = FetchConfig()
KEEP_ALL = Retention()


def entry(
    id: str,
    title: str = "Title",
    *,
    link: str | None = None,
    published: datetime | None = None,
    first_seen: datetime = NOW,
    content: str = "<p>text</p>",
) -> Entry:
    return Entry(
        id=id,
        source="example",
        title=title,
        link=link,
        author=None,
        published=published,
        updated=None,
        first_seen=first_seen,
        tags=(),
        content_html=content,
    )


def ok(body: bytes = b"<rss/>", headers: dict[str, str] | None = None) -> Response:
    return Response("ok", FEED.url, body, headers or {}, status=200)


def parsed(*entries: Entry, ttl: int | None = None) -> ParsedFeed:
    return ParsedFeed(FeedInfo(url=FEED.url, title="Example", ttl=ttl), entries)


def cached(*entries: Entry, etag: str | None = None, moved_to: str | None = None) -> FeedCache:
    """A healthy feed's cache."""
    state = HttpState(status="ok", url=FEED.url, etag=etag, moved_to=moved_to)
    return FeedCache(slug="example", feed=FeedInfo(url=FEED.url), http=state, entries=entries)


def run(
    cache: FeedCache, response: Response, result: ParsedFeed | ParseFailure | None = None
) -> tuple[FeedCache, str, int, int, str | None]:
    new, report = refresh(cache, response, result, FEED, NOW, SETTINGS, KEEP_ALL)
    return new, report.outcome, report.added, report.changed, report.note


# --- merge -----------------------------------------------------------------------------------


def test_merge_adds_new_entries_and_keeps_ones_the_feed_dropped() -> None:
    old = (entry("a", published=EARLIER, first_seen=EARLIER),)
    new = (entry("b", published=NOW),)
    entries, added, changed = merge(old, new)
    assert [e.id for e in entries] == ["b", "a"]  # newest first; "a" left the feed's window
    assert (added, changed) == (1, 0)


def test_an_edited_entry_is_updated_and_keeps_its_first_seen() -> None:
    old = (entry("a", "Old title", first_seen=EARLIER),)
    new = (entry("a", "New title", first_seen=NOW),)
    entries, added, changed = merge(old, new)
    assert [(e.title, e.first_seen) for e in entries] == [("New title", EARLIER)]
    assert (added, changed) == (0, 1)


def test_an_entry_seen_again_unchanged_counts_as_nothing() -> None:
    old = (entry("a", first_seen=EARLIER),)
    entries, added, changed = merge(old, (entry("a", first_seen=NOW),))
    assert entries == old
    assert (added, changed) == (0, 0)


def test_a_re_keyed_guid_is_the_same_entry_not_a_second_one() -> None:
    link = "https://example.org/posts/1"
    old = (entry("guid-1", "Hello", link=link, first_seen=EARLIER),)
    new = (entry("guid-1-new", "Hello", link=link, first_seen=NOW),)
    entries, added, _ = merge(old, new)
    assert [(e.id, e.first_seen) for e in entries] == [("guid-1-new", EARLIER)]
    assert added == 0


def test_two_entries_sharing_a_link_but_not_a_title_stay_two() -> None:
    link = "https://example.org/posts/1"
    old = (entry("a", "First", link=link, first_seen=EARLIER),)
    entries, added, _ = merge(old, (entry("b", "Second", link=link),))
    assert {e.id for e in entries} == {"a", "b"}
    assert added == 1


def test_first_seen_never_changes_across_many_fetches() -> None:
    entries: tuple[Entry, ...] = (entry("a", first_seen=EARLIER),)
    for day in range(1, 5):
        seen = NOW + timedelta(days=day)
        entries, _, _ = merge(entries, (entry("a", f"edit {day}", first_seen=seen),))
    assert [(e.title, e.first_seen) for e in entries] == [("edit 4", EARLIER)]


# --- retain ----------------------------------------------------------------------------------


def test_retention_keeps_everything_by_default() -> None:
    entries = tuple(entry(str(n), first_seen=NOW - timedelta(days=n)) for n in range(100))
    assert retain(entries, KEEP_ALL, NOW) == entries


def test_retention_by_age_and_by_count() -> None:
    entries = tuple(entry(str(n), first_seen=NOW - timedelta(days=n)) for n in range(10))
    week = Retention(max_age=7 * 86400)
    assert [e.id for e in retain(entries, week, NOW)] == [str(n) for n in range(8)]
    assert [e.id for e in retain(entries, Retention(max_entries=3), NOW)] == ["0", "1", "2"]
    both = Retention(max_age=7 * 86400, max_entries=20)
    assert len(retain(entries, both, NOW)) == 8


def test_a_feed_retention_rule_overrides_the_global_one() -> None:
    feed = dataclasses.replace(FEED, retention=Retention(max_entries=1))
    result = parsed(entry("a", published=NOW), entry("b", published=EARLIER))
    new, _ = refresh(cached(), ok(), result, feed, NOW, SETTINGS, KEEP_ALL)
    assert [e.id for e in new.entries] == ["a"]


# --- refresh: success ------------------------------------------------------------------------


def test_a_new_body_is_parsed_merged_and_remembered() -> None:
    cache = cached(entry("a", first_seen=EARLIER))
    headers = {"etag": '"v2"', "last-modified": "Mon, 23 Mar 2026 11:00:00 GMT"}
    response = ok(b"<rss>2</rss>", headers)
    assert needs_parse(cache, response)
    new, outcome, added, changed, note = run(cache, response, parsed(entry("b")))
    assert (outcome, added, changed, note) == ("ok", 1, 0, None)
    assert {e.id for e in new.entries} == {"a", "b"}
    assert (new.http.etag, new.http.last_modified) == ('"v2"', "Mon, 23 Mar 2026 11:00:00 GMT")
    assert (new.http.status, new.http.last_ok, new.http.failures) == ("ok", NOW, 0)


def test_not_modified_keeps_the_entries_and_needs_no_parse() -> None:
    cache = cached(entry("a"), etag='"v1"')
    response = Response("not_modified", FEED.url, status=304)
    assert not needs_parse(cache, response)
    new, outcome, *_ = run(cache, response)
    assert outcome == "not_modified"
    assert new == cache  # nothing new to remember: the cache file is not rewritten


def test_the_same_body_again_is_not_parsed_again() -> None:
    first, *_ = run(cached(), ok(b"<rss>same</rss>"), parsed(entry("a")))
    assert not needs_parse(first, ok(b"<rss>same</rss>"))
    again, outcome, added, *_ = run(first, ok(b"<rss>same</rss>"))
    assert (outcome, added) == ("unchanged", 0)
    assert again == first


def test_a_new_body_cannot_skip_the_parse() -> None:
    with pytest.raises(ValueError, match="parsed"):
        run(cached(), ok(b"<rss>new</rss>"))


def test_sample_entries_give_way_to_the_first_real_fetch() -> None:
    sample = dataclasses.replace(cached(entry("sample")), sample=True)
    new, *_ = run(sample, ok(), parsed(entry("real")))
    assert [e.id for e in new.entries] == ["real"]
    assert not new.sample


def test_a_local_feed_is_recorded_under_its_configured_url() -> None:
    local = dataclasses.replace(FEED, url="feeds/local.xml", path=Path("/srv/feeds/local.xml"))
    response = Response("ok", "file:///srv/feeds/local.xml", b"<rss/>")
    result = ParsedFeed(FeedInfo(url="file:///srv/feeds/local.xml", title="L"), ())
    new, _ = refresh(cached(), response, result, local, NOW, SETTINGS, KEEP_ALL)
    assert new.feed.url == "feeds/local.xml"


def test_the_server_and_the_feed_set_when_to_fetch_next() -> None:
    new, *_ = run(cached(), ok(headers={"cache-control": "max-age=3600"}), parsed())
    assert new.http.next_due == NOW + timedelta(hours=1)
    new, *_ = run(cached(), ok(), parsed(ttl=7200))
    assert new.http.next_due == NOW + timedelta(hours=2)


# --- refresh: failures -----------------------------------------------------------------------


def test_failures_back_off_longer_each_time_and_keep_the_entries() -> None:
    cache = cached(entry("a"))
    response = Response("error", FEED.url, error="HTTP 500 Internal Server Error", status=500)
    once, outcome, *_ = run(cache, response)
    twice, *_ = run(once, response)
    assert outcome == "error"
    assert once.entries == twice.entries == cache.entries
    assert (once.http.failures, twice.http.failures) == (1, 2)
    assert once.http.next_due == NOW + timedelta(minutes=15)
    assert twice.http.next_due == NOW + timedelta(minutes=30)
    assert twice.http.last_error == "HTTP 500 Internal Server Error"
    assert not_due(once.http, NOW + timedelta(minutes=5)) is not None
    assert not_due(once.http, NOW + timedelta(minutes=16)) is None


def test_failing_since_is_the_first_failure_and_a_success_clears_it() -> None:
    response = Response("error", FEED.url, error="timed out after 30 s")
    failing = dataclasses.replace(cached(), http=HttpState(failures=3, failing_since=EARLIER))
    new, *_ = run(failing, response)
    assert (new.http.failing_since, new.http.failures) == (EARLIER, 4)
    healed, *_ = run(new, ok(), parsed())
    assert (healed.http.failing_since, healed.http.failures, healed.http.last_error) == (
        None,
        0,
        None,
    )


def test_retry_after_is_honoured() -> None:
    response = Response(
        "retry_later", FEED.url, headers={"retry-after": "7200"}, error="HTTP 429", status=429
    )
    new, outcome, *_ = run(cached(), response)
    assert outcome == "error"
    assert new.http.retry_after == NOW + timedelta(hours=2)
    assert "asked to wait" in (not_due(new.http, NOW + timedelta(hours=1)) or "")
    assert not_due(new.http, NOW + timedelta(hours=1), force=True) is None


def test_gone_stops_fetching_but_keeps_the_posts() -> None:
    cache = cached(entry("a"))
    new, outcome, *_ = run(cache, Response("gone", FEED.url, status=410, error="410 Gone"))
    assert outcome == "gone"
    assert new.http.status == "gone"
    assert new.entries == cache.entries
    assert "gone" in (not_due(new.http, NOW + timedelta(days=365)) or "")


@pytest.mark.parametrize(
    ("message", "status"),
    [("not a feed but a web page; it advertises x", "not_a_feed"), ("broken XML", "error")],
)
def test_a_body_parse_refused_is_a_failure_that_keeps_the_entries(
    message: str, status: str
) -> None:
    cache = cached(entry("a"))
    new, outcome, *_ = run(cache, ok(b"<html/>"), ParseFailure(message))
    assert (outcome, new.http.status, new.http.last_error) == ("error", status, message)
    assert new.entries == cache.entries
    assert new.http.body_sha256 == cache.http.body_sha256  # the next run parses it again


# --- refresh: permanent redirects ------------------------------------------------------------


def test_a_permanent_redirect_is_followed_and_reported_until_the_config_says_so() -> None:
    target = "https://new.example.org/feed.xml"
    response = Response("ok", target, b"<rss/>", status=200, moved_to=target)
    moved, _, _, _, note = run(cached(), response, parsed())
    assert moved.http.moved_to == target
    assert moved.http.url == target  # validators now belong to the new URL
    assert note == f"moved permanently: update config.toml to {target}"
    # Later runs fetch the new URL directly: no redirect, still moved.
    later, _, _, _, note = run(moved, Response("not_modified", target, status=304))
    assert later.http.moved_to == target and note is not None
    # The maintainer updates config.toml: no more note.
    updated = dataclasses.replace(FEED, url=target)
    done, report = refresh(
        later, Response("not_modified", target, status=304), None, updated, NOW, SETTINGS, KEEP_ALL
    )
    assert done.http.moved_to is None and report.note is None


def test_a_failing_moved_feed_still_says_where_it_moved() -> None:
    target = "https://new.example.org/feed.xml"
    cache = cached(moved_to=target)
    new, _, _, _, note = run(cache, Response("error", target, error="HTTP 502"))
    assert new.http.moved_to == target
    assert note is not None and target in note
