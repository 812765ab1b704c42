"""`oncobank patient show`: one patient's entries, versions and second opinions (an audited read)."""

from __future__ import annotations

from typing import Annotated

import typer

from oncobank.cli.common import (
    DbOption,
    JsonOption,
    LangOption,
    ModuleOption,
    PatientArgument,
    console,
    emit_json,
    fail,
    open_store,
    within_reach,
)
from oncobank.store.access import Permission

app = typer.Typer(help="Read patient records (every read is audited).", no_args_is_help=True)


@app.command("show")
def show(
    registry_id: PatientArgument,
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    lang: LangOption = "en",
    history: Annotated[bool, typer.Option("--history/--current", help="Every version, or only the current.")] = True,
    as_json: JsonOption = False,
) -> None:
    """All of a patient's entries in date order, with their versions and second-opinion reviews."""
    from oncobank.reports.terminal import render_card
    from oncobank.store.card import read_card
    from oncobank.store.errors import StoreError

    store = open_store(db, module, need=Permission.READ_PATIENTS, what="read patients' records")
    within_reach(store, patient=registry_id)
    try:
        card = read_card(store, registry_id, user=store.actor.username)
    except StoreError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json(card.to_dict())
        return
    render_card(console, card, store.dictionary, lang=lang, history=history)
