from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests' own helpers, not the package

from helpers import FeedServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current build instead of comparing against it",
    )
    parser.addoption(
        "--regen-expected",
        action="store_true",
        help="rewrite tests/data/feeds/*.expected.json from parse_body instead of comparing",
    )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


@pytest.fixture
def epoch(monkeypatch: pytest.MonkeyPatch) -> int:
    """A fixed 'now' (2026-03-23 12:00 UTC) through SOURCE_DATE_EPOCH, as CI would set it."""
    value = 1774267200
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(value))
    return value
