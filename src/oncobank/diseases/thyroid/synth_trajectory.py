"""Thyroid cancer courses after surgery: regular care, the five RAIR scenarios and their near misses."""

from __future__ import annotations

import math
from datetime import date

from dateutil.relativedelta import relativedelta

from oncobank.diseases.thyroid.settings import default_settings
from oncobank.diseases.thyroid.synth_care import (
    close,
    ct,
    decide_end,
    follow_labs,
    lesions_for,
    levothyroxine,
    lt4_dose,
    pet_ct,
    rai_diagnostic,
    rai_therapy,
    ultrasound,
    visit,
)
from oncobank.diseases.thyroid.synth_course import Course, Recist, days
from oncobank.diseases.thyroid.synth_refractory import refractory, targeted_line
from oncobank.diseases.thyroid.synth_truth import later_by
from oncobank.diseases.thyroid.synth_tumour import DEPARTMENT_SURGERY, Tumour
from oncobank.synth.rng import weighted

# Borderlines sit on the window edges of the module's study settings (rair_settings.yaml); their names give the
# default values. Near misses: built like the criterion's courses but just outside its definition.
NEAR_MISS = {
    "progression_16_months_plus_1_day": "progression_despite_uptake",
    "progression_12_months_minus_1_day": "progression_despite_uptake",
    "activity_600_then_ned": "high_activity_persistence",
    "activity_595_persistent": "high_activity_persistence",
    "non_avid_91_days": "non_avid_lesion",
    "flip_flop_12_months_plus_1_day": "flip_flop",
}
MET_BORDERLINES = {
    "progression_at_12_months": "progression_despite_uptake",
    "progression_at_16_months": "progression_despite_uptake",
    "activity_exactly_600": "high_activity_persistence",
    "non_avid_90_days": "non_avid_lesion",
    "flip_flop_12_months": "flip_flop",
}


def months(n: int) -> relativedelta:
    return relativedelta(months=n)


def after_progression_window(scan: date) -> date:
    """The first day after the progression window of a scan (criterion 3): progression is shown only then."""
    return later_by(scan, default_settings().criteria.progression_despite_uptake.after_scan.latest) + days(1)


def after_surgery(course: Course, tumour: Tumour, age: int, scenario: str | None, borderline: str | None) -> None:
    """Everything after the first operation, up to death, loss to follow-up or the data cut-off."""
    rng = course.rng
    surgery = tumour.surgery_date
    assert surgery is not None
    if tumour.extent == "total_thyroidectomy":
        levothyroxine(course, surgery + days(1), lt4_dose(course))
    if tumour.histology == "anaplastic":
        anaplastic(course, tumour)
        return
    if tumour.histology == "medullary":
        medullary(course, tumour, age)
        return
    if tumour.extent == "hemithyroidectomy":
        if rng.random() < 0.3:
            completion(course, tumour, surgery + days(rng.randint(60, 180)))
        else:
            lobectomy_follow_up(course, tumour, age)
            return
    runner = SCENARIOS.get(scenario or "")
    if runner is None:
        regular(course, tumour, age)
    else:
        runner(course, tumour, age, borderline)


def completion(course: Course, tumour: Tumour, day: date) -> None:
    rng = course.rng
    tumour.extent = "total_thyroidectomy"
    tumour.surgery_date = day
    course.entry("surgery", day, {"thyroid_extent": "completion_thyroidectomy",
                                  "neuromonitoring": "yes" if day.year >= 2014 else "no",
                                  "laryngeal_nerve_complication": "none",
                                  "hypoparathyroidism": "transient" if rng.random() < 0.1 else "none"})
    course.admission(day - days(1), rng.randint(3, 6), DEPARTMENT_SURGERY, "surgery", [], {
        "kind": "surgery", "extent": "completion_thyroidectomy", "levels": [], "complications": [],
        "histology": tumour.histology, "variant": tumour.variant, "size_mm": tumour.size_mm,
        "tnm": f"{tumour.t}{tumour.n}{tumour.m}", "stage": tumour.stage, "surgery_date": day, "lt4": None})
    levothyroxine(course, day + days(1), lt4_dose(course))


# ---------------------------------------------------------------- surveillance and the end of follow-up


