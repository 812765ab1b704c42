"""Shared steps of the quality tests: publish a hand-built registry, run every check on it, score the run."""

from __future__ import annotations

from typing import Any

from oncobank.engine import connect
from oncobank.quality.compile import Context
from oncobank.quality.service import assess, checks_for

from . import registry


def run_on(url: str, rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    registry.publish(url, rows)
    with connect(url) as store:
        return assess(store, checks_for(["thyroid"]), Context(registry.AS_OF))


def failed(scored: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    return {r["id"]: (r["violated"], r["denominator"]) for r in scored if r["status"] in ("failed", "error")}
