"""Care of refractory disease: active surveillance or kinase inhibitors with dose changes and adverse events."""

from __future__ import annotations

import math
import random
from datetime import date

from dateutil.relativedelta import relativedelta

from oncobank.diseases.thyroid.synth_care import chemistry, close, ct, decide_end, visit
from oncobank.diseases.thyroid.synth_course import Course, Lesion, Recist, days
from oncobank.diseases.thyroid.synth_tumour import Tumour
from oncobank.synth.rng import weighted

# start dose (mg/day), reduced doses, median months to progression
DRUGS = {
    "lenvatinib": (24.0, [20.0, 14.0, 10.0], 18),
    "sorafenib": (800.0, [600.0, 400.0], 11),
    "cabozantinib": (60.0, [40.0, 20.0], 11),
    "selpercatinib": (320.0, [240.0, 160.0], 24),
    "pralsetinib": (400.0, [300.0, 200.0], 20),
    "larotrectinib": (200.0, [150.0, 100.0], 30),
    "entrectinib": (600.0, [400.0], 20),
    "dabrafenib_trametinib": (300.0, [200.0], 6),
    "vandetanib": (300.0, [200.0, 100.0], 24),
}
# probability of each adverse event at a visit on the drug
AE_PROFILE = {
    "lenvatinib": {"hypertension_grade": 0.68, "diarrhoea_grade": 0.55, "fatigue_grade": 0.55,
                   "weight_loss_appetite_grade": 0.45, "renal_toxicity_grade": 0.3, "rash_hand_foot_grade": 0.3,
                   "nausea_vomiting_grade": 0.35, "bleeding_grade": 0.08, "liver_toxicity_grade": 0.1,
                   "hypothyroidism_grade": 0.2, "myelosuppression_grade": 0.08},
    "sorafenib": {"rash_hand_foot_grade": 0.72, "diarrhoea_grade": 0.6, "fatigue_grade": 0.45,
                  "weight_loss_appetite_grade": 0.45, "hypertension_grade": 0.4, "nausea_vomiting_grade": 0.2,
                  "liver_toxicity_grade": 0.12, "hypothyroidism_grade": 0.15, "bleeding_grade": 0.05,
                  "myelosuppression_grade": 0.05},
}
DEFAULT_AE = {"fatigue_grade": 0.4, "diarrhoea_grade": 0.3, "hypertension_grade": 0.25, "liver_toxicity_grade": 0.15,
              "nausea_vomiting_grade": 0.2, "rash_hand_foot_grade": 0.15, "myelosuppression_grade": 0.08,
              "weight_loss_appetite_grade": 0.2}
GRADES = {"1": 0.45, "2": 0.35, "3": 0.18, "4": 0.02}
ECOG = {"0": 0.35, "1": 0.45, "2": 0.15, "3": 0.05}


def refractory(course: Course, tumour: Tumour, age: int, rr: date, recist: Recist, *, calm_until: date | None,
               ct_first: bool = False) -> None:
    """After radioiodine refractoriness: a new RECIST baseline, then surveillance or targeted therapy.

    `calm_until`: no progression is shown before this date (near misses must stay outside the window).
    """
    rng = course.rng
    outcome = decide_end(course, rr, age, cancer_median_years=6.0)
    series = Recist([Lesion(x.site, x.size_mm or 10.0) for x in recist.lesions])
    distant = bool(tumour.distant_sites)
    first = rr + days(rng.randint(5, 20) if ct_first else rng.randint(100, 130))
    ct(course, first, series, None)
    visit(course, first + days(rng.randint(1, 7)), "structural_incomplete", distant=distant, rise=2.0, us=False)
    day = first
    if rng.random() < (0.75 if distant else 0.55):
        start = first + days(rng.randint(7, 40))
        drug = first_line(tumour, start, rng)
        end, reason = targeted_line(course, drug, start, series, calm_until, distant=distant)
        day = end or course.end
        if reason == "progression" and end is not None and rng.random() < 0.5:
            second = end + days(rng.randint(14, 45))
            series = Recist([Lesion(x.site, x.size_mm) for x in series.lesions])
            ct(course, second - days(3), series, None)
            end2, _ = targeted_line(course, second_line(drug, second, rng), second, series, calm_until,
                                    distant=distant)
            day = end2 or course.end
    while True:
        day = day + relativedelta(months=6) + days(rng.randint(-10, 10))
        if day >= course.end:
            break
        late = calm_until is None or day > calm_until
        # One series to the end: RECIST 1.1 takes each scan against the smallest sum so far (baseline included),
        # a progression too; only a new line of treatment starts a new baseline, recorded without a response.
        ct(course, day, series, "PD" if late and rng.random() < 0.3 else "SD")
        visit(course, day + days(rng.randint(1, 7)), "structural_incomplete", distant=distant, rise=3.0, us=False)
    close(course, outcome, "structural_incomplete")


