"""Each RAIR criterion on hand-built patients: positive, negative, borderline and not-evaluable cases.

Dates and day counts are worked out by hand in the comments; nothing here is taken from the engine's output.
"""

from __future__ import annotations

from thyroid.thyroid_cases import follow_up, imaging, status, therapy

LUNGS = ["thyroid_bed", "lungs"]


def test_uptake_loss(build, rair_of) -> None:  # type: ignore[no-untyped-def]
    lost = build(therapy("2019-01-10", sites=LUNGS), therapy("2020-01-15", uptake="absent"))
    bed_only = build(therapy("2019-01-10", sites=LUNGS), therapy("2020-01-15", sites=["thyroid_bed"]))
    never_outside = build(therapy("2019-01-10", sites=["thyroid_bed"]), therapy("2020-01-15", uptake="absent"))
    kept = build(therapy("2019-01-10", sites=LUNGS), therapy("2020-01-15", sites=LUNGS))
    one_scan = build(therapy("2019-01-10", sites=LUNGS))
    not_assessed = build(therapy("2019-01-10", uptake="not_assessed"), therapy("2020-01-15", uptake="absent"))
    same_day = build(therapy("2019-01-10", uptake="absent"), therapy("2019-01-10", sites=LUNGS))
    # Three courses: uptake in the lungs twice, lost at the third; the second scan keeps uptake.
    multi = build(therapy("2018-03-01", sites=LUNGS), therapy("2019-03-01", sites=LUNGS),
                  therapy("2021-03-01", uptake="absent"))
    r = rair_of()
    assert status(r[lost], "uptake_loss") == ("met", "2020-01-15")
    assert status(r[bed_only], "uptake_loss") == ("met", "2020-01-15")
    assert status(r[never_outside], "uptake_loss") == ("not_met", None)
    assert status(r[kept], "uptake_loss") == ("not_met", None)
    assert status(r[one_scan], "uptake_loss") == ("not_evaluable", None)
    assert status(r[not_assessed], "uptake_loss") == ("not_evaluable", None)  # only one scan has a result
    assert status(r[same_day], "uptake_loss") == ("not_met", None)  # "later" means a later date
    assert status(r[multi], "uptake_loss") == ("met", "2021-03-01")
    roles = [e["role"] for e in r[multi]["criteria"]["uptake_loss"]["evidence"]]
    assert roles == ["scan_with_uptake", "later_scan_without_uptake"]
    assert r[multi]["criteria"]["uptake_loss"]["evidence"][0]["date"] == "2018-03-01"


