"""The reviewer spreadsheets (XLSX): write a blank form, read it back with every bad cell named.

One layout for all forms: row 1 has the labels (Russian or English), row 2 the field names the reader
checks, then one row per study (monitoring forms) or per criterion (the functional-testing checklist).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from oncobank.aieval.errors import InputFileError, Issue
from oncobank.aieval.labels import label

SHEET = "review"
# Defect groups take 1 or empty; agreement columns 1 (agrees) or empty (disagrees), as the published form says
# ("only values 1 or empty"; "leave the agreement cell empty if you disagree"); a 0 is read as a disagreement.
TECH_COLUMNS = ("study_uid", "defect_c", "defect_d", "defect_e", "agree_conclusion", "agree_localisation",
                "comment", "screenshot")
RATINGS = ("full", "incorrect", "false_positive", "false_negative")
CLINICAL_COLUMNS = ("study_uid", "conclusion", "localisation", "comment")
MARKS = ("defect_c", "defect_d", "defect_e")
AGREEMENT = ("agree_conclusion", "agree_localisation")


def write_sheet(path: Path, sheet: str, labels: list[str], fields: list[str], rows: list[list[object]],
                lists: dict[str, tuple[str, ...]] | None = None) -> Path:
    """A workbook with labels, field names and `rows`; `lists` restricts a field's cells to a drop-down."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(labels)
    ws.append(fields)
    for row in rows:
        ws.append(row)
    for name, allowed in (lists or {}).items():
        check = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"', allow_blank=False)
        ws.add_data_validation(check)
        col = cell_name(fields.index(name) + 1, 3)[:-1]
        check.add(f"{col}3:{col}{len(rows) + 2}")
    ws.column_dimensions["A"].width = 48
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_form(sample: pd.DataFrame, path: Path, kind: str, lang: str = "en") -> Path:
    """A monitoring form with one row per sampled study (`kind` technological or clinical)."""
    columns = TECH_COLUMNS if kind == "technological" else CLINICAL_COLUMNS
    rows = [[uid] + [None] * (len(columns) - 1) for uid in sample["study_uid"]]
    lists = {"conclusion": RATINGS, "localisation": RATINGS} if kind == "clinical" else None
    labels = [label(f"form_{c}" if c in MARKS else c, lang) for c in columns]
    return write_sheet(path, SHEET, labels, list(columns), rows, lists)


def cell_name(col: int, row: int) -> str:
    """The A1-style name of a cell (1-based column and row)."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def sheet_rows(path: Path, sheet: str, required: tuple[str, ...]) -> tuple[list[str], list[tuple[int, tuple]]]:
    """The field row and the non-empty data rows (with their sheet row numbers) of a form sheet.

    Stops with an error naming the sheet, or each required field that row 2 lacks.
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    if sheet not in wb.sheetnames:
        raise InputFileError([Issue(path.name, f"sheet {sheet!r}", None, ", ".join(wb.sheetnames), "sheet",
                                    f"the workbook has no {sheet} sheet")])
    rows = list(wb[sheet].iter_rows(values_only=True))
    header = [str(v).strip() if v is not None else "" for v in (rows[1] if len(rows) > 1 else ())]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputFileError([Issue(path.name, f"sheet {sheet}, row 2", c, None, "required_column",
                                    "the field row lacks this column") for c in missing])
    data = [(r, values) for r, values in enumerate(rows[2:], start=3)
            if not all(v is None or str(v).strip() == "" for v in values)]
    return header, data


def form_kind(path: Path) -> str:
    """Which form a workbook is: technological, clinical (review sheet) or functional (checklist sheet)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    if "checklist" in wb.sheetnames:
        return "functional"
    if SHEET in wb.sheetnames:
        fields = next(wb[SHEET].iter_rows(min_row=2, max_row=2, values_only=True), ())
        return "clinical" if "conclusion" in fields else "technological"
    raise InputFileError([Issue(path.name, None, None, ", ".join(wb.sheetnames), "sheet",
                                "not a reviewer form: no review or checklist sheet")])


def read_form(path: Path, kind: str) -> pd.DataFrame:
    """The filled monitoring form as a DataFrame; every bad cell is reported by cell, field, value and rule."""
    columns = TECH_COLUMNS if kind == "technological" else CLINICAL_COLUMNS
    header, rows = sheet_rows(path, SHEET, columns)
    where = {c: header.index(c) for c in columns}
    issues: list[Issue] = []
    records = []
    for r, values in rows:
        def get(name: str, values: tuple = values) -> object:
            i = where[name]
            return values[i] if i < len(values) else None

        record: dict[str, object] = {"study_uid": str(get("study_uid") or "").strip()}
        if not record["study_uid"]:
            issues.append(Issue(path.name, f"cell {cell_name(where['study_uid'] + 1, r)}", "study_uid", None,
                                "required", "a study UID is required"))
        for name in columns[1:]:
            value = get(name)
            text = "" if value is None else str(value).strip()
            at = f"cell {cell_name(where[name] + 1, r)}"
            if name in MARKS:
                if text not in ("", "1", "1.0"):
                    issues.append(Issue(path.name, at, name, value, "mark", "mark 1 for a defect or leave empty"))
                record[name] = text in ("1", "1.0")
            elif name in AGREEMENT:
                if text not in ("", "1", "0", "1.0", "0.0"):
                    issues.append(Issue(path.name, at, name, value, "agreement",
                                        "enter 1 if you agree, leave empty if you do not"))
                record[name] = text in ("1", "1.0")
            elif name in ("conclusion", "localisation"):
                if text not in RATINGS:
                    issues.append(Issue(path.name, at, name, value, "rating", f"expected one of {', '.join(RATINGS)}"))
                record[name] = text
            else:
                record[name] = text or None
        record["sheet_row"] = r
        records.append(record)
    if issues:
        raise InputFileError(issues)
    frame = pd.DataFrame.from_records(records, columns=[*columns, "sheet_row"])
    dup = frame["study_uid"].duplicated()
    if dup.any():
        raise InputFileError([Issue(path.name, None, "study_uid", uid, "unique", "the study is reviewed twice")
                              for uid in frame.loc[dup, "study_uid"]])
    return frame
