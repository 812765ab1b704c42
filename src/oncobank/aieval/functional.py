"""Functional testing: the checklist of technical and medical criteria over the 5-study set, and its decision.

Every criterion is checked on every study: 1 conforms, 0 is a nonconformity, `na` does not apply (e.g. no
finding to mark). "Inconsistencies with the basic functional requirements are critical": every technical
criterion and the mandatory content are critical by rule (a form that marks one of them 0 is refused); the
experts decide only for the optional content and the format of the response. Any critical nonconformity fails
the test, which suspends the version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oncobank.aieval.errors import InputFileError, Issue
from oncobank.aieval.labels import label
from oncobank.aieval.review_form import cell_name, sheet_rows, write_sheet

SHEET = "checklist"
# (criterion, kind, critical): critical ones are the basic functional requirements, critical by rule; the others
# are critical only when the experts mark them so. In the order the methodology lists them.
CRITERIA: tuple[tuple[str, str, bool], ...] = (
    ("triage", "technical", True),
    ("extra_series", "technical", True),
    ("series_name", "technical", True),
    ("marking", "technical", True),
    ("warning_images", "technical", True),
    ("warning_sr", "technical", True),
    ("series_sync", "technical", True),
    ("probability_shown", "technical", True),
    ("category_shown", "technical", True),
    ("sr_structure", "technical", True),
    ("mandatory_content", "medical", True),
    ("optional_content", "medical", False),
    ("response_format", "medical", False),
)
FIELDS = ("criterion", "description", "kind", "critical")
STUDY = "study:"
BASIC = frozenset(name for name, _, critical in CRITERIA if critical)


def write_checklist(study_uids: list[str], path: Path, lang: str = "en",
                    prefilled: dict[tuple[str, str], int] | None = None) -> Path:
    """The blank checklist: one row per criterion, one column per study (cells `prefilled` from the SRs)."""
    prefilled = prefilled or {}
    fields = [*FIELDS, *(STUDY + u for u in study_uids), "comment"]
    labels = [label(f, lang) for f in FIELDS] + [f"{label('study', lang)} {i}" for i in
                                                 range(1, len(study_uids) + 1)] + [label("comment", lang)]
    rows = [[name, label(f"fc_{name}", lang), label(kind, lang), int(critical),
             *(prefilled.get((name, u)) for u in study_uids), None] for name, kind, critical in CRITERIA]
    return write_sheet(path, SHEET, labels, fields, rows)


def sr_checks(reports: dict[str, Any]) -> dict[tuple[str, str], int]:
    """Checklist cells the result SRs answer: the warning in the SR and the complete SR structure."""
    from oncobank.aieval.sr_codes import SECTIONS, WARNING_EN, WARNING_RU

    out = {}
    for uid, report in reports.items():
        warning = (report.warning or "").lower() if report is not None else ""
        out[("warning_sr", uid)] = int(WARNING_EN.lower() in warning or WARNING_RU.lower() in warning)
        out[("sr_structure", uid)] = int(report is not None and set(SECTIONS) <= set(report.sections))
    return out


@dataclass(frozen=True)
class Nonconformity:
    criterion: str
    kind: str
    study_uid: str
    critical: bool
    comment: str | None


@dataclass(frozen=True)
class FunctionalResult:
    """The filled checklist: studies, the cell values per criterion, and the nonconformities found."""

    studies: list[str]
    cells: dict[str, list[str]]  # criterion -> per study "1", "0" or "na"
    critical: dict[str, bool]
    nonconformities: list[Nonconformity]

    @property
    def passed(self) -> bool:
        return not any(n.critical for n in self.nonconformities)

    @property
    def decision(self) -> str:
        return "pass" if self.passed else "fail"

    def to_dict(self) -> dict[str, Any]:
        return {"studies": self.studies, "cells": self.cells, "critical": self.critical,
                "nonconformities": [n.__dict__ for n in self.nonconformities], "decision": self.decision}


def read_checklist(path: Path, min_studies: int) -> FunctionalResult:
    """The filled checklist; every criterion must be checked on every study, at least `min_studies` studies."""
    header, rows = sheet_rows(path, SHEET, (*FIELDS, "comment"))
    issues: list[Issue] = []
    studies = [(i, h[len(STUDY):]) for i, h in enumerate(header) if h.startswith(STUDY)]
    if len(studies) < min_studies:
        issues.append(Issue(path.name, f"sheet {SHEET}, row 2", "studies", len(studies), "functional_studies",
                            f"functional testing needs at least {min_studies} studies"))
    known = {name: kind for name, kind, _ in CRITERIA}
    col = {f: header.index(f) for f in (*FIELDS, "comment")}
    cells: dict[str, list[str]] = {}
    critical: dict[str, bool] = {}
    found: list[Nonconformity] = []
    for r, values in rows:
        def get(i: int, values: tuple = values) -> str:
            return "" if i >= len(values) or values[i] is None else str(values[i]).strip()

        name = get(col["criterion"])
        if name in cells:
            issues.append(Issue(path.name, f"cell {cell_name(col['criterion'] + 1, r)}", "criterion", name, "unique",
                                "the criterion has two rows"))
            continue
        if name not in known:
            issues.append(Issue(path.name, f"cell {cell_name(col['criterion'] + 1, r)}", "criterion", name,
                                "criterion", f"expected one of {', '.join(known)}"))
            continue
        flag = get(col["critical"]).removesuffix(".0")
        at = f"cell {cell_name(col['critical'] + 1, r)}"
        if flag not in ("1", "0"):
            issues.append(Issue(path.name, at, "critical", flag, "critical",
                                "enter 1 (a nonconformity here is critical) or 0"))
        elif name in BASIC and flag != "1":
            issues.append(Issue(path.name, at, "critical", flag, "basic_critical",
                                f"{name} is a basic functional requirement: its nonconformity is critical by rule "
                                "and cannot be marked 0"))
        critical[name] = flag == "1" or name in BASIC
        cells[name] = []
        for i, uid in studies:
            text = get(i).lower().removesuffix(".0")
            if text not in ("1", "0", "na"):
                issues.append(Issue(path.name, f"cell {cell_name(i + 1, r)}", f"{name} / {uid}", get(i) or None,
                                    "check", "enter 1 (conforms), 0 (nonconformity) or na (does not apply)"))
            cells[name].append(text)
            if text == "0":
                found.append(Nonconformity(name, known[name], uid, critical[name], get(col["comment"]) or None))
    for name in known:
        if name not in cells:
            issues.append(Issue(path.name, f"sheet {SHEET}", "criterion", name, "all_criteria",
                                "every criterion of the checklist must be checked; this one has no row"))
    if issues:
        raise InputFileError(issues)
    return FunctionalResult([u for _, u in studies], cells, critical, found)
