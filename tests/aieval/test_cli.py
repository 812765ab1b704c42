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
    # 1. self-testing
    ok("ai", "record", "sim-drifting", "1.0", "--action", "pass", "--stage", "self_testing", "--reason",
       "compatible", "--on", "2026-01-06", *db)
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
    out = publish(monkeypatch, "ai", "calibrate", "sim-drifting", "1.0", "--results",
                  str(svc / "calibration_results.csv"), "--truth", str(svc / "calibration_truth.csv"),
                  "--on", "2026-01-10", "--lang", "ru", *db, out=cal)
    assert "CT-2026-0001" in out
    html = cal.read_text()
    assert "Протокол калибровочного тестирования" in html and "CT-2026-0001" in html
    # 4. technological monitoring of February
    form = tmp_path / "tm.xlsx"
    ok("ai", "tech", "sample", "--results", results, "--period", "2026-02", "--out", str(form))
    assert load_workbook(form)["review"].max_row == 2 + 80
    ok("ai", "simulate-review", str(form), "--sim", str(svc))
    report = tmp_path / "tm.html"
    out = publish(monkeypatch, "ai", "tech", "report", "sim-drifting", "1.0", "--results", results, "--period",
                  "2026-02", "--review", str(form), "--chart", str(tmp_path / "trend.png"), "--on", "2026-03-03",
                  *db, out=report)
    assert "TM-2026-0001: continue" in out
    assert "data:image/png;base64," in report.read_text()
    # 5. clinical monitoring of February (continues) and of May (the drift has set in: suspended)
    for period, day, expected in (("2026-02", "2026-03-04", "CM-2026-0001: continue"),
                                  ("2026-05", "2026-06-02", "CM-2026-0002: suspend")):
        cm = tmp_path / f"cm-{period}.xlsx"
        ok("ai", "clinical", "sample", "--results", results, "--period", period, "--out", str(cm))
        ok("ai", "simulate-review", str(cm), "--sim", str(svc))
        if period == "2026-05":
            # 6. feedback on February, before the suspension
            out = publish(monkeypatch, "ai", "feedback", "report", "sim-drifting", "1.0", "--results", results,
                          "--feedback", str(svc / "feedback.csv"), "--period", "2026-02", "--on", "2026-03-05", *db,
                          out=tmp_path / "fb.html")
            assert "FB-2026-0001: coverage" in out and "short" not in out
        out = publish(monkeypatch, "ai", "clinical", "report", "sim-drifting", "1.0", "--period", period,
                      "--review", str(cm), "--on", day, *db, out=tmp_path / f"cm-{period}.html")
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
    assert [h["protocol"] for h in history] == [None, "FT-2026-0001", "CT-2026-0001", "TM-2026-0001", "CM-2026-0001",
                                                "FB-2026-0001", "CM-2026-0002", None]
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
