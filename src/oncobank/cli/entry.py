"""`oncobank entry …` and `oncobank attach`: add, edit, retract, reinstate and review entries, attach documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy import select

from oncobank.cli.common import DbOption, ModuleOption, PatientArgument, console, err, fail, open_store, within_reach
from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import FieldType
from oncobank.dictionary.validate import EntryRejected
from oncobank.reports.printable import printable
from oncobank.store.access import Permission
from oncobank.store.errors import StoreError
from oncobank.store.models import EntryVersion

app = typer.Typer(help="Add, edit, retract, reinstate and review entries (every change is a new version).",
                  no_args_is_help=True)

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="field=value, repeatable; '100 mCi' for units, 'a,b' for several codes."),
]
ValuesOption = Annotated[str | None, typer.Option("--values", help="All values as a JSON object.")]
EntryArgument = Annotated[int, typer.Argument(help="Entry number (shown on the patient card).")]
CurrentVersionOption = Annotated[int, typer.Option("--version", help="The entry's current version (optimistic lock).")]


def parse_values(dictionary: Dictionary, section: str, assignments: list[str] | None, as_json: str | None) -> dict:
    """Values from --values JSON and --set field=value pairs; a quantity may carry its unit after a space."""
    values: dict[str, Any] = {}
    if as_json:
        try:
            values = json.loads(as_json)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--values: not valid JSON ({exc.msg} at character {exc.pos})") from None
        if not isinstance(values, dict):
            raise ValueError(f"--values: expected a JSON object of field: value, got a {type(values).__name__}")
    try:
        fields = {f.name: f for f in dictionary.section(section).fields}
    except KeyError:
        known = ", ".join(dictionary.sections)
        raise ValueError(f"no section {section!r} in module {dictionary.name}; its sections: {known}") from None
    for item in assignments or []:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in fields:
            raise ValueError(f"--set {item!r}: expected field=value with a field of section {section}")
        f = fields[name]
        raw = raw.strip()
        if f.multiple:
            values[name] = [part.strip() for part in raw.split(",") if part.strip()]
        elif f.type in (FieldType.NUMBER, FieldType.INTEGER) and " " in raw:
            number, unit = raw.split(None, 1)
            values[name] = {"value": number, "unit": unit}
        else:
            values[name] = raw
    return values


def _run(action: Any) -> Any:

    try:
        return action()
    except EntryRejected as exc:
        raise fail("\n".join(str(i) for i in exc.issues)) from None
    except (StoreError, ValueError) as exc:
        raise fail(str(exc)) from None


def _report(what: str, entry_id: int, version: int, warnings: list[Any] | None = None) -> None:

    console.print(f"{what}: entry {entry_id}, version {version}", highlight=False)
    for w in warnings or []:
        err.print(f"[yellow]warning:[/yellow] {escape(printable(w))}", highlight=False, soft_wrap=True)


@app.command("add")
def add(
    patient: PatientArgument,
    section: Annotated[str, typer.Argument(help="Section name, e.g. radioiodine.")],
    entry_date: Annotated[str | None, typer.Option("--date", help="Date the item was done (YYYY-MM-DD).")] = None,
    facility: Annotated[str | None, typer.Option("--facility", help="Medical facility.")] = None,
    assignments: SetOption = None,
    values_json: ValuesOption = None,
    db: DbOption = None,
    module: ModuleOption = "thyroid",
) -> None:
    """Add a dated entry to a patient's section."""

    store = open_store(db, module, need=Permission.WRITE_PATIENTS, what="enter patients' data")
    within_reach(store, patient=patient)
    ref = _run(
        lambda: store.add_entry(
            patient,
            section,
            parse_values(store.dictionary, section, assignments, values_json),
            user=store.actor.username,
            entry_date=entry_date,
            facility=facility,
        )
    )
    _report("added", ref.entry_id, ref.version, ref.warnings)


@app.command("edit")
def edit(
    entry_id: EntryArgument,
    version: Annotated[int, typer.Option("--version", help="The version you are changing (optimistic lock).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the entry changes.")],
    assignments: SetOption = None,
    values_json: ValuesOption = None,
    entry_date: Annotated[str | None, typer.Option("--date", help="New entry date (default: unchanged).")] = None,
    facility: Annotated[str | None, typer.Option("--facility", help="New facility (default: unchanged).")] = None,
    db: DbOption = None,
    module: ModuleOption = "thyroid",
) -> None:
    """Write a new version: the given version's values with the changed fields replaced."""

    store = open_store(db, module, need=Permission.WRITE_PATIENTS, what="edit patients' data")
    within_reach(store, entry=entry_id)

    def action() -> Any:
        with store.session() as s:
            entry = store.get_entry(s, entry_id)
            base = s.scalars(
                select(EntryVersion).where(EntryVersion.entry_id == entry_id, EntryVersion.version == version)
            ).one_or_none()
            if base is None:
                raise ValueError(f"entry {entry_id} has no version {version}")
            section = entry.section
        changed = parse_values(store.dictionary, section, assignments, values_json)
        return store.edit_entry(
            entry_id,
            version,
            store.edited_input(section, base, changed),
            user=store.actor.username,
            reason=reason,
            entry_date=entry_date or base.entry_date,
            facility=facility or base.facility,
        )

    ref = _run(action)
    _report("edited", ref.entry_id, ref.version, ref.warnings)


