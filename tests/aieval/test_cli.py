"""A simulated service through all seven stages from the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from oncobank.aieval.register import Register
from oncobank.aieval.render import CHROMIUM
from oncobank.cli import app
from oncobank.store.db import connect

runner = CliRunner()


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def files_of(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if not p.name.startswith("store.sqlite")}


def publish(monkeypatch: pytest.MonkeyPatch, *args: str, out: Path) -> str:
    """Run a command that stores a protocol: first as a PDF without Chromium, which must fail and leave no file,
    no protocol and no step (the caller checks the numbers), then as `out`."""
    before = files_of(out.parent)
    with monkeypatch.context() as m:
        m.setattr("oncobank.aieval.render.CHROMIUM", out.parent / "no-chromium")
        failed = runner.invoke(app, [*args, "--out", str(out.with_suffix(".pdf"))])
    assert failed.exit_code == 1 and "error: PDF output needs Chromium" in failed.output, failed.output
    assert files_of(out.parent) == before
    return ok(*args, "--out", str(out))


def test_walk_through(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One simulated service (the drifting one) through all seven stages, every form filled by the simulator.

    Every command that stores a protocol is first tried as a PDF without Chromium: it fails and stores nothing,
    so the protocol numbers below start at 0001 and the history has only the steps that succeeded.
    """
    db = ("--db", store_url)
    sim = tmp_path / "sim"
    svc = sim / "sim-drifting"
    results = str(svc / "results.parquet")
    ok("ai", "simulate", "--out", str(sim), "--months", "4", "--per-month", "400", "--sr", "5")
    assert "No AI services yet: add a clinical task with `oncobank ai task set`" in ok("ai", "list", *db)
    out = ok("ai", "task", "set", "nodules", "--name-en", "Lung nodules", "--name-ru", "Узлы в лёгких", *db)
    assert "Minimum AUC" in out and "0.81" in out and "90 %" in out and "{" not in out
    ok("ai", "service", "add", "sim-drifting", "--name", "Finder", "--supplier", "S", "--developer", "D",
       "--modality", "CT", "--region", "chest", "--patient-group", "adults", "--task", "nodules", *db)
    ok("ai", "service", "version", "sim-drifting", "1.0", "--declared", "auc=0.85", "--on", "2026-01-05", *db)
    bad = runner.invoke(app, ["ai", "record", "sim-drifting", "1.0", "--action", "pass", "--stage", "calibration",
                              "--reason", "skip", "--on", "2026-01-06", *db])
    assert bad.exit_code == 1 and "stage_order" in bad.output
    # 1. self-testing: the open data set's parameters and the outcome
    out = publish(monkeypatch, "ai", "selftest", "sim-drifting", "1.0", "--modality", "CT", "--procedure",
                  "chest CT without contrast", "--manufacturer", "Acme", "--model", "Scan 64", "--compatible",
                  "--on", "2026-01-06", *db, out=tmp_path / "st.html")
    assert "ST-2026-0001: compatible" in out and "functional, status active" in out
    # the result SRs read as result rows
    out = ok("ai", "sr", "import", str(svc / "sr"), "--out", str(tmp_path / "sr.csv"))
    assert "5 results" in out and len((tmp_path / "sr.csv").read_text().splitlines()) == 6
    # 2. functional testing: checklist pre-filled from the SRs, the rest by the simulated experts
    checklist = tmp_path / "fc.xlsx"
    ok("ai", "functional", "form", "--sr", str(svc / "sr"), "--out", str(checklist), "--lang", "ru")
    ws = load_workbook(checklist)["checklist"]
    assert [ws.cell(8, c).value for c in range(5, 10)] == [1] * 5  # warning_sr found in every SR
    ok("ai", "simulate-review", str(checklist), "--sim", str(svc))
    out = publish(monkeypatch, "ai", "functional", "report", "sim-drifting", "1.0", "--checklist", str(checklist),
                  "--technical-expert", "A. Tech", "--medical-expert", "B. Med", "--medical-expert-years", "8",
                  "--on", "2026-01-08", "--lang", "ru", *db, out=tmp_path / "fc.html")
    assert "FT-2026-0001: pass" in out
    assert "Протокол функционального тестирования" in (tmp_path / "fc.html").read_text()
    # 3. calibration
    cal = tmp_path / "cal.html"
    cal_args = ("ai", "calibrate", "sim-drifting", "1.0", "--results", str(svc / "calibration_results.csv"),
                "--on", "2026-01-10", "--lang", "ru", *db)
    staff = ("--technical-specialist", "A. Tech", "--medical-expert", "B. Med")
    short = tmp_path / "short_truth.csv"
    short.write_text("\n".join((svc / "calibration_truth.csv").read_text().splitlines()[:21]) + "\n")
    refused = runner.invoke(app, [*cal_args, *staff, "--truth", str(short), "--out", str(cal)])
    assert refused.exit_code == 1 and "[rule: calibration_set]" in refused.output and "missing:" in refused.output
    refused = runner.invoke(app, [*cal_args, "--truth", str(svc / "calibration_truth.csv"), "--out", str(cal)])
    assert refused.exit_code == 1 and "[rule: calibration_staff]" in refused.output
    out = publish(monkeypatch, *cal_args, *staff, "--truth", str(svc / "calibration_truth.csv"), out=cal)
    assert "CT-2026-0001" in out
    html = cal.read_text()
    assert "Протокол калибровочного тестирования" in html and "CT-2026-0001" in html
    assert "Порог по максимальной ПЦОР" in html and "Претестовая вероятность" in html and "0,05" in html
    assert "Протокол сформирован автоматически." in html and "Настройка ОнкоБанка" in html
    # 4. technological monitoring of February
    form = tmp_path / "tm.xlsx"
    ok("ai", "tech", "sample", "--results", results, "--period", "2026-02", "--out", str(form))
    assert load_workbook(form)["review"].max_row == 2 + 80
    ok("ai", "simulate-review", str(form), "--sim", str(svc))
    report = tmp_path / "tm.html"
    tm_args = ("ai", "tech", "report", "sim-drifting", "1.0", "--results", results, "--period", "2026-02",
               "--technical-specialist", "A. Tech", "--notes", "no outages", "--on", "2026-03-03", *db)
    wb = load_workbook(form)  # a short form (5 of the 80 studies) is refused
    wb["review"].delete_rows(8, 77)
    wb.save(tmp_path / "tm-short.xlsx")
    refused = runner.invoke(app, [*tm_args, "--review", str(tmp_path / "tm-short.xlsx"), "--out", str(report)])
    assert refused.exit_code == 1 and "75 of the 80 studies of the drawn sample have no row" in refused.output
    march = tmp_path / "tm-2026-03.xlsx"  # another month's form is foreign to February's sample
    ok("ai", "tech", "sample", "--results", results, "--period", "2026-03", "--out", str(march))
    refused = runner.invoke(app, [*tm_args, "--review", str(march), "--out", str(report)])
    assert refused.exit_code == 1 and "is not one of the 80 studies of the drawn sample" in refused.output
    out = publish(monkeypatch, *tm_args, "--review", str(form), "--chart", str(tmp_path / "trend.png"), out=report)
    assert "TM-2026-0001: continue" in out
    html = report.read_text()
    assert "data:image/png;base64," in html and "no outages" in html and "A. Tech" in html
    assert "Passed manual control (sample)" in html and "Appendix 2. The reviewer's sample" in html
    # 5. clinical monitoring of February (continues) and of May (the drift has set in: suspended)
    for period, day, expected in (("2026-02", "2026-03-04", "CM-2026-0001: continue"),
                                  ("2026-05", "2026-06-02", "CM-2026-0002: suspend")):
        cm = tmp_path / f"cm-{period}.xlsx"
        ok("ai", "clinical", "sample", "--results", results, "--period", period, "--out", str(cm))
        ok("ai", "simulate-review", str(cm), "--sim", str(svc))
        cm_args = ("ai", "clinical", "report", "sim-drifting", "1.0", "--results", results, "--period", period,
                   "--expert", "C. Expert", "--expert-years", "12", "--on", day, *db)
        if period == "2026-02":  # a period without data is refused
            empty = runner.invoke(app, ["ai", "clinical", "report", "sim-drifting", "1.0", "--results", results,
                                        "--period", "2027-01", "--expert", "C. Expert", "--expert-years", "12",
                                        "--review", str(cm), "--out", str(tmp_path / "x.html"), *db])
            assert empty.exit_code == 1 and "no processed studies sent in period 2027-01" in empty.output
        if period == "2026-05":
            # 6. feedback on February, before the suspension
            out = publish(monkeypatch, "ai", "feedback", "report", "sim-drifting", "1.0", "--results", results,
                          "--feedback", str(svc / "feedback.csv"), "--survey", str(svc / "survey.csv"), "--period",
                          "2026-02", "--on", "2026-03-05", *db, out=tmp_path / "fb.html")
            assert "FB-2026-0001: coverage" in out and "short" not in out
            assert "Satisfaction survey of radiologists" in (tmp_path / "fb.html").read_text()
        out = publish(monkeypatch, *cm_args, "--review", str(cm), out=tmp_path / f"cm-{period}.html")
        assert expected in out
    assert "suspended" in out
    # 7. finalisation: the retrained model touches diagnostic accuracy → back to functional testing
    out = ok("ai", "record", "sim-drifting", "1.0", "--action", "change", "--stage", "finalisation", "--reason",
             "retrained on recent studies", "--touches-core", "--on", "2026-06-20", *db)
    assert "stage functional, status active" in out
    out = publish(monkeypatch, "ai", "impact", "sim-drifting", "1.0", "--data", str(sim / "impact.csv"),
                  "--on", "2026-06-21", *db, out=tmp_path / "ia.html")
    assert "Report IA-2026-0001" in out and "all:" in out
    engine = connect(store_url)
    reg = Register(engine)
    vid = reg.version_id("sim-drifting", "1.0")
    history = reg.history(vid)
    assert [h["stage"] for h in history] == ["self_testing", "functional", "calibration", "technological_monitoring",
                                             "clinical_monitoring", "feedback", "clinical_monitoring", "finalisation"]
    assert [h["protocol"] for h in history] == ["ST-2026-0001", "FT-2026-0001", "CT-2026-0001", "TM-2026-0001",
                                                "CM-2026-0001", "FB-2026-0001", "CM-2026-0002", None]
    assert [h["status_after"] for h in history][-2:] == ["suspended", "active"]
    table = ok("ai", "history", "sim-drifting", "1.0", *db)  # readable at 80 columns: no value is cut
    assert all(h["protocol"] in table and h["on"] in table for h in history if h["protocol"]) and "…" not in table
    # the reasons of the steps whose protocols were issued in Russian are shown in English too
    assert "nonconformities" in table and not re.search("[А-Яа-яЁё]", table)
    engine.dispose()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="PDF output needs Debian's Chromium at /usr/bin/chromium")
def test_pdf_protocol(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from oncobank.aieval.render import write_pdf

    path = write_pdf("<html><body><h1>Протокол CT-2026-0001</h1></body></html>", tmp_path / "p.pdf")
    text = PdfReader(path).pages[0].extract_text()
    assert "CT-2026-0001" in text and "Протокол" in text
