"""What every `oncobank` command group shares: consoles, option types, the acting user, errors, the store, JSON."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from oncobank.reports.printable import printable, printable_json

console = Console()
err = Console(stderr=True)

DbOption = Annotated[str | None, typer.Option("--db", help="Store URL (default: ONCOBANK_DB or a SQLite file).")]
ModuleOption = Annotated[str, typer.Option("--module", help="Disease module of the registry.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
PatientArgument = Annotated[str, typer.Argument(help="Registry ID of the patient, e.g. TH-000001.")]
UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Who is acting, a registered user (default: ONCOBANK_USER, else the login name)."),
]

F = TypeVar("F", bound=Callable[..., Any])

_created: list[Path] = []


def created_stores(*, forget: bool = False) -> list[Path]:
    """SQLite store files this command created (removed again if it fails); `forget` starts a new command."""
    files = list(_created)
    if forget:
        _created.clear()
    return files


def current_user(explicit: str | None = None) -> str:
    """Who is acting: an explicit --user, else ONCOBANK_USER, else the login name (recorded in the audit log)."""
    if explicit:
        return explicit
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (containers)
        login = ""
    return os.environ.get("ONCOBANK_USER") or login or "unknown"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` on standard error (control characters escaped); raise the returned Exit to stop."""
    err.print(f"[red]error:[/red] {escape(printable(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def check_lang(lang: str) -> str:
    """The label language, refused unless it is one of the two every label exists in."""
    if lang not in ("en", "ru"):
        raise fail(f"--lang {lang!r}: expected en or ru")
    return lang


LangOption = Annotated[str, typer.Option("--lang", help="Label language: en or ru.", callback=check_lang)]


def friendly(*errors: type[BaseException]) -> Callable[[F], F]:
    """Turn the given errors (besides StoreError, DictionaryError and ValueError) into one `error:` line, exit 1."""

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from oncobank.dictionary import DictionaryError
            from oncobank.store.errors import StoreError

            try:
                return func(*args, **kwargs)
            except (StoreError, DictionaryError, ValueError, *errors) as exc:
                message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
                raise fail(str(message)) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def open_store(db: str | None, module: str, *, need: Any, what: str, user: str | None = None) -> Any:
    """The clinical store at `db` (or the default), with `module`'s dictionary, acting as a registered user.

    The acting user (see `current_user`) must be registered, active and allowed `need` (a Permission; None: any
    registered user); `what` says in a few words what she is doing, for the refusal. An embedded SQLite store is
    created and brought up to date on first use, and whoever creates it becomes its administrator; a server store
    needs `oncobank init`.
    """
    from oncobank.dictionary import load_module
    from oncobank.store import accounts
    from oncobank.store.clinical import ClinicalStore
    from oncobank.store.db import default_url
    from oncobank.store.migrate import is_current, upgrade

    url = db or default_url()
    file = store_file(url)
    name = current_user(user)
    with reaching(url):
        engine = store_engine(url)
        if file is not None and not is_current(engine):
            upgrade(engine)
        store = ClinicalStore(engine, load_module(module))
        if file is not None and file in _created:
            accounts.set_up(store, name)
        act_as(store, name, need, what)
    return store


def act_as(store: Any, name: str, need: Any, what: str) -> None:
    """Make `name` the store's acting user, or stop: she must be registered, active and allowed `need`."""
    from oncobank.store import accounts
    from oncobank.store.access import AccessDenied

    try:
        store.actor = accounts.acting(store, name)
        if need is not None:
            store.actor.require(need, what)
    except AccessDenied as exc:
        hint = "" if accounts.has_administrator(store) else (
            "; this store has no administrator yet: its owner runs `oncobank init --admin NAME`")
        raise fail(f"{exc}{hint}") from None


def within_reach(store: Any, *, patient: str | None = None, entry: int | None = None,
                 attachment: int | None = None) -> None:
    """Refuse a patient, entry or attachment outside the acting user's centre exactly as one that does not exist."""
    from oncobank.store import accounts
    from oncobank.store.errors import NotFound

    try:
        accounts.require_reach(store, store.actor, patient=patient, entry=entry, attachment=attachment)
    except NotFound as exc:
        raise fail(str(exc)) from None


def store_file(url: str) -> Path | None:
    """The SQLite file a store URL names (None for a server), refused when no store can be there.

    A file that does not exist yet is remembered, so that a command that fails leaves none behind.
    """
    from sqlalchemy.exc import ArgumentError

    from oncobank.store.db import safe_url, sqlite_file

    try:
        file = sqlite_file(url)
    except ArgumentError:
        raise fail("the store URL (--db or ONCOBANK_DB) is not a URL: expected sqlite:///FILE or "
                   "postgresql://USER@HOST/DATABASE") from None
    if file is not None and file.is_dir():
        raise fail(f"store {safe_url(url)}: {file} is a folder; the URL names the store's file, "
                   f"e.g. sqlite:///{file / 'oncobank.sqlite'}")
    if file is not None and not file.exists():
        _created.append(file)
    return file


def store_engine(url: str) -> Any:
    """An engine for the store, whose errors never carry a statement's parameters (they may be patient data)."""
    from oncobank.store.db import connect

    return connect(url, hide_parameters=True)


@contextmanager
def reaching(url: str) -> Iterator[None]:
    """Failures to reach, open or set up the store at `url` as one `error:` line (the URL shown without password)."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from oncobank.dictionary import DictionaryError
    from oncobank.store.db import safe_url
    from oncobank.store.errors import StoreError, database_reason

    try:
        yield
    except (StoreError, DictionaryError) as exc:
        raise fail(str(exc)) from None
    except ArgumentError:
        raise fail(f"store {safe_url(url)}: no database driver for this kind of URL; expected sqlite:///FILE or "
                   "postgresql://USER@HOST/DATABASE") from None
    except OSError as exc:
        raise fail(f"store {safe_url(url)}: {exc.strerror or type(exc).__name__}") from None
    except DBAPIError as exc:
        reason = database_reason(exc)
        hint = "; create the database, then run `oncobank init`" if "does not exist" in reason else ""
        raise fail(f"cannot open the store at {safe_url(url)}: {reason}{hint}") from None


def emit_json(data: Any) -> None:
    """Print `data` as indented UTF-8 JSON on standard output (control characters as escapes, never raw)."""
    sys.stdout.write(printable_json(json.dumps(data, ensure_ascii=False, indent=2, default=str)) + "\n")
