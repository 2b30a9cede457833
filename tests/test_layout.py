"""The house by stage (issue 21): modules a reader can hold in mind, and pages that say what
they have. (Which package may import which: tests/test_imports.py.)"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

import digest
from digest.models.site import PAGE_FIELDS, Page, PageKind

PACKAGE = Path(digest.__file__).parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_no_module_over_400_lines_and_no_function_over_60() -> None:
    big, long = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(PACKAGE).as_posix()
        if source.count("\n") > MAX_MODULE_LINES:
            big.append(f"{name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}: {node.name}, {lines} lines")
    assert (big, long) == ([], [])


def test_a_page_has_only_the_fields_of_its_kind() -> None:
    assert set(PAGE_FIELDS) == set(get_args(PageKind)), "every kind of page says its fields"
    Page(path="tags/x/index.html", template="list.html", title="x", kind="tag", full=False)
    with pytest.raises(ValueError, match="a tags page has no full"):
        Page(path="tags/index.html", template="tags.html", title="", kind="tags", full=False)
    with pytest.raises(ValueError, match="a day page has no tag, source"):
        Page(path="d", template="day.html", title="", kind="day", tag=object(), source=object())  # type: ignore[arg-type]