@app.command("retract")
def retract(
    entry_id: EntryArgument,
    version: CurrentVersionOption,
    reason: Annotated[str, typer.Option("--reason", help="Why the entry is withdrawn (kept in its history).")],
    db: DbOption = None,
    module: ModuleOption = "thyroid",
) -> None:
    """Withdraw an entry; it stays on the card, marked retracted, with its history."""
    _change_status("retracted", entry_id, db, module, lambda store: store.retract_entry(
        entry_id, version, user=store.actor.username, reason=reason))


@app.command("reinstate")
def reinstate(
    entry_id: EntryArgument,
    version: CurrentVersionOption,
    reason: Annotated[str, typer.Option("--reason", help="Why the entry is active again (kept in its history).")],
    db: DbOption = None,
    module: ModuleOption = "thyroid",
) -> None:
    """Make a retracted entry active again, with the values it had; validated and audited like an edit."""
    _change_status("reinstated", entry_id, db, module, lambda store: store.reinstate_entry(
        entry_id, version, user=store.actor.username, reason=reason))


def _change_status(what: str, entry_id: int, db: str | None, module: str, write: Callable[[Any], Any]) -> None:
    store = open_store(db, module, need=Permission.WRITE_PATIENTS, what="retract or reinstate entries")
    within_reach(store, entry=entry_id)
    ref = _run(lambda: write(store))
    _report(what, ref.entry_id, ref.version, ref.warnings)


@app.command("review")
def review(
    entry_id: EntryArgument,
    agreement: Annotated[str, typer.Option("--agreement", help="agree, partial or disagree.")],
    review_date: Annotated[str, typer.Option("--date", help="Date of the second opinion (YYYY-MM-DD).")],
    assignments: SetOption = None,
    comment: Annotated[str | None, typer.Option("--comment", help="The reviewer's comment.")] = None,
    facility: Annotated[str | None, typer.Option("--facility", help="Facility giving the second opinion.")] = None,
    db: DbOption = None,
    module: ModuleOption = "thyroid",
) -> None:
    """Record a second opinion (revised values and a comment) beside the entry."""

    store = open_store(db, module, need=Permission.REVIEW, what="give second opinions")
    within_reach(store, entry=entry_id)

    def action() -> int:
        with store.session() as s:
            section = store.get_entry(s, entry_id).section
        revised = parse_values(store.dictionary, section, assignments, None)
        return store.review_entry(
            entry_id,
            reviewer=store.actor.username,
            review_date=review_date,
            agreement=agreement,
            revised_values=revised,
            comment=comment,
            facility=facility,
        )

    review_id = _run(action)
    console.print(f"review {review_id} recorded on entry {entry_id}", highlight=False)


def attach_command(
    patient: PatientArgument,
    file: Annotated[Path, typer.Argument(help="PDF file.", exists=True, dir_okay=False)],
    document_type: Annotated[str, typer.Option("--type", help="Document type code, e.g. discharge_summary.")],
    entry_date: Annotated[str, typer.Option("--date", help="Date of the document (YYYY-MM-DD).")],
    description: Annotated[str | None, typer.Option("--description", help="What the document is, in a few words.")]
    = None,
    facility: Annotated[str | None, typer.Option("--facility", help="Facility that issued the document.")] = None,
    db: DbOption = None,
    module: ModuleOption = "thyroid",
) -> None:
    """Attach a PDF document to a patient (type checked from the bytes, stored by its hash)."""
    from oncobank.store.attachments import attach, read_document_file

    store = open_store(db, module, need=Permission.WRITE_PATIENTS, what="attach documents")
    within_reach(store, patient=patient)
    ref = _run(
        lambda: attach(
            store,
            patient,
            read_document_file(file),
            filename=file.name,
            user=store.actor.username,
            document_type=document_type,
            entry_date=entry_date,
            description=description,
            facility=facility,
        )
    )
    _report(f"attached {ref.size} bytes, sha256 {ref.sha256[:12]}…", ref.entry_id, 1)
