"""Functional testing: the checklist form, SR pre-fill, critical vs non-critical nonconformities, bad cells."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from oncobank.aieval.errors import InputFileError
from oncobank.aieval.functional import CRITERIA, read_checklist, sr_checks, write_checklist
from oncobank.aieval.sr_build import SrContent, write_sr
from oncobank.aieval.sr_read import read_sr
from oncobank.aieval.staff import check_staff

UIDS = ["a", "b", "c", "d", "e"]
CONTENT = SrContent("2.25.1", "Finder", "Sim LLC", "1.0", datetime(2026, 2, 1, 10, tzinfo=UTC),
                    datetime(2026, 2, 1, 10, 2, tzinfo=UTC), 0.1, "normal", "No nodules")


def _filled(tmp_path: Path) -> Path:
    path = write_checklist(UIDS, tmp_path / "fc.xlsx", lang="ru")
    wb = load_workbook(path)
    ws = wb["checklist"]
    for row in range(3, 3 + len(CRITERIA)):
        for col in range(5, 10):
            ws.cell(row, col).value = 1
    wb.save(path)
    return path


def _set(path: Path, cell: str, value: object) -> None:
    wb = load_workbook(path)
    wb["checklist"][cell] = value
    wb.save(path)


def test_all_conform_passes_and_only_non_basic_criteria_may_be_non_critical(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    result = read_checklist(path, 5)
    assert result.passed and result.nonconformities == [] and result.studies == UIDS
    _set(path, "F14", 0)  # optional content (row 14, not a basic requirement, 0 on the form) fails on study b
    _set(path, "I14", "na")
    result = read_checklist(path, 5)
    assert [(n.criterion, n.study_uid, n.critical) for n in result.nonconformities] == [
        ("optional_content", "b", False)]
    assert result.decision == "pass" and result.cells["optional_content"] == ["1", "0", "1", "1", "na"]
    _set(path, "D14", 1)  # the experts may make it critical
    assert read_checklist(path, 5).decision == "fail"


@pytest.mark.parametrize("row, criterion", [(3, "triage"), (5, "series_name"), (9, "series_sync")])
def test_basic_requirements_are_critical_by_rule(tmp_path: Path, row: int, criterion: str) -> None:
    """Issue 17: triage, series name and synchronisation were non-critical, and a triage nonconformity passed."""
    path = _filled(tmp_path)
    _set(path, f"E{row}", 0)
    result = read_checklist(path, 5)
    assert [(n.criterion, n.critical) for n in result.nonconformities] == [(criterion, True)]
    assert result.decision == "fail"


def test_critical_nonconformity_fails_and_the_form_cannot_make_it_non_critical(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    _set(path, "E8", 0)  # warning_sr (row 8, critical) fails on study a
    _set(path, "J8", "missing in the SR")
    result = read_checklist(path, 5)
    assert result.decision == "fail"
    assert [(n.criterion, n.study_uid, n.critical, n.comment) for n in result.nonconformities] == [
        ("warning_sr", "a", True, "missing in the SR")]
    _set(path, "D8", 0)  # an expert flips the flag of a basic requirement: refused (it used to pass)
    with pytest.raises(InputFileError, match=r"cell D8, field critical: value '0': warning_sr is a basic functional "
                                             r"requirement.*\[rule: basic_critical\]"):
        read_checklist(path, 5)


def test_bad_cells_missing_rows_and_too_few_studies(tmp_path: Path) -> None:
    path = _filled(tmp_path)
    _set(path, "G4", "x")
    _set(path, "D5", "maybe")
    with pytest.raises(InputFileError) as exc:
        read_checklist(path, 6)
    text = str(exc.value)
    assert ("file fc.xlsx, cell G4, field extra_series / c: value 'x': enter 1 (conforms), 0 (nonconformity) or na "
            "(does not apply) [rule: check]") in text
    assert "cell D5, field critical: value 'maybe'" in text
    assert "field studies: value 5: functional testing needs at least 6 studies [rule: functional_studies]" in text
    wb = load_workbook(path)
    wb["checklist"].delete_rows(15)  # the last criterion (response_format)
    wb.save(path)
    with pytest.raises(InputFileError, match=r"field criterion: value 'response_format'.*\[rule: all_criteria\]"):
        read_checklist(path, 5)


def test_sr_prefill_and_expert_rules(tmp_path: Path) -> None:
    good = read_sr(write_sr(CONTENT, tmp_path / "1.dcm"))
    unwarned = read_sr(write_sr(replace(CONTENT, study_uid="2.25.2", warning=None), tmp_path / "2.dcm"))
    cells = sr_checks({"x": good, "y": unwarned, "z": None})
    assert cells == {("warning_sr", "x"): 1, ("sr_structure", "x"): 1, ("warning_sr", "y"): 0,
                     ("sr_structure", "y"): 0, ("warning_sr", "z"): 0, ("sr_structure", "z"): 0}
    staff = {"technical": ["A"], "medical": ["B"]}
    assert check_staff("functional", staff, 5.5) == [("technical", "A"), ("medical", "B")]
    with pytest.raises(ValueError, match="more than 5 years"):
        check_staff("functional", staff, 5)
    with pytest.raises(ValueError, match="rule: experts"):
        check_staff("functional", {"technical": ["A"], "medical": [" "]}, 10)