def surveil(course: Course, start: date, status: str, age: int, *, sites: list[str] | None = None,
            distant: bool = False, every: int = 12) -> None:
    """Routine visits from `start` on, until the course ends."""
    rng = course.rng
    outcome = decide_end(course, start, age)
    day = start
    while True:
        day = day + months(every) + days(rng.randint(-20, 20))
        if day >= course.end:
            break
        visit(course, day, status, sites=sites, distant=distant)
    close(course, outcome, status)


def lobectomy_follow_up(course: Course, tumour: Tumour, age: int) -> None:
    rng = course.rng
    start = tumour.surgery_date + days(rng.randint(150, 240))
    if rng.random() < 0.4:
        levothyroxine(course, tumour.surgery_date + days(rng.randint(30, 90)), 50.0)
    status = "ned" if rng.random() < 0.9 else "indeterminate"
    visit(course, start, status, us=True)
    surveil(course, start, status, age)


# ---------------------------------------------------------------- regular (non-refractory) courses


def regular(course: Course, tumour: Tumour, age: int) -> None:
    rng = course.rng
    surgery = tumour.surgery_date
    risk = "high" if tumour.histology == "poorly_differentiated" else tumour.risk
    give_rai = rng.random() < {"low": 0.35, "intermediate": 0.8, "high": 1.0}[risk]
    if not give_rai:
        start = surgery + days(rng.randint(150, 240))
        status = "ned" if rng.random() < 0.92 else "indeterminate"
        visit(course, start, status, us=True)
        surveil(course, start, status, age)
        return
    r1 = surgery + days(rng.randint(70, 120))
    if tumour.distant_sites:
        metastatic_avid(course, tumour, age, r1)
        return
    mci = float({"low": rng.choice((30, 30, 50)), "intermediate": rng.choice((50, 80, 100, 100)),
                 "high": rng.choice((100, 120, 150))}[risk])
    outcome = weighted(rng, {"ned": {"low": 0.88, "intermediate": 0.72, "high": 0.5}[risk], "indeterminate": 0.08,
                             "biochemical_incomplete": 0.1, "structural_incomplete": 0.1})
    avid_nodes = outcome == "structural_incomplete" and rng.random() < 0.6
    sites1 = ["thyroid_bed", *(["neck_lymph_nodes"] if avid_nodes else [])]
    if rng.random() < 0.2:
        rai_diagnostic(course, r1 - days(rng.randint(2, 5)), ["thyroid_bed"])
    rai_therapy(course, r1, mci, sites1)
    check = r1 + months(rng.randint(6, 12))
    if outcome == "ned":
        if rng.random() < 0.3:
            rai_diagnostic(course, check - days(rng.randint(5, 20)), [],
                           scan="SPECT_CT" if rng.random() < 0.3 else "WBS")
        visit(course, check, "ned", us=True)
        if rng.random() < 0.06:
            recurrence_surgery(course, check + months(rng.randint(24, 72)))
        surveil(course, check, "ned", age)
    elif outcome == "indeterminate":
        visit(course, check, outcome, us=True)
        surveil(course, check, rng.choice(("indeterminate", "ned")), age)
    elif outcome == "biochemical_incomplete":
        visit(course, check, outcome, us=True)
        if rng.random() < 0.3:  # empiric second course in a Tg-positive, scan-negative patient
            rai_therapy(course, check + days(rng.randint(30, 90)), 100.0, [] if rng.random() < 0.6 else ["thyroid_bed"],
                        scan="WBS")
        if rng.random() < 0.4:
            pet_ct(course, check + days(rng.randint(100, 160)), False, [])
        surveil(course, check, rng.choice(("biochemical_incomplete", "ned")), age)
    else:
        nodes = ["neck_lymph_nodes"]
        visit(course, check, outcome, sites=nodes, us=True)
        if avid_nodes and rng.random() < 0.5:
            rai_therapy(course, check + days(rng.randint(30, 80)), 100.0, nodes)
        surveil(course, check, outcome, age, sites=nodes)


