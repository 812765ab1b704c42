"""`oncobank serve`: the web registry (pages and REST API) on a store, with Uvicorn."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from oncobank.cli.common import DbOption, ModuleOption, console, fail, reaching, store_engine, store_file

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def web_secret() -> bytes:
    """The key of the CSRF tokens: ONCOBANK_WEB_SECRET, else a random one kept in the data home (0600)."""
    from oncobank.store.db import private_folder
    from oncobank.store.home import data_home
    from oncobank.web.app import SECRET_ENV

    given = os.environ.get(SECRET_ENV)
    if given:
        return given.encode()
    path = data_home() / "web-secret"
    if not path.exists():
        private_folder(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return Path(path).read_text().strip().encode()


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    module: ModuleOption = "thyroid",
    plain_cookies: Annotated[bool, typer.Option(
        "--plain-http-cookies", help="Send cookies without the Secure flag (plain HTTP on localhost only).")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes (about one per core).")] = 1,
) -> None:
    """Serve the web registry: doctors register, are approved, sign in and work on their centre's patients.

    The store must be set up (`oncobank init --admin NAME`). An active administrator without a password gets a
    one-time password, printed here once; she chooses her own at the first sign-in. Behind a TLS proxy keep the
    cookies Secure; `--plain-http-cookies` is for trying it out over plain HTTP on this machine. `--workers N`
    serves with N processes, each with its own app on the same store (one process runs one request's Python at a
    time).
    """
    import uvicorn

    from oncobank.dictionary import load_module
    from oncobank.store.clinical import ClinicalStore
    from oncobank.store.db import default_url, safe_url
    from oncobank.store.migrate import is_current
    from oncobank.web.app import MODULE_ENV, PLAIN_COOKIES_ENV, SECRET_ENV, STORE_ENV
    from oncobank.web.setup import first_passwords

    url = db or default_url()
    file = store_file(url)
    if file is not None and not file.exists():
        raise fail(f"no store at {safe_url(url)}: create it with `oncobank init --admin NAME`")
    with reaching(url):
        engine = store_engine(url)
        if not is_current(engine):
            raise fail(f"store {safe_url(url)} is not set up or is out of date: run `oncobank init` first")
        created = first_passwords(ClinicalStore(engine, load_module(module)))
        engine.dispose()
        os.environ.update({SECRET_ENV: web_secret().decode(), STORE_ENV: url, MODULE_ENV: module,
                           PLAIN_COOKIES_ENV: "1" if plain_cookies else "0"})
    for username, password in created:
        console.print(f"administrator {username} has no password yet; one-time password: {password} "
                      "(choose your own at the first sign-in)", highlight=False, markup=False)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    console.print(f"serving {safe_url(url)} on http://{host}:{port}/ with {workers} worker process"
                  f"{'es' if workers > 1 else ''}", highlight=False, markup=False)
    # Uvicorn's own access log prints query strings (a searched name could be one); the app logs paths only.
    uvicorn.run("oncobank.web.app:from_environment", factory=True, workers=workers, host=host, port=port,
                access_log=False, server_header=False, log_config=None)
