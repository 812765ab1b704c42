"""RAIR engine: the five radioiodine-refractoriness criteria for every patient at once, with their evidence.

Implements docs/rair-operational-definitions.md on section frames (see `entries.read_section`), with the windows
and thresholds of the study settings (`settings.Settings`): each criterion is a handful of vectorised joins and
filters over the whole registry; only the evidence lists are assembled patient by patient. The synthetic
hospital's ground truth is a separate implementation of the same settings and is not used here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oncobank.diseases.thyroid.activity import convert, in_all_units, reaches_threshold, therapy_courses
from oncobank.diseases.thyroid.evidence import Evidence, iso, merge, plain, refs, unique
from oncobank.diseases.thyroid.settings import (
    Duration,
    FlipFlop,
    HighActivityPersistence,
    NonAvidLesion,
    ProgressionDespiteUptake,
    Settings,
    default_settings,
)

CRITERIA = ("uptake_loss", "non_avid_lesion", "progression_despite_uptake", "high_activity_persistence", "flip_flop")
MET, NOT_MET, NOT_EVALUABLE = "met", "not_met", "not_evaluable"
BED = "thyroid_bed"

# What the engine reads, and how (see entries.read_section).
SECTIONS: dict[str, dict[str, str]] = {
    "radioiodine": {"procedure": "text", "isotope": "text", "activity": "number", "post_scan_modality": "text",
                    "uptake": "text", "uptake_sites": "json"},
    "imaging": {"modality": "text", "lesions_present": "text", "lesion_sites": "json", "fdg_avid": "text",
                "new_lesions": "text", "recist_response": "text"},
    "follow_up": {"disease_status": "text"},
}
SCAN_FIELDS = ("procedure", "isotope", "post_scan_modality", "uptake", "uptake_sites")
LESION_FIELDS = ("modality", "lesions_present", "lesion_sites")
PROGRESSION_FIELDS = ("modality", "recist_response", "new_lesions")

# Why a criterion has its status, per criterion (texts in both languages: wording.REASONS).
REASONS: dict[str, tuple[str, ...]] = {
    "uptake_loss": ("uptake_lost_after_avid_scan", "uptake_not_lost", "fewer_than_two_post_therapy_scans"),
    "non_avid_lesion": ("lesion_without_uptake", "lesions_avid_or_not_near_a_scan", "no_lesion_imaging",
                        "no_post_therapy_scan"),
    "progression_despite_uptake": ("progression_in_window_after_avid_scan", "no_progression_in_window",
                                   "no_avid_post_therapy_scan", "no_imaging_in_window"),
    "high_activity_persistence": ("persistent_disease_after_threshold", "remission_after_threshold",
                                  "total_below_threshold", "no_i131_therapy", "no_follow_up_after_threshold"),
    "flip_flop": ("negative_scan_positive_fdg_pet", "no_flip_flop_pair", "no_radioiodine_scan", "no_fdg_pet"),
}


@dataclass
class Outcome:
    """One criterion for every patient: status, date and reason per patient (a frame), and the evidence."""

    table: pd.DataFrame
    evidence: Evidence


def _table(pids: pd.Index, status: str, reason: str) -> pd.DataFrame:
    return pd.DataFrame({"status": status, "date": pd.NaT, "reason": reason}, index=pids)


def _set(table: pd.DataFrame, pids: Any, status: str, reason: str, dates: pd.Series | None = None) -> None:
    pids = list(pids)
    if not pids:
        return
    table.loc[pids, "status"] = status
    table.loc[pids, "reason"] = reason
    if dates is not None:
        table.loc[pids, "date"] = dates.to_numpy()


def site_bits(*columns: pd.Series) -> dict[str, int]:
    """A bit per body-site code seen in the list columns, so site sets compare as integers."""
    codes = {BED}
    for column in columns:
        codes.update(str(c) for c in column.explode().dropna().unique())
    if len(codes) > 62:
        raise ValueError(f"too many distinct body sites ({len(codes)}) for a 64-bit site mask")
    return {code: 1 << i for i, code in enumerate(sorted(codes))}


def site_mask(column: pd.Series, bits: dict[str, int]) -> np.ndarray:
    """The set of sites in each row's list as a bit mask (0 for none)."""
    exploded = column.explode().dropna()
    if exploded.empty:
        return np.zeros(len(column), dtype="int64")
    pairs = pd.DataFrame({"row": exploded.index, "bit": exploded.astype(str).map(bits)}).drop_duplicates()
    return pairs.groupby("row")["bit"].sum().reindex(column.index, fill_value=0).astype("int64").to_numpy()


