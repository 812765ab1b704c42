"""Every planted defect is found with its hand-counted rows, and the clean registry raises no alarm."""

from __future__ import annotations

from oncobank.quality.scoring import rescore, scores

from . import registry
from .checks import failed, run_on


def test_every_planted_defect_is_found_and_nothing_else(url: str) -> None:
    scored = rescore(run_on(url, registry.defective()))
    assert failed(scored) == registry.PLANTED


def test_the_clean_registry_passes_every_check(duckdb_url: str) -> None:
    scored = rescore(run_on(duckdb_url, registry.clean()))
    assert failed(scored) == {}
    statuses = {r["status"] for r in scored}
    assert statuses == {"passed", "not_applicable"}  # sections the registry has no table for do not apply
    s = scores(scored)
    assert s["overall"]["failed"] == 0 and s["overall"]["score"] == 100.0
