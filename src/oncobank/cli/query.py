"""`oncobank query open|answer|close|reopen|list|show`: data queries on entered values, as on the web pages."""

from __future__ import annotations

from typing import Annotated

import typer

from oncobank.cli.common import DbOption, console, emit_json, friendly, open_store
from oncobank.store.access import Permission

app = typer.Typer(help="Data queries: ask about a value, answer, close or re-open (every step is audited).",
                  no_args_is_help=True)
QueryId = Annotated[int, typer.Argument(help="The data query's number.")]


@app.command("open")
@friendly()
def open_command(
    entry_id: Annotated[int, typer.Argument(help="The entry the question is about.")],
    field: Annotated[str, typer.Argument(help="The field of the entry, e.g. tsh.")],
    text: Annotated[str, typer.Option("--text", help="The question.")],
    suggested: Annotated[str | None, typer.Option("--suggest", help="The value you suggest.")] = None,
    db: DbOption = None,
) -> None:
    """Open a query on a field of an entry (reviewers, data managers, administrators)."""
    from oncobank.store import queries

    store = open_store(db, "thyroid", need=Permission.QUERY, what="open data queries")
    query_id = queries.open_query(store, store.actor, entry_id, field, text, suggested)
    console.print(f"data query {query_id} opened on entry {entry_id}, field {field}", highlight=False)


def _step(db: str | None, query_id: int, name: str, text: str | None) -> None:
    from oncobank.store import queries

    permission = queries.STEPS[name][0]
    store = open_store(db, "thyroid", need=permission, what=queries.WHAT[name])
    status = queries.step(store, store.actor, query_id, name, text)
    console.print(f"data query {query_id}: {status}", highlight=False)


@app.command("answer")
@friendly()
def answer(query_id: QueryId, text: Annotated[str, typer.Option("--text", help="The answer.")],
           db: DbOption = None) -> None:
    """Answer a query (whoever may enter the patient's data)."""
    _step(db, query_id, "answer", text)


@app.command("close")
@friendly()
def close(query_id: QueryId, text: Annotated[str | None, typer.Option("--text", help="A comment.")] = None,
          db: DbOption = None) -> None:
    """Close a query."""
    _step(db, query_id, "close", text)


@app.command("reopen")
@friendly()
def reopen(query_id: QueryId, text: Annotated[str, typer.Option("--text", help="Why it is re-opened.")],
           db: DbOption = None) -> None:
    """Re-open an answered or closed query."""
    _step(db, query_id, "reopen", text)


@app.command("list")
@friendly()
def list_command(
    status: Annotated[str, typer.Option("--status", help="open, answered or closed (default: all).")] = "",
    patient: Annotated[str, typer.Option("--patient", help="One patient's registry ID.")] = "",
    centre: Annotated[str, typer.Option("--centre", help="One centre's code.")] = "",
    section: Annotated[str, typer.Option("--section", help="One section.")] = "",
    mine: Annotated[bool, typer.Option("--mine", help="Only the queries you opened.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """The queries within your reach, newest change first (an audited read)."""
    from oncobank.store import queries

    if status and status not in queries.STATUSES:
        raise ValueError(f"--status {status!r}: expected one of {', '.join(queries.STATUSES)}")
    store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="read data queries")
    found = queries.find(store, store.actor, queries.QueryFilter(status, patient, centre, section, mine))
    if as_json:
        emit_json([q.to_dict() for q in found])
        return
    for q in found:
        console.print(f"{q.id}\t{q.status}\t{q.registry_id}\tentry {q.entry_id}\t{q.section}.{q.field}\t"
                      f"{q.opened_by}\t{q.changed_at:%Y-%m-%d %H:%M}", highlight=False)
    console.print(f"{len(found)} data queries", highlight=False)


@app.command("show")
@friendly()
def show(query_id: QueryId, db: DbOption = None) -> None:
    """One query with its thread, as JSON (an audited read)."""
    from oncobank.store import queries

    store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="read data queries")
    emit_json(queries.get(store, store.actor, query_id).to_dict())
