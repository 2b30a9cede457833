"""The size budget, `[site] max_output`: past it, the oldest days' posts are shown as an
excerpt and a link to the original; output/ stays under it, and raising it brings the whole
posts back. Built offline from cache files written directly, as in test_incremental."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from helpers import tree, write_config

from digest.config import load_config
from digest.errors import ConfigError
from digest.feeds.store import cache_path, save_cache
from digest.models import POSTS_SOURCE, Entry, FeedCache, FeedInfo
from digest.pipeline import build
from digest.site import budget
from digest.write.sizes import folder_bytes

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
# 12 KB a body, each with words of its own, so that a page shows whose body it holds.
BODY = "<p>Body of {title}.</p>" + "".join(
    f"<h2>Part {n}</h2><p>{f'Words of part {n} for {{title}}. ' * 12}</p>" for n in range(24)
)


def entry(source: str, n: int, when: datetime, link: bool = True) -> Entry:
    title = f"{source} post {n}"
    url = f"https://{source}.example/posts/{n}"
    return Entry(
        id=url,
        source=source,
        title=title,
        link=url if link else None,
        author=None,
        published=when,
        updated=None,
        first_seen=when,
        tags=("Topic",) if n % 2 else (),
        content_html=BODY.format(title=title),
    )


def project(root: Path, **site: object) -> Path:
    """Three feeds of 30 posts, one a day each (Europe/Berlin days), 90 posts on 30 days."""
    slugs = ("alpha", "beta", "gamma")
    configs = [{"url": f"https://{s}.example/feed.xml", "name": s.title()} for s in slugs]
    path = write_config(root, configs, **site)
    config = load_config(path)
    for k, slug in enumerate(slugs):
        items = tuple(entry(slug, n, NOW - timedelta(days=n, hours=k + 1)) for n in range(30))
        info = FeedInfo(url=f"https://{slug}.example/feed.xml", title=slug.title())
        save_cache(cache_path(config, slug), FeedCache(slug, info, entries=items))
    return path


def set_budget(path: Path, value: str) -> None:
    text = re.sub(r"(?m)^max_output = .*\n", "", path.read_text(encoding="utf-8"))
    path.write_text(text.replace("[site]\n", f"[site]\nmax_output = {value}\n"), "utf-8")


def day_page(output: Path, day: date) -> str:
    return (output / f"{day:%Y/%m/%d}/index.html").read_text(encoding="utf-8")


def test_a_small_budget_keeps_the_site_under_it_and_raising_it_brings_the_posts_back(
    tmp_path: Path,
) -> None:
    path = project(tmp_path / "site", max_output=0, feed_entries=10)
    shutil.copytree(tmp_path / "site", tmp_path / "copy")
    unbounded = build(load_config(path), now=NOW, offline=True)
    output = tmp_path / "site" / "output"
    whole_site, whole_bytes = tree(output), folder_bytes(output)
    assert unbounded.budget is not None and unbounded.budget.abridged == 0

    limit = int(whole_bytes * 0.75)  # the bodies are over 40% of the site
    set_budget(path, str(limit))
    report = build(load_config(path), now=NOW, offline=True)
    assert folder_bytes(output) <= limit
    spent = report.budget
    assert spent is not None and 0 < spent.abridged < 90 and spent.whole_from is not None
    assert spent.whole + spent.abridged == 90
    # A build that finds nothing changed reports the same, from the stamp.
    again = build(load_config(path), now=NOW, offline=True)
    assert again.written.written == 0 and again.budget == spent and again.entries == 90
    # Newest first: every day from whole_from on is whole, every day before it abridged.
    newest = NOW.date()
    for n in range(30):
        day = newest - timedelta(days=n)  # alpha's post n: at noon that day, in Berlin
        page = day_page(output, day)
        title = f"alpha post {n}"
        if day >= spent.whole_from:
            assert f"Words of part 7 for {title}." in page
            assert "Read the whole post at" not in page
        else:
            assert f"Words of part 7 for {title}." not in page  # the body's end is left out
            assert f"Body of {title}." in page  # its excerpt is there
            link = f'<a href="https://alpha.example/posts/{n}">Read the whole post at Alpha'
            assert link in page
    # The tag and source listings, the feeds: as they were (excerpts, whole newest posts).
    assert (output / "atom.xml").read_bytes() == whole_site["atom.xml"]

    set_budget(path, '"1 GB"')  # raised: the posts come back, byte for byte as unbounded
    raised = build(load_config(path), now=NOW, offline=True)
    assert raised.budget is not None and raised.budget.abridged == 0
    assert tree(output) | {".digest-build.json": b""} == whole_site | {".digest-build.json": b""}
    # The same budget from scratch gives the same site as the incremental builds did.
    set_budget(tmp_path / "copy" / "config.toml", str(limit))
    build(load_config(tmp_path / "copy" / "config.toml"), now=NOW, offline=True)
    set_budget(path, str(limit))
    build(load_config(path), now=NOW, offline=True)
    assert tree(tmp_path / "copy" / "output") == tree(output)


def test_the_budget_cuts_whole_days_oldest_first_and_keeps_what_has_no_original(
    tmp_path: Path,
) -> None:
    config = load_config(write_config(tmp_path, [{"url": "https://a.example/f", "name": "A"}]))
    days = [NOW - timedelta(days=n) for n in range(10)]
    linked = [entry("a", 2 * n, when) for n, when in enumerate(days)]
    # ...and the day's second post, the oldest day's without a link to its original.
    second = [
        entry("a", 2 * n + 1, when - timedelta(minutes=1), link=n != 9)
        for n, when in enumerate(days)
    ]
    written = replace(entry("posts", 99, days[-1] - timedelta(hours=1)), source=POSTS_SOURCE)
    entries = (*(e for pair in zip(linked, second, strict=True) for e in pair), written)

    def plan(limit: int) -> tuple[frozenset[tuple[str, str]], budget.Budget]:
        site = replace(config.site, max_output=limit, timezone="UTC")
        return budget.plan(replace(config, site=site), entries, 30, [], lambda e: e.date.date())

    nothing, report = plan(0)
    assert not nothing and report.whole == 21 and report.whole_from == days[-1].date()
    everything, least = plan(1)  # less than any site: all that has an original is cut
    assert len(everything) == 19  # not the post without a link, nor the hand-written one
    assert ("a", "https://a.example/posts/19") not in everything
    unbounded = plan(0)[1].estimate
    cut, report = plan(int(unbounded / 0.9) - 1_000)  # a little short of all: one day cut
    assert {entry_id for _, entry_id in cut} == {
        "https://a.example/posts/18"  # the oldest day's post with a link
    }
    assert report.whole_from == days[-2].date() and report.abridged == 1
    half = int((least.estimate + unbounded) / 2 / 0.9)  # half the bodies: whole days at once
    cut, report = plan(half)
    assert report.whole_from is not None and 0 < report.abridged < 19
    cut_days = {e.date.date() for e in entries if (e.source, e.id) in cut}
    assert cut_days == {d.date() for d in days if d.date() < report.whole_from}
    assert least.estimate < report.estimate <= half * 0.9


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"1 GB"', 10**9), ('"800 MB"', 8 * 10**8), ('"1.5GB"', 15 * 10**8), ("0", 0), ("5000", 5000)],
)
def test_max_output_takes_a_size_in_bytes_or_with_a_unit(
    tmp_path: Path, value: str, expected: int
) -> None:
    path = write_config(tmp_path, [])
    set_budget(path, value)
    assert load_config(path).site.max_output == expected


@pytest.mark.parametrize("value", ['"a lot"', "-1", '"1 TB"', "true"])
def test_a_bad_max_output_says_what_to_write(tmp_path: Path, value: str) -> None:
    path = write_config(tmp_path, [])
    set_budget(path, value)
    with pytest.raises(ConfigError, match=r'site\.max_output: must be a size such as "1 GB"'):
        load_config(path)
