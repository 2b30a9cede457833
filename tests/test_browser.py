"""What a reader sees, in real headless Chromium (Debian's, driven by Playwright).

The site is built from tests/fixtures/site and served over loopback HTTP. axe-core checks
every page type, light and dark; a phone-sized viewport must not scroll sideways; footnotes
jump and jump back; a Russian-language site reads Russian.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from helpers import FeedServer
from playwright.sync_api import Browser, Page, sync_playwright

from digest.cli import main

pytestmark = pytest.mark.slow  # a real browser

FIXTURE = Path(__file__).parent / "fixtures" / "site"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
# The page types of the default theme, in the fixture site.
PAGE_TYPES = {
    "home": "index.html",
    "home, page 2": "page/2/index.html",
    "home, page 1 (a line per entry)": "page/1/index.html",
    "day": "2026/03/21/index.html",
    "month": "2026/03/index.html",
    "year": "2026/index.html",
    "search": "search/index.html?q=notes",
    "archive": "archive/index.html",
    "tags": "tags/index.html",
    "tag": "tags/notes/index.html",
    "sources": "sources/index.html",
    "source": "sources/field-notes/index.html",
    "post": "posts/welcome/index.html",
    "feed health": "feeds/index.html",
}


def build_site(folder: Path, **replace: str) -> Path:
    shutil.copytree(FIXTURE, folder)
    config = folder / "config.toml"
    text = config.read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    assert main(["build", "-q", "--config", str(config)]) == 0
    return folder / "output"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1774267200")
    out = build_site(tmp_path_factory.mktemp("site") / "en")
    mp.undo()
    with FeedServer(folder=out) as server:
        yield server.url("/")


def open_page(browser: Browser, url: str, **context: Any) -> tuple[Page, list[str]]:
    """A page with only loopback traffic allowed; returns it and its console errors."""
    page = browser.new_page(**context)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort()
        ),
    )
    page.goto(url)
    return page, [e for e in errors if "net::ERR_FAILED" not in e]


# One test per page and scheme: the two test processes share them out evenly.
@pytest.mark.parametrize("kind", PAGE_TYPES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_type_renders_and_passes_axe(
    browser: Browser, site: str, scheme: str, kind: str
) -> None:
    page, errors = open_page(browser, site + PAGE_TYPES[kind], color_scheme=scheme)
    assert errors == [], f"{kind}: console errors {errors}"
    assert page.locator("main h1").count() == 1, f"{kind}: one h1"
    # Dark differs from light in its colours only: the structure rules ran on the light page.
    colours = {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}
    options = {"resultTypes": ["violations"]} | ({"runOnly": colours} if scheme == "dark" else {})
    results = Axe().run(page, options=options)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    page.close()
    assert bad == [], kind


def test_no_horizontal_scroll_on_a_phone(browser: Browser, site: str) -> None:
    for path in ("index.html", "page/1/index.html", "posts/welcome/index.html", "feeds/index.html"):
        page, _ = open_page(browser, site + path, viewport={"width": 390, "height": 844})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 390px"
        page.close()


def test_footnotes_jump_and_jump_back(browser: Browser, site: str) -> None:
    page, _ = open_page(browser, site + "posts/welcome/index.html")
    ref = page.locator(".entry-content sup a").first
    target = ref.get_attribute("href")
    assert target and target.startswith("#")
    ref.click()
    assert page.evaluate("location.hash") == target
    note = page.locator(f"[id='{target[1:]}']")
    assert note.is_visible() and note.bounding_box() is not None
    assert "And hand-written posts like this one." in note.inner_text()
    back = note.locator("a").last
    back_target = back.get_attribute("href")
    back.click()
    assert page.evaluate("location.hash") == back_target
    assert page.locator(f"[id='{back_target[1:]}']").is_visible()


def test_a_russian_site_reads_russian(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1774267200")
    out = build_site(
        tmp_path / "ru",
        **{"per_page = 3": 'per_page = 1\nlanguage = "ru"'},
    )
    with FeedServer(folder=out) as server:
        page, errors = open_page(browser, server.url("/page/2/index.html"))
        assert errors == []
        assert page.evaluate("document.documentElement.lang") == "ru"
        pager = " ".join(page.locator("nav.pager").inner_text().split())
        # Six entries, one a page: numbered from the oldest, newest first, like the entries.
        assert pager == "« первая ‹ предыдущая 3 2 1 следующая › последняя »"
        assert page.locator("nav.pager [aria-current=page]").inner_text() == "2"
        # The day's heading, in Russian (its text: the style shows it in capitals).
        assert "20 марта 2026" in (page.locator("main .day h2").text_content() or "")
        assert page.locator("a.skip").inner_text() == "Перейти к содержимому"
        page.close()
        # English posts on a Russian page say so, for screen readers and hyphenation.
        page, _ = open_page(browser, server.url("/tags/writing/index.html"))
        assert page.locator("main h3[lang='en-GB']").inner_text() == "No date on this one"
        # (A tag page shows excerpts: the whole post is on its day page.)
        assert page.locator("main p.entry-summary[lang='en-GB']").count() == 1
        page.close()


def test_the_axe_check_can_fail(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    violations = Axe().run(page).response["violations"]
    assert any(v["id"] == "image-alt" and v["impact"] == "critical" for v in violations)
    page.close()
