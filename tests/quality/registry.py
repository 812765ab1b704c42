"""A four-patient thyroid analysis store built by hand, clean or with a known list of planted defects.

Rows are written straight through the engine's sink with the columns a publish gives each section, so the checks
meet the real table shapes; every expected count below is worked out from these rows by hand.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pyarrow as pa

from oncobank.deid.policy import Policy
from oncobank.deid.publish_kanon import REPORT, REPORT_SCHEMA, SMALL_CELL
from oncobank.deid.schema import section_spec, table_name
from oncobank.dictionary.loader import load_module
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink

AS_OF = date(2024, 1, 1)
D = date.fromisoformat
DERIVED = {
    "patient": [("pseudonym", pa.string()), ("sex", pa.string()), ("centre", pa.string()),
                ("vital_status", pa.string()), ("module", pa.string())],
    "thyroid_stage": [("pseudonym", pa.string()), ("stage_group", pa.string()),
                      ("recorded_stage_group", pa.string())],
    "thyroid_recist": [("pseudonym", pa.string()), ("entry", pa.string()), ("response", pa.string()),
                       ("recorded_response", pa.string())],
    "thyroid_activity": [("pseudonym", pa.string()), ("courses", pa.int64()), ("total_mbq", pa.float64())],
}


def _e(p: str, n: int, day: str | None, **values: Any) -> dict[str, Any]:
    return {"pseudonym": p, "entry_key": f"{p}-{n}", "entry_date": D(day) if day else None, **values}


def clean() -> dict[str, list[dict[str, Any]]]:
    """Centre C01: P1, P2; centre C02: P3, P4 (died in 2022). Diagnosis, surgery, histology for all."""
    every = ("P1", "P2", "P3", "P4")
    return {
        "patient": [{"pseudonym": p, "sex": s, "centre": c, "vital_status": v, "module": "thyroid"}
                    for p, s, c, v in (("P1", "F", "C01", "alive"), ("P2", "M", "C01", "alive"),
                                       ("P3", "F", "C02", "alive"), ("P4", "M", "C02", "dead"))],
        "demographics": [_e(p, 0, None, sex=s) for p, s in zip(every, "FMFM", strict=True)],
        "follow_up": [_e("P1", 1, "2023-06-01", last_contact_date=D("2023-06-01"), vital_status="alive"),
                      _e("P2", 1, "2023-09-01", last_contact_date=D("2023-09-01"), vital_status="alive"),
                      _e("P3", 1, "2023-03-01", last_contact_date=D("2023-03-01"), vital_status="alive"),
                      _e("P4", 1, "2022-05-01", last_contact_date=D("2022-05-01"), vital_status="dead",
                         death_date=D("2022-05-01"))],
        "diagnosis": [_e(p, 2, "2020-01-10", icd10="C73", histology_type="papillary") for p in every],
        "surgery": [_e(p, 3, "2020-02-01", thyroid_extent="total_thyroidectomy") for p in every],
        "histology": [_e(p, 4, "2020-02-10", histology_type="papillary", angioinvasion="no") for p in every],
        "radioiodine": [_e(p, 5, "2020-04-01", procedure="therapy", isotope="I-131", activity=3700.0)
                        for p in ("P1", "P2")],
        "laboratory": [_e("P1", 6, "2020-05-01", tsh=0.5, tg=1.0), _e("P2", 6, "2020-05-01", tsh=2.0, tg=3.0)],
        "rair_summary": [_e("P1", 7, None, total_i131_activity=3700.0)],
        "thyroid_stage": [{"pseudonym": "P1", "stage_group": "I", "recorded_stage_group": "I"},
                          {"pseudonym": "P2", "stage_group": "I", "recorded_stage_group": "I"}],
        "thyroid_recist": [{"pseudonym": "P1", "entry": "P1-8", "response": "SD", "recorded_response": "SD"}],
        "thyroid_activity": [{"pseudonym": p, "courses": 1, "total_mbq": 3700.0} for p in ("P1", "P2")],
    }


# check ID -> (violated, denominator) that the planted defects give; every other check passes or does not apply.
PLANTED = {
    "required:thyroid_histology.histology_type": (1, 4),  # P3's histology lacks its type
    "hard_range:thyroid_laboratory.tsh": (1, 2),  # P2's TSH 2000 mIU/L, above the hard maximum 1000 ...
    "soft_range:thyroid_laboratory.tsh": (1, 2),  # ... and so above the soft maximum 200
    "soft_range:thyroid_laboratory.tg": (1, 2),  # P2's Tg 150000 ng/mL: entered in pg/mL (soft maximum 100000)
    "entry_date:thyroid_laboratory": (1, 3),  # a laboratory entry of P1 without a date
    "domain:thyroid_surgery.thyroid_extent": (1, 4),  # P4's "lobectomy" is not in the code list
    "date_future:follow_up.last_contact_date": (1, 5),  # P1's contact on 2025-01-01, after 2024-01-01
    "duplicate_disagree:demographics.sex": (1, 4),  # P1 twice in demographics, F and M
    "rule:thyroid.death_after_diagnosis": (1, 1),  # P4 died 2019-12-01, diagnosed 2020-01-10
    "rule:thyroid.death_date_when_dead": (1, 2),  # P4's second follow-up: dead, no date
    "rule:thyroid.pathology_after_surgery": (1, 4),  # P2's histology 2020-01-15, surgery 2020-02-01
    "rule:thyroid.rai_after_thyroidectomy": (1, 3),  # P3's RAI therapy 2020-01-20, before the surgery
    "rule:thyroid.stage_matches_tnm": (1, 2),  # P2 recorded II, age/T/N/M give I
    "rule:thyroid.recist_matches_sums": (1, 2),  # P2 recorded SD, the sums give PD
    "rule:thyroid.activity_matches_courses": (1, 1),  # P1's total 7400 MBq, one course of 3700
    "rule:thyroid.follow_up_current": (1, 3),  # P3's last contact 2021-06-01: stale (cut-off 2022-01-01)
}


def defective() -> dict[str, list[dict[str, Any]]]:
    """The clean registry with the defects of PLANTED."""
    r = copy.deepcopy(clean())
    r["histology"][2]["histology_type"] = None
    r["histology"][1]["entry_date"] = D("2020-01-15")
    r["laboratory"][1].update(tsh=2000.0, tg=150000.0)
    r["laboratory"].append(_e("P1", 9, None))
    r["surgery"][3]["thyroid_extent"] = "lobectomy"
    r["follow_up"][0].update(last_contact_date=D("2025-01-01"))
    r["follow_up"][2].update(last_contact_date=D("2021-06-01"))
    r["follow_up"][3].update(death_date=D("2019-12-01"))
    r["follow_up"].append(_e("P4", 10, "2022-06-01", last_contact_date=D("2022-06-01"), vital_status="dead"))
    r["demographics"].append(_e("P1", 11, None, sex="M"))
    r["radioiodine"].append(_e("P3", 5, "2020-01-20", procedure="therapy", isotope="I-131", activity=3700.0))
    r["thyroid_stage"][1]["recorded_stage_group"] = "II"
    r["thyroid_recist"].append({"pseudonym": "P2", "entry": "P2-8", "response": "PD", "recorded_response": "SD"})
    r["rair_summary"][0]["total_i131_activity"] = 7400.0
    return r


def delta(registry: dict[str, list[dict[str, Any]]]) -> PublishDelta:
    """The tables as a publish writes them: the sections with their patient's centre; the derived tables here
    without it, as a store published before tables carried it (the checks then take it from the patient table)."""
    dictionary, policy = load_module("thyroid"), Policy()
    centres = {p["pseudonym"]: p["centre"] for p in registry["patient"]}
    tables = []
    for name, rows in registry.items():
        if name in DERIVED:
            schema = pa.schema(DERIVED[name])
        else:
            section = dictionary.section(name)
            schema = section_spec(dictionary, section, policy).schema
            name = table_name(dictionary, name)
        full = [{c: row.get(c, centres.get(row["pseudonym"]) if c == "centre" else None) for c in schema.names}
                for row in rows]
        tables.append(TableDelta(name, pa.Table.from_pylist(full, schema=schema)))
    # as published under small_cell 0: the hand-counted counts are shown exact (the masking is tested apart)
    threshold = {"measure": SMALL_CELL, "column": None, "before": None, "after": 0.0, "level": None}
    tables.append(TableDelta(REPORT, pa.Table.from_pylist([threshold], schema=REPORT_SCHEMA)))
    return PublishDelta(tuple(tables), full=True)


def publish(url: str, registry: dict[str, list[dict[str, Any]]]) -> None:
    open_sink(url).apply(delta(registry))
