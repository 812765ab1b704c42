"""Every command that shows one patient's data writes a read event for that patient to the audit log.

The list of such commands is found from the command tree (a positional registry-ID argument), so a new command
that takes a patient and is not checked here fails the first test.
"""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.store import audit

# Commands whose subject is a patient given positionally: the reads (checked below) and the writes (audited as
# their own actions by the store, see test_store).
READS = {
    ("patient", "show"): [],
    ("provenance",): [],
    ("thyroid", "rair"): [],
    ("thyroid", "facts"): [],
}
WRITES = {("entry", "add"), ("attach",)}
# Filters over lists that also show patients' values: checked with their filter set.
FILTERED_READS = {("conflicts",): ["--patient"]}


def _positional_patient_commands() -> set[tuple[str, ...]]:
    found = set()

    def walk(group: object, path: tuple[str, ...]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            here = (*path, name)
            if any(type(p).__name__ == "TyperArgument" and ("patient" in p.name or "registry" in p.name)
                   for p in command.params):  # type: ignore[attr-defined]
                found.add(here)
            walk(command, here)

    walk(typer.main.get_command(app), ())
    return found


def test_every_command_taking_a_patient_is_checked() -> None:
    assert _positional_patient_commands() == set(READS) | WRITES


def _reads_after(store, after: int) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    with store.session() as s:
        return [e for e in audit.trail(s, limit=1000) if e["id"] > after and e["action"] == "read"]


def _last(store) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        events = audit.trail(s, limit=1)
    return events[0]["id"] if events else 0


@pytest.mark.parametrize("command", [*READS, *FILTERED_READS])
def test_a_patient_level_read_is_audited(store, store_url: str, patient: str,  # type: ignore[no-untyped-def]
                                         command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCOBANK_USER", "dr_ivanova")
    before = _last(store)
    args = [*command, *FILTERED_READS.get(command, []), patient, "--db", store_url]
    done = CliRunner().invoke(app, args)
    if command in FILTERED_READS:
        # No conflicts recorded for this patient: nothing of theirs is shown, so nothing is read.
        assert done.exit_code == 0, done.output
        assert _reads_after(store, before) == []
        return
    assert done.exit_code == 0, done.output
    reads = _reads_after(store, before)
    assert [(e["patient"], e["user"]) for e in reads] == [(patient, "dr_ivanova")], command
