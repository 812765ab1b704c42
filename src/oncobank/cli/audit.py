"""`oncobank audit`: read the audit log."""

from __future__ import annotations

from typing import Annotated

import typer

from oncobank.cli.common import DbOption, JsonOption, LangOption, check_lang, console, emit_json, open_store

app = typer.Typer(invoke_without_command=True)


@app.callback()
def trail(
    ctx: typer.Context,
    patient: Annotated[str | None, typer.Option("--patient", help="Only this patient's events (registry ID).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many of the newest events to show.")] = 50,
    db: DbOption = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """The newest audit-log events: who read or wrote which patient's data, when."""
    if ctx.invoked_subcommand is not None:
        return
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
