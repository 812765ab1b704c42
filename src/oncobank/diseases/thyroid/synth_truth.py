"""Ground truth of the RAIR criteria, evaluated on canonical entries by the operational definitions.

It reads the same study settings as the RAIR engine (`settings.Settings`) but applies them with its own
patient-by-patient code; it never calls the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from oncobank.diseases.thyroid.settings import Duration, Settings, default_settings
from oncobank.diseases.thyroid.synth_profile import CRITERIA

ACTIVITY_TO_MBQ = {"MBq": 1.0, "mCi": 37.0, "GBq": 1000.0, "kBq": 0.001}
MET, NOT_MET, NOT_EVALUABLE = "met", "not_met", "not_evaluable"


def activity_mbq(value: Any) -> float:
    if isinstance(value, dict):
        return float(value["value"]) * ACTIVITY_TO_MBQ[value.get("unit") or "MBq"]
    return float(value)


def _day(entry: dict[str, Any]) -> date:
    return date.fromisoformat(entry["date"])


def _others(sites: Iterable[str] | None) -> set[str]:
    return set(sites or ()) - {"thyroid_bed"}


def later_by(day: date, duration: Duration) -> date:
    """`day` plus a number of days or of calendar months (the 31st becomes the month's last day)."""
    if duration.months is not None:
        return day + relativedelta(months=duration.months)
    return day + timedelta(days=duration.count)


def close(a: date, b: date, window: Duration) -> bool:
    """The later of the two dates is at most `window` after the earlier."""
    return max(a, b) <= later_by(min(a, b), window)


def evaluate(entries: list[dict[str, Any]], settings: Settings | None = None) -> dict[str, Any]:
    """Status and date of each criterion, `rair` and `rr_date` (see docs/rair-operational-definitions.md), under
    the study settings (the module's own when None)."""
    rules = (settings or default_settings()).criteria
    threshold = rules.high_activity_persistence.cumulative_activity
    by_section: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_section.setdefault(e["section"], []).append(e)
    rai = sorted(by_section.get("radioiodine", []), key=_day)
    imaging = sorted(by_section.get("imaging", []), key=_day)
    follow = sorted(by_section.get("follow_up", []), key=_day)
    post = [e for e in rai if e["values"].get("procedure") == "therapy" and e["values"].get("isotope") == "I-131"
            and e["values"].get("uptake") in ("present", "absent")]
    criteria = {
        "uptake_loss": uptake_loss(post),
        "non_avid_lesion": non_avid_lesion(post, imaging, rules.non_avid_lesion.within,
                                           set(rules.non_avid_lesion.not_lesion_imaging.codes)),
        "progression_despite_uptake": progression_despite_uptake(
            post, imaging, rules.progression_despite_uptake.after_scan.earliest,
            rules.progression_despite_uptake.after_scan.latest),
        "high_activity_persistence": high_activity_persistence(
            rai, follow, threshold.value * ACTIVITY_TO_MBQ[threshold.unit],
            set(rules.high_activity_persistence.persistent_statuses.codes)),
        "flip_flop": flip_flop(rai, imaging, rules.flip_flop.within, set(rules.flip_flop.negative_scans.codes)),
    }
    met = [c["date"] for c in criteria.values() if c["status"] == MET]
    evaluable = any(c["status"] != NOT_EVALUABLE for c in criteria.values())
    return {
        "criteria": criteria,
        "rair": True if met else (False if evaluable else None),
        "rr_date": min(met) if met else None,
    }


def _result(status: str, when: date | None = None) -> dict[str, Any]:
    return {"status": status, "date": when.isoformat() if when else None}


def uptake_loss(post: list[dict[str, Any]]) -> dict[str, Any]:
    if len(post) < 2:
        return _result(NOT_EVALUABLE)
    for later in post:
        v = later["values"]
        lost = v["uptake"] == "absent" or set(v.get("uptake_sites") or ()) == {"thyroid_bed"}
        if lost and any(_day(e) < _day(later) and e["values"]["uptake"] == "present"
                        and _others(e["values"].get("uptake_sites")) for e in post):
            return _result(MET, _day(later))
    return _result(NOT_MET)


def non_avid_lesion(post: list[dict[str, Any]], imaging: list[dict[str, Any]], window: Duration,
                    not_lesion_imaging: set[str]) -> dict[str, Any]:
    studies = [e for e in imaging if e["values"].get("modality") not in not_lesion_imaging]
    if not studies or not post:
        return _result(NOT_EVALUABLE)
    found: list[date] = []
    for study in studies:
        v = study["values"]
        sites = _others(v.get("lesion_sites")) if v.get("lesions_present") == "yes" else set()
        for scan in post:
            uptake = set(scan["values"].get("uptake_sites") or ()) if scan["values"]["uptake"] == "present" else set()
            if sites - uptake and close(_day(study), _day(scan), window):
                found.append(max(_day(study), _day(scan)))
    return _result(MET, min(found)) if found else _result(NOT_MET)


def progression_despite_uptake(post: list[dict[str, Any]], imaging: list[dict[str, Any]], earliest: Duration,
                               latest: Duration) -> dict[str, Any]:
    avid = [e for e in post if e["values"]["uptake"] == "present" and _others(e["values"].get("uptake_sites"))]
    evaluable = False
    found: list[date] = []
    for scan in avid:
        start, end = later_by(_day(scan), earliest), later_by(_day(scan), latest)
        for study in imaging:
            if start <= _day(study) <= end:
                evaluable = True
                v = study["values"]
                if v.get("recist_response") == "PD" or v.get("new_lesions") == "yes":
                    found.append(_day(study))
    if found:
        return _result(MET, min(found))
    return _result(NOT_MET if evaluable else NOT_EVALUABLE)


def high_activity_persistence(rai: list[dict[str, Any]], follow: list[dict[str, Any]], threshold_mbq: float,
                              persistent: set[str]) -> dict[str, Any]:
    therapy = [e for e in rai if e["values"].get("procedure") == "therapy" and e["values"].get("isotope") == "I-131"]
    if not therapy:
        return _result(NOT_EVALUABLE)
    total = 0.0
    reached: date | None = None
    for course in therapy:
        total += activity_mbq(course["values"].get("activity", 0))
        if total >= threshold_mbq - 1e-6:  # tolerance for binary noise of unit conversion
            reached = _day(course)
            break
    if reached is None:
        return _result(NOT_MET)
    after = [e for e in follow if _day(e) >= reached and e["values"].get("disease_status")]
    if not after:
        return _result(NOT_EVALUABLE)
    first = _day(after[0])
    statuses = {e["values"]["disease_status"] for e in after if _day(e) == first}
    if statuses & persistent:
        return _result(MET, first)
    return _result(NOT_MET)


def flip_flop(rai: list[dict[str, Any]], imaging: list[dict[str, Any]], window: Duration,
              negative_scans: set[str]) -> dict[str, Any]:
    scans = [e for e in rai if e["values"].get("post_scan_modality") in negative_scans]
    pet = [e for e in imaging if e["values"].get("modality") == "PET_CT_FDG"]
    if not scans or not pet:
        return _result(NOT_EVALUABLE)
    found = [max(_day(s), _day(p)) for s in scans for p in pet
             if s["values"].get("uptake") == "absent" and p["values"].get("fdg_avid") == "yes"
             and close(_day(s), _day(p), window)]
    return _result(MET, min(found)) if found else _result(NOT_MET)


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per criterion and status, and of rair true/false/null."""
    counts = {c: {MET: 0, NOT_MET: 0, NOT_EVALUABLE: 0} for c in CRITERIA}
    rair = {"true": 0, "false": 0, "null": 0}
    for result in results:
        for name, outcome in result["criteria"].items():
            counts[name][outcome["status"]] += 1
        rair[{True: "true", False: "false", None: "null"}[result["rair"]]] += 1
    return {"criteria": counts, "rair": rair}
