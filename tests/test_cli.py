"""The `oncobank` command end to end on an embedded store: init, load, patient show, audit, dictionary."""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncobank.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ONCOBANK_DB", f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ONCOBANK_USER", "dr_test")
    return tmp_path


def _flat(table_text: str) -> str:
    """Terminal tables as one line of words: cell borders gone, wrapped lines joined."""
    return " ".join(table_text.replace("│", " ").replace("┃", " ").split())


def _registry(folder: Path) -> Path:
    (folder / "registry").mkdir(parents=True)
    manifest = {"format": "oncobank-registry", "format_version": 1, "module": "thyroid", "seed": 0, "patients": 1,
                "centres": [{"code": "C01", "name": "Centre one"}]}
    patient = {
        "patient_id": "TH-000007", "centre": "C01", "identifiers": [{"system": "EMR", "value": "E-7"}],
        "entries": [
            {"section": "demographics",
             "values": {"surname": "Смирнова", "first_name": "Ольга", "birth_date": "1980-01-02", "sex": "F"}},
            {"section": "radioiodine", "date": "2019-05-05", "facility": "MF-1",
             "values": {"procedure": "therapy", "isotope": "I-131", "activity": {"value": 150, "unit": "mCi"}}},
            {"section": "laboratory", "date": "2019-04-20",
             "values": {"tg": {"value": 12.5, "unit": "ng/mL", "ref_low": 0, "ref_high": 55}}},
            {"section": "laboratory", "date": "2019-04-21", "values": {"tsh": -1}},
        ],
    }
    (folder / "registry" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "registry" / "patients.jsonl").write_text(json.dumps(patient, ensure_ascii=False) + "\n", "utf-8")
    return folder


