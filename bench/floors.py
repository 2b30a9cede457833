"""A cold build's stages beside their floors: what the libraries alone cost on the same corpus.

    python bench/scale.py --only cold --peer no --workdir DIR    # the corpus, and a site built
    python bench/floors.py DIR                                   # DIR/corpus, DIR/digest

For each stage, the CPU seconds digest spends on it, in this one process (the build spreads
parse, render and search over two cores), and the floor, the library it is built on doing
only its own part on the same input:

  parse     digest.parse.parse_body on every feed of the corpus, its sanitiser left out;
            floor: lxml parses each feed and visits every element's text (no field read).
  sanitise  digest's sanitize_html on every body the parse hands it, with its arguments;
            floor: nh3.clean on the same bodies, with nh3's defaults.
  plan      the site model and every file's key, from the entry index (no floor: there is
            no library for it; this is what a build does before it renders anything).
  render    every page of the site rendered (pages only, not the feeds), bodies read back
            from the month files; floor: one Jinja template per page, with autoescape,
            printing each entry's title, link and (on a page that shows it) body, its
            bodies read beforehand.
  search    digest's Pagefind bundles for every day page, from nothing; floor: Pagefind once
            over every day page (one bundle). The binary's CPU, counted as the children's.

Each is the best of --repeat runs (search: one run). Wall time is not printed: this machine is
shared, and the build's wall time is bench/scale.py's.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import lxml.etree
import nh3
import parse_cpu  # bench/parse_cpu.py, beside this script
from markupsafe import Markup

import digest.parse.raw
from digest.config import load_config
from digest.feeds.index import Bodies
from digest.feeds.store import with_index
from digest.pipeline import _posts, load_caches
from digest.render.pages import plan_site, render_site
from digest.render.theme import load_theme, theme_hashes
from digest.site.group import make_site
from digest.write import search

Call = tuple[tuple[Any, ...], dict[str, Any]]


def cpu(work: Callable[[], object], repeat: int) -> float:
    """The least process CPU time of `repeat` runs of `work`."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def children_cpu(work: Callable[[], object]) -> float:
    """The CPU time of the child processes `work` runs and waits for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    work()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def parse_stage(feeds: list[tuple[str, bytes]], repeat: int) -> tuple[float, float, list[Call]]:
    """(digest's parse without sanitising, lxml's floor, every sanitize_html call made)."""
    calls: list[Call] = []
    real = digest.parse.raw.sanitize_html

    def recorded(*args: Any, **kwargs: Any) -> str:
        calls.append((args, kwargs))
        return str(args[0])

    def parse_all() -> None:
        calls.clear()
        parse_cpu.run(feeds, fast=True)  # digest.parse.parse_body on each, the lxml path

    def lxml_all() -> None:
        for _, body in feeds:
            for element in lxml.etree.fromstring(body).iter():
                _ = element.text

    digest.parse.raw.sanitize_html = recorded  # type: ignore[assignment]
    try:
        parsed = cpu(parse_all, repeat)
    finally:
        digest.parse.raw.sanitize_html = real
    return parsed, cpu(lxml_all, repeat), calls


def sanitise_stage(calls: list[Call], repeat: int) -> tuple[float, float]:
    real = digest.parse.raw.sanitize_html

    def digest_all() -> None:
        for args, kwargs in calls:
            real(*args, **kwargs)

    def nh3_all() -> None:
        for args, _ in calls:
            nh3.clean(args[0])

    return cpu(digest_all, repeat), cpu(nh3_all, repeat)


FLOOR_TEMPLATE = """<!doctype html><html><head><title>{{ title }}</title></head><body>
{% for e in entries %}<article><h2><a href="{{ e.link }}">{{ e.title }}</a></h2>
{% if full %}{{ e.body }}{% endif %}</article>
{% endfor %}</body></html>"""


def render_stage(project: Path, repeat: int) -> tuple[float, float, float, int]:
    """(plan, digest's render of every page, Jinja's floor, pages)."""
    config = load_config(project / "config.toml")
    bodies = Bodies(config.content_dir / "feeds").whole
    theme = load_theme(config.themes_dir, config.site.theme)
    hashed = theme_hashes(theme)
    made: list[Any] = []

    def plan() -> None:
        caches = with_index(config, load_caches(config, states=True))
        site = make_site(config, caches, _posts(config), now=None, bodies=bodies)
        made[:] = [site, plan_site(site, theme, hashed)]

    planned = cpu(plan, repeat)
    site, files = made
    pages = tuple(p for p in files if p.page is not None)

    def render_all() -> None:
        for _ in render_site(site, theme, pages, workers=1):
            pass

    rendered = cpu(render_all, repeat)
    env = jinja2.Environment(autoescape=True)
    template = env.from_string(FLOOR_TEMPLATE)
    shown = {
        id(e): {"title": e.title, "link": e.link, "body": Markup(site.whole(e).content_html)}
        for page in site.pages
        for group in page.days
        for e in group.entries
    }

    def jinja_all() -> None:
        for page in site.pages:
            entries = [shown[id(e)] for group in page.days for e in group.entries]
            full = page.full and not page.compact
            template.render(title=page.title, entries=entries, full=full).encode()

    return planned, rendered, cpu(jinja_all, repeat), len(pages)


def search_stage(output: Path) -> tuple[float, float, int]:
    """(digest's bundles, Pagefind once over every day page, day pages), children's CPU."""
    found = search._binary()
    if isinstance(found, str):
        raise SystemExit(found)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "output"
        shutil.copytree(output, copy, ignore=shutil.ignore_patterns(search.FOLDER))
        days = {
            str(p.relative_to(copy)): "key" for p in copy.glob("*/*/*/index.html")
            if search.is_indexed(str(p.relative_to(copy)))
        }  # fmt: skip
        bundles = children_cpu(lambda: search.update_index(copy, days, found))
        command = [
            str(found), "--site", str(copy), "--glob", "[0-9]*/*/*/index.html",
            "--output-path", str(Path(tmp) / "once"), "--quiet",
        ]  # fmt: skip
        once = children_cpu(lambda: subprocess.run(command, check=True))
    return bundles, once, len(days)


def _posts_in(path: Path) -> int:
    """The posts in a corpus file, as its name says: feed0003-51.xml holds 51."""
    return int(path.stem.rsplit("-", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workdir", type=Path, help="bench/scale.py's --workdir")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # Each feed as the cold build fetched it: its first file (feed0003-50.xml; the cases after
    # add feed0003-51.xml when it gains a post).
    first: dict[str, Path] = {}
    for path in sorted((args.workdir / "corpus").glob("*.xml"), key=_posts_in):
        first.setdefault(path.stem.rsplit("-", 1)[0], path)
    feeds = [(name, path.read_bytes()) for name, path in sorted(first.items())]
    rows: list[tuple[str, float, float | None]] = []
    parsed, lxml_floor, calls = parse_stage(feeds, args.repeat)
    rows.append((f"parse ({len(feeds)} feeds)", parsed, lxml_floor))
    rows.append((f"sanitise ({len(calls)} bodies)", *sanitise_stage(calls, args.repeat)))
    planned, rendered, jinja_floor, pages = render_stage(args.workdir / "digest", args.repeat)
    rows.append(("plan", planned, None))
    rows.append((f"render ({pages} pages)", rendered, jinja_floor))
    bundles, once, days = search_stage(args.workdir / "digest" / "output")
    rows.append((f"search ({days} day pages)", bundles, once))
    print(f"{'stage':<28} {'digest CPU s':>12} {'floor CPU s':>12} {'digest/floor':>12}")
    for stage, spent, floor in rows:
        ratio = f"{spent / floor:.1f}" if floor else "-"
        shown = f"{floor:.2f}" if floor is not None else "-"
        print(f"{stage:<28} {spent:>12.2f} {shown:>12} {ratio:>12}")
    total = sum(spent for _, spent, _ in rows)
    floors = sum(floor or 0.0 for _, _, floor in rows)
    print(f"{'all of them':<28} {total:>12.2f} {floors:>12.2f} {total / floors:>12.1f}")


if __name__ == "__main__":
    main()
