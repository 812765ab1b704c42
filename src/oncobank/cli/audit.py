"""`oncobank audit` and `audit verify`: read the audit log, check that no history was rewritten."""

from __future__ import annotations

from typing import Annotated

import typer

from oncobank.cli.common import (
    DbOption,
    JsonOption,
    LangOption,
    act_as,
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

app = typer.Typer(invoke_without_command=True)  # `oncobank audit` alone lists events


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
    store = open_store(db, "core", need=Permission.READ_AUDIT, what="read the audit trail")
    with store.session() as s:
        events = audit_log.trail(s, patient, limit)
    if as_json:
        emit_json(events)
        return
    console.print(audit_table(events, lang))


SHOWN = 20  # breaks listed on the terminal; --json gives the first thousand


@app.command("verify")
def verify_command(
    db: DbOption = None,
    head: Annotated[str | None, typer.Option(
        "--head", help="SEQ:HASH printed by an earlier verify: the chain must still hold that link.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check that no history was rewritten: every sealed row against its hash, every link against the one before.

    Exits with status 1 and names the first broken link when anything was changed, removed, forged or reordered.
    """
    from rich.table import Table
    from rich.text import Text

    from oncobank.dictionary import load_module
    from oncobank.reports.printable import printable
    from oncobank.reports.terminal import progress
    from oncobank.store.clinical import ClinicalStore
    from oncobank.store.db import default_url, safe_url
    from oncobank.store.migrate import is_current
    from oncobank.store.verify import KINDS, verify

    url = db or default_url()
    file = store_file(url)
    if file is not None and not file.exists():
        raise fail(f"no store at {safe_url(url)}")
    with reaching(url):
        engine = store_engine(url)
        if not is_current(engine):
            raise fail(f"the store at {safe_url(url)} is not initialised or is out of date: run `oncobank init` first")
        act_as(ClinicalStore(engine, load_module("core")), current_user(), Permission.READ_AUDIT,
               "verify the history seal")
        with progress(err) as bar:
            task = bar.add_task("Verifying the history seal", total=None)
            try:
                verdict = verify(engine, head=head, on_total=lambda n: bar.update(task, total=n),
                                 on_step=lambda n: bar.advance(task, n))
            except ValueError as exc:
                raise fail(str(exc)) from None
    if as_json:
        emit_json(verdict.to_dict())
    elif verdict.intact:
        if verdict.head is None:
            console.print("History intact: nothing is sealed yet, and no row is unsealed.")
        else:
            seq, digest = verdict.head
            console.print(f"History intact: {verdict.links:,} links seal {verdict.rows:,} rows. "
                          f"Head {seq}:{digest[:32]} — keep it, and give it to a later verify (--head) to show that "
                          "nothing was cut off since.", highlight=False, markup=False)
    else:
        first = verdict.first
        assert first is not None
        console.print(f"History broken. First broken link: {printable(first.detail)}.", highlight=False,
                      markup=False)
        kinds = Table(title="Breaks by kind")
        for column in ("kind", "count", "meaning"):
            kinds.add_column(column)
        for kind, n in sorted(verdict.counts.items()):
            kinds.add_row(kind, f"{n:,}", KINDS[kind])
        console.print(kinds)
        listed = Table(title=f"Breaks in chain order (the first {min(SHOWN, len(verdict.breaks))})")
        for column in ("link", "kind", "table", "row", "what"):
            listed.add_column(column)
        for b in verdict.to_dict()["breaks"][:SHOWN]:
            listed.add_row(str(b["seq"] if b["seq"] is not None else "—"), b["kind"], Text(printable(b["table"] or "")),
                           str(b["row_id"] if b["row_id"] is not None else ""), Text(printable(b["detail"])))
        console.print(listed)
    if not verdict.intact:
        raise typer.Exit(1)
