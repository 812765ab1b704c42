"""`oncobank init`, `load` and `audit`: create the clinical store, load registry JSON, read the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncobank.cli.common import (
    DbOption,
    JsonOption,
    LangOption,
    ModuleOption,
    check_lang,
    console,
    current_user,
    emit_json,
    err,
    fail,
    open_store,
)


def init(db: DbOption = None) -> None:
    """Create the clinical store, or upgrade it to this version's schema."""
    from oncobank.dictionary import load_module
    from oncobank.store.clinical import ClinicalStore
    from oncobank.store.db import connect, default_url, safe_url
    from oncobank.store.errors import StoreError
    from oncobank.store.migrate import schema_version, upgrade

    url = db or default_url()
    try:
        engine = connect(url)
        upgrade(engine)
    except StoreError as exc:
        raise fail(str(exc)) from None
    store = ClinicalStore(engine, load_module("core"))
    store.ensure_user("system", role="system")
    console.print(f"Store ready at {safe_url(url)} (schema {schema_version(engine)}).", highlight=False)


def load(
    directory: Annotated[Path, typer.Argument(help="Folder holding registry/manifest.json and patients.jsonl.")],
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Load canonical registry JSON into the store; rejected entries are quarantined with their reason."""
    from oncobank.reports.terminal import load_table, progress
    from oncobank.store.errors import StoreError
    from oncobank.store.load import load_registry, read_manifest

    check_lang(lang)
    store = open_store(db, module)
    try:
        total = read_manifest(directory).get("patients")
    except StoreError as exc:
        raise fail(str(exc)) from None
    with progress(err) as bar:
        task = bar.add_task("Loading patients", total=total)
        try:
            report = load_registry(store, directory, user=current_user(), on_patient=lambda n: bar.advance(task, n))
        except StoreError as exc:
            raise fail(str(exc)) from None
    if as_json:
        emit_json(report.to_dict())
    else:
        console.print(load_table(report, lang))
    if not report.balanced:
        raise fail("counts do not reconcile: some records are unaccounted for", 2)


def audit(
    patient: Annotated[str | None, typer.Option("--patient", help="Only this patient's events (registry ID).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many of the newest events to show.")] = 50,
    db: DbOption = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """The newest audit-log events: who read or wrote which patient's data, when."""
    from oncobank.reports.terminal import audit_table
    from oncobank.store import audit as audit_log

    check_lang(lang)
    store = open_store(db, "core")
    with store.session() as s:
        events = audit_log.trail(s, patient, limit)
    if as_json:
        emit_json(events)
        return
    console.print(audit_table(events, lang))
