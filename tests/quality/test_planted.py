"""Every planted defect is found with its hand-counted rows, and nothing else fails (DuckDB and PostgreSQL)."""

from __future__ import annotations

from oncobank.quality.scoring import rescore

from . import registry
from .checks import failed, run_on


def test_every_planted_defect_is_found_and_nothing_else(url: str) -> None:
    scored = rescore(run_on(url, registry.defective()))
    assert failed(scored) == registry.PLANTED
