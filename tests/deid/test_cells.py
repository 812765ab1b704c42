"""Small-cell suppression: small counts masked, and the complementary cells chosen by hand for each table."""

from __future__ import annotations

import pandas as pd
import pytest

from oncobank.deid.cells import suppress_small


def _cells(pairs: tuple[tuple[object, str], ...]) -> set[tuple[object, str]]:
    return set(pairs)


def test_two_way_table_with_margins():
    # Row II has the small 3; its row needs a second masked cell: 12 (the only other count in row II).
    # Column alive then has only the 3 masked: its smallest other count is 15 (III). Column dead has only 12:
    # its smallest other count is 8 (III). Row III now has two. The four masked cells form a rectangle: no
    # equation of the margins gives any one of them.
    frame = pd.DataFrame({"stage": ["I", "II", "III"], "alive": [20, 3, 15], "dead": [10, 12, 8]},
                         index=["I", "II", "III"])
    result = suppress_small(frame, ["alive", "dead"])
    assert _cells(result.primary) == {("II", "alive")}
    assert _cells(result.secondary) == {("II", "dead"), ("III", "alive"), ("III", "dead")}
    t = result.table
    assert t.loc["I", ["alive", "dead", "total"]].tolist() == [20, 10, 30]
    assert t.loc["II", "total"] == 15 and t.loc["III", "total"] == 23
    assert t.loc["total", ["alive", "dead", "total"]].tolist() == [38, 30, 68]
    assert t.loc["II", ["alive", "dead"]].isna().all() and t.loc["III", ["alive", "dead"]].isna().all()
    assert t.loc["I", "stage"] == "I"


def test_one_column_table_has_a_column_total_only():
    # 3 is small; the total 38 would give it back from 20 + 15, so the smaller other count, 15, is masked too.
    frame = pd.DataFrame({"n": [20, 3, 15]}, index=["a", "b", "c"])
    result = suppress_small(frame, ["n"])
    assert _cells(result.primary) == {("b", "n")} and _cells(result.secondary) == {("c", "n")}
    assert list(result.table.columns) == ["n"]
    assert result.table.loc["total", "n"] == 38


def test_zero_is_not_small_and_not_a_first_complement():
    # 2 is small; row x's other counts are 0 and 9: the non-zero 9 is masked, not the 0.
    frame = pd.DataFrame({"a": [2, 30], "b": [0, 40], "c": [9, 50]}, index=["x", "y"])
    result = suppress_small(frame, ["a", "b", "c"])
    assert _cells(result.primary) == {("x", "a")}
    assert ("x", "c") in _cells(result.secondary) and ("x", "b") not in _cells(result.masked)


def test_small_margins_are_masked_too():
    # Row A: 2 and 1 and its total 3 are all small. Columns 1 and 2 then each hold one masked cell: their other
    # counts, 10 and 20, are masked. The row totals' column holds one (3): its other cell inside the table is
    # none, so the smaller margin, 30, is masked. Only the column totals stay: a 2x3 block that none of them fixes.
    frame = pd.DataFrame({"c1": [2, 10], "c2": [1, 20]}, index=["A", "B"])
    result = suppress_small(frame, ["c1", "c2"])
    assert _cells(result.primary) == {("A", "c1"), ("A", "c2"), ("A", "total")}
    assert _cells(result.secondary) == {("B", "c1"), ("B", "c2"), ("B", "total")}
    assert result.table.loc["total"].tolist() == [12, 21, 33]


def test_exact_check_masks_a_cell_the_pairs_rule_misses():
    # Small counts: a rectangle in rows r0-r1 x columns c0-c1, another in rows r2-r3 x columns c2-c3, and r1/c2
    # joining them. Every row and column has two or more masked, yet r1/c2 is fixed by the margins: r0 + r1 - c0 - c1
    # leaves only it. The first line through it is row r1, whose one open count is r1/c3 (50): masking it puts r1/c2
    # on a cycle with r2 or r3 and c3, and nothing is fixed any more.
    big = 50
    frame = pd.DataFrame({
        "c0": [1, 2, big, big], "c1": [3, 4, big, big], "c2": [big, 5, 1, 2], "c3": [big, big, 3, 4],
    }, index=["r0", "r1", "r2", "r3"])
    result = suppress_small(frame, ["c0", "c1", "c2", "c3"])
    assert len(result.primary) == 9
    assert _cells(result.secondary) == {("r1", "c3")}


def test_without_margins_only_small_counts_go():
    frame = pd.DataFrame({"alive": [20, 3], "dead": [10, 12]}, index=["I", "II"])
    result = suppress_small(frame, ["alive", "dead"], margins=False)
    assert _cells(result.masked) == {("II", "alive")}
    assert list(result.table.columns) == ["alive", "dead"] and list(result.table.index) == ["I", "II"]


def test_threshold_is_configurable():
    frame = pd.DataFrame({"n": [10, 11, 40]}, index=["a", "b", "c"])
    assert _cells(suppress_small(frame, ["n"], threshold=10).primary) == {("a", "n")}
    assert suppress_small(frame, ["n"], threshold=9).masked == ()


@pytest.mark.parametrize(("column", "values", "message"), [
    ("n", [1, -2], "column 'n', row 1: not a count"),
    ("n", [1.5, 2], "column 'n', row 0: not a count"),
    ("n", [None, 2], "column 'n', row 0: not a count"),
])
def test_bad_counts(column: str, values: list[object], message: str):
    with pytest.raises(ValueError, match=message):
        suppress_small(pd.DataFrame({column: values}), [column])


def test_missing_column_and_reserved_row_label():
    with pytest.raises(ValueError, match="no column 'm'"):
        suppress_small(pd.DataFrame({"n": [1]}), ["m"])
    with pytest.raises(ValueError, match="unique and not 'total'"):
        suppress_small(pd.DataFrame({"n": [1]}, index=["total"]), ["n"])
