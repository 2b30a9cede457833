"""Imports go only down the pipeline, with no cycle, and a no-change build starts with cheap
imports.

The layout is the stage table: each package of digest/ is a stage (or a concern shared by
stages), and LAYERS says which packages each may import. Every import in every module is read
from its source, those inside functions too (the commands import most of what they use
lazily), and checked against its package's row; the modules' imports, all of them, form no
cycle. A new package or top-level module needs a row here (the test says so), which is where
its place in the pipeline gets decided.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import digest

PACKAGE = Path(digest.__file__).parent

# package (or top-level module) -> the packages it may import ("digest" itself, for
# __version__, always). The stages: config -> feeds (fetch, parse, update, store) -> site
# (group) -> editions -> render -> write, wired by pipeline; cli and serve sit on top.
LAYERS: dict[str, set[str]] = {
    "errors": set(),
    "models": set(),
    "routes": set(),  # where each page lives in output/: one convention for every stage
    "timefmt": set(),
    "files": set(),
    "sanitize": {"errors"},
    "config": {"errors", "files", "models", "sanitize"},
    "parse": {"errors", "models", "routes", "sanitize"},
    "feeds": {"errors", "files", "models", "parse", "sanitize", "timefmt"},
    "site": {"models", "routes", "sanitize", "timefmt"},
    "editions": {"errors", "files", "models", "routes", "sanitize", "timefmt"},
    "render": {"editions", "errors", "models", "routes", "sanitize", "timefmt"},
    # write renders, through render, what its stamp says changed; the stamp fingerprints the
    # inputs: the content cache (feeds), the closed editions, the day entries age out (site).
    "write": {"editions", "errors", "feeds", "files", "models", "render", "site"},
    "pipeline": {"editions", "errors", "feeds", "models", "parse", "render", "site", "write"},
    "serve": {"errors", "models", "pipeline", "write"},
    "cli": {"config", "errors", "feeds", "models", "parse", "pipeline", "render", "sanitize"}
    | {"serve", "write"},
    "__main__": {"cli"},
}

# What the middle of the pipeline must not load: the network client, the TOML editor, the
# feed parser and its kin, the article extractor (`full_text`). `digest build` with nothing
# new renders nothing, so its imports are most of its time.
HEAVY = ("httpx", "tomlkit", "feedparser", "markdown", "defusedxml", "watchdog", "trafilatura")
LIGHT = (
    "site.group", "render", "render.syndication", "routes", "models", "feeds.update",
    "pipeline", "editions",
)  # fmt: skip


def modules() -> dict[str, Path]:
    """Every module of digest by dotted name ("digest.feeds.fetch"), packages by their own."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.with_suffix("").relative_to(PACKAGE.parent).parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The digest modules `path` imports anywhere in it: a name imported from a package is
    the submodule of that name if there is one, else the package."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "digest":
            assert node.level == 0, f"{path}: a relative import"
            module = str(node.module)
            for alias in node.names:
                yield f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "digest")


def layer(module: str) -> str:
    """The package (or top-level module) a dotted module name belongs to."""
    return module.split(".")[1] if "." in module else "digest"


def test_every_package_has_a_row() -> None:
    layers = {layer(m) for m in modules()} - {"digest"}
    assert layers - LAYERS.keys() == set(), "add the new package to LAYERS"
    assert LAYERS.keys() - layers == set(), "a package in LAYERS is gone"


def test_imports_go_down_the_pipeline() -> None:
    known = modules()
    wrong = [
        f"{name} imports {target}"
        for name, path in known.items()
        for target in imports(path, known)
        if layer(target) not in {layer(name), "digest"} | LAYERS[layer(name)]
    ]
    assert wrong == []


def test_no_module_imports_itself_back() -> None:
    """No cycle among the modules, counting the imports inside functions: a module that
    needs another's part should take it from a third that both import."""
    known = modules()
    graph = {name: set(imports(path, known)) & known.keys() for name, path in known.items()}
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def walk(name: str, path: list[str]) -> list[str]:
        state[name] = 1
        for target in sorted(graph[name] - {name, "digest"}):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [target]
            if target not in state and (cycle := walk(target, [*path, target])):
                return cycle
        state[name] = 2
        return []

    cycles = [
        cycle for name in sorted(graph) if name not in state for cycle in [walk(name, [name])]
    ]
    assert [c for c in cycles if c] == []


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The walk above reads function bodies, where the commands import lazily."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from digest.feeds import fetch\n    import digest.render\n")
    known = modules()
    assert set(imports(module, known)) == {"digest.feeds.fetch", "digest.render"}


def _loaded(module: str) -> set[str]:
    """The modules importing `digest.<module>` loads, in a fresh interpreter."""
    code = f"import json, sys; import digest.{module}; print(json.dumps(sorted(sys.modules)))"
    # Run beside the package this test imported, so the child imports the same one.
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=PACKAGE.parent,
    ).stdout  # fmt: skip
    return set(json.loads(out))


@pytest.mark.parametrize("module", LIGHT)
def test_the_middle_of_the_pipeline_loads_nothing_heavy(module: str) -> None:
    loaded = _loaded(module)
    assert [name for name in HEAVY if name in loaded] == []


# A build that finds nothing changed reads the theme's files and the stamp, and makes no page:
# Jinja and Babel (~0.06 s) are loaded only by what renders (render.pages).
TEMPLATING = ("jinja2", "babel")


@pytest.mark.parametrize("module", ["pipeline", "render", "render.theme", "write", "write.stamp"])
def test_what_a_nothing_changed_build_imports_loads_no_templating(module: str) -> None:
    loaded = _loaded(module)
    assert [name for name in TEMPLATING if name in loaded] == []
