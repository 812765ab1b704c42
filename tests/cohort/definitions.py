"""A suite of cohort definitions on the registry of registry.py, each with the members counted by hand from its table.

Ages at index are the index year minus the birth year (patient 1: 2019 - 1960 = 59; 2: 2018 - 1955 = 63;
3: 2020 - 1950 = 70; 4: 2021 - 1980 = 41; 5: 2022 - 1990 = 32). 1 mCi = 37 MBq.

Windows anchored to an I-131 course (registry.py): patient 1's courses 2019-03-01, 2019-09-01, 2020-03-01 and PD
2021-01-15; 2: course 2018-05-01, PD 2019-06-01; 3: course 2020-04-01, PD 2021-08-01; 5: course 2022-06-01, SD.
12-16 months after a course: 1's windows end 2020-07-01, 2021-01-01 and 2021-07-01 but start after or end before
2021-01-15 (2020-03-01..07-01, 2020-09-01..2021-01-01, 2021-03-01..07-01): no; 2: 2019-05-01..09-01 holds
2019-06-01; 3: 2021-04-01..2021-08-01 holds 2021-08-01 (the end is inclusive). 10-11 months after any course: only
1's last, 2021-01-01..02-01 (2: 2019-03-01..04-01, 3: 2021-02-01..03-01 miss); after the first course only
(2020-01-01..02-01 for 1) nobody. Courses 0-12 months after a course: 1 has all three within 12 months of the
first (2020-03-01 is the window's last day), counted once each although three courses anchor windows; the others
have one. Courses 1 day or more before lenvatinib (3 only, 2021-01-01): 3's of 2020-04-01.
"""

from __future__ import annotations

from typing import Any

from oncobank.cohort.model import Cohort

DIAGNOSIS = {"field": "diagnosis.icd10", "op": "under", "value": "C73"}
FIRST_I131 = {"field": "radioiodine.procedure", "op": "=", "value": "therapy", "which": "first",
              "same_entry": [{"field": "radioiodine.isotope", "op": "=", "value": "I-131"}]}
WOMEN = {"kind": "leaf", "field": "patient.sex", "op": "=", "value": "F"}
V600E = {"kind": "leaf", "field": "genetics.variant", "op": "=", "value": "V600E",
         "same_entry": [{"field": "genetics.result", "op": "=", "value": "detected"}]}
I131 = {"field": "radioiodine.procedure", "op": "=", "value": "therapy"}
PD = {"kind": "leaf", "field": "imaging.recist_response", "op": "=", "value": "PD"}
STAGE_IV = {"kind": "leaf", "field": "tumour_stage.stage_group", "op": "in", "value": ["IV", "IVA", "IVB", "IVC"]}


def _cohort(rules: list[tuple[str, dict[str, Any]]], index: dict[str, Any] = DIAGNOSIS, **more: Any) -> Cohort:
    return Cohort.model_validate({"index": index, "rules": [{"name": n, "criteria": c} for n, c in rules], **more})


