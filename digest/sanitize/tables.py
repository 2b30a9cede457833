"""Table spans the Nu Html Checker accepts: every column has a cell beginning in it."""

from __future__ import annotations

import bisect

from digest.sanitize.allowlist import DIGITS
from digest.sanitize.tree import Element, attribute

_MAX_SPAN_AREA = 100_000  # cells a table's colspan x rowspan may cover before spans go


def fix_spans(sections: list[Element]) -> None:
    """Rowspans end with their row group; a column no cell begins in is removed from the
    colspans that cover it (else: "Table columns ... have no cells beginning in them")."""
    cells: list[tuple[Element, int, int, int, int]] = []  # cell, group, row, cols, rows
    area = 0
    for group, section in enumerate(sections):
        rows = [row for row in section.children if isinstance(row, Element)]
        for r, row in enumerate(rows):
            for cell in row.children:
                assert isinstance(cell, Element)
                colspan = _span(cell, "colspan", 1, 1000)
                rowspan = _span(cell, "rowspan", 0, 65534)
                if rowspan == 0 or r + rowspan > len(rows):
                    rowspan = len(rows) - r
                area += colspan * rowspan
                cells.append((cell, group, r, colspan, rowspan))
    if area > _MAX_SPAN_AREA:  # not worth laying out: no spans at all
        for cell, *_ in cells:
            cell.attrs.pop("colspan", None)
            cell.attrs.pop("rowspan", None)
        return
    taken: set[tuple[int, int, int]] = set()
    placed: list[tuple[Element, int, int, int]] = []  # cell, column, colspan, rowspan
    column, here = 0, (-1, -1)
    for cell, group, r, colspan, rowspan in cells:
        if (group, r) != here:
            column, here = 0, (group, r)
        while (group, r, column) in taken:
            column += 1
        taken.update((group, r + i, column + j) for i in range(rowspan) for j in range(colspan))
        placed.append((cell, column, colspan, rowspan))
        column += colspan
    starts = sorted({column for _, column, _, _ in placed})
    for cell, column, colspan, rowspan in placed:
        # Columns no cell begins in are not columns: a colspan counts the others.
        columns = bisect.bisect_left(starts, column + colspan) - bisect.bisect_left(starts, column)
        for name, value in (("colspan", columns), ("rowspan", rowspan)):
            if value > 1:
                cell.attrs[name] = str(value)
            else:
                cell.attrs.pop(name, None)


def _span(cell: Element, name: str, low: int, high: int) -> int:
    value = (attribute(cell, name) or "").strip()
    if not DIGITS.match(value):
        return 1
    return min(max(int(value), low), high)
