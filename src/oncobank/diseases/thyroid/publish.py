"""The thyroid module's derived facts as tables for the analysis store: activity, RECIST, stage, RAIR and criteria.

Computed in memory from the entries a publish has read for a batch of patients (nothing is written to the clinical
store), as frames of the shape `entries.read_section` gives, with the same rules as `oncobank thyroid ...`, under the
module's default RAIR settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from oncobank.dictionary.schema import Label
from oncobank.diseases.published import DerivedColumn, DerivedTable, Kind, section_frame
from oncobank.diseases.thyroid import derived, rair, wording

KINDS = ("activity", "recist", "stage", "rair")
RECIST_COLUMNS: tuple[tuple[str, Kind, str, str | None], ...] = (
    # column, kind, label key in wording.FACTS (or WORDS), unit
    ("entry", "entry", "recist", None),
    ("date", "date", "date", None),
    ("sum_mm", "number", "sum_mm", "mm"),
    ("is_baseline", "boolean", "baseline", None),
    ("baseline_entry", "entry", "baseline", None),
    ("baseline_date", "date", "baseline", None),
    ("baseline_mm", "number", "baseline", "mm"),
    ("nadir_entry", "entry", "nadir", None),
    ("nadir_date", "date", "nadir", None),
    ("nadir_mm", "number", "nadir", "mm"),
    ("change_from_baseline_pct", "number", "from_baseline", "%"),
    ("change_from_nadir_pct", "number", "from_nadir", "%"),
    ("change_from_nadir_mm", "number", "from_nadir", "mm"),
    ("new_lesions", "text", "new_lesions", None),
    ("response", "text", "computed", None),
    ("recorded_response", "text", "recorded", None),
)
STAGE_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("diagnosis_date", "date"), ("age_at_diagnosis", "age"), ("histology", "text"), ("t", "text"), ("n", "text"),
    ("m", "text"), ("metastasis_sites", "list"), ("stage_group", "text"), ("recorded_stage_group", "text"),
    ("problem", "text"),
)
CRITERION_PARTS: tuple[tuple[str, Kind], ...] = (("status", "text"), ("date", "date"), ("reason", "text"))


def _label(key: str, extra: tuple[str, str] | None = None) -> Label:
    en, ru = wording.FACTS.get(key) or wording.WORDS[key]
    if extra:
        en, ru = f"{en}: {extra[0]}", f"{ru}: {extra[1]}"
    return Label(en=en, ru=ru)


def _criterion(name: str) -> tuple[str, str]:
    return wording.criterion(name, "en"), wording.criterion(name, "ru")


def derived_tables(entries: Sequence[Any], patient_ids: Sequence[int]) -> list[DerivedTable]:
    """The derived tables of thyroid patients `patient_ids` from their current active `entries`."""
    pids = pd.Index(sorted(patient_ids), name="patient_id", dtype="int64")
    sections = sorted({s for kind in KINDS for s in derived.KINDS[kind]})
    frames = {s: section_frame(entries, s, derived.FIELDS[s]) for s in sections}
    facts = {kind: derived.compute(kind, pids, frames) for kind in KINDS}
    return [_activity(facts["activity"]), _recist(facts["recist"]), _stage(facts["stage"]),
            *_rair(facts["rair"])]


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=["patient_id", *columns])


def _activity(found: dict[int, dict[str, Any]]) -> DerivedTable:
    rows = [{"patient_id": pid, "courses": f["courses"], "first_course": f["first_course"],
             "last_course": f["last_course"], "total_mbq": f["total"]["mbq"]} for pid, f in found.items()]
    columns = (DerivedColumn("courses", "integer", _label("courses")),
               DerivedColumn("first_course", "date", _label("first_course")),
               DerivedColumn("last_course", "date", _label("last_course")),
               DerivedColumn("total_mbq", "number", _label("total"), unit="MBq"))
    return DerivedTable("thyroid_activity", _label("activity"), columns, _frame(rows, [c.name for c in columns]))


def _recist(found: dict[int, dict[str, Any]]) -> DerivedTable:
    rows = []
    for pid, fact in found.items():
        for study in fact["studies"]:
            rows.append({"patient_id": pid, "entry": study["entry_id"], "baseline_entry": study["baseline_entry_id"],
                         "nadir_entry": study["nadir_entry_id"],
                         **{c: study[c] for c, *_ in RECIST_COLUMNS if c in study}})
    columns = tuple(DerivedColumn(name, kind, _label(key), unit) for name, kind, key, unit in RECIST_COLUMNS)
    return DerivedTable("thyroid_recist", _label("recist"), columns, _frame(rows, [c.name for c in columns]))


def _stage(found: dict[int, dict[str, Any]]) -> DerivedTable:
    rows = [{"patient_id": pid, **{c: f[c] for c, _ in STAGE_COLUMNS}} for pid, f in found.items()]
    for row in rows:
        problem = row["problem"]
        row["problem"] = None if problem is None else problem["code"]
    columns = tuple(DerivedColumn(name, kind, _label(name)) for name, kind in STAGE_COLUMNS)
    return DerivedTable("thyroid_stage", _label("stage"), columns, _frame(rows, [c.name for c in columns]))


def _rair(found: dict[int, dict[str, Any]]) -> list[DerivedTable]:
    """The RAIR result per patient with each criterion's status, date and reason; and the criteria's evidence."""
    rows, evidence = [], []
    for pid, fact in found.items():
        row: dict[str, Any] = {"patient_id": pid, "rair": fact["rair"], "rr_date": fact["rr_date"],
                               "criteria_met": fact["criteria_met"]}
        for name, criterion in fact["criteria"].items():
            for part, _ in CRITERION_PARTS:
                row[f"{name}_{part}"] = criterion[part]
            evidence.extend({"patient_id": pid, "criterion": name, "role": record["role"],
                             "section": record["section"], "entry": record["entry_id"], "date": record["date"]}
                            for record in criterion["evidence"])
        rows.append(row)
    columns = [DerivedColumn("rair", "boolean", _label("rair")), DerivedColumn("rr_date", "date", _label("rr_date")),
               DerivedColumn("criteria_met", "list", _label("criteria_met"))]
    for name in rair.CRITERIA:
        columns.extend(DerivedColumn(f"{name}_{part}", kind, _label(part, _criterion(name)))
                       for part, kind in CRITERION_PARTS)
    evidence_columns = (DerivedColumn("criterion", "text", _label("criterion")),
                        DerivedColumn("role", "text", Label(en="role of the entry", ru="роль записи")),
                        DerivedColumn("section", "text", Label(en="section", ru="раздел")),
                        DerivedColumn("entry", "entry", _label("entry")),
                        DerivedColumn("date", "date", _label("date")))
    return [DerivedTable("thyroid_rair", _label("rair"), tuple(columns), _frame(rows, [c.name for c in columns])),
            DerivedTable("thyroid_rair_evidence", _label("evidence"), evidence_columns,
                         _frame(evidence, [c.name for c in evidence_columns]))]
