"""The application factory: the clinical store, the settings, the pages, the API and the middleware in one app."""

from __future__ import annotations

import dataclasses
import importlib
import os
import secrets
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.templating import Jinja2Templates

from oncobank.dictionary import load_module
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.web import errors
from oncobank.web.deps import Settings, Web, csrf_guard
from oncobank.web.middleware import WebMiddleware
from oncobank.web.signin import Throttle

HERE = Path(__file__).resolve().parent
# The modules whose `router` the app includes; a new page module adds its name here.
ROUTERS = ("oncobank.web.account", "oncobank.web.admin", "oncobank.web.api", "oncobank.web.docs_page",
           "oncobank.web.routes_patients", "oncobank.web.routes_entries", "oncobank.web.routes_queries",
           "oncobank.web.api_queries", "oncobank.web.routes_quality")
# What `oncobank serve` hands the worker processes Uvicorn starts; each builds its own app from them (a worker keeps
# nothing another needs: sessions, lockouts and audit are in the store, and the secret is the same in all).
SECRET_ENV = "ONCOBANK_WEB_SECRET"
STORE_ENV = "ONCOBANK_WEB_STORE"
MODULE_ENV = "ONCOBANK_WEB_MODULE"
PLAIN_COOKIES_ENV = "ONCOBANK_WEB_PLAIN_COOKIES"


def create_app(store_url: str, *, secret: bytes | str | None = None, module: str = "thyroid",
               settings: Settings | None = None, attachments: Path | None = None) -> FastAPI:
    """The web registry on the store at `store_url` (migrated already: `oncobank init`).

    `secret` signs the CSRF tokens; give the same one to every worker of a deployment (None: a random one, so
    forms open before a restart must be sent again). `settings` overrides the defaults (cookies, lifetimes, limits).
    """
    key = secret.encode() if isinstance(secret, str) else secret or secrets.token_bytes(32)
    settings = dataclasses.replace(settings or Settings(secret=key), secret=key)
    store = ClinicalStore(connect(store_url, hide_parameters=True), load_module(module), attachments=attachments)
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    app = FastAPI(title="OncoBank registry API", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", dependencies=[Depends(csrf_guard)])
    app.state.web = Web(store, settings, Jinja2Templates(env=environment),
                        Throttle(store, key, settings.throttle_limit, settings.throttle_window))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    errors.install(app)
    for name in ROUTERS:
        app.include_router(importlib.import_module(name).router)
    app.add_middleware(WebMiddleware, settings=settings)
    return app


def from_environment() -> FastAPI:
    """The app of one worker process, from what `oncobank serve` put in the environment (Uvicorn's factory)."""
    secret = os.environ[SECRET_ENV].encode()
    return create_app(os.environ[STORE_ENV], secret=secret, module=os.environ.get(MODULE_ENV, "thyroid"),
                      settings=Settings(secret=secret, secure_cookies=os.environ.get(PLAIN_COOKIES_ENV) != "1"))
