"""Fixtures of the cohort tests: the hand-built registry of registry.py, published once into an analysis store."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.engine.conftest import parquet_url, pg_url  # noqa: F401 - the engine tests' store URL fixtures

from oncobank.deid.policy import KAnonymitySettings, Policy
from oncobank.deid.publish import Publisher
from oncobank.dictionary import load_module
from oncobank.engine.delta import PublishDelta
from oncobank.engine.sinks import open_sink
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect

from .registry import add_registry

SECRET = b"c" * 32


@pytest.fixture(scope="session")
def cohort_delta(sqlite_template: Path, register_accounts: Callable[[str], None],
                 tmp_path_factory: pytest.TempPathFactory) -> PublishDelta:
    """The publish of the hand-built registry, dates not shifted, ready to apply to any backend."""
    folder = tmp_path_factory.mktemp("cohort-clinical")
    path = folder / "store.sqlite"
    shutil.copy(sqlite_template, path)
    register_accounts(f"sqlite:///{path}")
    engine = connect(f"sqlite:///{path}")
    store = ClinicalStore(engine, load_module("thyroid"), attachments=folder / "attachments")
    store.ensure_centre("C01", "Centre one")
    store.ensure_user("dr_ivanova", role="clinician", centre="C01")
    add_registry(store)
    # small_cell 0: the hand-counted cohorts are a few persons each, shown exact (tests/deid/test_small_cells_wired.py
    # checks the masking); k-anonymity over the one centre changes no row
    policy = Policy(shift_min_days=0, shift_max_days=0,
                    k_anonymity=KAnonymitySettings(k=2, quasi_identifiers=["centre"], small_cell=0))
    publisher = Publisher(engine, policy, SECRET, modules=["thyroid"])
    delta, _ = publisher.build(publisher.plan(None, full=True))
    engine.dispose()
    return delta


@pytest.fixture(scope="session")
def analysis_url(cohort_delta: PublishDelta, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB analysis store holding the hand-built registry."""
    url = str(tmp_path_factory.mktemp("cohort-analysis") / "analysis.duckdb")
    open_sink(url).apply(cohort_delta)
    return url
