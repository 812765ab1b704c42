"""`oncobank thyroid`: IDs taken positionally, every option explained, every read of patient-level results audited."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.store import audit
from thyroid.thyroid_cases import follow_up, therapy


@pytest.fixture
def registry(build):  # type: ignore[no-untyped-def]
    """Two study patients and one excluded (medullary); registry IDs TH-T00001 … TH-T00003."""
    def staged(histology: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [("diagnosis", "2015-01-10", {"icd10": "C73", "histology_type": histology}),
                ("tumour_stage", "2015-01-10", {"t_category": "pT1b", "n_category": "pN0", "m_category": "cM0"})]

    return [build(*staged("papillary"), therapy("2015-03-01"), follow_up("2016-03-01", "ned")),
            build(*staged("follicular"), therapy("2015-03-01", sites=["thyroid_bed", "lungs"])),
            build(*staged("medullary"))]


def _events(store, after: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return [e for e in audit.trail(s, limit=1000) if e["id"] > after]


def _last_id(store) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        events = audit.trail(s, limit=1)
    return events[0]["id"] if events else 0


@pytest.mark.parametrize(("command", "patients", "what"), [
    (["rair", "TH-T00001"], {"TH-T00001"}, "thyroid_rair"),
    (["rair", "TH-T00001", "TH-T00003", "--lang", "ru"], {"TH-T00001", "TH-T00003"}, "thyroid_rair"),
    (["rair", "--json"], {"TH-T00001", "TH-T00002"}, "thyroid_rair"),  # every result of the study population
    (["rair", "--json", "--all-patients"], {"TH-T00001", "TH-T00002", "TH-T00003"}, "thyroid_rair"),
    (["facts", "TH-T00002"], {"TH-T00002"}, "thyroid_facts"),
    (["facts", "TH-T00002", "--kind", "stage", "--json"], {"TH-T00002"}, "thyroid_facts"),
])
def test_patient_level_reads_are_audited(store, store_url: str, registry, command: list[str],  # type: ignore[no-untyped-def]
                                         patients: set[str], what: str) -> None:
    before = _last_id(store)
    done = CliRunner().invoke(app, ["thyroid", *command, "--db", store_url])
    assert done.exit_code == 0, done.output
    events = _events(store, before)
    reads = [e for e in events if e["action"] == "read"]
    assert {e["patient"] for e in reads} == patients and len(reads) == len(patients)
    assert {e["details"]["what"] for e in reads} == {what}
    assert all(e["user"] for e in reads)


@pytest.mark.parametrize(("command", "what"), [
    (["rair"], "thyroid_rair_counts"),
    (["report", "--json"], "thyroid_cohort_report"),
])
def test_aggregates_are_one_event_without_a_patient(store, store_url: str, registry,  # type: ignore[no-untyped-def]
                                                    command: list[str], what: str) -> None:
    before = _last_id(store)
    done = CliRunner().invoke(app, ["thyroid", *command, "--db", store_url])
    assert done.exit_code == 0, done.output
    reads = [e for e in _events(store, before) if e["action"] == "read"]
    assert [(e["patient"], e["details"]) for e in reads] == [(None, {"what": what, "patients": 2})]


def test_ids_are_positional_and_errors_exit_1(store, store_url: str, registry) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    shown = runner.invoke(app, ["thyroid", "facts", "TH-T00001", "--db", store_url, "--lang", "ru"])
    assert shown.exit_code == 0, shown.output
    assert "TH-T00001" in shown.output
    for command in (["facts", "TH-NOPE"], ["rair", "TH-T00001", "--all-patients"], ["facts", "TH-T00001", "--kind",
                                                                                      "nope"]):
        failed = runner.invoke(app, ["thyroid", *command, "--db", store_url])
        assert failed.exit_code == 1 and failed.output.startswith("error: "), failed.output
    old = runner.invoke(app, ["thyroid", "rair", "--patient", "TH-T00001", "--db", store_url])
    assert old.exit_code != 0


def test_every_option_and_argument_has_help() -> None:
    group = typer.main.get_command(app).commands["thyroid"]  # type: ignore[attr-defined]
    for name, command in group.commands.items():
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"thyroid {name} {param.name}"
