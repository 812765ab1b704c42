"""Every AI protocol and table in Russian: no English words, decimal commas, registered values by their labels."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from oncobank.cli import app
from russian import html_text, problems

runner = CliRunner()
# What AI pages may keep in Latin letters besides the shared list: abbreviations, symbols, the service's code.
AI_WORDS = {"AUC", "SR", "UID", "p", "V", "sim-drifting"}
CODE_SPAN = re.compile(r"`[^`]*`")  # commands to type, e.g. `oncobank ai task set`
PROTOCOL = re.compile(r"\b[A-Z]{2}-\d{4}-\d{4}\b")
VERSION = " 1.0"  # the service version: a code, not a number


def russian_problems(text: str) -> list[str]:
    """What is not Russian in an AI page or table, once commands, protocol numbers and the version are out."""
    return problems(PROTOCOL.sub(" ", CODE_SPAN.sub(" ", text)).replace(VERSION, " "), AI_WORDS)


def page_text(path: Path) -> str:
    return html_text(path.read_text(encoding="utf-8"))


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_checker_finds_english_words_and_decimal_points() -> None:
    assert russian_problems("Протокол CT-2026-0001 (sim-drifting 1.0): AUC 0,91, `oncobank ai list`, p 0,04") == []
    assert russian_problems("Модальность: chest, adults; 0.5") == [
        "Latin word 'chest'", "Latin word 'adults'", "decimal point in '0.5'"]


def test_every_ai_protocol_and_table_in_russian(store_url: str, tmp_path: Path) -> None:
    db = ("--db", store_url)
    ru = ("--lang", "ru")
    sim = tmp_path / "sim"
    svc = sim / "sim-drifting"
    results = str(svc / "results.parquet")
    ok("ai", "simulate", "--out", str(sim), "--months", "2", "--per-month", "300", "--sr", "5")
    ok("user", "add", "Иванова", "--role", "ai_evaluator", "--full-name", "Иванова Анна Петровна", *db)
    tables = {"empty list": ok("ai", "list", *ru, *db)}
    tables["task"] = ok("ai", "task", "set", "nodules", "--name-en", "Lung nodules", "--name-ru", "Узлы в лёгких",
                        *ru, *db)
    ok("ai", "service", "add", "sim-drifting", "--name", "Поиск узлов", "--supplier", "ООО «Сим»", "--developer",
       "Лаборатория «Сим»", "--modality", "CT", "--region", "chest", "--patient-group", "adults", "--task", "nodules",
       *db)
    ok("ai", "service", "version", "sim-drifting", "1.0", "--declared", "auc=0.85", "--on", "2026-01-05", *db)
    tables["empty history"] = ok("ai", "history", "sim-drifting", "1.0", *ru, *db)
    pages = {"selftest": tmp_path / "st.html"}
    ok("ai", "selftest", "sim-drifting", "1.0", "--modality", "CT", "--procedure", "КТ ОГК без контраста",
       "--manufacturer", "Томограф", "--model", "Модель 64", "--compatible", "--on", "2026-01-06", "--out",
       str(pages["selftest"]), "--user", "Иванова", *ru, *db)
    checklist = tmp_path / "fc.xlsx"
    ok("ai", "functional", "form", "--sr", str(svc / "sr"), "--out", str(checklist), *ru)
    ok("ai", "simulate-review", str(checklist), "--sim", str(svc))
    pages["functional"] = tmp_path / "fc.html"
    ok("ai", "functional", "report", "sim-drifting", "1.0", "--checklist", str(checklist), "--technical-expert",
       "А. Техников", "--medical-expert", "Б. Врачова", "--medical-expert-years", "8.5", "--on", "2026-01-08",
       "--out", str(pages["functional"]), "--user", "Иванова", *ru, *db)
    pages["calibration"] = tmp_path / "cal.html"
    ok("ai", "calibrate", "sim-drifting", "1.0", "--results", str(svc / "calibration_results.csv"), "--truth",
       str(svc / "calibration_truth.csv"), "--technical-specialist", "А. Техников", "--medical-expert",
       "Б. Врачова", "--on", "2026-01-10", "--out", str(pages["calibration"]),
       "--user", "Иванова", *ru, *db)
    form = tmp_path / "tm.xlsx"
    ok("ai", "tech", "sample", "--results", results, "--period", "2026-02", "--out", str(form), *ru)
    ok("ai", "simulate-review", str(form), "--sim", str(svc))
    pages["technological"] = tmp_path / "tm.html"
    ok("ai", "tech", "report", "sim-drifting", "1.0", "--results", results, "--period", "2026-02", "--review",
       str(form), "--technical-specialist", "А. Техников", "--notes", "без сбоев", "--chart",
       str(tmp_path / "trend.png"), "--on", "2026-03-03", "--out", str(pages["technological"]),
       "--user", "Иванова", *ru, *db)
    cm = tmp_path / "cm.xlsx"
    ok("ai", "clinical", "sample", "--results", results, "--period", "2026-02", "--out", str(cm), *ru)
    ok("ai", "simulate-review", str(cm), "--sim", str(svc))
    pages["clinical"] = tmp_path / "cm.html"
    ok("ai", "clinical", "report", "sim-drifting", "1.0", "--results", results, "--period", "2026-02", "--review",
       str(cm), "--expert", "В. Экспертова", "--expert-years", "12", "--on",
       "2026-03-04", "--out", str(pages["clinical"]), "--user", "Иванова", *ru, *db)
    pages["feedback"] = tmp_path / "fb.html"
    ok("ai", "feedback", "report", "sim-drifting", "1.0", "--results", results, "--feedback",
       str(svc / "feedback.csv"), "--survey", str(svc / "survey.csv"), "--period", "2026-02", "--on", "2026-03-05",
       "--out", str(pages["feedback"]),
       "--user", "Иванова", *ru, *db)
    pages["impact"] = tmp_path / "ia.html"
    ok("ai", "impact", "sim-drifting", "1.0", "--data", str(sim / "impact.csv"), "--on", "2026-03-06", "--out",
       str(pages["impact"]), *ru, *db)
    tables["list"] = ok("ai", "list", *ru, *db)
    tables["history"] = ok("ai", "history", "sim-drifting", "1.0", *ru, *db)

    texts = {name: page_text(path) for name, path in pages.items()} | tables
    assert {name: russian_problems(text) for name, text in texts.items()} == {key: [] for key in texts}
    assert "КТ" in texts["calibration"] and "грудная клетка" in texts["functional"] and "взрослые" in texts["impact"]
    assert "8,5 лет стажа" in texts["functional"]
    assert "самотестирование" in tables["history"] and "2026-01-08" in tables["history"]
    assert "FT-2026-0001" in tables["history"] and "…" not in tables["history"]  # nothing cut at 80 columns


def test_an_unknown_registered_value_is_refused(store_url: str) -> None:
    db = ("--db", store_url)
    ok("ai", "task", "set", "t", "--name-en", "T", "--name-ru", "Т", *db)
    result = runner.invoke(app, ["ai", "service", "add", "s", "--name", "S", "--supplier", "S", "--developer", "D",
                                 "--modality", "XR", "--region", "chest", "--patient-group", "adults", "--task", "t",
                                 *db])
    assert result.exit_code == 1
    assert "unknown modality 'XR'; expected one of CT, MR, DX, MG, US, PT, NM" in result.output
