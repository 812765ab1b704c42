"""Duplicate facts across sources: the source with the lowest missing rate is the base, the others fill gaps."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from oncobank.ingest.mapping import load_mapping
from oncobank.ingest.models import DataIssue
from oncobank.ingest.pipeline import run_ingest
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Entry, EntryVersion, PatientIdentifier

HEADER = "ИД;Фамилия;Имя;Отчество;Дата рождения;Пол;Регион\n"
# Listed first, but 3 of its 12 value cells are empty (missing rate 0.25).
GAPPY = HEADER + "E1;Иванова;Мария;;20.05.1970;Ж;\nE2;Петров;Иван;;01.01.1960;М;Тверская область\n"
# Listed second, complete (missing rate 0): the base. It disagrees with the first on E2's region.
FULL = HEADER + ("E1;Иванова;Мария;Петровна;20.05.1970;Ж;Московская область\n"
                 "E2;Петров;Иван;Сергеевич;01.01.1960;М;Новгородская область\n")
SOURCE = """
  - name: {name}
    system: EMR
    format: csv
    files: [{name}.csv]
    delimiter: ";"
    date_formats: ["%d.%m.%Y"]
    patient_id: ИД
    identity: {{surname: Фамилия, first_name: Имя, patronymic: Отчество, birth_date: Дата рождения, sex: Пол}}
    section: demographics
"""


def test_the_fuller_source_is_the_base_whatever_the_order(store: ClinicalStore, tmp_path: Path) -> None:
    (tmp_path / "gappy.csv").write_text(GAPPY, encoding="utf-8")
    (tmp_path / "full.csv").write_text(FULL, encoding="utf-8")
    text = "module: thyroid\ncentre: C01\nmaster: EMR\nsources:" + SOURCE.format(name="gappy") + SOURCE.format(
        name="full")
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    report = run_ingest(store, tmp_path, load_mapping(tmp_path / "m.yaml", store.dictionary), text)
    assert report.missing_rates == {"gappy": 0.25, "full": 0.0}
    assert report.balanced and report.rows_in == 4
    assert (report.loaded, report.merged, report.conflicts) == (2, 2, 1)
    with store.session() as s:
        stored = dict(s.execute(
            select(PatientIdentifier.value, EntryVersion.values)
            .join(Entry, Entry.patient_id == PatientIdentifier.patient_id)
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
        ).all())
        issue = s.scalars(select(DataIssue)).one()
    assert stored["E2"]["region"] == "Новгородская область"
    assert stored["E1"]["patronymic"] == "Петровна"
    assert (issue.field, issue.kept["value"], issue.offered["value"], issue.offered["source"]) == (
        "region", "Новгородская область", "Тверская область", "gappy")


def test_provenance_and_conflicts_are_shown_without_identifying_values(
    store: ClinicalStore, store_url: str, tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from oncobank.cli import app
    from oncobank.ingest.provenance import HIDDEN
    from oncobank.store.models import AuditEvent, Patient

    (tmp_path / "gappy.csv").write_text(GAPPY, encoding="utf-8")
    (tmp_path / "full.csv").write_text(FULL, encoding="utf-8")
    text = "module: thyroid\ncentre: C01\nmaster: EMR\nsources:" + SOURCE.format(name="gappy") + SOURCE.format(
        name="full")
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    run_ingest(store, tmp_path, load_mapping(tmp_path / "m.yaml", store.dictionary), text)
    with store.session() as s:
        e2 = s.scalar(select(Patient.registry_id).join(PatientIdentifier, PatientIdentifier.patient_id == Patient.id)
                      .where(PatientIdentifier.value == "E2"))
    runner = CliRunner()
    shown = runner.invoke(app, ["provenance", e2, "--db", store_url, "--json"])
    assert shown.exit_code == 0, shown.output
    rows = {r["source"]: r for r in json.loads(shown.stdout)}
    # E2 is line 3 of both files; the complete file is the base, the gappy one agrees except on the region
    # and has no patronymic.
    assert {r["location"] for r in rows.values()} == {"line 3"}
    assert rows["full"]["fields"] == dict.fromkeys(
        ("surname", "first_name", "patronymic", "birth_date", "sex", "region"), "used")
    assert rows["gappy"]["fields"] == {"surname": "duplicate", "first_name": "duplicate", "birth_date": "duplicate",
                                       "sex": "duplicate", "region": "conflict"}
    listed = runner.invoke(app, ["conflicts", "--db", store_url, "--json"])
    assert listed.exit_code == 0, listed.output
    [conflict] = json.loads(listed.stdout)
    assert (conflict["registry_id"], conflict["field"], conflict["source"], conflict["location"]) == (
        e2, "region", "gappy", "line 3")
    assert conflict["kept"] == conflict["offered"] == HIDDEN  # the region is an identifying field
    table = runner.invoke(app, ["conflicts", "--db", store_url, "--lang", "ru"])
    assert "Расхождения" in table.stdout and "Тверская" not in table.stdout
    assert runner.invoke(app, ["provenance", "NOPE", "--db", store_url]).exit_code == 1
    with store.session() as s:
        reads = s.scalars(select(AuditEvent.details).where(AuditEvent.action == "read")).all()
    assert any(d.get("what") == "provenance" for d in reads)
