"""Small-cell suppression of a table of counts: counts 1..threshold masked, and the cells that would give them away.

`suppress_small(frame, count_columns, threshold=5)` treats `frame[count_columns]` as a two-dimensional table whose
row and column totals (and grand total) are published with it. Primary suppression masks every count from 1 to the
threshold, margins included (0 is not masked: it identifies nobody). Secondary suppression then masks complementary
cells until no masked cell can be worked out from the totals: first every row or column that has exactly one masked
cell gets a second (the smallest non-zero count inside the table, a margin only when the line has nothing else);
then an exact check solves the table's linear equations (each line sums to its total) for the masked cells, and
while one of them is still determined, another cell of one of its lines is masked. Bounds from non-negativity are not
considered (an interval for a masked cell may narrow; its value cannot be recomputed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

TOTAL = "total"


@dataclass(frozen=True)
class Suppressed:
    """The published table (masked counts are <NA>; margins added) and which cells were masked, and why."""

    table: pd.DataFrame
    primary: tuple[tuple[Any, str], ...]  # (row label, column): a small count
    secondary: tuple[tuple[Any, str], ...]  # masked so that the small ones cannot be recomputed

    @property
    def masked(self) -> tuple[tuple[Any, str], ...]:
        return self.primary + self.secondary


def suppress_small(frame: pd.DataFrame, count_columns: Sequence[str], threshold: int = 5, *,
                   margins: bool = True) -> Suppressed:
    """Mask counts 1..threshold in `frame[count_columns]` and the complementary cells; add the margins if asked.

    With `margins` False the caller publishes no total (of rows, columns or the whole): only small counts are masked.
    A margin is left out where it would repeat a cell (one count column has no row total; one row no column total).
    """
    counts = _counts(frame, count_columns)
    rows, cols = counts.shape
    row_total, col_total = margins and cols > 1, margins and rows > 1
    grid = counts
    if row_total:
        grid = np.column_stack([grid, grid.sum(axis=1)])
    if col_total:
        grid = np.vstack([grid, grid.sum(axis=0)])
    interior = np.zeros(grid.shape, dtype=bool)
    interior[:rows, :cols] = True
    lines = _lines(grid.shape, rows, cols, row_total, col_total) if margins else []
    primary = (grid >= 1) & (grid <= threshold)
    mask = primary.copy()
    _pairs(grid, mask, interior, lines)
    _exact(grid, mask, interior, lines)
    index = list(frame.index) + ([TOTAL] if col_total else [])
    columns = list(count_columns) + ([TOTAL] if row_total else [])
    shown = pd.DataFrame(grid, index=index, columns=columns).astype("Int64").mask(mask)
    labels = frame.drop(columns=list(count_columns)).reindex(index)
    table = pd.concat([labels, shown], axis=1)[[*frame.columns, *([TOTAL] if row_total else [])]]
    labelled = [(index[i], columns[j]) for i, j in zip(*np.nonzero(mask), strict=True)]
    first = {(index[i], columns[j]) for i, j in zip(*np.nonzero(primary), strict=True)}
    return Suppressed(table=table, primary=tuple(c for c in labelled if c in first),
                      secondary=tuple(c for c in labelled if c not in first))


def _counts(frame: pd.DataFrame, count_columns: Sequence[str]) -> np.ndarray:
    if not count_columns:
        raise ValueError("small-cell suppression: no count column given")
    if not frame.index.is_unique or TOTAL in frame.index:
        raise ValueError(f"small-cell suppression: row labels must be unique and not {TOTAL!r}")
    for name in count_columns:
        if name not in frame.columns:
            raise ValueError(f"small-cell suppression: the table has no column {name!r}")
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = values.isna() | (values < 0) | (values % 1 != 0)
        if bad.any():
            row = frame.index[int(bad.to_numpy().argmax())]
            raise ValueError(f"small-cell suppression: column {name!r}, row {row!r}: not a count (a whole number "
                             "of zero or more)")
    return frame[list(count_columns)].to_numpy(dtype=np.int64)


def _lines(shape: tuple[int, int], rows: int, cols: int, row_total: bool,
           col_total: bool) -> list[list[tuple[int, int]]]:
    """The cells of every published equation: each row and column with its total, the margins with the grand total."""
    height, width = shape
    lines: list[list[tuple[int, int]]] = []
    if row_total:  # each row of the grid, totals row included, sums to its last cell
        lines += [[(i, j) for j in range(width)] for i in range(height)]
    if col_total:
        lines += [[(i, j) for i in range(height)] for j in range(width)]
    return lines


def _complement(grid: np.ndarray, mask: np.ndarray, interior: np.ndarray,
                line: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The cell of `line` to mask next: inside the table before a margin, non-zero before zero, smallest first."""
    open_cells = [c for c in line if not mask[c]]
    if not open_cells:
        return None
    return min(open_cells, key=lambda c: (not interior[c], grid[c] == 0, grid[c], c))


def _pairs(grid: np.ndarray, mask: np.ndarray, interior: np.ndarray, lines: list[list[tuple[int, int]]]) -> None:
    """Give every line holding exactly one masked cell a second one, until none is left alone."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(mask[c] for c in line) == 1 and (cell := _complement(grid, mask, interior, line)) is not None:
                mask[cell] = changed = True


def _exact(grid: np.ndarray, mask: np.ndarray, interior: np.ndarray, lines: list[list[tuple[int, int]]]) -> None:
    """Mask more cells while the published equations still determine a masked one."""
    while (cell := _determined(mask, lines)) is not None:
        # a line through the determined cell first; any other line only if those are masked whole
        ordered = [ln for ln in lines if cell in ln] + [ln for ln in lines if cell not in ln]
        extra = next((c for ln in ordered if (c := _complement(grid, mask, interior, ln)) is not None), None)
        if extra is None:
            return  # the whole table is masked
        mask[extra] = True
        _pairs(grid, mask, interior, lines)


def _determined(mask: np.ndarray, lines: list[list[tuple[int, int]]]) -> tuple[int, int] | None:
    """The first masked cell whose value the lines' equations fix (its unit vector lies in their row space)."""
    unknown = [tuple(c) for c in np.argwhere(mask)]
    if not unknown or not lines:
        return None
    where = {c: n for n, c in enumerate(unknown)}
    equations = np.zeros((len(lines), len(unknown)))
    for r, line in enumerate(lines):
        last = line[-1]  # the line's total
        for c in line:
            if c in where:
                equations[r, where[c]] = -1.0 if c == last else 1.0
    rank = np.linalg.matrix_rank(equations)
    for c in unknown:
        unit = np.zeros(len(unknown))
        unit[where[c]] = 1.0
        if np.linalg.matrix_rank(np.vstack([equations, unit])) == rank:
            return (int(c[0]), int(c[1]))
    return None
