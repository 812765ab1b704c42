"""What the quality commands (and later the web pages) call: expand, run, save, re-score, list problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from oncobank.deid.schema import PATIENT
from oncobank.deid.small_cells import store_threshold
from oncobank.dictionary.loader import load_module
from oncobank.engine import AnalysisStore
from oncobank.quality.compile import Context, Unit
from oncobank.quality.expand import expand, module_rules, rule_checks, user_rules
from oncobank.quality.history import make_run
from oncobank.quality.model import Check, QualityError
from oncobank.quality.run import Result, plan_units, run_units
from oncobank.store.home import data_home

DEFAULT_MARGIN_DAYS = 365  # the default publish policy moves a date by up to a year either way


def history_folder(explicit: Path | None = None) -> Path:
    """Where runs are kept: the given folder, else quality-runs/ in the data home."""
    return explicit or data_home() / "quality-runs"


def store_modules(store: AnalysisStore) -> list[str]:
    """The disease modules of the store's patients (the patient table's `module`)."""
    if PATIENT not in store.tables() or "module" not in store.table(PATIENT).columns:
        return []
    patients = store.table(PATIENT)
    found = store.to_arrow(patients.select("module").distinct()).column(0).to_pylist()
    return sorted(m for m in found if m)


def checks_for(modules: Iterable[str], user_files: Iterable[Path] = ()) -> list[Check]:
    """The checks of the modules' dictionaries and rules, then the user's; a check shared by two modules once."""
    found: dict[str, Check] = {}
    for name in modules:
        try:
            dictionary = load_module(name)
        except (OSError, ValueError) as exc:
            raise QualityError(f"module {name}: {exc}") from None
        for check in expand(dictionary, module_rules(dictionary)):
            found.setdefault(check.id, check)
    for check in rule_checks(user_rules(user_files)):
        if check.id in found:
            raise QualityError(f"user check {check.id}: a check of that ID exists already")
        found[check.id] = check
    return list(found.values())


def assess(store: AnalysisStore, checks: list[Check], ctx: Context,
           on_plan: Callable[[int], None] | None = None, step: Callable[[Unit], None] | None = None,
           clinical: dict[str, Result] | None = None) -> dict[str, Any]:
    """Run `checks` on the store and return the run's record (not yet saved); `clinical` holds the results of the
    checks the clinical store answered (see oncobank.quality.clinical), which replace their "not applicable".
    The record keeps the store's small-cell threshold, with which its counts are shown (scoring.shown)."""
    started = dt.datetime.now(dt.UTC)
    units, skipped = plan_units(store, checks, ctx)
    if on_plan:
        on_plan(len(units))
    results = {r.check: r for r in [*run_units(store, units, step), *skipped]} | (clinical or {})
    run = make_run(checks, [results[c.id] for c in checks], store=store.target.describe(), snapshot=store.snapshot,
                   as_of=ctx.as_of, margin_days=ctx.margin_days, started=started)
    return {**run, "small_cell": store_threshold(store)}