def test_non_avid_lesion(build, rair_of) -> None:  # type: ignore[no-untyped-def]
    lesion = {"lesions_present": "yes", "lesion_sites": ["lungs"]}
    # 2019-01-01 -> 2019-04-01: 30 (rest of Jan) + 28 (Feb) + 31 (Mar) + 1 = 90 days.
    days_90 = build(imaging("2019-01-01", **lesion), therapy("2019-04-01", sites=["thyroid_bed"]))
    days_91 = build(imaging("2018-12-31", **lesion), therapy("2019-04-01", sites=["thyroid_bed"]))
    avid = build(imaging("2019-01-01", **lesion), therapy("2019-02-01", sites=LUNGS))
    negative_scan = build(imaging("2019-03-01", modality="US", lesions_present="yes",
                                  lesion_sites=["neck_lymph_nodes"]), therapy("2019-02-01", uptake="absent"))
    bed_lesion = build(imaging("2019-01-01", lesions_present="yes", lesion_sites=["thyroid_bed"]),
                       therapy("2019-02-01", uptake="absent"))
    no_imaging = build(therapy("2019-02-01", uptake="absent"))
    # The CT part of a post-therapy SPECT/CT shows a lung lesion the same day; the scan takes up only in the bed.
    spect_ct = build(therapy("2019-02-01", sites=["thyroid_bed"], scan="SPECT_CT"),
                     imaging("2019-02-01", modality="SPECT_CT", **lesion))
    spect_ct_avid = build(therapy("2019-02-01", sites=LUNGS, scan="SPECT_CT"),
                          imaging("2019-02-01", modality="SPECT_CT", **lesion))
    spect_only = build(imaging("2019-01-01", modality="SPECT", **lesion), therapy("2019-02-01", uptake="absent"))
    no_scan = build(imaging("2019-01-01", **lesion))
    r = rair_of()
    assert status(r[days_90], "non_avid_lesion") == ("met", "2019-04-01")
    evidence = r[days_90]["criteria"]["non_avid_lesion"]["evidence"]
    assert [e["role"] for e in evidence] == ["lesion_imaging", "post_therapy_scan"]
    assert evidence[0]["sites_without_uptake"] == ["lungs"]
    assert status(r[days_91], "non_avid_lesion") == ("not_met", None)
    assert status(r[avid], "non_avid_lesion") == ("not_met", None)
    assert status(r[negative_scan], "non_avid_lesion") == ("met", "2019-03-01")  # the later of the two
    assert status(r[bed_lesion], "non_avid_lesion") == ("not_met", None)  # the bed does not count
    assert status(r[no_imaging], "non_avid_lesion") == ("not_evaluable", None)
    assert r[no_imaging]["criteria"]["non_avid_lesion"]["reason"] == "no_lesion_imaging"
    assert status(r[spect_ct], "non_avid_lesion") == ("met", "2019-02-01")
    assert r[spect_ct]["criteria"]["non_avid_lesion"]["evidence"][0]["values"]["modality"] == "SPECT_CT"
    assert status(r[spect_ct_avid], "non_avid_lesion") == ("not_met", None)
    assert status(r[spect_only], "non_avid_lesion") == ("not_evaluable", None)  # SPECT without CT shows no lesion
    assert status(r[no_scan], "non_avid_lesion") == ("not_evaluable", None)
    assert r[no_scan]["criteria"]["non_avid_lesion"]["reason"] == "no_post_therapy_scan"


def test_progression_despite_uptake(build, rair_of) -> None:  # type: ignore[no-untyped-def]
    pd_ = {"recist_response": "PD"}
    scan = therapy("2019-01-31", sites=LUNGS)
    exactly_12 = build(scan, imaging("2020-01-31", **pd_))
    exactly_16 = build(scan, imaging("2020-05-31", **pd_))
    # 12 months - 1 day is outside; an SD study inside the window makes the criterion evaluable.
    day_short = build(scan, imaging("2020-01-30", **pd_), imaging("2020-03-01", recist_response="SD"))
    day_over = build(scan, imaging("2020-06-01", **pd_))  # 16 months + 1 day, nothing else in the window
    # 2019-10-31 + 16 calendar months = 2021-02-28 (February has no 31st).
    month_end = build(therapy("2019-10-31", sites=LUNGS), imaging("2021-02-28", **pd_))
    new_lesions = build(scan, imaging("2020-03-15", recist_response="SD", new_lesions="yes"))
    bed_only = build(therapy("2019-01-31", sites=["thyroid_bed"]), imaging("2020-03-15", **pd_))
    # Two avid courses: the progression is 14 months after the second and 26 after the first.
    multi = build(therapy("2018-01-15", sites=LUNGS), therapy("2019-01-15", sites=LUNGS),
                  imaging("2020-03-15", **pd_))
    r = rair_of()
    assert status(r[exactly_12], "progression_despite_uptake") == ("met", "2020-01-31")
    assert status(r[exactly_16], "progression_despite_uptake") == ("met", "2020-05-31")
    assert status(r[day_short], "progression_despite_uptake") == ("not_met", None)
    assert status(r[day_over], "progression_despite_uptake") == ("not_evaluable", None)
    assert status(r[month_end], "progression_despite_uptake") == ("met", "2021-02-28")
    assert status(r[new_lesions], "progression_despite_uptake") == ("met", "2020-03-15")
    assert status(r[bed_only], "progression_despite_uptake") == ("not_evaluable", None)
    assert status(r[multi], "progression_despite_uptake") == ("met", "2020-03-15")
    evidence = r[multi]["criteria"]["progression_despite_uptake"]["evidence"]
    assert [(e["role"], e["date"]) for e in evidence] == [("scan_with_uptake", "2019-01-15"),
                                                          ("progression_imaging", "2020-03-15")]