def sites_of(mask: int, bits: dict[str, int]) -> list[str]:
    return [code for code, bit in bits.items() if mask & bit]


def prepare(radioiodine: pd.DataFrame, imaging: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Site masks on both frames: uptake (all listed sites; only when uptake is present), lesions."""
    radioiodine, imaging = radioiodine.copy(), imaging.copy()
    bits = site_bits(radioiodine["uptake_sites"], imaging["lesion_sites"])
    listed = site_mask(radioiodine["uptake_sites"], bits)
    present = (radioiodine["uptake"] == "present").to_numpy()
    radioiodine["uptake_mask"] = np.where(present, listed, 0)
    radioiodine["avid"] = present & ((listed & ~bits[BED]) != 0)  # uptake at a site other than the bed
    radioiodine["lost"] = (radioiodine["uptake"] == "absent").to_numpy() | (listed == bits[BED])
    lesions = site_mask(imaging["lesion_sites"], bits)
    imaging["lesion_mask"] = np.where((imaging["lesions_present"] == "yes").to_numpy(), lesions & ~bits[BED], 0)
    return radioiodine, imaging, bits


def post_therapy_scans(radioiodine: pd.DataFrame) -> pd.DataFrame:
    """I-131 therapy entries whose post-therapy scan has an uptake result (present or absent)."""
    return radioiodine[(radioiodine["procedure"] == "therapy") & (radioiodine["isotope"] == "I-131")
                       & radioiodine["uptake"].isin(("present", "absent"))]


def _paired(left: pd.DataFrame, right: pd.DataFrame, suffix: str) -> pd.DataFrame:
    """Every pair of rows of the same patient; the right frame's columns carry `suffix`."""
    return left.merge(right.add_suffix(suffix).rename(columns={f"patient_id{suffix}": "patient_id"}),
                      on="patient_id")


def _side(pairs: pd.DataFrame, suffix: str) -> pd.DataFrame:
    """The right-hand rows of `_paired` pairs, with their own column names again."""
    columns = [c for c in pairs.columns if c.endswith(suffix)]
    side = pairs[["patient_id", *columns]].rename(columns={c: c[: -len(suffix)] for c in columns})
    return side


def _first(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """The row with the smallest `by` for each patient (ties: the earlier row)."""
    return frame.sort_values(["patient_id", by], kind="stable").drop_duplicates("patient_id")


def uptake_loss(pids: pd.Index, post: pd.DataFrame) -> Outcome:
    table = _table(pids, NOT_EVALUABLE, "fewer_than_two_post_therapy_scans")
    counts = post.groupby("patient_id").size()
    _set(table, counts[counts >= 2].index, NOT_MET, "uptake_not_lost")
    first_avid = post[post["avid"]].drop_duplicates("patient_id")
    lost = post[post["lost"]].merge(first_avid[["patient_id", "date"]].rename(columns={"date": "avid_date"}),
                                    on="patient_id")
    lost = lost[lost["date"] > lost["avid_date"]].drop_duplicates("patient_id")
    _set(table, lost["patient_id"], MET, "uptake_lost_after_avid_scan", lost["date"])
    met = post["patient_id"].isin(lost["patient_id"])
    evidence = merge(
        refs(first_avid[first_avid["patient_id"].isin(lost["patient_id"])], "scan_with_uptake", "radioiodine",
             SCAN_FIELDS),
        refs(lost, "later_scan_without_uptake", "radioiodine", SCAN_FIELDS),
        refs(post[~met], "post_therapy_scan", "radioiodine", SCAN_FIELDS),
    )
    return Outcome(table, evidence)


def _offset(duration: Duration) -> pd.DateOffset | pd.Timedelta:
    """A duration to add to dates: calendar months (clipped at the month's end, as relativedelta) or days."""
    if duration.months is not None:
        return pd.DateOffset(months=duration.months)
    return pd.Timedelta(days=duration.count)


def within(a: pd.Series, b: pd.Series, window: Duration) -> pd.Series:
    """True where the later of the two dates is at most `window` after the earlier (both ends included)."""
    earlier, later = a.where(a <= b, b), a.where(a > b, b)
    return later <= earlier + _offset(window)


def non_avid_lesion(pids: pd.Index, post: pd.DataFrame, imaging: pd.DataFrame, bits: dict[str, int],
                    rule: NonAvidLesion) -> Outcome:
    studies = imaging[~imaging["modality"].isin(rule.not_lesion_imaging.codes)]
    table = _table(pids, NOT_EVALUABLE, "no_lesion_imaging")
    with_studies = pd.Index(studies["patient_id"].unique())
    _set(table, with_studies.difference(post["patient_id"].unique()), NOT_EVALUABLE, "no_post_therapy_scan")
    _set(table, with_studies.intersection(post["patient_id"].unique()), NOT_MET, "lesions_avid_or_not_near_a_scan")
    lesions = studies[studies["lesion_mask"] != 0]
    pairs = _paired(lesions, post, "_scan")
    pairs = pairs[within(pairs["date"], pairs["date_scan"], rule.within)]
    missing = pairs["lesion_mask"].to_numpy() & ~pairs["uptake_mask_scan"].to_numpy()
    hits = pairs[missing != 0].assign(when=lambda f: f[["date", "date_scan"]].max(axis=1))
    hits = _first(hits, "when")
    _set(table, hits["patient_id"], MET, "lesion_without_uptake", hits["when"])
    hits = hits.assign(sites_without_uptake=[sites_of(m & ~u, bits) for m, u in
                                             zip(hits["lesion_mask"], hits["uptake_mask_scan"], strict=True)])
    near = pairs[~pairs["patient_id"].isin(hits["patient_id"])]
    evidence = merge(
        refs(hits, "lesion_imaging", "imaging", LESION_FIELDS, sites_without_uptake="sites_without_uptake"),
        refs(_side(hits, "_scan"), "post_therapy_scan", "radioiodine", SCAN_FIELDS),
        refs(post[post["patient_id"].isin(table.index[table["status"] == NOT_MET])], "post_therapy_scan",
             "radioiodine", SCAN_FIELDS),
        refs(near, "lesion_imaging_in_window", "imaging", LESION_FIELDS),
    )
    return Outcome(table, {pid: unique(records) for pid, records in evidence.items()})


def progression_despite_uptake(pids: pd.Index, post: pd.DataFrame, imaging: pd.DataFrame,
                               rule: ProgressionDespiteUptake) -> Outcome:
    avid = post[post["avid"]]
    table = _table(pids, NOT_EVALUABLE, "no_avid_post_therapy_scan")
    _set(table, avid["patient_id"].unique(), NOT_EVALUABLE, "no_imaging_in_window")
    pairs = _paired(imaging, avid, "_scan")
    start = pairs["date_scan"] + _offset(rule.after_scan.earliest)
    end = pairs["date_scan"] + _offset(rule.after_scan.latest)
    window = pairs[(pairs["date"] >= start) & (pairs["date"] <= end)]
    _set(table, window["patient_id"].unique(), NOT_MET, "no_progression_in_window")
    progressed = window[(window["recist_response"] == "PD") | (window["new_lesions"] == "yes")]
    first = _first(progressed, "date")
    _set(table, first["patient_id"], MET, "progression_in_window_after_avid_scan", first["date"])
    first = first.assign(months_after_scan=[round((d - s).days / 30.4375, 1) for d, s in
                                            zip(first["date"], first["date_scan"], strict=True)])
    unmet = window[~window["patient_id"].isin(first["patient_id"])]
    without_window = avid[~avid["patient_id"].isin(window["patient_id"])]
    evidence = merge(
        refs(_side(first, "_scan"), "scan_with_uptake", "radioiodine", SCAN_FIELDS),
        refs(first, "progression_imaging", "imaging", PROGRESSION_FIELDS, months_after_scan="months_after_scan"),
        refs(_side(unmet, "_scan"), "scan_with_uptake", "radioiodine", SCAN_FIELDS),
        refs(unmet, "imaging_in_window", "imaging", PROGRESSION_FIELDS),
        refs(without_window, "scan_with_uptake", "radioiodine", SCAN_FIELDS),
    )
    return Outcome(table, {pid: unique(records) for pid, records in evidence.items()})


def high_activity_persistence(pids: pd.Index, radioiodine: pd.DataFrame, follow_up: pd.DataFrame,
                              rule: HighActivityPersistence) -> Outcome:
    courses = therapy_courses(radioiodine)
    courses["cumulative"] = [in_all_units(x) for x in courses["cumulative_mbq"]]
    courses["activity_units"] = [in_all_units(x) for x in courses["activity"]]
    threshold = convert(rule.cumulative_activity.value, rule.cumulative_activity.unit, "MBq")
    table = _table(pids, NOT_EVALUABLE, "no_i131_therapy")
    _set(table, courses["patient_id"].unique(), NOT_MET, "total_below_threshold")
    reached = courses[reaches_threshold(courses["cumulative_mbq"], threshold)].drop_duplicates("patient_id")
    _set(table, reached["patient_id"], NOT_EVALUABLE, "no_follow_up_after_threshold")
    statuses = follow_up[follow_up["disease_status"].notna()].merge(
        reached[["patient_id", "date", "course"]].rename(columns={"date": "reached", "course": "reached_course"}),
        on="patient_id")
    statuses = statuses[statuses["date"] >= statuses["reached"]]
    first_day = statuses.groupby("patient_id")["date"].transform("min")
    deciding = statuses[statuses["date"] == first_day]
    persistent = deciding.groupby("patient_id")["disease_status"].agg(
        lambda s: s.isin(rule.persistent_statuses.codes).any())
    days = deciding.drop_duplicates("patient_id").set_index("patient_id")["date"]
    _set(table, persistent.index[~persistent], NOT_MET, "remission_after_threshold")
    met = persistent.index[persistent]
    _set(table, met, MET, "persistent_disease_after_threshold", days.loc[met])
    # Courses up to the one that reached the threshold (all courses when it was never reached).
    limit = courses["patient_id"].map(reached.set_index("patient_id")["course"]).fillna(np.inf)
    evidence = merge(
        refs(courses[courses["course"] <= limit], "i131_course", "radioiodine", ("procedure", "isotope"),
             activity="activity_units", cumulative_activity="cumulative"),
        refs(deciding, "first_follow_up_after_threshold", "follow_up", ("disease_status",)),
    )
    return Outcome(table, evidence)


def flip_flop(pids: pd.Index, radioiodine: pd.DataFrame, imaging: pd.DataFrame, rule: FlipFlop) -> Outcome:
    scans = radioiodine[radioiodine["post_scan_modality"].isin(rule.negative_scans.codes)]
    pet = imaging[imaging["modality"] == "PET_CT_FDG"]
    table = _table(pids, NOT_EVALUABLE, "no_radioiodine_scan")
    with_scans = pd.Index(scans["patient_id"].unique())
    _set(table, with_scans.difference(pet["patient_id"].unique()), NOT_EVALUABLE, "no_fdg_pet")
    _set(table, with_scans.intersection(pet["patient_id"].unique()), NOT_MET, "no_flip_flop_pair")
    pairs = _paired(scans[scans["uptake"] == "absent"], pet[pet["fdg_avid"] == "yes"], "_pet")
    pairs = pairs[within(pairs["date"], pairs["date_pet"], rule.within)]
    first = _first(pairs.assign(when=pairs[["date", "date_pet"]].max(axis=1)), "when")
    _set(table, first["patient_id"], MET, "negative_scan_positive_fdg_pet", first["when"])
    unmet = table.index[table["status"] == NOT_MET]
    evidence = merge(
        refs(first, "negative_radioiodine_scan", "radioiodine", SCAN_FIELDS),
        refs(_side(first, "_pet"), "positive_fdg_pet", "imaging", ("modality", "fdg_avid")),
        refs(scans[scans["patient_id"].isin(unmet)], "radioiodine_scan", "radioiodine", SCAN_FIELDS),
        refs(pet[pet["patient_id"].isin(unmet)], "fdg_pet", "imaging", ("modality", "fdg_avid")),
    )
    return Outcome(table, evidence)


def evaluate(pids: pd.Index, radioiodine: pd.DataFrame, imaging: pd.DataFrame, follow_up: pd.DataFrame,
             settings: Settings | None = None) -> dict[int, dict[str, Any]]:
    """RAIR result of every patient in `pids`: rair (true/false/null), rr_date, and each criterion's status,
    date, reason and evidence, under `settings` (the module's own when None). The frames are the sections read
    with `SECTIONS` (any patients; extra ones are ignored)."""
    rules = (settings or default_settings()).criteria
    pids = pd.Index(pids, name="patient_id")
    radioiodine, imaging = (f[f["date"].notna() & f["patient_id"].isin(pids)] for f in (radioiodine, imaging))
    follow_up = follow_up[follow_up["date"].notna() & follow_up["patient_id"].isin(pids)]
    radioiodine, imaging, bits = prepare(radioiodine, imaging)
    post = post_therapy_scans(radioiodine)
    outcomes = {
        "uptake_loss": uptake_loss(pids, post),
        "non_avid_lesion": non_avid_lesion(pids, post, imaging, bits, rules.non_avid_lesion),
        "progression_despite_uptake": progression_despite_uptake(pids, post, imaging,
                                                                 rules.progression_despite_uptake),
        "high_activity_persistence": high_activity_persistence(pids, radioiodine, follow_up,
                                                               rules.high_activity_persistence),
        "flip_flop": flip_flop(pids, radioiodine, imaging, rules.flip_flop),
    }
    return assemble(pids, outcomes)


def assemble(pids: pd.Index, outcomes: dict[str, Outcome]) -> dict[int, dict[str, Any]]:
    """Patient-level results from the criteria: rair is true if any is met, null if none is evaluable."""
    columns = {}
    for name, outcome in outcomes.items():
        t = outcome.table
        columns[name] = list(zip(t["status"].tolist(), [iso(d) for d in t["date"]], t["reason"].tolist(),
                                 strict=True))
    results: dict[int, dict[str, Any]] = {}
    for i, pid in enumerate(pids.tolist()):
        criteria = {}
        for name, outcome in outcomes.items():
            status, day, reason = columns[name][i]
            criteria[name] = {"status": status, "date": day, "reason": reason,
                              "evidence": outcome.evidence.get(pid, [])}
        met = [c["date"] for c in criteria.values() if c["status"] == MET]
        evaluable = any(c["status"] != NOT_EVALUABLE for c in criteria.values())
        results[int(plain(pid))] = {
            "rair": True if met else (False if evaluable else None),
            "rr_date": min(met) if met else None,
            "criteria_met": [name for name, c in criteria.items() if c["status"] == MET],
            "criteria": criteria,
        }
    return results