def first_line(tumour: Tumour, day: date, rng: random.Random) -> str:
    drivers = tumour.drivers
    if "RET" in drivers and day.year >= 2021:
        return "selpercatinib" if rng.random() < 0.8 else "pralsetinib"
    if any(g.startswith("NTRK") for g in drivers) and day.year >= 2020:
        return "larotrectinib" if rng.random() < 0.7 else "entrectinib"
    if tumour.histology == "medullary":
        return "vandetanib" if rng.random() < 0.6 else "cabozantinib"
    if day.year < 2016:
        return "sorafenib"
    return "lenvatinib" if rng.random() < 0.7 else "sorafenib"


def second_line(previous: str, day: date, rng: random.Random) -> str:
    if day.year >= 2021 and previous != "cabozantinib":
        return "cabozantinib"
    return "sorafenib" if previous == "lenvatinib" else "lenvatinib"


def targeted_line(course: Course, drug: str, start: date, series: Recist, calm_until: date | None, *,
                  distant: bool) -> tuple[date | None, str | None]:
    """One line of a kinase inhibitor; returns its withdrawal date and reason (None while ongoing)."""
    rng = course.rng
    if not course.ok(start):
        return None, None
    dose, reductions, median = DRUGS[drug]
    progression_at = start + days(int(rng.lognormvariate(math.log(median * 30.4), 0.6)))
    toxic_stop = start + days(rng.randint(40, 400)) if rng.random() < 0.15 else None
    refusal = start + days(rng.randint(60, 500)) if rng.random() < 0.03 else None
    end: date | None = None
    reason: str | None = None
    scan = start
    first = True
    while True:
        scan = scan + relativedelta(months=3) + days(rng.randint(-7, 7))
        stop = min((d for d in (toxic_stop, refusal) if d is not None and d < scan), default=None)
        if stop is not None and stop < course.end:
            end, reason = stop, "toxicity" if stop == toxic_stop else "patient_decision"
            break
        if scan >= course.end:
            break
        late = calm_until is None or scan > calm_until
        wanted = "PD" if scan >= progression_at and late else ("PR" if first and rng.random() < 0.55 else "SD")
        ct(course, scan, series, wanted)
        visit(course, scan + days(rng.randint(1, 7)), "structural_incomplete", distant=distant,
              rise=0.6 if wanted != "PD" else 2.0, us=False)
        first = False
        if wanted == "PD":
            end, reason = scan + days(rng.randint(3, 14)), "progression"
            break
    if end is None and course.outcome == "dead":
        end, reason = course.end, "death"
    if end is not None and end > course.end:
        end, reason = course.end, ("death" if course.outcome == "dead" else None)
        if reason is None:
            end = None
    last = end or course.end
    values: dict = {"drug": drug, "daily_dose": dose, "start_date": start.isoformat()}
    if rng.random() < 0.6 and (last - start).days > 60:
        corrected = start + days(rng.randint(20, min(150, (last - start).days - 10)))
        values.update(dose_correction_date=corrected.isoformat(), corrected_daily_dose=reductions[0])
    if end is not None and reason is not None:
        values.update(withdrawal_date=end.isoformat(), withdrawal_reason=reason)
        if reason == "toxicity":
            values["withdrawal_reason_details"] = rng.choice((
                "артериальная гипертензия 3 ст.", "протеинурия > 3,5 г/сут", "ладонно-подошвенный синдром 3 ст.",
                "кровотечение", "выраженная слабость"))
    course.entry("targeted_therapy", start, values)
    monitoring(course, drug, start, last)
    return end, reason


def monitoring(course: Course, drug: str, start: date, last: date) -> None:
    """Adverse-event assessments and the labs that go with them while on the drug."""
    rng = course.rng
    profile = AE_PROFILE.get(drug, DEFAULT_AE)
    day = start + days(rng.randint(10, 20))
    while day < last and course.ok(day):
        grades = {name: weighted(rng, GRADES) for name, p in profile.items() if rng.random() < p}
        if "hypertension_grade" in grades and drug == "lenvatinib" and rng.random() < 0.4:
            grades["hypertension_grade"] = "3"
        course.entry("adverse_events", day, {"ecog": weighted(rng, ECOG), **grades})
        toxicity = min(1.0, 0.3 + 0.25 * len(grades) / 3)
        labs: dict[str, float | None] = {**chemistry(course, toxicity), "tsh": round(rng.uniform(0.3, 9.0), 2)}
        if drug in ("lenvatinib", "cabozantinib", "sorafenib") and rng.random() < 0.7:
            protein = round(rng.uniform(0.05, 3.5) if "renal_toxicity_grade" in grades else rng.uniform(0, 0.12), 3)
            labs["proteinuria"] = protein
            if protein > 1.0:
                labs["proteinuria_daily"] = round(protein * rng.uniform(1.1, 1.8), 2)
        course.labs(day - days(rng.randint(0, 2)), labs)
        day = day + days(rng.randint(28, 63))
