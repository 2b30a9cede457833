"""Full-text search: Pagefind's index of the day pages, and the search page in a real browser.

The browser tests build a site from a loopback feed, serve output/ over loopback HTTP (at the
root, and under /repo/ as GitHub Pages serves a project) and search it in headless Chromium
(Debian's, one per module, as in test_browser). The quick tests need no browser.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import FeedServer, Item, rss, tree, write_config

from digest.cli import main
from digest.write import search

WHEN = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
EPOCH = "1774267200"  # 2026-03-23 12:00 UTC


def items(language: str) -> list[Item]:
    """Three posts over two days; the middle one holds the word searched for."""
    if language == "ru":
        bodies = ["<p>Про собак и лошадей.</p>", "<p>Бездомными кошками занимаются волонтёры.</p>"]
        titles = ["Собаки", "Городские волонтёры"]
    else:
        bodies = ["<p>About dogs and horses.</p>", "<p>Notes on zeppelins and airships.</p>"]
        titles = ["Dogs", "Airships over Berlin"]
    return [
        Item(titles[0], "first", WHEN.replace(day=21), bodies[0]),
        Item(titles[1], "second", WHEN, bodies[1]),
        Item("Third", "third", WHEN.replace(hour=8), "<p>Nothing to see.</p>"),
    ]


def build_site(
    folder: Path, server: FeedServer, language: str = "en", **site: object
) -> tuple[Path, int]:
    feed = server.serve(f"/{language}.xml", rss("Sky Log", "https://sky.example/", items(language)))
    config = write_config(
        folder, [{"url": feed, "name": "Sky Log"}], language=language, timezone="UTC", **site
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        code = main(["build", "-q", "--config", str(config)])
    return folder / "output", code


# --- without a browser -----------------------------------------------------------------------


def test_search_off_ships_no_search_files(tmp_path: Path, server: FeedServer) -> None:
    on, code = build_site(tmp_path / "on", server)
    assert code == 0
    assert search.has_index(on) and (on / "search" / "index.html").is_file()
    assert (on / "static" / "search.js").is_file()
    assert 'class="search-box"' in (on / "index.html").read_text(encoding="utf-8")

    config = tmp_path / "on" / "config.toml"
    config.write_text(config.read_text() + "\n[search]\nenabled = false\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        assert main(["build", "-q", "--offline", "--config", str(config)]) == 0
    files = tree(on)
    assert not [n for n in files if "pagefind" in n or n.startswith("search/")]
    assert "static/search.js" not in files
    home = files["index.html"].decode()
    assert "search-box" not in home and "form-action 'none'" in home
    assert "pagefind" not in files["2026/03/20/index.html"].decode()


def test_the_index_holds_each_entry_once_from_its_day_page(
    tmp_path: Path, server: FeedServer
) -> None:
    out, _ = build_site(tmp_path / "site", server, full_content="all")
    listing = json.loads((out / "pagefind" / search.INDEXES).read_text())
    # The newest five days of March (20-24), a bundle per day: the 21st and the 20th.
    days = [name for name, _ in listing["months"]]
    assert days == ["2026-03-2a-21", "2026-03-2a-20"]
    entries = [json.loads((out / "pagefind" / d / "pagefind-entry.json").read_text()) for d in days]
    # Two day pages, though with full_content = "all" every listing shows the entries too.
    assert [e["languages"]["en"]["page_count"] for e in entries] == [1, 1]
    # Only the search page allows WebAssembly; every page may submit a form to the site.
    page = (out / "search" / "index.html").read_text(encoding="utf-8")
    assert "script-src 'self' 'wasm-unsafe-eval';" in page and "form-action 'self'" in page
    assert "wasm-unsafe-eval" not in (out / "index.html").read_text(encoding="utf-8")


def test_an_unchanged_build_does_not_index_again_and_a_missing_index_is_rebuilt(
    tmp_path: Path, server: FeedServer
) -> None:
    out, _ = build_site(tmp_path / "site", server)
    before = {p: p.stat().st_mtime_ns for p in (out / "pagefind").rglob("*")}
    config = str(tmp_path / "site" / "config.toml")
    assert main(["build", "-q", "--offline", "--config", config]) == 0
    assert {p: p.stat().st_mtime_ns for p in (out / "pagefind").rglob("*")} == before
    shutil.rmtree(out / "pagefind")
    assert main(["build", "-q", "--offline", "--config", config]) == 0
    assert search.has_index(out)


def day_page(output: Path, day: str, text: str = "x") -> None:
    path = output / day.replace("-", "/") / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<!DOCTYPE html><html lang=en><title>{day}</title><main><p>{text}</p></main></html>"
    )


def test_only_the_bundles_whose_day_pages_changed_are_indexed_again(tmp_path: Path) -> None:
    """Pagefind reads everything it indexes: one bundle per month, and the newest month in
    parts of five days, keep a new entry from costing an index of the whole archive (time,
    memory and rewritten files)."""
    output = tmp_path / "output"
    pages = {"2026-01-05": "a", "2026-02-07": "b", "2026-03-08": "c", "2026-03-20": "c"}
    for day in pages:
        day_page(output, day, f"words of {day}")
    keys = {f"{d.replace('-', '/')}/index.html": k for d, k in pages.items()}
    assert search.update_index(output, keys) is None
    folder = output / "pagefind"
    assert sorted(p.name for p in folder.iterdir()) == [
        "2026-01",
        "2026-02",
        "2026-03-0b",  # March 5-9
        "2026-03-2a-20",  # March 20, in the newest five days: a bundle per day
        search.INDEXES,
    ]
    # Only the newest bundle carries Pagefind's script and WebAssembly.
    assert (folder / "2026-03-2a-20" / "pagefind.js").is_file()
    assert not (folder / "2026-03-0b" / "pagefind.js").exists()
    assert not list((folder / "2026-01").glob("pagefind*.js")) + list(
        (folder / "2026-01").glob("wasm.*")
    )
    stamp = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}

    day_page(output, "2026-03-21", "a new day")  # a new entry, this month
    keys["2026/03/21/index.html"] = "d"
    assert search.update_index(output, keys) is None
    after = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    touched = {p.relative_to(folder).parts[0] for p in after if stamp.get(p) != after[p]}
    assert touched == {"2026-03-2a-21", search.INDEXES}  # the 20th, March 5-9, Jan, Feb untouched

    day_page(output, "2026-04-01", "april")  # a new month: it takes the script over
    keys["2026/04/01/index.html"] = "e"
    assert search.update_index(output, keys) is None
    assert (folder / "2026-04-0a-01" / "pagefind.js").is_file()
    listing = json.loads((folder / search.INDEXES).read_text())
    # March is no longer the newest month: one bundle again, its parts gone.
    assert [m for m, _ in listing["months"]] == ["2026-04-0a-01", "2026-03", "2026-02", "2026-01"]
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("2026-03")) == ["2026-03"]
    assert not (folder / "2026-03" / "pagefind.js").exists()
    march = json.loads((folder / "2026-03" / "pagefind-entry.json").read_text())
    assert march["languages"]["en"]["page_count"] == 3

    del keys["2026/01/05/index.html"]  # January's entries gone (retention)
    assert search.update_index(output, keys) is None
    assert not (folder / "2026-01").exists()


def test_a_month_too_big_for_one_bundle_is_indexed_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pagefind's memory grows with what one bundle reads (3 GB for a month of 47,000
    entries): a big month is indexed in parts of five days, as the newest always is."""
    monkeypatch.setattr(search, "WHOLE_MONTH_BYTES", 2_000)
    output = tmp_path / "output"
    pages = {"2026-01-05": "words " * 300, "2026-01-28": "more " * 300, "2026-02-07": "few"}
    pages |= {"2026-03-20": "new"}
    for day, text in pages.items():
        day_page(output, day, text)
    keys = {f"{d.replace('-', '/')}/index.html": "k" for d in pages}
    assert search.update_index(output, keys) is None
    listing = json.loads((output / "pagefind" / search.INDEXES).read_text())
    assert [m for m, _ in listing["months"]] == [
        "2026-03-2a-20",
        "2026-02",
        "2026-01-2b",
        "2026-01-0b",
    ]
    january = json.loads((output / "pagefind" / "2026-01-0b" / "pagefind-entry.json").read_text())
    assert january["languages"]["en"]["page_count"] == 1