def test_high_activity_persistence(build, rair_of) -> None:  # type: ignore[no-untyped-def]
    def courses(*mci: float, unit: str = "mCi") -> list:  # type: ignore[type-arg]
        factor = 37 if unit == "MBq" else 1  # 1 mCi = 37 MBq
        return [therapy(f"{2015 + i}-06-01", activity=a * factor, unit=unit) for i, a in enumerate(mci)]

    persistent = follow_up("2019-01-10", "structural_incomplete")
    # 100 + 150 + 150 + 200 = 600 mCi = 22,200 MBq = 22.2 GBq, reached at the 4th course (2018-06-01).
    exactly_600 = build(*courses(100, 150, 150, 200), persistent)
    in_mbq = build(*courses(100, 150, 150, 200, unit="MBq"), persistent)  # 3700 + 5550 + 5550 + 7400 MBq
    in_gbq = build(*[therapy(f"{2015 + i}-06-01", activity=g, unit="GBq") for i, g in
                     enumerate((3.7, 5.55, 5.55, 7.4))], persistent)
    below = build(*courses(100, 150, 150, 195), persistent)  # 595 mCi
    remission = build(*courses(100, 150, 150, 200), follow_up("2019-01-10", "ned"))
    no_follow_up = build(*courses(100, 150, 150, 200), follow_up("2018-05-01", "structural_incomplete"))
    same_day = build(*courses(200, 200, 200), follow_up("2018-01-10", "ned"),
                     follow_up("2018-01-10", "biochemical_incomplete"))
    no_therapy = build(follow_up("2019-01-10", "structural_incomplete"))
    r = rair_of()
    for rid in (exactly_600, in_mbq, in_gbq):
        assert status(r[rid], "high_activity_persistence") == ("met", "2019-01-10")
        last = r[rid]["criteria"]["high_activity_persistence"]["evidence"][3]
        assert last["cumulative_activity"] == {"mbq": 22200.0, "gbq": 22.2, "mci": 600.0}
    # The same courses entered in mCi, MBq or GBq classify the same, with the same evidence.
    assert _same_but_ids(r[exactly_600], r[in_mbq])
    assert _same_but_ids(r[exactly_600], r[in_gbq])
    assert status(r[below], "high_activity_persistence") == ("not_met", None)
    assert r[below]["criteria"]["high_activity_persistence"]["reason"] == "total_below_threshold"
    assert status(r[remission], "high_activity_persistence") == ("not_met", None)
    assert status(r[no_follow_up], "high_activity_persistence") == ("not_evaluable", None)
    assert status(r[same_day], "high_activity_persistence") == ("met", "2018-01-10")
    assert status(r[no_therapy], "high_activity_persistence") == ("not_evaluable", None)


def _same_but_ids(a: dict, b: dict) -> bool:  # type: ignore[type-arg]
    """Two results equal apart from the entry IDs and versions their evidence cites."""
    def strip(result: dict) -> dict:  # type: ignore[type-arg]
        return {name: {**c, "evidence": [{k: v for k, v in e.items() if k not in ("entry_id", "version")}
                                         for e in c["evidence"]]} for name, c in result["criteria"].items()}
    return strip(a) == strip(b) and a["rair"] == b["rair"] and a["rr_date"] == b["rr_date"]


