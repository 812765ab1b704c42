"""Derived facts: recomputed when an input entry changes, history kept; activity, RECIST, stage, RAI-to-progression."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from oncobank.diseases.thyroid import derived, recist
from oncobank.diseases.thyroid.activity import convert, in_all_units, reaches_threshold
from oncobank.diseases.thyroid.models import DerivedFact
from oncobank.store.models import Entry
from thyroid.thyroid_cases import follow_up, imaging, status, therapy


def _entry_ids(store, rid: str, section: str) -> list[int]:  # type: ignore[no-untyped-def]
    with store.session() as s:
        pid = store.patient_id(s, rid)
        return list(s.scalars(select(Entry.id).where(Entry.patient_id == pid, Entry.section == section)
                              .order_by(Entry.id)))


def test_edit_and_retraction_recompute_the_fact(store, build, rair_of) -> None:  # type: ignore[no-untyped-def]
    # 100 + 150 + 150 + 195 = 595 mCi: below the threshold.
    rid = build(*[therapy(f"{2015 + i}-06-01", activity=a) for i, a in enumerate((100, 150, 150, 195))],
                follow_up("2019-01-10", "structural_incomplete"))
    other = build(therapy("2016-06-01", sites=["thyroid_bed"]))
    build(follow_up("2017-01-10", "ned"))  # a third patient: one stale of three is read with an IN list
    assert status(rair_of()[rid], "high_activity_persistence") == ("not_met", None)
    assert derived.refresh(store.engine, ["rair"]).recomputed == {"rair": 0}  # nothing changed

    last_course = _entry_ids(store, rid, "radioiodine")[-1]
    store.edit_entry(last_course, 1, therapy("2018-06-01", activity=200)[2], user="dr_ivanova",
                     reason="activity corrected: 200 mCi", entry_date="2018-06-01", facility="MF-1")  # now 600 mCi
    done = derived.refresh(store.engine, ["rair"])
    assert done.recomputed == {"rair": 1} and done.current == {"rair": 2}  # only the edited patient
    assert status(derived.latest(store.engine, "rair", [rid])[rid], "high_activity_persistence") == (
        "met", "2019-01-10")
    assert derived.latest(store.engine, "rair", [other])[other]["rair"] is False

    store.retract_entry(_entry_ids(store, rid, "follow_up")[0], 1, user="dr_ivanova", reason="wrong patient")
    assert status(rair_of()[rid], "high_activity_persistence") == ("not_evaluable", None)

    kept = derived.history(store.engine, "rair", rid)
    assert [h["result"]["criteria"]["high_activity_persistence"]["status"] for h in kept] == [
        "not_met", "met", "not_evaluable"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(DerivedFact).where(DerivedFact.kind == "rair")) == 5


def test_activity_conversion() -> None:
    assert convert(1, "mCi", "MBq") == pytest.approx(37.0)
    assert convert(600, "mCi", "GBq") == pytest.approx(22.2)
    assert convert(22.2, "GBq", "mCi") == pytest.approx(600.0)
    assert convert(150, "мКи", "MBq") == pytest.approx(5550.0)
    assert in_all_units(5550.0) == {"mbq": 5550.0, "gbq": 5.55, "mci": 150.0}
    # 100 + 150 + 150 + 200 mCi through floating-point factors still reaches 600 mCi; 595 mCi does not.
    total = sum(convert(a, "mCi", "MBq") for a in (100, 150, 150, 200))
    assert reaches_threshold(total, 22200.0) and not reaches_threshold(595 * 37.0, 22200.0)


def test_cumulative_activity_fact(store, build) -> None:  # type: ignore[no-untyped-def]
    rid = build(therapy("2015-06-01", activity=100), therapy("2016-06-01", activity=5550, unit="MBq"),
                ("radioiodine", "2016-01-01", {"procedure": "diagnostic", "isotope": "I-131",
                                               "activity": {"value": 5, "unit": "mCi"}}),
                ("radioiodine", "2017-01-01", {"procedure": "diagnostic", "isotope": "I-123"}))
    derived.refresh(store.engine, ["activity"])
    fact = derived.latest(store.engine, "activity", [rid])[rid]
    # Diagnostic activities are not therapy: 100 mCi (3700 MBq) + 5550 MBq = 9250 MBq = 9.25 GBq = 250 mCi.
    assert fact["courses"] == 2
    assert fact["total"] == {"mbq": 9250.0, "gbq": 9.25, "mci": 250.0}
    assert (fact["first_course"], fact["last_course"]) == ("2015-06-01", "2016-06-01")


def _studies(*rows: tuple) -> pd.DataFrame:  # type: ignore[type-arg]
    """(date, [target sizes], new_lesions, recorded response) for one patient, as the imaging frame."""
    records = []
    for i, (day, sizes, new, recorded) in enumerate(rows, start=1):
        record = {"patient_id": 1, "entry_id": i, "version_id": i, "version": 1, "date": pd.Timestamp(day),
                  "sum_of_diameters_mm": None, "new_lesions": new, "recist_response": recorded}
        for k in range(1, 6):
            record[f"target_lesion_{k}_mm"] = sizes[k - 1] if k <= len(sizes) else None
            record[f"target_lesion_{k}_site"] = "lungs" if k <= len(sizes) else None
        records.append(record)
    return pd.DataFrame(records)


def test_recist_baseline_nadir_and_the_5_mm_rule() -> None:
    r = recist.responses(_studies(
        ("2020-01-01", [30, 20], "no", None),  # baseline 50 mm
        ("2020-04-01", [21, 14], "no", "PR"),  # 35 mm: -30 % of 50 -> PR (exactly the limit)
        ("2020-07-01", [22, 14], "no", "SD"),  # 36 mm: -28 % from baseline, +1 mm from nadir 35 -> SD
        ("2020-10-01", [26, 16], "no", "PD"),  # 42 mm: +7 mm = +20 % from the nadir 35 -> PD
    ))
    assert r["response"].tolist()[1:] == ["PR", "SD", "PD"]
    assert r["nadir_mm"].tolist()[1:] == [50.0, 35.0, 35.0]
    assert r["change_from_baseline_pct"].round(1).tolist() == [0.0, -30.0, -28.0, -16.0]
    small = recist.responses(_studies(
        ("2020-01-01", [20], "no", None),  # baseline 20 mm
        ("2020-04-01", [24], "no", "SD"),  # +4 mm = +20 %: below the 5 mm absolute rule -> SD
        ("2020-07-01", [25], "no", "PD"),  # +5 mm = +25 % -> PD
        ("2020-10-01", [0], "no", "CR"),  # every target gone -> CR
        ("2021-01-01", [0], "yes", "PD"),  # a new lesion -> PD whatever the sizes
    ))
    assert small["response"].tolist()[1:] == ["SD", "PD", "CR", "PD"]


def test_recist_rebaseline_when_no_response_is_recorded() -> None:
    r = recist.responses(_studies(
        ("2020-01-01", [50], "no", None),
        ("2020-06-01", [70], "no", "PD"),  # +20 mm = +40 % -> PD
        ("2020-07-01", [70], "no", None),  # new baseline before a new treatment line
        ("2020-12-01", [45], "no", "PR"),  # -35.7 % from the new baseline 70 -> PR
    ))
    assert r["is_baseline"].tolist() == [True, False, True, False]
    assert r["response"].tolist()[1] == "PD" and r["response"].tolist()[3] == "PR"
    assert r["baseline_mm"].tolist()[3] == 70.0


def test_stage_and_time_to_progression(store, build) -> None:  # type: ignore[no-untyped-def]
    def staged(diagnosed: str) -> tuple:  # type: ignore[type-arg]
        return (("diagnosis", diagnosed, {"icd10": "C73", "histology_type": "papillary"}),
                ("tumour_stage", diagnosed, {"t_category": "pT2", "n_category": "pN0", "m_category": "cM1"}))

    # Born 1965-06-15: 54 on 2020-06-14 (M1 under 55 -> II), 55 on 2020-06-15 (M1 at 55 or over -> IVB).
    young = build(*staged("2020-06-14"), birth="1965-06-15")
    old = build(*staged("2020-06-15"), therapy("2020-09-01"), therapy("2021-09-01"),
                imaging("2021-06-01", recist_response="PD"), imaging("2022-03-01", recist_response="SD"),
                imaging("2022-12-01", recist_response="PD"), birth="1965-06-15")
    derived.refresh(store.engine, ["stage", "rai_to_progression"])
    stage = derived.latest(store.engine, "stage")
    assert (stage[young]["age_at_diagnosis"], stage[young]["stage_group"]) == (54, "II")
    assert (stage[old]["age_at_diagnosis"], stage[old]["stage_group"]) == (55, "IVB")
    assert "birth_date" not in stage[old]
    ttp = derived.latest(store.engine, "rai_to_progression", [old])[old]
    # Last course 2021-09-01; the PD of 2021-06-01 came before it; next PD 2022-12-01: 456 days later.
    assert (ttp["last_course"], ttp["progression_date"], ttp["days"], ttp["event"]) == (
        "2021-09-01", "2022-12-01", 456, True)


def test_one_patient_without_frames_agrees_with_the_frame_based_refresh(store, build, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`derived.stale_one` and `derived.current` (a patient's page, plain Python over her rows) against `stale`,
    `refresh` and `latest` (frames): no fact yet, all current, an input edited or retracted, an entry in a section
    no fact reads, other RAIR settings, a patient with no entries in any input section, and a stored fact from
    other rules newer than the current one."""
    from oncobank.diseases.thyroid.settings import default_path, load_settings

    kinds = ["rair", "stage", "activity", "recist", "rai_to_progression"]
    text = default_path().read_text(encoding="utf-8").replace("      value: 600\n", "      value: 500\n", 1)
    (tmp_path / "study.yaml").write_text(text, encoding="utf-8")
    study = load_settings(tmp_path / "study.yaml")
    rich = build(therapy("2015-06-01", activity=300), therapy("2016-06-01", activity=250),
                 imaging("2016-01-10", recist_response="SD"), follow_up("2017-01-10", "structural_incomplete"))
    bare = build()  # demographics only: every fingerprint but the stage's is 0
    with store.session() as s:
        pids = {rid: store.patient_id(s, rid) for rid in (rich, bare)}

    def agree(settings=None) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
        out = {}
        for rid, pid in pids.items():
            frames = {k: {int(p): int(v) for p, v in series.items()}
                      for k, series in derived.stale(store.engine, kinds, [pid], settings).items()}
            one = derived.stale_one(store.engine, pid, kinds, settings)
            assert one == {k: v[pid] for k, v in frames.items() if pid in v}, rid
            out[rid] = one
        return out

    def same_facts(settings=None) -> None:  # type: ignore[no-untyped-def]
        for rid, pid in pids.items():
            got = derived.current(store.engine, pid, kinds, settings)
            assert got == {k: derived.latest(store.engine, k, [rid], settings).get(rid) for k in kinds}, rid

    first = agree()
    assert set(first[rich]) == set(first[bare]) == set(kinds)  # nothing computed yet
    assert first[bare]["rair"] == 0 and first[bare]["stage"] > 0
    same_facts()  # computes them, as the page does
    assert agree() == {rich: {}, bare: {}}
    same_facts()

    course = _entry_ids(store, rich, "radioiodine")[-1]
    store.edit_entry(course, 1, therapy("2016-06-01", activity=350)[2], user="dr_ivanova", reason="corrected",
                     entry_date="2016-06-01", facility="MF-1")
    assert set(agree()[rich]) == {"rair", "activity", "rai_to_progression"}
    same_facts()
    store.add_entry(rich, "laboratory", {"tg": 2.5}, user="dr_ivanova", entry_date="2017-02-01")
    assert agree() == {rich: {}, bare: {}}  # no fact reads the laboratory section

    assert {rid: set(todo) for rid, todo in agree(study).items()} == {rich: {"rair"}, bare: {"rair"}}  # RAIR only
    same_facts(study)
    # The newest stored RAIR fact is now the study's: under the default settings it is stale again.
    assert set(agree()[rich]) == {"rair"} and set(agree()[bare]) == {"rair"}
    same_facts()

    store.retract_entry(_entry_ids(store, rich, "follow_up")[0], 1, user="dr_ivanova", reason="wrong patient")
    assert set(agree()[rich]) == {"rair", "rai_to_progression"}
    same_facts()
    assert agree() == {rich: {}, bare: {}}
