"""Technological monitoring: defects by hand, duplicates excluded, the reproducible sample, the XLSX form."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from oncobank.aieval.errors import InputFileError
from oncobank.aieval.periods import parse_period
from oncobank.aieval.review_form import read_form, write_form
from oncobank.aieval.sample import allocate, check_sample, stratified_sample
from oncobank.aieval.techmon import auto_defects, sample_frame, tech_report, trend_chart
from oncobank.aieval.thresholds import Thresholds


def _results() -> pd.DataFrame:
    t = pd.Timestamp("2026-03-02T08:00:00Z")
    rows = [  # uid, sent offset (min), minutes to result or None
        ("u1", 0, 2.0), ("u2", 1, 7.0), ("u3", 2, None), ("u4", 3, 6.5), ("u1", 40, None),  # u1 re-sent
        ("u5", 4, 1.0), ("u6", 5, 3.0), ("u7", 6, 9.0), ("u8", 7, 2.0), ("u9", 8, 2.0), ("u10", 9, 2.0),
    ]
    sent = [t + pd.Timedelta(minutes=m) for _, m, _ in rows]
    received = [s + pd.Timedelta(minutes=d) if d is not None else pd.NaT
                for s, (_, _, d) in zip(sent, rows, strict=True)]
    april = pd.Timestamp("2026-04-01T08:00:00Z")
    return pd.DataFrame({
        "study_uid": [r[0] for r in rows] + ["v1"],
        "sent_at": pd.to_datetime([*sent, april], utc=True),
        "received_at": pd.to_datetime([*received, april + pd.Timedelta(minutes=1)], utc=True),
        "category": ["abnormal"] * 4 + ["normal"] * 8,
    })


def test_auto_defects_by_hand() -> None:
    march, april = auto_defects(_results(), max_minutes=6.5)
    # 11 sent in March, 10 unique; (a) over 6.5 min: u2 (7) and u7 (9), u4 at exactly 6.5 is not; (b) u3 only —
    # the re-sent u1 without a result is a duplicate and does not count
    assert (march.period, march.sent, march.unique, march.defect_a, march.defect_b, march.passed_control) == (
        "2026-03", 11, 10, 2, 1, 7)
    assert (april.period, april.unique, april.defect_a, april.defect_b) == ("2026-04", 1, 0, 0)


def marks(c: list[bool], d: list[bool], e: list[bool], agree: list[bool] | None = None) -> pd.DataFrame:
    """A read reviewer form: the defect marks, agreement with conclusion and localisation (all 1 unless given)."""
    agree = agree if agree is not None else [True] * len(c)
    return pd.DataFrame({"defect_c": c, "defect_d": d, "defect_e": e, "agree_conclusion": agree,
                         "agree_localisation": agree})


def test_report_rate_and_suspension_by_hand() -> None:
    march = auto_defects(_results(), max_minutes=6.5)[0]
    review = marks([True, False, False, False], [True, False, False, False], [False, False, True, False],
                   [True, True, False, True])
    r = tech_report(march, review, Thresholds())
    # (c) 1, (d) 1, (e) 1, any of them 2 of 4; rate = (2 + 1 + 7 · 2/4) / 10 = 0.65 > 0.10 → suspend
    assert (r.defect_c, r.defect_d, r.defect_e, r.defect_ce) == (1, 1, 1, 2)
    assert r.defect_rate == pytest.approx(0.65)
    assert r.decision == "suspend"
    assert r.defect_free == 4  # round(7 · (1 − 2/4)) = round(3.5) = 4 (banker's rounding gives 4)
    assert (r.passed_manual, r.agree_conclusion, r.agree_localisation) == (2, 3, 3)
    # separate denominators: (a) 2 of the 9 studies with a result, (b) 1 of the 10 unique, (c)–(e) 2 of the 4
    assert r.auto.processed == 9
    assert r.group_rates == pytest.approx({"a": 2 / 9, "b": 0.1, "ce": 0.5})
    clean = tech_report(auto_defects(_results(), 6.5)[1], review.iloc[1:2], Thresholds())
    assert (clean.defect_rate, clean.decision) == (0.0, "continue")


def test_per_group_rule_holds_each_group_against_the_limit() -> None:
    march = auto_defects(_results(), max_minutes=10)[0]  # only (b): 1 of 10 unique
    review = marks([False] * 9 + [True], [False] * 10, [False] * 10)  # (c)–(e) 1 of 10
    combined = tech_report(march, review, Thresholds())
    # combined: (0 + 1 + 9 · 1/10) / 10 = 0.19 > 0.10; per group: (a) 0, (b) 0.10, (c)–(e) 0.10 — none above
    assert combined.defect_rate == pytest.approx(0.19) and combined.decision == "suspend"
    per_group = tech_report(march, review, Thresholds(defect_rule="per_group"))
    assert per_group.decision == "continue"
    assert tech_report(march, review, Thresholds(defect_rule="per_group", max_defect_rate=0.09)).suspended


def test_border_of_ten_percent_is_not_a_suspension() -> None:
    march = auto_defects(_results(), max_minutes=10)[0]  # only (b): 1 of 10 = exactly 10 %
    r = tech_report(march, marks([False], [False], [False]), Thresholds())
    assert r.defect_rate == pytest.approx(0.10)
    assert r.decision == "continue"  # the rule is "more than 10 %"


def test_allocation_and_reproducible_sample() -> None:
    # 80 from 600/300/100: exact 48/24/8
    assert allocate({"a": 600, "b": 300, "c": 100}, 80) == {"a": 48, "b": 24, "c": 8}
    # 10 from 5/3/2 → 5/3/2; 3 from 5/3/2: exact 1.5/0.9/0.6 → floors 1/0/0, remainders .9 then .6 → 1/1/1
    assert allocate({"a": 5, "b": 3, "c": 2}, 3) == {"a": 1, "b": 1, "c": 1}
    studies = pd.DataFrame({"study_uid": [f"x{i}" for i in range(200)],
                            "category": ["abnormal"] * 50 + ["normal"] * 150})
    s1 = stratified_sample(studies, 80, seed=7)
    s2 = stratified_sample(studies.iloc[::-1], 80, seed=7)
    assert list(s1["study_uid"]) == list(s2["study_uid"])
    assert s1["category"].value_counts().to_dict() == {"normal": 60, "abnormal": 20}
    assert list(stratified_sample(studies, 80, seed=8)["study_uid"]) != list(s1["study_uid"])


def test_form_round_trip_and_malformed_cells(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_form(pd.DataFrame({"study_uid": ["u1", "u2", "u3"]}), tmp_path / "form.xlsx", "technological",
                      lang="ru")
    wb = load_workbook(path)
    ws = wb["review"]
    assert ws["B1"].value.startswith("(в)")
    assert "только 1 или пусто" in ws["B1"].value and "оставьте пустым" in ws["E1"].value
    # filled as the published form says: 1 or empty; an empty agreement is a disagreement (it used to be refused)
    ws["B3"], ws["E3"], ws["G3"] = 1, 1, "marking shifted"
    ws["E4"], ws["F4"], ws["E5"], ws["F5"] = 1, 1, 1, 1
    wb.save(path)
    form = read_form(path, "technological")
    assert list(form["defect_c"]) == [True, False, False]
    assert list(form["agree_localisation"]) == [False, True, True]
    assert list(form["comment"].fillna("")) == ["marking shifted", "", ""] and list(form["sheet_row"]) == [3, 4, 5]
    ws["C4"] = "x"
    ws["E5"] = "maybe"
    wb.save(path)
    with pytest.raises(InputFileError) as exc:
        read_form(path, "technological")
    text = str(exc.value)
    assert "file form.xlsx, cell C4, field defect_d: value 'x': mark 1 for a defect or leave empty [rule: mark]" in text
    assert "cell E5, field agree_conclusion: value 'maybe'" in text and "[rule: agreement]" in text


def test_trend_chart_is_written(tmp_path: Path) -> None:
    reports = [tech_report(a, marks([False], [False], [True]), Thresholds()) for a in auto_defects(_results(), 6.5)]
    out = trend_chart(reports, tmp_path / "trend.png", lang="ru")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_periods_months_quarters_and_ranges() -> None:
    results = _results()
    quarter = parse_period("2026-q1")
    assert (quarter.name, quarter.start.isoformat(), quarter.end.isoformat()) == ("2026-Q1", "2026-01-01", "2026-03-31")
    (q1,) = auto_defects(results, 6.5, quarter)
    assert (q1.period, q1.sent, q1.unique) == ("2026-Q1", 11, 10)  # the March studies; April is Q2
    (span,) = auto_defects(results, 6.5, parse_period("2026-03-02..2026-04-01"))  # both days included
    assert (span.sent, span.unique) == (12, 11)
    assert auto_defects(results, 6.5, parse_period("2026-05")) == []
    assert parse_period("2026-02").end.isoformat() == "2026-02-28"
    for bad in ("2026-13", "2026-Q5", "2026-03-02..2026-03-01", "March"):
        with pytest.raises(ValueError, match=r"\[rule: periods\]"):
            parse_period(bad)


def test_a_re_sent_study_is_not_unique_in_a_later_period() -> None:
    results = _results()
    late = results.iloc[[0]].assign(sent_at=pd.Timestamp("2026-04-03T08:00:00Z"),
                                    received_at=pd.Timestamp("2026-04-03T08:02:00Z"))
    (april,) = auto_defects(pd.concat([results, late], ignore_index=True), 6.5, parse_period("2026-04"))
    assert (april.sent, april.unique) == (2, 1)  # u1 was first sent in March


def test_the_form_must_hold_the_drawn_sample() -> None:
    """Issue 17: a 5-row form, and a form of another period's sample, were accepted."""
    studies = pd.DataFrame({"study_uid": [f"x{i:03d}" for i in range(200)], "category": ["normal"] * 200})
    drawn = stratified_sample(studies, 80, seed=1)
    form = drawn[["study_uid"]].assign(sheet_row=range(3, 83))
    check_sample(form, drawn, "tm.xlsx", "oncobank ai tech sample …", "tech_sample")  # exactly the sample
    with pytest.raises(InputFileError) as exc:
        check_sample(form.head(5), drawn, "tm.xlsx", "oncobank ai tech sample --period 2026-02", "tech_sample")
    assert str(exc.value) == ("file tm.xlsx, field study_uid: 75 of the 80 studies of the drawn sample have no row "
                              "(the form has 5); fill the form drawn with `oncobank ai tech sample --period 2026-02` "
                              "[rule: tech_sample]")
    other = stratified_sample(studies, 80, seed=2)  # another draw (another month's or seed's sample)
    foreign = other[["study_uid"]].assign(sheet_row=range(3, 83))
    with pytest.raises(InputFileError) as exc:
        check_sample(foreign, drawn, "tm.xlsx", "…", "tech_sample")
    text = str(exc.value)
    outsiders = sorted(set(other["study_uid"]) - set(drawn["study_uid"]))
    # the count of missing studies first, then one line per foreign row (20 lines shown in all)
    assert text.count("is not one of the 80 studies of the drawn sample") == min(len(outsiders), 19)
    assert f"{len(outsiders)} of the 80 studies of the drawn sample have no row" in text
    assert not any(uid in text for uid in outsiders)  # UIDs are not shown, the cells are


def test_sample_frame_is_the_period_s_unique_processed_studies() -> None:
    frame = sample_frame(_results(), parse_period("2026-03"))
    # 10 unique March studies, u3 without a result: 9
    assert sorted(frame["study_uid"]) == sorted(["u1", "u2", "u4", "u5", "u6", "u7", "u8", "u9", "u10"])
