"""`oncobank cohort run | attrition` on a store published under small_cell 2: small counts and the neighbours that
would give them away come back null (printed "≤ 2" or "suppressed"), never the number; DuckDB."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
from typer.testing import CliRunner

from oncobank.cli.main import app
from oncobank.deid.publish_kanon import REPORT, REPORT_SCHEMA, SMALL_CELL
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink

from .test_cohort_cli import _saved_five, home  # noqa: F401 - the data home with the registry's accounts

runner = CliRunner()


def _store_under(threshold: int, analysis_url: str, folder: Path) -> str:
    """A copy of the cohort store whose k_anonymity table says it was published under `threshold`."""
    url = str(folder / f"small-{threshold}.duckdb")
    shutil.copy(analysis_url, url)
    row = {"measure": SMALL_CELL, "column": None, "before": None, "after": float(threshold), "level": None}
    open_sink(url).apply(PublishDelta((TableDelta(REPORT, pa.Table.from_pylist([row], schema=REPORT_SCHEMA)),),
                                      full=False))
    return url


def test_small_counts_of_a_cohort_are_suppressed(home: Path, analysis_url: str) -> None:  # noqa: F811
    # Exact (tests/cohort/definitions.py): 5 with an index event; remaining 4, 4, 3, 3, 2; failing 1, 1, 2, 2, 2.
    # Threshold 2. Small: the last remaining (2) and every failing count. The first rule's line: its failing 1 is
    # masked, so the initial 5 is too. Remaining 4, 4, 3, 3 shown between: 4 - 3 = 1 is a small step, so the second
    # 4 is masked; then the first 4 and 3 differ by 1, so the first 4 is masked; 3 - 3 = 0 gives nobody away.
    url = _store_under(2, analysis_url, home)
    _saved_five(home)
    run = json.loads(runner.invoke(app, ["cohort", "run", "five", "--analysis", url, "--json"]).output)
    assert (run["count"], run["suppressed"], run["small_cell"]) == (None, True, 2)
    result = runner.invoke(app, ["cohort", "attrition", "five", "--analysis", url, "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["initial"] is None and found["suppressed"] == {"remaining": "complementary"}
    assert [(r["remaining"], r["failing_alone"]) for r in found["rules"]] == \
        [(None, None), (None, None), (3, None), (3, None), (None, None)]
    assert [r["suppressed"] for r in found["rules"]] == [
        {"remaining": "complementary", "failing_alone": "small"},
        {"remaining": "complementary", "failing_alone": "small"},
        {"failing_alone": "small"}, {"failing_alone": "small"},
        {"remaining": "small", "failing_alone": "small"}]
    printed = runner.invoke(app, ["cohort", "run", "five", "--analysis", url, "--lang", "ru"])
    assert printed.exit_code == 0 and "≤ 2" in printed.output
    table = runner.invoke(app, ["cohort", "attrition", "five", "--analysis", url]).output
    assert "suppressed" in table and "≤ 2" in table


def test_a_store_without_a_threshold_suppresses_up_to_5(home: Path, analysis_url: str) -> None:  # noqa: F811
    url = str(home / "plain.duckdb")
    shutil.copy(analysis_url, url)
    open_sink(url).apply(PublishDelta((), full=False, drop=(REPORT,)))
    _saved_five(home)
    run = json.loads(runner.invoke(app, ["cohort", "run", "five", "--analysis", url, "--json"]).output)
    assert (run["count"], run["suppressed"], run["small_cell"]) == (None, True, 5)
