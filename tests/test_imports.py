"""Imports go only down the pipeline, and a no-change build starts with cheap imports.

Each module is imported in a fresh interpreter and what it pulled into `sys.modules` is
checked against the layer table below: a module may load the digest modules it is allowed to
import, and what those may import, nothing else. A new module needs a row here (the test
says so), which is where its place in the pipeline gets decided.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import digest

# module -> the digest modules it may import directly ("digest" itself, for __version__, is
# always allowed). The stages: config -> fetch -> parse -> update -> store -> group -> render
# -> write, wired by pipeline; cli and serve sit on top.
LAYERS: dict[str, set[str]] = {
    "errors": set(),
    "models": set(),
    "routes": set(),
    "timefmt": set(),
    "testhook": set(),
    "files": {"testhook"},
    "sanitize": {"errors"},
    "theme": {"errors"},
    "config": {"errors", "models", "sanitize"},
    "configedit": {"config", "errors", "models", "files", "sanitize"},
    "fetch": {"models", "sanitize", "schedule"},
    "identify": {"errors", "sanitize"},
    "parse": {"errors", "identify", "models", "sanitize"} | {"fastparse"},
    "fastparse": {"errors", "identify", "models", "parse", "sanitize"},  # parse's own fast path
    "posts": {"errors", "models", "routes", "sanitize"},
    "schedule": {"models", "timefmt"},
    "update": {"models", "schedule"},
    "store": {"errors", "files", "models", "timefmt"},
    "pool": {"errors", "fetch", "models", "parse", "update"},
    "group": {"models", "routes", "sanitize", "timefmt"} | {"filters", "topics", "dedup"},
    "topics": {"models", "sanitize"},
    "filters": {"models", "sanitize"},
    "dedup": {"models"},
    "opml": {"sanitize"},
    "syndication": {"models", "opml", "routes", "sanitize", "timefmt"},
    "keys": {"models"},
    "editions": {"models", "routes", "sanitize"},
    "editions_store": {"errors", "files", "models", "timefmt"},
    "edition_feeds": {"models", "routes", "sanitize", "syndication", "timefmt"},
    "workers": {"errors"},
    "render": {"errors", "keys", "models", "routes", "sanitize", "syndication", "theme"}
    | {"workers", "edition_feeds", "editions"},
    "write": {"errors", "files", "models"},
    "sizes": {"models", "store"},
    "search": {"files"},  # runs Pagefind over output/ after write
    "pipeline": {"errors", "fetch", "group", "models", "parse", "pool", "posts", "render"}
    | {"schedule", "search", "sizes", "store", "theme", "update", "workers", "write"}
    | {"filters", "editions", "editions_store"},
    "opml_import": {"config", "configedit", "errors", "opml", "sanitize"},
    "discover": {"config", "configedit", "errors", "fetch", "identify", "models", "parse"}
    | {"sanitize"},
    "scaffold": {"errors"},
    "serve": {"errors", "models", "pipeline", "write"},
    "cli": {"config", "errors", "models", "pipeline"},  # commands import the rest lazily
    "__main__": {"cli"},
}

# What the middle of the pipeline must not load: the network client, the TOML editor, the
# feed parser and its kin. `digest build` with nothing new renders nothing, so its imports
# are most of its time.
HEAVY = ("httpx", "tomlkit", "feedparser", "markdown", "defusedxml", "watchdog")
LIGHT = ("group", "render", "syndication", "routes", "models", "update", "pipeline", "editions")


def _allowed(module: str) -> set[str]:
    """Everything `module` may load: its row, and theirs, and so on."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for dep in LAYERS[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _loaded(module: str) -> set[str]:
    """The modules importing `digest.<module>` loads, in a fresh interpreter."""
    code = f"import json, sys; import digest.{module}; print(json.dumps(sorted(sys.modules)))"
    # Run beside the package this test imported, so the child imports the same one.
    root = Path(digest.__file__).parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    ).stdout
    return set(json.loads(out))


def test_every_module_has_a_row() -> None:
    modules = {m.name for m in pkgutil.iter_modules(digest.__path__)}
    assert modules - LAYERS.keys() == set(), "add the new module to LAYERS"
    assert LAYERS.keys() - modules == set(), "a module in LAYERS is gone"


# __main__ runs the command line when imported: its one import is plain to see.
@pytest.mark.parametrize("module", sorted(LAYERS.keys() - {"__main__"}))
def test_imports_go_down_the_pipeline(module: str) -> None:
    loaded = _loaded(module)
    ours = {name.split(".")[1] for name in loaded if name.startswith("digest.")}
    assert ours - {module} - _allowed(module) == set()
    if module in LIGHT:
        assert [name for name in HEAVY if name in loaded] == []
