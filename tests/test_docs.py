"""The manual in docs/: it builds as a site, it documents every config key, and the README
stays a short way into it.

The site is built as a contributor and .github/workflows/docs.yml build it (`mkdocs build
--strict`, mkdocs.yml at the top): a link to a page or a heading that does not exist, or a
page left out of the nav, fails the build. The config keys are asked of the loader itself,
through the problem it reports for a key it does not know ("unknown key (known keys: ...)"),
so a key or a table added to it without its line in docs/configuration.md fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.util import find_spec
from pathlib import Path

import pytest

from digest.config import ConfigError, parse_config

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
README = REPO / "README.md"
WORKFLOW = REPO / ".github" / "workflows" / "docs.yml"
README_LINES = 150
# The README's "Two commands": .ci/run runs the second, the example digest's tests the first.
TWO_COMMANDS = (
    "pip install . && digest build                 "
    "# build this repository's example digest into output/",
    "pip install '.[test]' && pytest               # run the tests",
)


def test_the_docs_build_with_strict(tmp_path: Path) -> None:
    if find_spec("mkdocs") is None or find_spec("material") is None:
        pytest.fail("MkDocs is not installed: pip install -e '.[test]'")
    site = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},  # Material's banner, not a problem
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for page in ("index.html", "configuration/index.html", "pipeline/index.html"):
        assert (site / page).is_file(), page


# --- every config key is documented ------------------------------------------------------------

PROBE = "not_a_key"
UNKNOWN = ": unknown key (known keys: "


def known_keys(path: tuple[str | int, ...]) -> set[str] | None:
    """The keys the loader accepts in the table at `path` (a 0 steps into an array of tables),
    as its problem for an unknown key there lists them; None when it takes no fixed keys there
    (a value, or a table of names such as [tags.aliases])."""
    data: object = {PROBE: 1}
    for step in reversed(path):
        data = [data] if step == 0 else {step: data}
    assert isinstance(data, dict)
    where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    with pytest.raises(ConfigError) as caught:  # never valid: [site] has no title
        parse_config(data, REPO / "config.toml")
    for problem in caught.value.problems:
        head, _, keys = problem.partition(UNKNOWN)
        if keys and head == f"{where}.{PROBE}".lstrip("."):
            return set(keys.removesuffix(")").split(", "))
    return None


def accepted_keys() -> dict[str, set[str]]:
    """Every table the loader knows, by its TOML name ("site", "feeds.retention", "tags.rules"),
    with the keys it accepts in it; "" holds the top-level keys, the tables themselves."""
    tables: dict[str, set[str]] = {}

    def walk(path: tuple[str | int, ...]) -> bool:
        keys = known_keys(path)
        if keys is None:
            return False
        tables[".".join(step for step in path if isinstance(step, str))] = keys
        for key in sorted(keys):
            walk((*path, key)) or walk((*path, key, 0))  # a table, or an array of tables
        return True

    walk(())
    return tables


def sections(markdown: str) -> list[tuple[str, list[str]]]:
    """Each heading of a Markdown page with the lines under it, up to the next heading."""
    found: list[tuple[str, list[str]]] = []
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            found.append((line, []))
        elif found:
            found[-1][1].append(line)
    return found


def documented(table: str, key: str, page: list[tuple[str, list[str]]]) -> bool:
    """Whether `key` of `table` is on the page: in a section whose heading names the table
    (`[table]` or `[[table]]`), as a TOML line (`key = ...`), a sub-table's header
    (`[table.key]`, `[[table.key]]`) or a row of a table of keys (`| `key` |`)."""
    if not table:
        return any(re.search(rf"`\[\[?{re.escape(key)}\]\]?`", head) for head, _ in page)
    named = re.compile(rf"`\[\[?{re.escape(table)}\]\]?`")
    line = re.compile(
        rf"^(\s*{re.escape(key)}\s*=|\[\[?{re.escape(f'{table}.{key}')}\]\]?|\|\s*`{re.escape(key)}`)"
    )
    return any(
        named.search(head) and any(line.match(text) for text in lines) for head, lines in page
    )


def test_every_config_key_is_documented() -> None:
    tables = accepted_keys()
    # The probe found the loader's tables (were the message reworded, it would find none).
    assert {"site", "feeds", "fetch", "tags", "tags.rules"} <= tables.keys(), tables
    assert {"site", "feeds"} <= tables[""] and {"title", "base_url"} <= tables["site"]
    page = sections((DOCS / "configuration.md").read_text(encoding="utf-8"))
    missing = [
        f"[{table}] {key}" if table else f"[{key}]"
        for table, keys in sorted(tables.items())
        for key in sorted(keys)
        if not documented(table, key, page)
    ]
    assert not missing, (
        "config keys the loader accepts but docs/configuration.md does not document (a"
        " `key = ...` line or a `| `key` |` row under the heading that names the table, e.g."
        f" ## `[site]`; a table needs a heading of its own): {', '.join(missing)}"
    )


# --- the README ----------------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_readme_is_short_and_its_links_lead_somewhere() -> None:
    text = README.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) < README_LINES, (
        f"README.md has {len(lines)} lines: keep it under {README_LINES} and move reference"
        " text into docs/"
    )
    for command in TWO_COMMANDS:
        assert command in lines, f"the README's two commands changed: {command!r}"
    targets = [t for t in LINK.findall(text) if not re.match(r"[a-z]+:|#", t)]
    assert any(t.startswith("docs/") for t in targets), "the README links into docs/"
    broken = [t for t in targets if not (REPO / t.partition("#")[0]).exists()]
    assert not broken, f"README.md links to files that do not exist: {broken}"


def example_posts(path: Path) -> list[str]:
    """A page's example posts: its code blocks that start with a front matter fence."""
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"^```\w*\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    return [b for b in blocks if b.startswith(("---\n", "+++\n"))]


def test_the_readme_example_posts_are_the_docs_ones() -> None:
    # tests/test_posts.py parses the README's; the posts page shows the same, word for word.
    readme = example_posts(README)
    assert len(readme) == 2
    assert readme == example_posts(DOCS / "posts.md")


# --- the workflow that builds the docs -----------------------------------------------------------


def test_the_docs_workflow_passes_actionlint_and_installs_the_test_extras_mkdocs() -> None:
    found = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    if not (REPO / ".git").exists():
        pytest.fail(f"{REPO} is not a git checkout; actionlint looks for the repository's .git")
    run = subprocess.run(
        [found, "-no-color", str(WORKFLOW.relative_to(REPO))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    workflow = WORKFLOW.read_text(encoding="utf-8")
    assert "mkdocs build --strict" in workflow
    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [r for r in extras["project"]["optional-dependencies"]["test"] if "mkdocs" in r]
    assert wanted and all(f'"{r}"' in workflow for r in wanted), wanted
