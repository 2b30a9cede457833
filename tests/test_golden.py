"""The golden tree: the same content + config + theme give byte-identical output.

`tests/fixtures/site` is built at a fixed SOURCE_DATE_EPOCH in two separate folders; both
must equal each other and `tests/golden/`. After an intended change, regenerate with
`pytest tests/test_golden.py --regen-golden` and read the diff of tests/golden/ in review.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import tree

from digest.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "site"
GOLDEN = Path(__file__).parent / "golden"


def build_copy(folder: Path) -> dict[str, bytes]:
    shutil.copytree(FIXTURE, folder)
    assert main(["build", "-q", "--config", str(folder / "config.toml")]) == 0
    site = tree(folder / "output")
    site.update({f"content/{k}": v for k, v in tree(folder / "content" / "feeds").items()})
    return site


def test_two_builds_are_byte_identical_and_match_golden(
    tmp_path: Path, epoch: int, request: pytest.FixtureRequest
) -> None:
    first = build_copy(tmp_path / "one")
    second = build_copy(tmp_path / "two")
    assert first == second
    # The search index is Pagefind's output (its version's, WebAssembly included): the two
    # builds above agree on it byte for byte; the golden files hold digest's own files only.
    assert "pagefind/indexes.json" in first
    first = {name: data for name, data in first.items() if not name.startswith("pagefind/")}
    if request.config.getoption("--regen-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in first.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    golden = tree(GOLDEN)
    assert sorted(first) == sorted(golden), "files differ from tests/golden (--regen-golden?)"
    for name in golden:
        assert first[name] == golden[name], f"{name} differs from tests/golden (--regen-golden?)"
