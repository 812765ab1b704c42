"""Cohort definitions on DuckDB and PostgreSQL: members, attrition and evidence as counted by hand."""

from __future__ import annotations

import pytest

from oncobank.cohort import Cohort, CohortError, run
from oncobank.engine import connect
from oncobank.engine.delta import PublishDelta
from oncobank.engine.sinks import open_sink

from . import checks


def test_suite_and_attrition_on_duckdb(analysis_url: str) -> None:
    checks.check_suite(analysis_url)
    checks.check_attrition(analysis_url)


@pytest.mark.postgres
def test_suite_and_attrition_on_postgresql(cohort_delta: PublishDelta, pg_url: str) -> None:
    open_sink(pg_url).apply(cohort_delta)
    checks.check_suite(pg_url)
    checks.check_attrition(pg_url)


@pytest.mark.parametrize(("leaf", "message"), [
    ({"field": "diagnosis.histology_type", "op": "=", "value": "papilary"}, "'papilary' is not a code of"),
    ({"field": "radioiodine.activity", "op": ">=", "value": 100, "unit": "mm"}, "unit 'mm' does not convert to MBq"),
    ({"field": "thyroid_activity.total_mbq", "op": ">", "value": 1, "window": {"end": 0}}, "has no dates"),
    ({"field": "diagnosis.stage", "op": "present"}, "table thyroid_diagnosis has no column stage"),
    ({"field": "derived.age", "op": ">", "value": 1}, "declares no derived field"),
    ({"field": "imaging.recist_response", "op": "=", "value": "PD", "window": {"start": 0, "anchor": {
        "field": "thyroid_activity.total_mbq", "op": ">", "value": 1}}}, "cannot anchor a window"),
])
def test_a_definition_the_store_cannot_answer_is_refused(analysis_url: str, leaf: dict, message: str) -> None:
    definition = Cohort.model_validate({"index": {"field": "diagnosis.icd10", "op": "present"},
                                        "rules": [{"name": "r", "criteria": {"kind": "leaf", **leaf}}]})
    with connect(analysis_url) as store, pytest.raises(CohortError, match=message):
        run(definition, store)
