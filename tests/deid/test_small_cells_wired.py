"""Small cells masked where the analysis store's aggregates are shown: the threshold published with the store (DuckDB),
cohort counts and attrition, quality counts per check and centre (CLI on DuckDB). Every expected mask is counted by
hand from the numbers in the test (threshold 5 unless said).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from tests.quality import registry
from typer.testing import CliRunner

from oncobank.cli.main import app
from oncobank.cohort.run import shown_attrition, shown_count
from oncobank.deid.policy import KAnonymitySettings, Policy
from oncobank.deid.publish import publish
from oncobank.deid.publish_kanon import REPORT, REPORT_SCHEMA, SMALL_CELL
from oncobank.deid.small_cells import store_threshold
from oncobank.engine import connect
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink
from oncobank.quality.scoring import count_text, shown, shown_changes
from oncobank.store.clinical import ClinicalStore

runner = CliRunner()


def _row(by_centre: dict[str, list[int]], violated: int, denominator: int) -> dict:
    return {"id": "c", "type": "required", "violated": violated, "denominator": denominator,
            "pct": round(100 * violated / denominator, 2), "by_centre": by_centre, "status": "failed"}


def test_a_centre_with_4_violations_and_its_complement_are_masked() -> None:
    # centres (violated, rest of the denominator): A (4, 46), B (10, 50), C (20, 55); totals 34 and 151, 185 in all.
    # Primary: A's 4. Row A has one masked cell: its rest 46 (the only other inside cell). The violated column has
    # one: its smallest other, B's 10; the rest column has A's 46: its smallest other, B's 50; then row B has two.
    # Four unknowns, equations rows A, B and the two columns: rank 3, none determined. Denominators and totals shown.
    row = shown([_row({"A": [4, 50], "B": [10, 60], "C": [20, 75]}, 34, 185)], {"small_cell": 5})[0]
    assert row["by_centre"] == {"A": [None, 50], "B": [None, 60], "C": [20, 75]}
    assert (row["violated"], row["denominator"], row["pct"]) == (34, 185, 18.38)
    assert row["suppressed"] == {"by_centre": {"A": {"violated": "small"}, "B": {"violated": "complementary"}}}
    assert count_text(row, "violated") == "34"


def test_a_check_without_centres_masks_its_small_count_and_the_per_cent() -> None:
    # 3 of 40: the count is small; with the denominator shown the per cent (7.5) would give it back
    row = shown([_row({}, 3, 40)], {})[0]  # a run without small_cell: 5
    assert (row["violated"], row["denominator"], row["pct"]) == (None, 40, None)
    assert row["suppressed"] == {"violated": "small", "pct": "complementary"}
    assert count_text(row, "violated", "ru") == "≤ 5" and count_text(row, "pct") == "suppressed"
    assert count_text(row, "pct", "ru") == "скрыто"


def test_zero_and_a_threshold_of_0_show_everything() -> None:
    row = shown([_row({"A": [0, 3], "B": [7, 9]}, 7, 12)], {"small_cell": 0})[0]
    assert "suppressed" not in row and row["by_centre"] == {"A": [0, 3], "B": [7, 9]}
    assert shown_count(0, 5) == {"count": 0, "suppressed": False}
    assert shown_count(6, 5) == {"count": 6, "suppressed": False}
    assert shown_count(5, 5) == {"count": None, "suppressed": True}


def test_the_trend_masks_small_violated_counts() -> None:
    changes = shown_changes([{"id": "c", "violated": 2, "was_violated": 9}], {"small_cell": 5})
    assert changes[0]["violated"] is None and changes[0]["was_violated"] == 9
    assert changes[0]["suppressed"] == {"violated": "small"}


def test_attrition_hides_a_small_step_between_neighbours() -> None:
    # 100 with an index event; remaining 50, 47, 3; failing alone 50, 10, 60. Primary: the last remaining (3).
    # 50 - 47 = 3 persons dropped by rule b: the earlier of the two, 50, is masked; then rule a's failing count
    # (100 - 50) would give 50 back, so it is masked too; 100 - 47 = 53 is no small step.
    attrition = {"initial": 100, "rules": [{"rule": "a", "remaining": 50, "failing_alone": 50},
                                           {"rule": "b", "remaining": 47, "failing_alone": 10},
                                           {"rule": "c", "remaining": 3, "failing_alone": 60}]}
    assert shown_attrition(attrition, 5) == {"initial": 100, "rules": [
        {"rule": "a", "remaining": None, "failing_alone": None,
         "suppressed": {"failing_alone": "complementary", "remaining": "complementary"}},
        {"rule": "b", "remaining": 47, "failing_alone": 10},
        {"rule": "c", "remaining": None, "failing_alone": 60, "suppressed": {"remaining": "small"}}]}


def test_attrition_masks_the_first_rules_line() -> None:
    # 40 with an index event, 36 remaining after rule a, 4 failing it: the 4 is small and 40 - 36 gives it back, so
    # the earlier of the pair, 40, is masked (the remaining 36 is the cohort's count, shown by `cohort run`).
    attrition = {"initial": 40, "rules": [{"rule": "a", "remaining": 36, "failing_alone": 4}]}
    assert shown_attrition(attrition, 5) == {"initial": None, "suppressed": {"remaining": "complementary"}, "rules": [
        {"rule": "a", "remaining": 36, "failing_alone": None, "suppressed": {"failing_alone": "small"}}]}


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_publish_writes_the_threshold_with_the_store(store: ClinicalStore, tmp_path: Path, home) -> None:  # type: ignore[no-untyped-def]
    for n, sex in enumerate(["ж", "ж", "м", "м"], start=21):
        rid = f"TH-0000{n}"
        store.create_patient(rid, "C01", "dr_ivanova", {"EMR": f"E-{n}"})
        store.add_entry(rid, "demographics", {"surname": "Смирнов", "first_name": "Олег",
                                                "birth_date": "1970-06-15", "sex": sex, "region": "Тула"},
                        user="dr_ivanova")
    policed, plain = str(tmp_path / "policed.duckdb"), str(tmp_path / "plain.duckdb")
    publish(store, policed, Policy(k_anonymity=KAnonymitySettings(k=2, quasi_identifiers=["sex"], small_cell=3)))
    publish(store, plain, Policy())
    with connect(policed) as found:
        assert store_threshold(found) == 3
    with connect(plain) as found:
        assert store_threshold(found) == 5  # no k_anonymity section: the default


def test_a_central_store_takes_the_largest_threshold(tmp_path: Path) -> None:
    url = str(tmp_path / "central.duckdb")
    rows = [{"measure": SMALL_CELL, "column": None, "before": None, "after": a, "level": None} for a in (3.0, 7.0)]
    open_sink(url).apply(PublishDelta((TableDelta(REPORT, pa.Table.from_pylist(rows, schema=REPORT_SCHEMA)),),
                                      full=True))
    with connect(url) as found:
        assert store_threshold(found) == 7


def test_quality_run_on_a_store_without_a_threshold_masks_with_5(tmp_path: Path) -> None:
    # The planted store (tests/quality/registry.py) without its threshold row: the stage check is violated by 1 of 2
    # rows, all at C01 — the count, the rest (1) and the denominator (2) are all small, so all are masked.
    url = str(tmp_path / "defective.duckdb")
    planted = registry.delta(registry.defective())
    open_sink(url).apply(PublishDelta(tuple(t for t in planted.tables if t.name != REPORT), full=True))
    result = runner.invoke(app, ["quality", "run", "--analysis", url, "--as-of", "2024-01-01", "--date-margin", "0",
                                 "--history", str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    check = {c["id"]: c for c in json.loads(result.stdout)["checks"]}["rule:thyroid.stage_matches_tnm"]
    assert (check["violated"], check["denominator"], check["pct"], check["by_centre"]) == \
        (None, None, None, {"C01": [None, None]})
    assert check["suppressed"] == {"violated": "small", "denominator": "small", "pct": "complementary",
                                   "by_centre": {"C01": {"violated": "small", "denominator": "small"}}}
    assert check["status"] == "failed"
    printed = runner.invoke(app, ["quality", "report", "--history", str(tmp_path / "runs"), "--lang", "ru"])
    assert printed.exit_code == 0 and "≤ 5" in printed.output