def test_init_load_show_audit(env: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    loaded = runner.invoke(app, ["load", str(_registry(env / "hospital")), "--json"])
    assert loaded.exit_code == 0, loaded.output
    report = json.loads(loaded.stdout)
    assert (report["entries_in"], report["entries_loaded"], report["entries_quarantined"]) == (4, 3, 1)
    assert report["balanced"] is True
    assert report["rules"] == {"hard_range": 1}

    shown = runner.invoke(app, ["patient", "show", "TH-000007", "--json"])
    assert shown.exit_code == 0, shown.output
    card = json.loads(shown.stdout)
    sections = [e["section"] for e in card["entries"]]
    assert sections == ["demographics", "laboratory", "radioiodine"]  # undated first, then by date
    rai = card["entries"][-1]["versions"][0]
    assert rai["values"]["activity"] == 5550.0  # 150 mCi x 37
    assert rai["entered"]["activity"] == {"value": 150.0, "unit": "mCi"}

    table = runner.invoke(app, ["patient", "show", "TH-000007", "--lang", "ru"])
    assert table.exit_code == 0
    assert "5550 MBq" in table.stdout and "150 mCi" in table.stdout
    assert "[референс 0–55]" in table.stdout  # brackets shown as text, not taken for markup

    events = json.loads(runner.invoke(app, ["audit", "--patient", "TH-000007", "--json"]).stdout)
    assert [e["action"] for e in events] == ["read", "read", "load"]
    assert {e["user"] for e in events} == {"dr_test"}


def test_embedded_store_is_created_on_first_use_and_not_left_by_a_failed_command(env: Path) -> None:
    # No `init` needed for the embedded SQLite store; a command that fails leaves no store file behind.
    result = runner.invoke(app, ["patient", "show", "TH-1"])
    assert result.exit_code == 1
    assert "no patient TH-1" in result.stderr
    assert not (env / "store.sqlite").exists()
    assert runner.invoke(app, ["audit"]).exit_code == 0
    assert (env / "store.sqlite").exists()
    result = runner.invoke(app, ["patient", "show", "TH-404"])
    assert result.exit_code == 1
    assert "no patient TH-404" in result.stderr


def test_dictionary_show_export_import(env: Path) -> None:
    shown = runner.invoke(app, ["dictionary", "show", "thyroid", "--json"])
    assert shown.exit_code == 0
    modules = json.loads(shown.stdout)
    assert list(modules) == ["core", "thyroid"]
    out = env / "thyroid.csv"
    exported = runner.invoke(app, ["dictionary", "export", "thyroid", "--format", "redcap", "--out", str(out)])
    assert exported.exit_code == 0
    header = next(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert header[:4] == ["Variable / Field Name", "Form Name", "Section Header", "Field Type"]
    assert len(header) == 18
    yaml_out = env / "thyroid.yaml"
    imported = runner.invoke(app, ["dictionary", "import", str(out), "--module", "thyroid", "--extends", "core",
                                   "--out", str(yaml_out)])
    assert imported.exit_code == 0, imported.output
    from oncobank.dictionary import load_module
    from oncobank.dictionary.loader import read_module

    assert read_module(yaml_out) == load_module("thyroid").module
    bad = runner.invoke(app, ["dictionary", "show", "nosuch"])
    assert bad.exit_code == 1 and "nosuch" in bad.stderr


def test_entry_commands_version_review_retract_and_attach(env: Path, make_pdf: Callable[[str], bytes]) -> None:
    runner.invoke(app, ["init"])
    assert runner.invoke(app, ["load", str(_registry(env / "hospital"))]).exit_code == 0
    added = runner.invoke(app, ["entry", "add", "TH-000007", "laboratory", "--date", "2019-06-01",
                                "--values", '{"tsh": {"value": 0.1, "unit": "uIU/mL", "ref_low": 0.4, "ref_high": 4}}',
                                "--set", "tg=2,5"])
    assert added.exit_code == 0, added.output
    entry_id = int(added.stdout.split("entry ")[1].split(",")[0])
    edited = runner.invoke(app, ["entry", "edit", str(entry_id), "--version", "1", "--reason", "Tg re-measured",
                                 "--set", "tg=3.1 ng/mL"])
    assert edited.exit_code == 0, edited.output
    stale = runner.invoke(app, ["entry", "edit", str(entry_id), "--version", "1", "--reason", "late",
                                "--set", "tg=4"])
    assert stale.exit_code == 1 and "changed by someone else" in stale.stderr
    bad = runner.invoke(app, ["entry", "add", "TH-000007", "laboratory", "--date", "2019-06-02", "--set", "tsh=-5"])
    assert bad.exit_code == 1
    assert "patient TH-000007, section laboratory, field tsh" in bad.stderr and "hard_range" in bad.stderr
    reviewed = runner.invoke(app, ["entry", "review", str(entry_id), "--agreement", "disagree", "--date",
                                   "2019-06-10", "--set", "tg=3.0", "--comment", "re-assayed"])
    assert reviewed.exit_code == 0, reviewed.output
    retracted = runner.invoke(app, ["entry", "retract", str(entry_id), "--version", "2", "--reason", "wrong patient"])
    assert retracted.exit_code == 0, retracted.output

    (env / "discharge.pdf").write_bytes(make_pdf("Discharge summary"))
    attached = runner.invoke(app, ["attach", "TH-000007", str(env / "discharge.pdf"), "--type", "discharge_summary",
                                   "--date", "2019-06-03"])
    assert attached.exit_code == 0, attached.output

    card = json.loads(runner.invoke(app, ["patient", "show", "TH-000007", "--json"]).stdout)
    lab = next(e for e in card["entries"] if e["entry_id"] == entry_id)
    v1, v2, v3 = lab["versions"]
    assert (v1["values"]["tg"], v2["values"]["tg"]) == (2.5, 3.1)
    # the unchanged TSH keeps its unit as entered and its reference range through the edit
    assert v2["entered"]["tsh"] == {"value": 0.1, "unit": "uIU/mL"}
    assert v2["reference_ranges"]["tsh"] == pytest.approx([0.4, 4.0])
    assert (v2["reason"], v3["status"], v3["reason"]) == ("Tg re-measured", "retracted", "wrong patient")
    (review,) = lab["reviews"]
    assert (review["agreement"], review["revised_values"], review["comment"]) == ("disagree", {"tg": 3.0},
                                                                                   "re-assayed")
    assert [a["original_name"] for a in card["attachments"]] == ["discharge.pdf"]

    # The same card for a Russian reader: labels, statuses, agreement and numbers (decimal comma) in Russian.
    ru = _flat(runner.invoke(app, ["patient", "show", "TH-000007", "--lang", "ru"]).stdout)
    assert "3,1 ng/mL" in ru and "3.1" not in ru  # units stay UCUM codes
    assert "[референс 0,4–4]" in ru
    assert "отозвана" in ru and "retracted" not in ru
    assert "не согласен" in ru and "disagree" not in ru
    assert "Тиреоглобулин (ТГ): 3;" in ru
    from oncobank.cli.common import console

    console.width = 200  # the audit table truncates its cells to the terminal's width
    try:
        audit_ru = _flat(runner.invoke(app, ["audit", "--lang", "ru"]).stdout)
    finally:
        console.width = 80
    assert "Журнал аудита" in audit_ru and "просмотр" in audit_ru and "отозвана запись" in audit_ru


def test_demo_builds_an_embedded_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCOBANK_USER", "dr_demo")
    result = runner.invoke(app, ["demo", "--home", str(tmp_path / "demo"), "--patients", "12", "--seed", "4"])
    assert result.exit_code == 0, result.output
    store = tmp_path / "demo" / "oncobank.sqlite"
    assert store.is_file()
    assert f"Clinical store (SQLite): {store}" in result.stdout
    manifest = json.loads((tmp_path / "demo" / "hospital" / "registry" / "manifest.json").read_text())
    assert manifest["patients"] == 12
    card = runner.invoke(app, ["patient", "show", "TH-000001", "--db", f"sqlite:///{store}", "--json"])
    assert card.exit_code == 0, card.output
    assert json.loads(card.stdout)["entries"][0]["section"] == "demographics"


def test_the_demo_leads_somewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command the demo prints under "Try next" runs as printed on the demo's data."""
    monkeypatch.delenv("ONCOBANK_DB", raising=False)
    monkeypatch.chdir(tmp_path)  # nothing may land in the current folder
    monkeypatch.setenv("ONCOBANK_USER", "dr_demo")
    home = tmp_path / "demo home"  # a space: the printed commands must quote paths
    result = runner.invoke(app, ["demo", "--home", str(home), "--patients", "12", "--seed", "4"], terminal_width=400)
    assert result.exit_code == 0, result.output
    steps = [line.split("#")[0].strip() for line in result.stdout.split("Try next", 1)[1].splitlines()]
    steps = [s for s in steps if s.startswith(("export ", "oncobank "))]
    assert [s.split()[:3] for s in steps[1:5]] == [["oncobank", "patient", "show"], ["oncobank", "thyroid", "rair"],
                                                  ["oncobank", "thyroid", "rair"], ["oncobank", "thyroid", "report"]]
    assert any(s.startswith("oncobank ingest") for s in steps)
    for step in steps:
        words = shlex.split(step)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            monkeypatch.setenv(name, value)
            continue
        done = runner.invoke(app, words[1:])
        assert done.exit_code == 0, (step, done.output)
    assert (home / "reports" / "thyroid-cohort.html").is_file()
    assert (home / "ingested.sqlite").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo home"]


def test_an_attachment_is_read_back_audited_and_lives_beside_its_store(env: Path,
                                                                       make_pdf: Callable[[str], bytes]) -> None:
    assert runner.invoke(app, ["load", str(_registry(env / "hospital"))]).exit_code == 0
    (env / "letter.pdf").write_bytes(make_pdf("Letter"))
    done = runner.invoke(app, ["attach", "TH-000007", str(env / "letter.pdf"), "--type", "discharge_summary",
                               "--date", "2019-06-03"])
    assert done.exit_code == 0, done.output
    assert any(p.is_file() for p in (env / "store-attachments").rglob("*"))  # beside store.sqlite
    card = json.loads(runner.invoke(app, ["patient", "show", "TH-000007", "--json"]).stdout)
    (attached,) = card["attachments"]
    out = env / "out" / "copy.pdf"
    got = runner.invoke(app, ["attachment", "get", str(attached["id"]), "--out", str(out)])
    assert got.exit_code == 0, got.output
    assert out.read_bytes() == (env / "letter.pdf").read_bytes() and out.stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["attachment", "get", str(attached["id"]), "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.stderr
    events = json.loads(runner.invoke(app, ["audit", "--patient", "TH-000007", "--json"]).stdout)
    assert events[0]["action"] == "read_attachment"
    assert runner.invoke(app, ["attachment", "get", "999", "--out", str(env / "x.pdf")]).exit_code == 1
