"""Shared steps of the quality tests: publish a hand-built registry, run every check on it, score the run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from oncobank.dictionary.loader import load_module
from oncobank.engine import connect
from oncobank.quality.compile import Context
from oncobank.quality.expand import expand, module_rules
from oncobank.quality.history import make_run
from oncobank.quality.run import run_checks

from . import registry


def run_on(url: str, rows: dict[str, list[dict[str, Any]]], at: str = "2026-01-01T00:00:00") -> dict[str, Any]:
    registry.publish(url, rows)
    dictionary = load_module("thyroid")
    checks = expand(dictionary, module_rules(dictionary))
    with connect(url) as store:
        results = run_checks(store, checks, Context(registry.AS_OF))
    return make_run(checks, results, store=url, snapshot=None, as_of=registry.AS_OF, margin_days=0,
                    started=dt.datetime.fromisoformat(at))


def failed(scored: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    return {r["id"]: (r["violated"], r["denominator"]) for r in scored if r["status"] in ("failed", "error")}
