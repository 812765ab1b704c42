"""Per-patient derived facts besides RAIR: cumulative activity, RECIST follow-ups, AJCC 8 stage, RAI-to-progression."""

from __future__ import annotations

from typing import Any

import pandas as pd

from oncobank.diseases.thyroid import recist
from oncobank.diseases.thyroid.activity import cumulative_activity, in_all_units, therapy_courses
from oncobank.diseases.thyroid.evidence import iso, plain, refs
from oncobank.diseases.thyroid.staging import StagingError, stage_group

MALIGNANT_CYTOLOGY = ("V", "VI")  # Bethesda suspicious for malignancy / malignant
DAYS_PER_MONTH = 30.4375


def activity_facts(pids: pd.Index, radioiodine: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """Courses of I-131 therapy and the cumulative activity (MBq, GBq, mCi), with the courses as evidence."""
    courses = therapy_courses(radioiodine)
    courses["activity_units"] = [in_all_units(x) for x in courses["activity"]]
    courses["cumulative"] = [in_all_units(x) for x in courses["cumulative_mbq"]]
    evidence = refs(courses, "i131_course", "radioiodine", (), activity="activity_units",
                    cumulative_activity="cumulative")
    totals = cumulative_activity(radioiodine).set_index("patient_id")
    out = {}
    for pid in pids.tolist():
        if pid in totals.index:
            row = totals.loc[pid]
            out[pid] = {"courses": int(row["courses"]), "first_course": iso(row["first_course"]),
                        "last_course": iso(row["last_course"]), "total": in_all_units(float(row["mbq"])),
                        "evidence": evidence.get(pid, [])}
        else:
            out[pid] = {"courses": 0, "first_course": None, "last_course": None, "total": in_all_units(0.0),
                        "evidence": []}
    return out


def recist_facts(pids: pd.Index, imaging: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """Every measured study with its baseline, nadir, changes, computed and recorded RECIST 1.1 response."""
    studies = recist.responses(imaging)
    columns = ("entry_id", "version", "date", "sum_mm", "is_baseline", "baseline_entry_id", "baseline_date",
               "baseline_mm", "nadir_entry_id", "nadir_date", "nadir_mm", "change_from_baseline_pct",
               "change_from_nadir_pct", "change_from_nadir_mm", "new_lesions", "response", "recist_response")
    out: dict[int, dict[str, Any]] = {pid: {"studies": []} for pid in pids.tolist()}
    data = {c: studies[c].tolist() for c in columns}
    for i, pid in enumerate(studies["patient_id"].tolist()):
        if pid not in out:
            continue
        row = {c: plain(data[c][i]) for c in columns}
        for c in ("date", "baseline_date", "nadir_date"):
            row[c] = iso(data[c][i])
        for c in ("baseline_entry_id", "nadir_entry_id"):
            row[c] = None if row[c] is None else int(row[c])
        for c in ("change_from_baseline_pct", "change_from_nadir_pct"):
            row[c] = None if row[c] is None else round(row[c], 1)
        row["recorded_response"] = row.pop("recist_response")
        out[pid]["studies"].append(row)
    return out


def diagnosis_dates(diagnosis: pd.DataFrame, tumour_stage: pd.DataFrame, cytology: pd.DataFrame) -> pd.Series:
    """First date the cancer was documented: Bethesda V–VI cytology, a diagnosis or a staging entry."""
    dated = pd.concat([
        cytology.loc[cytology["bethesda"].isin(MALIGNANT_CYTOLOGY), ["patient_id", "date"]],
        diagnosis[["patient_id", "date"]],
        tumour_stage[["patient_id", "date"]],
    ])
    return dated.dropna().groupby("patient_id")["date"].min()


def initial_tnm(tumour_stage: pd.DataFrame) -> pd.DataFrame:
    """The staging used for the stage group: the first pathological (pT) entry, else the first with T, N and M."""
    complete = tumour_stage.dropna(subset=["t_category", "n_category", "m_category"])
    complete = complete.assign(clinical=~complete["t_category"].str.startswith("p"))
    return complete.sort_values(["patient_id", "clinical", "date", "entry_id"], kind="stable").drop_duplicates(
        "patient_id").set_index("patient_id")


def _age(birth: pd.Timestamp, day: pd.Timestamp) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def stage_facts(pids: pd.Index, demographics: pd.DataFrame, diagnosis: pd.DataFrame, tumour_stage: pd.DataFrame,
                cytology: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """AJCC/UICC 8th-edition stage group from histology, age at diagnosis and the initial T, N, M.

    The birth date is read only to compute the age; it is not part of the fact. Without a stage group, `problem`
    says why: {"code": "missing", "value": [fields]}, or a StagingError's code ("t_category", "histology") and value.
    """
    births = pd.to_datetime(demographics.drop_duplicates("patient_id").set_index("patient_id")["birth_date"],
                            errors="coerce")
    sexes = demographics.drop_duplicates("patient_id").set_index("patient_id")["sex"]
    diagnosed = diagnosis_dates(diagnosis, tumour_stage, cytology)
    histology = diagnosis.dropna(subset=["histology_type"]).drop_duplicates("patient_id").set_index("patient_id")
    tnm = initial_tnm(tumour_stage)
    out: dict[int, dict[str, Any]] = {}
    for pid in pids.tolist():
        fact: dict[str, Any] = {"sex": plain(sexes.get(pid)), "diagnosis_date": iso(diagnosed.get(pid)),
                                "age_at_diagnosis": None, "histology": None, "t": None, "n": None, "m": None,
                                "metastasis_sites": [], "stage_group": None, "recorded_stage_group": None,
                                "problem": None}
        birth, day = births.get(pid), diagnosed.get(pid)
        if birth is not None and not pd.isna(birth) and day is not None:
            fact["age_at_diagnosis"] = _age(birth, day)
        if pid in histology.index:
            fact["histology"] = histology.loc[pid, "histology_type"]
        if pid in tnm.index:
            row = tnm.loc[pid]
            fact.update(t=row["t_category"], n=row["n_category"], m=row["m_category"],
                        metastasis_sites=list(row["metastasis_sites"]) if isinstance(row["metastasis_sites"], list)
                        else [],
                        recorded_stage_group=plain(row["stage_group"]), staging_entry_id=int(row["entry_id"]))
        missing = [k for k in ("histology", "age_at_diagnosis", "t", "n", "m") if fact[k] is None]
        if missing:
            fact["problem"] = {"code": "missing", "value": missing}
        else:
            try:
                fact["stage_group"] = stage_group(fact["histology"], fact["age_at_diagnosis"], fact["t"], fact["n"],
                                                  fact["m"])
            except StagingError as exc:
                fact["problem"] = {"code": exc.code, "value": exc.value}
        out[pid] = fact
    return out


def progression_facts(pids: pd.Index, radioiodine: pd.DataFrame, imaging: pd.DataFrame,
                      follow_up: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """Time from the last I-131 therapy course to the first structural progression after it.

    Structural progression: an imaging study with a recorded or computed RECIST response of PD, or new
    lesions. Without progression the time is censored at the last follow-up (`event` false).
    """
    courses = therapy_courses(radioiodine)
    last = courses.groupby("patient_id")["date"].max()
    computed = recist.responses(imaging).set_index("entry_id")["response"]
    imaging = imaging.assign(computed=imaging["entry_id"].map(computed))
    progressed = imaging[(imaging["recist_response"] == "PD") | (imaging["new_lesions"] == "yes")
                         | (imaging["computed"] == "PD")]
    # reindex, not map: pandas 3 cannot map an empty series through an empty datetime series
    progressed = progressed.assign(last_course=last.reindex(progressed["patient_id"]).to_numpy())
    progressed = progressed[progressed["date"] > progressed["last_course"]].drop_duplicates("patient_id")
    first = progressed.set_index("patient_id")
    contact = pd.to_datetime(follow_up["last_contact_date"], errors="coerce").fillna(follow_up["date"])
    last_contact = contact.groupby(follow_up["patient_id"]).max()
    out: dict[int, dict[str, Any]] = {}
    for pid in pids.tolist():
        if pid not in last.index:
            out[pid] = {"last_course": None, "event": None, "progression_date": None, "end_date": None,
                        "days": None, "months": None, "progression_entry_id": None}
            continue
        start = last[pid]
        if pid in first.index:
            end, event, entry = first.loc[pid, "date"], True, int(first.loc[pid, "entry_id"])
        else:
            end, event, entry = last_contact.get(pid, start), False, None
            end = max(end, start)
        days = int((end - start).days)
        out[pid] = {"last_course": iso(start), "event": event, "progression_date": iso(end) if event else None,
                    "end_date": iso(end), "days": days, "months": round(days / DAYS_PER_MONTH, 1),
                    "progression_entry_id": entry}
    return out