def metastatic_avid(course: Course, tumour: Tumour, age: int, r1: date) -> None:
    """Iodine-avid distant metastases that respond: two or three courses, never 600 mCi."""
    rng = course.rng
    sites = list(tumour.distant_sites)
    recist = Recist(lesions_for(sites, course))
    ct(course, r1 - days(rng.randint(10, 40)), recist, None)
    activities = [150.0, 150.0, float(rng.choice((100, 120, 150)))][: rng.choice((2, 3))]
    day = r1
    for k, mci in enumerate(activities):
        rai_therapy(course, day, mci, (["thyroid_bed"] if k == 0 else []) + sites, distant=True)
        ct(course, day + months(5), recist, "PR" if k == 0 else rng.choice(("PR", "SD")))
        visit(course, day + months(5) + days(rng.randint(1, 10)), "structural_incomplete", distant=True, us=False)
        day = day + months(rng.randint(6, 9))
    final = day + months(rng.randint(3, 9))
    cleared = rng.random() < 0.5
    ct(course, final, recist, "CR" if cleared else "SD")
    if cleared:
        rai_diagnostic(course, final + days(rng.randint(100, 150)), [])
    status = weighted(rng, {"ned": 0.6, "biochemical_incomplete": 0.4}) if cleared else "structural_incomplete"
    visit(course, final + days(rng.randint(1, 14)), status, distant=not cleared, us=False)
    surveil(course, final, status, age, distant=not cleared)


def recurrence_surgery(course: Course, day: date) -> None:
    """A late nodal recurrence found on ultrasound, proven by cytology and removed: no radioiodine."""
    rng = course.rng
    if not course.ok(day):
        return
    ultrasound(course, day, ["neck_lymph_nodes"])
    course.entry("cytology", day + days(rng.randint(3, 15)), {
        "fnab_site": "лимфоузел шеи справа" if rng.random() < 0.5 else "лимфоузел шеи слева", "bethesda": "VI",
        "cytology_conclusion": "Метастаз папиллярной карциномы щитовидной железы"})
    operation = day + days(rng.randint(25, 60))
    course.entry("surgery", operation, {"thyroid_extent": "none", "lymph_node_levels": ["II", "III", "IV"],
                                        "lymph_node_side": rng.choice(("left", "right")),
                                        "laryngeal_nerve_complication": "none"})
    course.admission(operation - days(1), rng.randint(3, 6), DEPARTMENT_SURGERY, "surgery", ["C77.0"], {
        "kind": "surgery", "extent": "neck_dissection", "levels": ["II", "III", "IV"], "complications": [],
        "histology": None, "variant": None, "size_mm": None, "tnm": None, "stage": None, "surgery_date": operation,
        "lt4": None})
    follow_labs(course, operation + months(3), "ned")


# ---------------------------------------------------------------- the five RAIR scenarios


def _metastatic_start(course: Course, tumour: Tumour) -> tuple[list[str], Recist, date]:
    """Disease sites, their RECIST baseline CT and the date of the first course."""
    rng = course.rng
    sites = list(tumour.distant_sites) or [rng.choice(("neck_lymph_nodes", "neck_lymph_nodes",
                                                       "mediastinal_lymph_nodes"))]
    r1 = tumour.surgery_date + days(rng.randint(70, 120))
    recist = Recist(lesions_for(sites, course))
    ct(course, r1 - days(rng.randint(10, 40)), recist, None)
    return sites, recist, r1


def progression(course: Course, tumour: Tumour, age: int, borderline: str | None) -> None:
    """Criterion 3: avid metastases, then RECIST progression 12-16 months after the scan."""
    rng = course.rng
    sites, recist, r1 = _metastatic_start(course, tumour)
    distant = bool(tumour.distant_sites)
    rai_therapy(course, r1, float(rng.choice((100, 150, 150, 200))), ["thyroid_bed", *sites], distant=distant)
    ct(course, r1 + months(6), recist, "SD")
    visit(course, r1 + months(6) + days(rng.randint(1, 10)), "structural_incomplete", distant=distant, us=False)
    near_miss = borderline in NEAR_MISS
    if not near_miss and rng.random() < 0.5:
        rai_therapy(course, r1 + months(6) + days(rng.randint(15, 60)), 150.0, sites, distant=distant)
    window = default_settings().criteria.progression_despite_uptake.after_scan
    earliest, latest = later_by(r1, window.earliest), later_by(r1, window.latest)
    if borderline == "progression_at_12_months":
        pd_day = earliest
    elif borderline == "progression_at_16_months":
        pd_day = latest
    elif borderline == "progression_12_months_minus_1_day":
        pd_day = earliest - days(1)
    elif borderline == "progression_16_months_plus_1_day":
        ct(course, earliest + days(rng.randint(20, 60)), recist, "SD")
        pd_day = latest + days(1)
    else:
        low, high = earliest + days(1), latest - days(1)
        pd_day = low + days(rng.randint(0, (high - low).days))
    ct(course, pd_day, recist, "PD")
    # Near misses must not progress inside the window afterwards: the inhibitor answers first.
    refractory(course, tumour, age, pd_day, recist, calm_until=after_progression_window(r1) if near_miss else None)


