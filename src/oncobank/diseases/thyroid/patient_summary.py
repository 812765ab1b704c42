"""The thyroid facts one patient's page shows: RAIR with its criteria and evidence, in Russian or English.

A web page (or any caller) asks a disease module for `summary(...)` and `STATUSES` without knowing the disease:
the module's own rules, settings and wording stay here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select

from oncobank.diseases.thyroid import derived, reads
from oncobank.diseases.thyroid.models import DerivedFact
from oncobank.diseases.thyroid.population import exclusion
from oncobank.diseases.thyroid.settings import default_settings
from oncobank.diseases.thyroid.wording import (
    RESULT,
    STATUS,
    criterion,
    evidence_line,
    fact,
    membership,
    pick,
    reason,
    word,
)
from oncobank.store.clinical import ClinicalStore

# The derived status a patient list can filter on: code -> (en, ru); "none": no fact computed yet.
STATUSES: dict[str, tuple[str, str]] = {"refractory": RESULT[True], "not_refractory": RESULT[False],
                                       "not_evaluable": RESULT[None]}


def summary(store: ClinicalStore, registry_id: str, patient_id: int, user: str, lang: str) -> dict[str, Any]:
    """RAIR of one patient, recomputed first if its entries changed; the read is audited."""
    settings = default_settings()
    # The single patient's facts without frames: recomputed only when stale, as `derived.refresh` then `latest`.
    found = derived.current(store.engine, patient_id, ("rair", "stage", "activity"), settings)
    reads.record_patient_read(store, user, patient_id, "thyroid_facts", kinds=["rair"])
    rair = found["rair"]
    if rair is None:
        return {"title": word("rair", lang), "status": None, "text": fact("none", lang),
                "criteria": [], "membership": ""}
    criteria = [{"name": criterion(name, lang), "status": c["status"], "status_text": pick(STATUS[c["status"]], lang),
                 "date": c["date"], "reason": reason(c["reason"], settings, lang),
                 "evidence": [evidence_line(e, lang) for e in c["evidence"]]}
                for name, c in rair["criteria"].items()]
    return {"title": word("rair", lang), "status": _code(rair["rair"]), "text": pick(RESULT[rair["rair"]], lang),
            "date": rair.get("rr_date"), "criteria": criteria,
            "membership": membership(exclusion(found["stage"], found["activity"], settings), settings, lang)}


def _code(value: bool | None) -> str:
    return {True: "refractory", False: "not_refractory", None: "not_evaluable"}[value]


def with_status(status: str) -> Select[Any]:
    """Patient ids whose stored RAIR fact (under the current rules) has `status` (a STATUSES code)."""
    flag = DerivedFact.result["rair"]
    test: ColumnElement[bool] = {"refractory": flag.as_boolean().is_(True),
                                 "not_refractory": flag.as_boolean().is_(False),
                                 "not_evaluable": flag.as_boolean().is_(None)}[status]
    return select(DerivedFact.patient_id).where(and_(DerivedFact.id.in_(_newest()), test))


def statuses(store: ClinicalStore, patient_ids: list[int]) -> dict[int, str]:
    """The stored RAIR status (a STATUSES code) of each of `patient_ids` that has one, in one query."""
    query = select(DerivedFact.patient_id, DerivedFact.result["rair"].as_boolean()).where(
        DerivedFact.id.in_(_newest().where(DerivedFact.patient_id.in_(patient_ids))))
    with store.session() as s:
        return {pid: _code(flag) for pid, flag in s.execute(query)}


def _newest() -> Select[Any]:
    return (select(func.max(DerivedFact.id))
            .where(DerivedFact.kind == "rair", DerivedFact.rules == derived.rules("rair", default_settings()))
            .group_by(DerivedFact.patient_id))