def test_a_failing_pagefind_is_a_warning_and_keeps_the_index(tmp_path: Path) -> None:
    output = tmp_path / "output"
    day_page(output, "2026-03-20")
    keys = {"2026/03/20/index.html": "a"}
    assert search.update_index(output, keys) is None
    listing = (output / "pagefind" / search.INDEXES).read_bytes()
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'Error: cannot read the site' >&2\nexit 3\n")
    broken.chmod(0o755)
    warning = search.update_index(output, {"2026/03/20/index.html": "b"}, broken)
    assert warning is not None and "cannot read the site" in warning
    assert (output / "pagefind" / search.INDEXES).read_bytes() == listing  # as it was
    assert (output / "pagefind" / "2026-03-2a-20" / "pagefind-entry.json").is_file()
    assert not (output / ".pagefind-new").exists()
    missing = search.update_index(output, {"2026/03/20/index.html": "c"}, tmp_path / "nowhere")
    assert missing is not None and "cannot run Pagefind" in missing


def test_a_site_without_entries_has_an_empty_index_and_no_warning(tmp_path: Path) -> None:
    output = tmp_path / "output"
    day_page(output, "2026-03-20")
    assert search.update_index(output, {"2026/03/20/index.html": "a"}) is None
    (output / "2026" / "03" / "20" / "index.html").unlink()  # its entries since removed
    assert search.update_index(output, {}) is None
    assert [p.name for p in (output / "pagefind").iterdir()] == [search.INDEXES]
    assert json.loads((output / "pagefind" / search.INDEXES).read_text()) == {"months": []}


