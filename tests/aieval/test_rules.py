"""The rules table (each rule's source and where it is enforced), the staff each stage needs, the survey."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from oncobank.aieval.errors import InputFileError
from oncobank.aieval.feedback import read_survey, survey_report
from oncobank.aieval.rules import RULES, rules_table, source_label
from oncobank.aieval.staff import check_staff

DOC = Path(__file__).resolve().parents[2] / "docs" / "ai-evaluation.md"


def test_the_docs_table_is_the_rules_table() -> None:
    assert rules_table() in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_names_a_place_that_exists(rule) -> None:  # type: ignore[no-untyped-def]
    module, _, attribute = rule.where.rpartition(".")
    base = "oncobank." if module.startswith("cli.") else "oncobank.aieval."
    try:
        target = importlib.import_module(base + module)
    except ModuleNotFoundError:  # module.Class.method
        module, _, owner = module.rpartition(".")
        target = getattr(importlib.import_module(base + module), owner)
    assert hasattr(target, attribute), rule.where


def test_our_settings_are_labelled_as_ours() -> None:
    """Issue 17 (9): the gaps OncoBank fills are settings of its own, not the methodology's published values."""
    ours = {r.id for r in RULES if r.source == "oncobank"}
    assert {"max_deviation", "defect_rule", "clinical_limits", "periods", "time_statistic"} <= ours
    assert source_label("max_deviation", "ru") == "Настройка ОнкоБанка"
    assert source_label("defect_rate") == "Methodology, § 4"
    from oncobank.aieval import thresholds

    assert "published values" not in (thresholds.Thresholds.__doc__ or "")


def test_each_stage_records_its_staff() -> None:
    assert check_staff("calibration", {"technical": ["A"], "medical": ["B"]}) == [("technical", "A"),
                                                                                 ("medical", "B")]
    with pytest.raises(ValueError, match=r"calibration needs a medical expert \[rule: calibration_staff\]"):
        check_staff("calibration", {"technical": ["A"], "medical": [""]})
    with pytest.raises(ValueError, match=r"needs a technical specialist and the person responsible \[rule: tech_staff"):
        check_staff("technological_monitoring", {})
    assert check_staff("technological_monitoring", {"technical": ["A", "B"], "responsible": ["A"]}) == [
        ("technical", "A"), ("technical", "B"), ("responsible", "A")]
    with pytest.raises(ValueError, match="expert needs more than 5 years of practice, none given"):
        check_staff("clinical_monitoring", {"expert": ["E"]})
    assert check_staff("clinical_monitoring", {"expert": ["E"]}, 6) == [("expert", "E")]


def test_survey_by_hand(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("respondent,score,comment\nR1,5,fast\nR2,4,\nR3,2,misses small nodules\n"
                                    "R4,4,\n")
    r = survey_report(read_survey(tmp_path / "s.csv"))
    # scores 5, 4, 2, 4: mean 15/4 = 3.75, median 4, satisfied (4 or 5) 3 of 4
    assert (r.respondents, r.mean, r.median, r.counts) == (4, 3.75, 4.0, {1: 0, 2: 1, 3: 0, 4: 2, 5: 1})
    assert r.satisfied.estimate == 0.75 and r.comments == ["fast", "misses small nodules"]
    (tmp_path / "bad.csv").write_text("score\n6\n3.5\n")
    with pytest.raises(InputFileError) as exc:
        read_survey(tmp_path / "bad.csv")
    assert "file bad.csv, row 2, field score: value '6': expected a whole score from 1 to 5 [rule: survey]" in str(
        exc.value) and "row 3, field score: value '3.5'" in str(exc.value)