def _spect(day: str) -> tuple:  # type: ignore[type-arg]
    return ("radioiodine", day, {"procedure": "diagnostic", "isotope": "I-123", "post_scan_modality": "SPECT_CT",
                                 "uptake": "absent"})


def _pet(day: str, avid: str = "yes") -> tuple:  # type: ignore[type-arg]
    return imaging(day, modality="PET_CT_FDG", fdg_avid=avid)


def test_flip_flop(build, rair_of) -> None:  # type: ignore[no-untyped-def]
    # The window is 12 calendar months either side (rair_settings.yaml): 2020-01-15 + 12 months = 2021-01-15.
    months_11 = build(_spect("2020-01-15"), _pet("2020-12-15"))
    months_12 = build(_spect("2020-01-15"), _pet("2021-01-15"))
    months_12_day_1 = build(_spect("2020-01-15"), _pet("2021-01-16"))
    months_13 = build(_spect("2020-01-15"), _pet("2021-02-15"))
    before = build(_spect("2020-01-15"), _pet("2019-01-15"))  # the PET/CT 12 months before the scan
    # 2020-02-29 + 12 months = 2021-02-28 (no 29 February in 2021); 2021-03-01 is a day more.
    leap = build(_spect("2020-02-29"), _pet("2021-02-28"))
    leap_over = build(_spect("2020-02-29"), _pet("2021-03-01"))
    # A negative post-therapy whole-body scan does not count: the criterion reads SPECT/CT.
    wbs = build(therapy("2020-01-15", uptake="absent", scan="WBS"), _pet("2020-03-01"))
    fdg_negative = build(_spect("2020-01-15"), _pet("2020-02-01", avid="no"))
    no_pet = build(_spect("2020-01-15"))
    no_spect = build(_pet("2020-02-01"))
    r = rair_of()
    assert status(r[months_11], "flip_flop") == ("met", "2020-12-15")
    assert status(r[months_12], "flip_flop") == ("met", "2021-01-15")
    assert status(r[months_12_day_1], "flip_flop") == ("not_met", None)
    assert status(r[months_13], "flip_flop") == ("not_met", None)
    assert status(r[before], "flip_flop") == ("met", "2020-01-15")
    assert status(r[leap], "flip_flop") == ("met", "2021-02-28")
    assert status(r[leap_over], "flip_flop") == ("not_met", None)
    assert status(r[wbs], "flip_flop") == ("not_evaluable", None)
    assert r[wbs]["criteria"]["flip_flop"]["reason"] == "no_radioiodine_scan"
    assert status(r[fdg_negative], "flip_flop") == ("not_met", None)
    assert status(r[no_pet], "flip_flop") == ("not_evaluable", None)
    assert r[no_pet]["criteria"]["flip_flop"]["reason"] == "no_fdg_pet"
    assert status(r[no_spect], "flip_flop") == ("not_evaluable", None)
    roles = [e["role"] for e in r[months_11]["criteria"]["flip_flop"]["evidence"]]
    assert roles == ["negative_radioiodine_scan", "positive_fdg_pet"]


def test_patient_level_result(build, rair_of) -> None:  # type: ignore[no-untyped-def]
    nothing = build()
    # Flip-flop met on 2020-03-31 and high activity met on 2019-01-10: the RR date is the earlier.
    two = build(*[therapy(f"{2015 + i}-06-01", activity=200) for i in range(3)],
                follow_up("2019-01-10", "structural_incomplete"), _spect("2020-01-01"), _pet("2020-03-31"))
    clean = build(therapy("2016-06-01", sites=["thyroid_bed"]), follow_up("2017-01-10", "ned"))
    r = rair_of()
    assert (r[nothing]["rair"], r[nothing]["rr_date"]) == (None, None)
    assert (r[two]["rair"], r[two]["rr_date"]) == (True, "2019-01-10")
    assert r[two]["criteria_met"] == ["high_activity_persistence", "flip_flop"]
    assert (r[clean]["rair"], r[clean]["rr_date"]) == (False, None)
