"""Render keys (`render.keys`), on their own: a key is a hash of what a file shows, so equal
sites give equal keys, an edited entry changes the keys of the files that hold it and no
other, and every name a template looks up is either pure (render's registry of template
helpers says so) or counted in.

Sites are made in memory from caches (no fetch, no disk but the built-in theme), and the
keys are compared with what rendering actually gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import write_config

from digest.config import load_config
from digest.models import Config, Entry, FeedCache, FeedInfo, FullText, Site
from digest.render import keys
from digest.render import pages as render
from digest.render.keys import Keys
from digest.render.pages import plan_site, render_site
from digest.render.theme import Theme, load_theme, make_environment
from digest.site.group import make_site

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
EDITED = "https://alpha.example/3"  # the entry the tests edit: tagged "Topic 1", on March 22


def entry(source: str, n: int) -> Entry:
    when = NOW - timedelta(hours=7 * (n + 1))
    return Entry(
        id=f"https://{source}.example/{n}",
        source=source,
        title=f"{source} post {n}",
        link=f"https://{source}.example/{n}",
        author="Ann Author",
        published=when,
        updated=None,
        first_seen=when,
        tags=(f"Topic {n % 2}",) if source == "alpha" else (),
        content_html=f"<p>Body of {source} post {n}.</p>",
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    feeds = [{"url": f"https://{s}.example/feed.xml", "name": s.title()} for s in ("alpha", "beta")]
    return load_config(write_config(tmp_path_factory.mktemp("p"), feeds, per_page=3))


@pytest.fixture(scope="module")
def theme(config: Config) -> Theme:
    return load_theme(config.themes_dir, config.site.theme)


def site(config: Config, edit: Callable[[Entry], Entry] = lambda e: e) -> Site:
    """Two feeds' worth of entries over four days, `edit` applied to the EDITED one."""
    alpha = tuple(edit(e) if e.id == EDITED else e for e in (entry("alpha", n) for n in range(8)))
    beta = tuple(entry("beta", n) for n in range(5))
    caches = [
        FeedCache("alpha", FeedInfo(url="https://alpha.example/feed.xml"), entries=alpha),
        FeedCache("beta", FeedInfo(url="https://beta.example/feed.xml"), entries=beta),
    ]
    return make_site(config, caches, (), now=NOW)


def file_keys(site: Site, theme: Theme) -> dict[str, str]:
    return {p.path: p.key for p in plan_site(site, theme)}


def page_keys(site: Site, theme: Theme, pure: frozenset[str]) -> dict[str, str]:
    """The pages' keys, with `pure` as the names that show nothing beyond the page."""
    made = Keys(site, make_environment(theme), "base", pure)
    return {page.path: made.page(page) for page in site.pages}


def test_the_same_site_has_the_same_keys(config: Config, theme: Theme) -> None:
    """Made twice (other objects, equal values), a site's every file has the same key; the
    keys of files are distinct values, not one for all."""
    one, two = file_keys(site(config), theme), file_keys(site(config), theme)
    assert one == two
    assert len(set(one.values())) == len(one)


def test_an_edited_entry_changes_the_keys_of_the_files_that_hold_it(
    config: Config, theme: Theme
) -> None:
    """The pages that list it (in full, as an excerpt or a line), the feeds it is in, and the
    pages whose templates name a site-wide value that holds it (the tag and source indexes,
    whose `tags` and `sources` hold their entries); no other. Every file that reads
    differently is among them: an incremental build is never stale."""
    before = site(config)
    after = site(config, lambda e: replace(e, content_html="<p>Rewritten.</p>"))

    one, two = file_keys(before, theme), file_keys(after, theme)

    changed = {path for path in one if one[path] != two[path]}
    listing = {
        page.path
        for page in after.pages
        if any(e.id == EDITED for day in page.days for e in day.entries)
    }
    feeds = {"atom.xml", "feed.json", "tags/topic-1/atom.xml"}
    assert changed == listing | feeds | {"tags/index.html", "sources/index.html"}
    assert "sources/beta/index.html" not in changed and "2026/03/23/index.html" not in changed
    made = {f.path: f.data for f in render_site(before, theme)}
    differ = {f.path for f in render_site(after, theme) if made[f.path] != f.data}
    assert "2026/03/22/index.html" in differ and differ <= changed


def test_an_article_taken_from_the_page_is_in_the_keys_of_the_pages_that_show_it(
    config: Config, theme: Theme
) -> None:
    """`full_text`'s article counts by its bytes, like the body: another article changes the
    keys of the day page that shows it, the same article gives the same keys."""
    fetched = NOW - timedelta(hours=1)

    def article(html: str) -> Callable[[Entry], Entry]:
        return lambda e: replace(e, full_text=FullText("https://alpha.example/3", fetched, html))

    one = file_keys(site(config, article("<p>An article.</p>")), theme)
    again = file_keys(site(config, article("<p>An article.</p>")), theme)
    other = file_keys(site(config, article("<p>Another article.</p>")), theme)
    assert one == again
    assert one["2026/03/22/index.html"] != other["2026/03/22/index.html"]
    assert one != file_keys(site(config), theme)


def test_a_name_that_is_not_pure_makes_a_page_depend_on_the_whole_site(
    config: Config, theme: Theme
) -> None:
    """Every page's templates use `url_for` (base.html does). Registered pure, a page keys on
    what it shows; were it not, every page would key on the whole site, and an entry edited
    anywhere would render every page again."""
    before = site(config)
    after = site(config, lambda e: replace(e, title="Retitled"))
    impure = render.PURE - {"url_for"}

    pure_keys = page_keys(before, theme, render.PURE), page_keys(after, theme, render.PURE)
    whole_keys = page_keys(before, theme, impure), page_keys(after, theme, impure)

    beta = "sources/beta/index.html"
    assert pure_keys[0][beta] == pure_keys[1][beta]
    assert all(whole_keys[0][p] != whole_keys[1][p] for p in whole_keys[0])


def test_every_template_helper_says_whether_it_is_pure() -> None:
    """render.HELPERS is the one list of what templates see: each helper registered with how
    it is made and whether it is pure, and `keys` is handed the pure ones (render.PURE). The
    ones that are not are exactly the site-wide values keys tracks by value: any other would
    make every page that names it depend on the whole site."""
    assert all(callable(make) and type(pure) is bool for make, pure in render.HELPERS.values())
    impure = {name for name, (_, pure) in render.HELPERS.items() if not pure}
    assert impure == set(keys._SITE_WIDE)
    pure = set(render.HELPERS) - impure
    assert pure | {"page", "full"} == render.PURE  # and what render_page, render_entry add


def test_the_built_in_theme_names_only_what_keys_can_place(config: Config, theme: Theme) -> None:
    """A page template (with what it reaches) that names something neither registered pure
    nor site-wide renders on every change: the built-in theme has none."""
    env = make_environment(theme)
    templates = {page.template for page in site(config).pages}
    assert {"day.html", "list.html", "tags.html", "sources.html"} <= templates
    unplaced = {
        name: keys._names_used(env, name) - render.PURE - set(keys._SITE_WIDE) for name in templates
    }
    assert {name: names for name, names in unplaced.items() if names} == {}


def test_keys_do_not_depend_on_the_project_folder(tmp_path: Path, theme: Theme) -> None:
    feeds = [{"url": f"https://{s}.example/feed.xml", "name": s.title()} for s in ("alpha", "beta")]
    one = load_config(write_config(tmp_path / "one", feeds, per_page=3))
    two = load_config(write_config(tmp_path / "two", feeds, per_page=3))
    assert file_keys(site(one), theme) == file_keys(site(two), theme)
