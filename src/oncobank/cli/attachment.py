"""`oncobank attachment get`: read an attached document back out of the store (an audited read)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from oncobank.cli.common import DbOption, console, fail, open_store, within_reach
from oncobank.store.access import Permission

app = typer.Typer(help="Attached documents: read one back (every read is audited).", no_args_is_help=True)


@app.command("get")
def get(
    attachment_id: Annotated[int, typer.Argument(help="Attachment number (listed on the patient card, --json).")],
    out: Annotated[Path, typer.Option("--out", help="File to write the document to (not overwritten).")],
    db: DbOption = None,
) -> None:
    """Write an attached document to a file, after checking it against its recorded hash."""
    from oncobank.store.attachments import read_attachment
    from oncobank.store.errors import StoreError

    if out.exists():
        raise fail(f"--out {out}: the file exists; choose another name")
    store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="read patients' documents")
    within_reach(store, attachment=attachment_id)
    try:
        data = read_attachment(store, attachment_id, user=store.actor.username)
    except StoreError as exc:
        raise fail(str(exc)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # a patient's document: the owner only
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    console.print(f"wrote {out} ({len(data)} bytes)", highlight=False)