def high_activity(course: Course, tumour: Tumour, age: int, borderline: str | None) -> None:
    """Criterion 4: courses until the cumulative activity reaches 600 mCi, then persistent disease."""
    rng = course.rng
    sites, recist, r1 = _metastatic_start(course, tumour)
    distant = bool(tumour.distant_sites)
    if borderline == "activity_exactly_600":
        plan = [100.0, 150.0, 150.0, 200.0]
    elif borderline == "activity_595_persistent":
        plan = [100.0, 150.0, 150.0, 195.0]
    elif borderline == "activity_600_then_ned":
        plan = [150.0, 150.0, 150.0, 150.0]
    else:
        plan = [float(rng.choice((100, 150)))]
        while sum(plan) < 600:
            plan.append(float(rng.choice((150, 150, 175, 200))))
    day = r1
    for k, mci in enumerate(plan):
        if k:
            ct(course, day - days(rng.randint(20, 45)), recist, "SD")
        rai_therapy(course, day, mci, (["thyroid_bed"] if k < 2 else []) + sites, distant=distant)
        last = day
        day = day + months(rng.randint(6, 10))
    decision = last + days(rng.randint(100, 180))
    if borderline == "activity_600_then_ned":
        ct(course, decision - days(rng.randint(1, 10)), recist, "CR")
        visit(course, decision, "ned", us=False)
        surveil(course, decision, "ned", age)
        return
    ct(course, decision - days(rng.randint(1, 10)), recist, "SD")
    status = "structural_incomplete" if rng.random() < 0.75 else "biochemical_incomplete"
    visit(course, decision, status, distant=distant, us=False, rise=1.5)
    refractory(course, tumour, age, decision, recist, calm_until=after_progression_window(last))


def non_avid(course: Course, tumour: Tumour, age: int, borderline: str | None) -> None:
    """Criterion 2: ablation, remission, a nodal (or lung) recurrence whose post-therapy scan is negative."""
    rng = course.rng
    r1 = tumour.surgery_date + days(rng.randint(70, 120))
    rai_therapy(course, r1, float(rng.choice((30, 50, 80, 100))), ["thyroid_bed"])
    check = r1 + months(rng.randint(6, 10))
    visit(course, check, "ned", us=True)
    recurrence = check + months(rng.randint(12, 36))
    if not course.ok(recurrence):
        recurrence = check + months(6)
    sites = ["neck_lymph_nodes"] if rng.random() < 0.7 else ["lungs"]
    edge = later_by(recurrence, default_settings().criteria.non_avid_lesion.within)
    scan_day = {"non_avid_90_days": edge, "non_avid_91_days": edge + days(1)}.get(
        borderline or "", recurrence + days(rng.randint(20, 80)))
    if sites == ["neck_lymph_nodes"]:
        ultrasound(course, recurrence, sites)
        course.entry("cytology", recurrence + days(rng.randint(2, 9)), {
            "fnab_site": "лимфоузел шеи", "bethesda": "VI",
            "cytology_conclusion": "Метастаз карциномы щитовидной железы"})
        recist = Recist(lesions_for(sites, course))
    else:
        recist = Recist(lesions_for(sites, course))
        ct(course, recurrence, recist, None)
    follow_labs(course, recurrence + days(rng.randint(3, 20)), "structural_incomplete")
    absent = rng.random() < 0.7
    rai_therapy(course, scan_day, float(rng.choice((100, 150))), [] if absent else ["thyroid_bed"], scan="WBS")
    refractory(course, tumour, age, scan_day, recist, calm_until=None)


