"""`oncobank init` and `load`: create the clinical store, load registry JSON."""

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
    reaching,
    store_engine,
    store_file,
)
from oncobank.store.access import Permission

LISTED = 50  # quarantined problems a load lists on the terminal; --json and `oncobank quarantine list` give all


def init(
    db: DbOption = None,
    admin: Annotated[str | None, typer.Option(
        "--admin", help="The store's first administrator (default: the acting user); ignored once it has one.")] = None,
) -> None:
    """Create the clinical store, or upgrade it to this version's schema; a new store gets its first administrator.

    Creating or upgrading the schema is the database owner's act (whoever can write the SQLite file, or the
    PostgreSQL role that owns the database); every other command acts as a user registered in the store.
    """
    from oncobank.dictionary import load_module
    from oncobank.store import accounts
    from oncobank.store.clinical import ClinicalStore
    from oncobank.store.db import default_url, safe_url
    from oncobank.store.migrate import schema_version, upgrade

    url = db or default_url()
    store_file(url)
    with reaching(url):
        engine = store_engine(url)
        upgrade(engine)
        store = ClinicalStore(engine, load_module("core"))
        made = accounts.set_up(store, admin or current_user())
        version = schema_version(engine)
    console.print(f"Store ready at {safe_url(url)} (schema {version}).", highlight=False, markup=False)
    if made is not None:
        console.print(f"Administrator: {made}. Register the other users with `oncobank user add`.",
                      highlight=False, markup=False)


def load(
    directory: Annotated[Path, typer.Argument(help="Folder holding registry/manifest.json and patients.jsonl.")],
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Load canonical registry JSON into the store; rejected entries are quarantined with their reason.

    Loading a file again takes what it has that the store has not (a corrected entry, the rest of a stopped load).
    """
    from oncobank.reports.terminal import load_table, progress, quarantine_table
    from oncobank.store.errors import LoadStopped, StoreError
    from oncobank.store.load import load_registry

    check_lang(lang)
    store = open_store(db, module, need=Permission.LOAD, what="load registry files")
    stopped: LoadStopped | None = None
    with progress(err) as bar:
        task = bar.add_task("Loading patients", total=None)
        try:
            report = load_registry(store, directory, user=store.actor.username,
                                   on_total=lambda n: bar.update(task, total=n),
                                   on_patient=lambda n: bar.advance(task, n))
        except LoadStopped as exc:
            stopped, report = exc, exc.report
        except StoreError as exc:
            raise fail(str(exc)) from None
    if as_json:
        emit_json({**report.to_dict(), "stopped": None if stopped is None else str(stopped)})
    else:
        console.print(load_table(report, lang))
        if report.quarantined:
            console.print(quarantine_table(report.quarantined, lang, shown=LISTED))
    if stopped is not None:
        raise fail(str(stopped))
    if not report.balanced:
        raise fail("counts do not reconcile: some records are unaccounted for", 2)



keys_app = typer.Typer(help="The store's encryption keys (identifying values are encrypted at rest).",
                       no_args_is_help=True)


@keys_app.command("rotate-key")
def rotate_key(db: DbOption = None) -> None:
    """Add a new data key to the store's key ring: values written from now on use it, older ones keep theirs.

    Keep every key of the ring (back the ring up apart from the database): a value is read with the key it was
    written with. With ONCOBANK_DATA_KEY the ring is the variable's: this command says what to add to it.
    """
    from oncobank.store import crypt

    store = open_store(db, "core", need=Permission.MANAGE_STORE, what="rotate the store's data key")
    with reaching(str(store.engine.url)):
        new = crypt.attach(store.engine).rotate()
    console.print(f"New data key {new}: values written from now on are encrypted with it; keep the older keys.",
                  highlight=False, markup=False)
