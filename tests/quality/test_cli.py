"""`oncobank quality`: a clean run raises nothing, the planted run's report, re-scoring, trend, problem lists, checks.

One clean and one defective store, each run once; every later command reads the stored runs (or one check's rows).
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from oncobank.cli.main import app

from . import registry

runner = CliRunner()
REQUIRED = {  # the dictionary's required fields that may leave the hospital (surname, names, birth date may not)
    "demographics.sex", "follow_up.last_contact_date", "follow_up.vital_status", "documents.document_type",
    "documents.attachment_sha256", "thyroid_cytology.bethesda", "thyroid_diagnosis.icd10", "thyroid_genetics.gene",
    "thyroid_genetics.result", "thyroid_imaging.modality", "thyroid_surgery.thyroid_extent",
    "thyroid_radioiodine.procedure", "thyroid_radioiodine.isotope", "thyroid_histology.histology_type",
    "thyroid_hormone_therapy.levothyroxine_dose", "thyroid_targeted_therapy.drug"}
USER_CHECK = """rules:
  - id: local.total_thyroidectomy_only
    kind: condition
    table: thyroid_surgery
    require: [{column: thyroid_extent, op: eq, value: total_thyroidectomy}]
    dimension: correctness
    kahn: conformance, validation
    severity: convention
    label: {en: "Only total thyroidectomies at our centre", ru: "В нашем центре только тиреоидэктомии"}
    suggestion: {en: "{violated} surgeries are not total thyroidectomies.",
                 ru: "{violated} операций не тиреоидэктомии."}
"""


def _quality(*args: str) -> dict:
    result = runner.invoke(app, ["quality", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _failed(report: dict) -> dict[str, tuple[int, int]]:
    return {c["id"]: (c["violated"], c["denominator"]) for c in report["checks"] if c["status"] == "failed"}


def test_run_report_rescore_trend_issues(tmp_path: Path) -> None:
    clean, defective, history = tmp_path / "clean.duckdb", tmp_path / "defective.duckdb", str(tmp_path / "runs")
    registry.publish(str(defective), registry.defective())
    registry.publish(str(clean), registry.clean())
    mine = tmp_path / "mine.yaml"
    mine.write_text(USER_CHECK, encoding="utf-8")
    common = ["--as-of", "2024-01-01", "--date-margin", "0", "--history", history]
    first = _quality("run", "--analysis", str(defective), "--checks", str(mine), *common)
    assert _failed(first) == {**registry.PLANTED, "rule:local.total_thyroidectomy_only": (1, 4)}
    # P1, P2 at C01; P3, P4 at C02: P2's stage and P4's surgery code are each their centre's only violation
    by_id = {c["id"]: c for c in first["checks"]}
    assert by_id["rule:thyroid.stage_matches_tnm"]["by_centre"] == {"C01": [1, 2]}
    assert by_id["domain:thyroid_surgery.thyroid_extent"]["centre_status"] == {"C01": "passed", "C02": "failed"}
    assert first["scores"]["dimension"]["currency"] == {"score": 0.0, "passed": 0, "failed": 1,
                                                         "not_applicable": 0, "error": 0}
    suggestion = by_id["required:thyroid_histology.histology_type"]["suggestion"]
    # the field and section by their dictionary labels
    assert suggestion.startswith("25 % of histology entries (1 of 4) lack histological type of carcinoma")
    # re-scored without running: the two soft-range checks violate 50 %, under a 60 % threshold they pass
    loose = _quality("report", "--history", history, "--threshold", "soft_range=60")
    assert set(_failed(first)) - set(_failed(loose)) == {"soft_range:thyroid_laboratory.tsh",
                                                          "soft_range:thyroid_laboratory.tg"}
    rows = _quality("report", "--history", history, "--threshold", "fatal=100:1")  # fatal: more than 1 row fails
    assert {k for k in _failed(rows) if by_id[k]["severity"] == "fatal"} == set()

    second = _quality("run", "--analysis", str(clean), *common)
    assert _failed(second) == {}
    trend = _quality("trend", "--history", history)
    assert [p["currency"] for p in trend["runs"]] == [0.0, 100.0]
    assert {c["id"]: c["change"] for c in trend["changes"]} == {k: "fixed" for k in registry.PLANTED}

    stage = _quality("issues", "rule:thyroid.stage_matches_tnm", "--analysis", str(defective), *common[:4])
    assert stage["rows"] == [{"pseudonym": "P2", "entry_key": None, "table": "thyroid_stage",
                              "column": "recorded_stage_group", "value": "II"}]
    dated = _quality("issues", "entry_date:thyroid_laboratory", "--analysis", str(defective), *common[:4])
    assert [(r["pseudonym"], r["entry_key"]) for r in dated["rows"]] == [("P1", "P1-9")]

    html = tmp_path / "report.html"
    assert runner.invoke(app, ["quality", "report", "--history", history, "--html", str(html), "--lang", "ru"]
                         ).exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert "Качество данных" in page and "<polyline" in page and "Все проверки пройдены." in page


def test_checks_are_listed_with_their_frameworks() -> None:
    listed = _quality("checks", "--module", "thyroid")
    required = {c["id"].split(":", 1)[1] for c in listed if c["type"] == "required"}
    assert required == REQUIRED
    assert all(c["dimension"] and c["kahn"] and c["severity"] for c in listed)
    assert len({c["id"] for c in listed}) == len(listed)


def test_bad_input_is_one_error_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(USER_CHECK.replace("kind: condition", "kind: sometimes"), encoding="utf-8")
    result = runner.invoke(app, ["quality", "checks", "--checks", str(broken)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: broken.yaml: rule local.total_thyroidectomy_only, field kind")
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["quality", "report", "--history", str(tmp_path), "--threshold", "fatal=lots"])
    assert result.exit_code == 1 and "--threshold fatal=lots" in result.stderr
    result = runner.invoke(app, ["quality", "trend", "--history", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no stored runs" in result.stderr.lower()