# name -> (definition, members by registry number)
SUITE: dict[str, tuple[Cohort, set[int]]] = {
    "simple filter": (_cohort([("women", WOMEN)]), {1, 2, 5}),
    "code hierarchy: differentiated histology": (_cohort([("differentiated", {
        "kind": "leaf", "field": "diagnosis.histology_type", "op": "under", "value": "differentiated"})]),
        {1, 2, 3, 5}),
    "code hierarchy: M1 covers cM1 and pM1": (_cohort([("m1", {
        "kind": "leaf", "field": "tumour_stage.m_category", "op": "under", "value": "M1"})]), {2, 3}),
    "nested AND/OR in the same entry": (_cohort([("women with V600E or stage IV", {
        "kind": "all", "items": [WOMEN, {"kind": "any", "items": [V600E, STAGE_IV]}]})]), {1, 2}),
    "NOT": (_cohort([("no BRAF test", {"kind": "not", "items": [
        {"kind": "leaf", "field": "genetics.gene", "op": "=", "value": "BRAF"}]})]), {2, 4}),
    "occurrence: at least two I-131 courses": (_cohort([("two courses", {
        "kind": "leaf", "field": "radioiodine.procedure", "op": "=", "value": "therapy",
        "occurrence": {"kind": "at_least", "count": 2}})]), {1}),
    "occurrence: exactly one course": (_cohort([("one course", {
        "kind": "leaf", "field": "radioiodine.procedure", "op": "=", "value": "therapy",
        "occurrence": {"kind": "exactly", "count": 1}})]), {2, 3, 5}),
    "units: one course of at least 150 mCi": (_cohort([("150 mCi", {
        "kind": "leaf", "field": "radioiodine.activity", "op": ">=", "value": 150, "unit": "mCi"})]), {1, 3}),
    "units: total 22.2 GBq is 600 mCi": (_cohort([("600 mCi", {
        "kind": "leaf", "field": "thyroid_activity.total_mbq", "op": ">=", "value": 22.2, "unit": "GBq"})]), {1}),
    "window: PD 12-16 months after the first I-131 course": (_cohort([("PD at 12-16 months", {
        "kind": "leaf", "field": "imaging.recist_response", "op": "=", "value": "PD",
        "window": {"start": 12, "end": 16, "unit": "months"}})], index=FIRST_I131), {2, 3}),
    "window: I-131 before the first targeted therapy": (_cohort([("I-131 before", {
        "kind": "leaf", "field": "radioiodine.procedure", "op": "=", "value": "therapy",
        "window": {"end": -1}})], index={"field": "targeted_therapy.drug", "op": "present", "which": "first"}), {3}),
    "AT_LEAST 2 of 3": (_cohort([("two of three", {"kind": "at_least", "n": 2, "items": [WOMEN, V600E, STAGE_IV]})]),
                        {1, 2, 3}),
    "AT_MOST 1 of 3": (_cohort([("one of three", {"kind": "at_most", "n": 1, "items": [WOMEN, V600E, STAGE_IV]})]),
                       {4, 5}),
    "derived field: age at index over 55": (_cohort(
        [("over 55", {"kind": "leaf", "field": "derived.age_at_index", "op": ">", "value": 55})],
        derived=[{"name": "age_at_index", "expr": "index_year - birth_year"}]), {1, 2, 3}),
    "derived band": (_cohort(
        [("55 or older", {"kind": "leaf", "field": "derived.age_band", "op": "=", "value": "55+"})],
        derived=[{"name": "age_band", "expr": "thyroid_stage.age_at_diagnosis",
                  "band": {"edges": [55], "labels": ["<55", "55+"]}}]), {1, 2, 3}),
    "anchored window: PD 12-16 months after an I-131 course": (_cohort([("PD 12-16 months after I-131", {
        **PD, "window": {"start": 12, "end": 16, "unit": "months", "anchor": I131}})]), {2, 3}),
    "anchored window: PD 10-11 months after any I-131 course": (_cohort([("PD 10-11 months after I-131", {
        **PD, "window": {"start": 10, "end": 11, "unit": "months", "anchor": I131}})]), {1}),
    "anchored window: PD 10-11 months after the first I-131 course": (_cohort([("PD after the first course", {
        **PD, "window": {"start": 10, "end": 11, "unit": "months", "anchor": {**I131, "which": "first"}}})]), set()),
    "anchored window: exactly 3 courses within 12 months of a course": (_cohort([("3 courses in a year", {
        "kind": "leaf", **I131, "occurrence": {"kind": "exactly", "count": 3},
        "window": {"start": 0, "end": 12, "unit": "months", "anchor": I131}})]), {1}),
    "anchored window: I-131 before the first targeted therapy, diagnosis as index": (_cohort([("I-131 before", {
        "kind": "leaf", **I131, "window": {"end": -1, "anchor": {"field": "targeted_therapy.drug", "op": "present",
                                                                  "which": "first"}}})]), {3}),
    "age at the event": (_cohort([("V600E found at 60 or older", {**V600E, "age_min": 60})]), {3}),
}

# Five rules in order; remaining after each and failing each alone, counted from the registry's table.
ATTRITION = _cohort([
    ("differentiated", {"kind": "leaf", "field": "diagnosis.histology_type", "op": "under", "value": "differentiated"}),
    ("I-131 therapy", {"kind": "leaf", "field": "radioiodine.procedure", "op": "=", "value": "therapy"}),
    ("total at least 100 mCi", {"kind": "leaf", "field": "thyroid_activity.total_mbq", "op": ">=", "value": 100,
                                "unit": "mCi"}),
    ("PD after diagnosis", {"kind": "leaf", "field": "imaging.recist_response", "op": "=", "value": "PD",
                            "window": {"start": 0}}),
    ("women", WOMEN),
])
ATTRITION_TABLE = {"initial": 5, "rules": [
    {"rule": "differentiated", "remaining": 4, "failing_alone": 1},
    {"rule": "I-131 therapy", "remaining": 4, "failing_alone": 1},
    {"rule": "total at least 100 mCi", "remaining": 3, "failing_alone": 2},
    {"rule": "PD after diagnosis", "remaining": 3, "failing_alone": 2},
    {"rule": "women", "remaining": 2, "failing_alone": 2},
]}
ATTRITION_MEMBERS = {1, 2}
