"""Shared fixtures: the same store tests run on SQLite and on the local PostgreSQL server."""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from oncobank.dictionary import load_module
from oncobank.store import accounts
from oncobank.store.chain import KEY_ENV
from oncobank.store.clinical import ClinicalStore
from oncobank.store.crypt import DATA_ENV, INDEX_ENV
from oncobank.store.db import connect
from oncobank.store.migrate import upgrade

PG_ADMIN_URL = os.environ.get("ONCOBANK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ONCOBANK_REQUIRE_POSTGRES") == "1"
_counter = itertools.count()


def _admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test clones (CREATE DATABASE … TEMPLATE)."""
    name = f"oncobank_tmpl_{uuid.uuid4().hex[:10]}"
    try:
        admin = _admin_engine()
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is down or unreachable
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL.split('@')[-1]}: {exc.__class__.__name__}"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    engine = connect(_database_url(name))
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "store.sqlite"
    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


ADMIN = "admin"  # every test store's first administrator, and who commands act as unless a test says otherwise


@pytest.fixture(autouse=True)
def acting_administrator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCOBANK_USER", ADMIN)


def _accounts(url: str) -> None:
    """The store's own account and its first administrator, as `oncobank init` registers them."""
    engine = connect(url)
    accounts.set_up(ClinicalStore(engine, load_module("core")), ADMIN)
    engine.dispose()


@pytest.fixture(scope="session")
def register_accounts() -> Callable[[str], None]:
    """For a test that makes a store of its own: register its system account and administrator `admin`."""
    return _accounts


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated, empty store on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        _accounts(f"sqlite:///{path}")
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    # A server store's history key lives outside the database (ONCOBANK_HISTORY_KEY or the data home); tests change
    # the data home freely, so each PostgreSQL store gets its key from the environment, as a deployment sets it.
    request.getfixturevalue("monkeypatch").setenv(KEY_ENV, secrets.token_hex(32))
    for env in (DATA_ENV, INDEX_ENV):  # and so do its encryption keys
        request.getfixturevalue("monkeypatch").setenv(env, secrets.token_hex(32))
    name = f"oncobank_t_{os.getpid()}_{next(_counter)}"
    admin = _admin_engine()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    _accounts(_database_url(name))
    yield _database_url(name)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[ClinicalStore]:
    """A thyroid-registry store with one centre, its clinician and reviewer, the administrator and the system user."""
    engine = connect(store_url)
    clinical = ClinicalStore(engine, load_module("thyroid"), attachments=tmp_path / "attachments")
    clinical.ensure_centre("C01", "Centre one")
    for name, role in (("dr_ivanova", "clinician"), ("dr_petrov", "reviewer")):
        clinical.ensure_user(name, role=role, centre="C01")
    yield clinical
    engine.dispose()


@pytest.fixture
def patient(store: ClinicalStore) -> str:
    """A patient born 1970-05-20 with demographics entered."""
    store.create_patient("TH-000001", "C01", "dr_ivanova", {"EMR": "E-1001"})
    store.add_entry("TH-000001", "demographics",
                    {"surname": "Иванова", "first_name": "Мария", "patronymic": "Петровна",
                     "birth_date": "1970-05-20", "sex": "ж", "region": "Москва"}, user="dr_ivanova")
    return "TH-000001"


@pytest.fixture(scope="session")
def make_pdf() -> Callable[[str], bytes]:
    """A one-page PDF (fpdf2) whose text layer reads `text`."""
    from fpdf import FPDF

    def build(text: str) -> bytes:
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=text)
        return bytes(pdf.output())

    return build