# --- in a browser ------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def search_and_follow(browser: object, home: str, word: str) -> dict[str, str]:
    """Type `word` in the header's search box on the home page, read the first result,
    follow it; what the reader saw."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(home)
    page.fill("#site-search", word)
    page.press("#site-search", "Enter")
    result = page.locator(".search-result").first
    expect(result).to_be_visible(timeout=15_000)
    seen = {
        "count": str(page.locator(".search-result").count()),
        "title": result.locator("h2 a").inner_text(),
        "source": result.locator(".source").inner_text(),
        "date": result.locator(".date").inner_text(),
        "excerpt": result.locator(".search-excerpt").inner_text(),
        "mark": result.locator("mark").first.inner_text(),
        "status": page.locator("#search-status").inner_text(),
    }
    result.locator("h2 a").click()
    page.wait_for_load_state()
    anchor = page.evaluate("location.hash")
    seen["url"] = page.url
    seen["landed"] = page.locator(f"article[id='{anchor[1:]}'] h3").inner_text()
    page.close()
    assert errors == []
    return seen


@pytest.mark.slow
def test_search_finds_an_entry_and_leads_to_it(
    browser: object, tmp_path: Path, server: FeedServer
) -> None:
    out, _ = build_site(tmp_path / "site", server)
    with FeedServer(folder=out) as site:
        seen = search_and_follow(browser, site.url("/index.html"), "zeppelins")
    assert seen["count"] == "1"
    assert seen["title"] == "Airships over Berlin"
    assert seen["source"] == "Sky Log"
    assert seen["date"].startswith("March 20, 2026")
    assert seen["mark"].lower() == "zeppelins" and "airships" in seen["excerpt"]
    assert seen["status"] == "Results for “zeppelins”: 1"
    assert re.search(r"/2026/03/20/index\.html#entry-[0-9a-f]{12}$", seen["url"])
    assert seen["landed"] == "Airships over Berlin"


@pytest.mark.slow
def test_search_works_under_a_sub_path(browser: object, tmp_path: Path, server: FeedServer) -> None:
    out, _ = build_site(tmp_path / "site", server)
    with FeedServer(folder=out, prefix="/repo") as site:
        seen = search_and_follow(browser, site.url("/repo/index.html"), "airships")
        asked = site.paths()
    assert seen["title"] == "Airships over Berlin"
    assert re.search(r"/repo/2026/03/20/index\.html#entry-[0-9a-f]{12}$", seen["url"])
    assert seen["landed"] == "Airships over Berlin"
    assert any("/pagefind/" in p for p in asked)
    assert all(p.startswith("/repo/") for p in asked), [p for p in asked if "/repo/" not in p]


@pytest.mark.slow
def test_search_in_russian_finds_another_form_of_the_word(
    browser: object, tmp_path: Path, server: FeedServer
) -> None:
    out, _ = build_site(tmp_path / "site", server, language="ru")
    entry = out / "pagefind" / "2026-03-2a-20" / "pagefind-entry.json"
    assert "ru" in json.loads(entry.read_text())["languages"]
    with FeedServer(folder=out) as site:
        seen = search_and_follow(browser, site.url("/index.html"), "кошка")  # text: "кошками"
    assert seen["title"] == "Городские волонтёры"
    assert seen["mark"] == "кошками"  # another form of the word typed
    assert seen["source"] == "Sky Log"
    assert seen["date"].startswith("20 марта 2026")
    assert seen["status"] == "Найдено по запросу «кошка»: 1"
    assert seen["landed"] == "Городские волонтёры"


@pytest.mark.slow
def test_without_javascript_the_search_page_links_the_archive(
    browser: object, tmp_path: Path, server: FeedServer
) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    out, _ = build_site(tmp_path / "site", server)
    with FeedServer(folder=out) as site:
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(site.url("/index.html"))
        page.fill("#site-search", "airships")
        page.press("#site-search", "Enter")
        page.wait_for_load_state()
        assert page.url.endswith("/search/index.html?q=airships")
        fallback = page.locator("#search-fallback")
        assert fallback.is_visible()
        assert fallback.inner_text() == "Search needs JavaScript; browse the archive"
        assert not page.locator("#search-form").is_visible()
        fallback.locator("a").click()
        page.wait_for_load_state()
        assert page.url.endswith("/archive/index.html")
        context.close()