def flip_flop(course: Course, tumour: Tumour, age: int, borderline: str | None) -> None:
    """Criterion 5: a negative diagnostic SPECT/CT with a positive FDG PET/CT in the settings' window."""
    rng = course.rng
    distant = list(tumour.distant_sites)
    r1 = tumour.surgery_date + days(rng.randint(70, 120))
    if distant:
        recist = Recist(lesions_for(distant, course))
        ct(course, r1 - days(rng.randint(10, 40)), recist, None)
    rai_therapy(course, r1, float(rng.choice((100, 150))), ["thyroid_bed", *distant], distant=bool(distant))
    check = r1 + months(rng.randint(6, 10))
    visit(course, check, "biochemical_incomplete", us=False, rise=1.0)
    window = default_settings().criteria.flip_flop.within
    scan_day = check + months(rng.randint(6, 24))
    if not course.ok(later_by(scan_day, window) + days(30)):
        scan_day = check + months(3)
    follow_labs(course, scan_day - days(rng.randint(5, 20)), "structural_incomplete", rise=2.0)
    rai_diagnostic(course, scan_day, [], scan="SPECT_CT")
    edge = later_by(scan_day, window)
    pet_day = {"flip_flop_12_months": edge, "flip_flop_12_months_plus_1_day": edge + days(1)}.get(
        borderline or "", scan_day + days(rng.randint(10, 75)))
    pet_sites = distant or [rng.choice(("neck_lymph_nodes", "mediastinal_lymph_nodes"))]
    pet_ct(course, pet_day, True, pet_sites)
    recist = Recist(lesions_for(pet_sites, course))
    refractory(course, tumour, age, pet_day, recist, calm_until=after_progression_window(r1) if distant else None,
               ct_first=True)


def uptake_loss(course: Course, tumour: Tumour, age: int, borderline: str | None) -> None:
    """Criterion 1: uptake in metastases on the first post-therapy scan, none on the next."""
    rng = course.rng
    sites, recist, r1 = _metastatic_start(course, tumour)
    distant = bool(tumour.distant_sites)
    rai_therapy(course, r1, float(rng.choice((100, 150))), ["thyroid_bed", *sites], distant=distant)
    c2 = r1 + months(rng.randint(8, 12))
    ct(course, c2 - days(rng.randint(100, 130)), recist, "SD")
    visit(course, c2 - days(rng.randint(95, 99)), "structural_incomplete", distant=distant, us=False)
    rai_therapy(course, c2, 150.0, [] if rng.random() < 0.7 else ["thyroid_bed"], scan="WBS", distant=distant)
    refractory(course, tumour, age, c2, recist, calm_until=after_progression_window(r1))


def medullary(course: Course, tumour: Tumour, age: int) -> None:
    rng = course.rng
    start = tumour.surgery_date + days(rng.randint(60, 120))
    persistent = bool(tumour.distant_sites) or rng.random() < 0.25
    sites = list(tumour.distant_sites) or (["neck_lymph_nodes"] if persistent else [])
    course.labs(start, {"cea": round(rng.uniform(12, 400) if persistent else rng.uniform(0.5, 4.0), 1)})
    if persistent:
        recist = Recist(lesions_for(sites, course))
        ct(course, start + days(10), recist, None)
        if rng.random() < 0.4:
            refractory(course, tumour, age, start + days(30), recist, calm_until=None, ct_first=True)
            return
    status = "structural_incomplete" if persistent else "ned"
    visit(course, start + months(6), status, sites=sites, us=True)
    surveil(course, start + months(6), status, age, sites=[s for s in sites if s == "neck_lymph_nodes"])


def anaplastic(course: Course, tumour: Tumour) -> None:
    """Anaplastic carcinoma: a few months of imaging, sometimes BRAF/MEK inhibition, death."""
    rng = course.rng
    start = tumour.surgery_date or course.plan.diagnosis_date
    death = start + days(int(rng.lognormvariate(math.log(150), 0.6)))
    if death <= course.end:
        course.end = death
        course.outcome = "dead"
        course.tags.append("cancer_death")
    sites = sorted({*tumour.distant_sites, "neck_lymph_nodes"})
    recist = Recist(lesions_for(sites, course))
    ct(course, start + days(rng.randint(10, 25)), recist, None)
    if rng.random() < 0.5:
        pet_ct(course, start + days(rng.randint(15, 35)), True, sites)
    if tumour.drivers.get("BRAF") == "V600E" and rng.random() < 0.6:
        targeted_line(course, "dabrafenib_trametinib", start + days(rng.randint(20, 40)), recist, None,
                      distant=True)
    else:
        ct(course, start + days(rng.randint(60, 80)), recist, "PD")
    if course.outcome == "dead":
        close(course, "dead", "structural_incomplete")
    else:
        visit(course, course.end - days(rng.randint(0, 30)), "structural_incomplete", us=False)


SCENARIOS = {
    "progression_despite_uptake": progression,
    "high_activity_persistence": high_activity,
    "non_avid_lesion": non_avid,
    "flip_flop": flip_flop,
    "uptake_loss": uptake_loss,
}
