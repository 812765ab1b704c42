"""`oncobank user` and `oncobank centre`: the accounts and centres of a store (administrators and data managers)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from oncobank.cli.common import DbOption, JsonOption, LangOption, UserOption, console, emit_json, fail, open_store
from oncobank.reports.labels import label, label_or
from oncobank.reports.printable import printable
from oncobank.store.access import Permission, Role

app = typer.Typer(help="Accounts: who may act in this store, with which role, for which centre.", no_args_is_help=True)
centre_app = typer.Typer(help="Centres: the hospitals that contribute patients.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The account's user name (what --user and ONCOBANK_USER give).")]
CentreOption = Annotated[str | None, typer.Option(
    "--centre", help="Code of the user's centre (clinicians and reviewers need one; none: the whole registry).")]
FullName = Annotated[str | None, typer.Option("--full-name", help="The person's full name.")]
Email = Annotated[str | None, typer.Option("--email", help="The person's e-mail address.")]
Specialty = Annotated[str | None, typer.Option("--specialty", help="Medical specialty, e.g. oncologist.")]
ROLES = ", ".join(Role)


def _managing(db: str | None, acting: str | None) -> Any:
    return open_store(db, "core", need=Permission.MANAGE_USERS, what="manage accounts", user=acting)


def _run(action: Any) -> None:
    from oncobank.store.errors import StoreError

    try:
        action()
    except StoreError as exc:
        raise fail(str(exc)) from None


@app.command("add")
def add(
    username: NameArgument,
    role: Annotated[str, typer.Option("--role", help=f"One of: {ROLES}.")],
    centre: CentreOption = None,
    full_name: FullName = None,
    email: Email = None,
    specialty: Specialty = None,
    db: DbOption = None,
    acting: UserOption = None,
) -> None:
    """Register an account, active at once (the web registry's sign-up makes pending ones to approve)."""
    from oncobank.store import accounts

    store = _managing(db, acting)
    _run(lambda: accounts.add_user(store, username, role, by=store.actor, centre=centre, full_name=full_name,
                                   email=email, specialty=specialty))
    console.print(f"user {printable(username)} registered as {role}" + (f" of centre {centre}" if centre else ""),
                  highlight=False, markup=False)


@app.command("set")
def change(
    username: NameArgument,
    role: Annotated[str | None, typer.Option("--role", help=f"New role, one of: {ROLES}.")] = None,
    centre: Annotated[str | None, typer.Option(
        "--centre", help="New centre code; an empty string: the whole registry.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="active, pending or disabled.")] = None,
    full_name: FullName = None,
    email: Email = None,
    specialty: Specialty = None,
    db: DbOption = None,
    acting: UserOption = None,
) -> None:
    """Change an account: role, centre, status (disable instead of delete: history names every user) or profile."""
    from oncobank.store import accounts

    store = _managing(db, acting)
    _run(lambda: accounts.change_user(store, username, by=store.actor, role=role, centre=centre, status=status,
                                      full_name=full_name, email=email, specialty=specialty))
    console.print(f"user {printable(username)} changed", highlight=False, markup=False)


@app.command("list")
def list_users(db: DbOption = None, as_json: JsonOption = False, lang: LangOption = "en",
               acting: UserOption = None) -> None:
    """The accounts you manage: all for an administrator, your centre's for a centre's data manager."""
    from oncobank.store import accounts

    store = _managing(db, acting)
    found = accounts.accounts(store, by=store.actor)
    if as_json:
        emit_json([{**a.__dict__, "created_at": a.created_at.isoformat()} for a in found])
        return
    profile = [key for key in ("full_name", "specialty", "email") if any(getattr(a, key) for a in found)]
    table = Table(title=label("users_title", lang))
    for key in ("username", "role", "centre", "account_status", *profile, "created"):
        table.add_column(label(key, lang))
    for a in found:  # profile columns only when someone has one: the table stays readable at 80 columns
        table.add_row(printable(a.username), label_or(f"role_{a.role}", a.role, lang),
                      a.centre or label("whole_registry", lang), label_or(f"account_{a.status}", a.status, lang),
                      *(printable(getattr(a, key) or "") for key in profile), a.created_at.date().isoformat())
    console.print(table)


@centre_app.command("add")
def centre_add(
    code: Annotated[str, typer.Argument(help="Short code of the centre, e.g. C01.")],
    name: Annotated[str | None, typer.Option("--name", help="The centre's name (default: its code).")] = None,
    db: DbOption = None,
    acting: UserOption = None,
) -> None:
    """Register a centre (administrators), so that its users and patients can be added."""
    store = open_store(db, "core", need=Permission.MANAGE_STORE, what="register centres", user=acting)
    _run(lambda: store.ensure_centre(code, name))
    console.print(f"centre {printable(code)} registered", highlight=False, markup=False)


@centre_app.command("list")
def centre_list(db: DbOption = None, as_json: JsonOption = False, lang: LangOption = "en",
                acting: UserOption = None) -> None:
    """The registered centres."""
    from sqlalchemy import select

    from oncobank.store.models import Centre

    store = open_store(db, "core", need=None, what="list centres", user=acting)
    with store.session() as s:
        rows = [{"code": c, "name": n} for c, n in s.execute(select(Centre.code, Centre.name).order_by(Centre.code))]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=label("centres_title", lang))
    table.add_column(label("code", lang))
    table.add_column(label("name", lang))
    for r in rows:
        table.add_row(printable(r["code"]), printable(r["name"]))
    console.print(table)
