"""Cohort report: Table 1 and the RAIR breakdown on a hand-built cohort, in English and Russian; HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncobank.diseases.thyroid.report import CHROMIUM, cohort, print_pdf, render_html
from thyroid.thyroid_cases import follow_up, therapy


def _patient(build, sex: str, birth: str, histology: str, t: str, n: str, m: str, *more):  # type: ignore[no-untyped-def]
    return build(("diagnosis", "2015-01-10", {"icd10": "C73", "histology_type": histology}),
                 ("tumour_stage", "2015-01-10", {"t_category": t, "n_category": n, "m_category": m}),
                 *more, sex=sex, birth=birth)


@pytest.fixture
def cohort_store(store, build):  # type: ignore[no-untyped-def]
    # Ages at diagnosis (2015-01-10): 45, 65, 55 and 40.
    _patient(build, "F", "1970-01-01", "papillary", "pT1b", "pN1a", "cM0",  # stage I (< 55)
             therapy("2015-03-01"), follow_up("2016-03-01", "ned"), follow_up("2018-03-01", "structural_incomplete"))
    _patient(build, "M", "1950-01-01", "follicular", "pT3a", "pN0", "cM0",  # stage II (>= 55, T3)
             therapy("2015-03-01"), therapy("2016-03-01"), follow_up("2017-03-01", "ned"))
    _patient(build, "F", "1960-01-01", "papillary", "pT2", "pN1b", "cM1",  # stage IVB (>= 55, M1)
             *[therapy(f"{2015 + i}-03-01", activity=150) for i in range(4)],  # 4 x 150 = 600 mCi
             follow_up("2019-01-10", "structural_incomplete"))
    _patient(build, "F", "1975-01-01", "medullary", "pT1a", "pN0", "cM0")  # excluded: histology
    _patient(build, "F", "1970-01-01", "papillary", "pT1a", "pN0", "cM0")  # excluded: no I-131 therapy course
    return store


def _rows(data: dict) -> dict:  # type: ignore[type-arg]
    return {row["label"]: (row.get("n"), row.get("pct")) for row in data["table1"] if not row.get("header")}


def test_table_one_and_rair_breakdown(cohort_store) -> None:  # type: ignore[no-untyped-def]
    data = cohort(cohort_store.engine, "en")
    assert (data["registry_patients"], data["excluded"], data["n"]) == (5, 2, 3)
    assert data["population"]["excluded"] == {"histology": 1, "age": 0, "no_i131_therapy": 1}
    assert data["population"]["text"] == (
        "Study population: 3 of 5 patients (excluded: 1 — other or unknown histological type, 1 — no I-131 therapy "
        "course; each counted under the first reason)")
    assert data["subtitle"] == ("papillary thyroid carcinoma, follicular thyroid carcinoma, oncocytic carcinoma "
                                "(Hürthle cell carcinoma); age at diagnosis 18–80 years; treated with I-131")
    rows = _rows(data)
    assert rows["female"] == (2, 66.7) and rows["male"] == (1, 33.3)
    age = next(r for r in data["table1"] if r["label"].startswith("Age"))
    assert age["text"] == "55.0 [45–65]"  # (45 + 65 + 55) / 3
    assert rows["I"] == (1, 33.3) and rows["II"] == (1, 33.3) and rows["III"] == (0, 0.0) and rows["IV"] == (1, 33.3)
    assert rows["regional (N1)"] == (2, 66.7) and rows["distant (M1)"] == (1, 33.3)
    assert rows["Recurrence after remission"] == (1, 33.3)
    assert (rows["1"], rows["2"], rows["3"], rows["4"], rows["5 or more"]) == (
        (1, 33.3), (1, 33.3), (0, 0.0), (1, 33.3), (0, 0.0))
    assert [(r["label"], r["n"], r["pct"]) for r in data["rair"]] == [
        ("refractory", 1, 33.3), ("not refractory", 2, 66.7), ("not evaluable", 0, 0.0)]
    high = next(c for c in data["criteria"] if c["code"] == "high_activity_persistence")
    assert (high["n"], high["pct"], high["first"]) == (1, 100.0, 1)
    assert data["cumulative"] == "22.2 [22.2–22.2] (600 [600–600])"
    everyone = cohort(cohort_store.engine, "en", study_only=False)
    assert everyone["n"] == 5
    assert everyone["population"]["text"] == "All patients of the registry: 5"
    assert everyone["subtitle"] == "All patients of the registry"
    assert [row["n"] for row in everyone["table1"] if row.get("label") == "none"] == [2]  # no I-131 course


def test_report_renders_in_russian_without_identifiers(cohort_store, store_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = cohort(cohort_store.engine, "ru")
    html = render_html(data)
    assert "Таблица 1. Характеристика пациентов" in html and "женский" in html
    assert "Исследуемая группа: 3 из 5 пациентов (исключены: 1 — другой или неизвестный гистологический тип" in html
    assert "66,7" in html and "66.7" not in html
    assert "с интервалом не более 12 месяцев" in html  # the settings block
    assert "TH-T" not in html and "1960-01-01" not in html and "Тест" not in html
    if not store_url.startswith("sqlite"):
        return  # the browser part does not depend on the backend
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium')")
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    print_pdf(page, tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_cli_rair_json_and_report(cohort_store, store_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from oncobank.cli import app

    runner = CliRunner()
    done = runner.invoke(app, ["thyroid", "rair", "TH-T00003", "--db", store_url, "--json"])
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert list(out["patients"]) == ["TH-T00003"]
    patient = out["patients"]["TH-T00003"]
    assert (patient["rair"], patient["rr_date"], patient["study_population"]) == (True, "2019-01-10", True)
    assert patient["criteria"]["high_activity_persistence"]["evidence"][-1]["values"] == {
        "disease_status": "structural_incomplete"}
    cohort_json = json.loads(runner.invoke(app, ["thyroid", "rair", "--db", store_url, "--json"]).stdout)
    assert sorted(cohort_json["patients"]) == ["TH-T00001", "TH-T00002", "TH-T00003"]  # the study population
    assert cohort_json["population"] == {"kind": "study", "registry_patients": 5, "n": 3,
                                         "excluded": {"histology": 1, "age": 0, "no_i131_therapy": 1}}
    missing = runner.invoke(app, ["thyroid", "rair", "TH-NOPE", "--db", store_url])
    assert missing.exit_code == 1 and "no patient TH-NOPE" in missing.output
    page = tmp_path / "out" / "report.html"
    done = runner.invoke(app, ["thyroid", "report", "--db", store_url, "--out", str(page), "--lang", "ru"])
    assert done.exit_code == 0, done.output
    assert "Радиойодрезистентность" in page.read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # without --out: a named folder under the current one
    done = runner.invoke(app, ["thyroid", "report", "--db", store_url])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "oncobank-reports" / "thyroid-cohort.html").is_file()
