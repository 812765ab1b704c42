"""Generalisation hierarchies of the quasi-identifiers: each level a coarser value, the top one suppressed ("*").

birth year → 5-year band → 10-year band → suppressed; region → federal district → suppressed; a code → its parent
group (from the dictionary domain's `group`) or, without one, the rare codes → "other" → suppressed; any other
column (sex, centre) → suppressed. A missing value stays missing until the suppressed level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

import pandas as pd
import yaml

if TYPE_CHECKING:
    from oncobank.dictionary.schema import Domain

SUPPRESSED = "*"
OTHER = "other"


class Hierarchy:
    """Levels of one quasi-identifier, from the original values (level 0) to suppressed (the last level)."""

    levels: tuple[str, ...] = ("original", "suppressed")

    @property
    def height(self) -> int:
        return len(self.levels) - 1

    def generalise(self, values: pd.Series, level: int, k: int) -> pd.Series:
        """The values at `level` (k is the target, for levels that depend on how often a value occurs)."""
        if level == 0:
            return values
        if level >= self.height:
            return pd.Series(SUPPRESSED, index=values.index, dtype=object)
        out = self._coarser(values, level, k)
        return out.astype(object).where(values.notna(), None)

    def _coarser(self, values: pd.Series, level: int, k: int) -> pd.Series:
        raise NotImplementedError(f"{type(self).__name__} has no level {level} between original and suppressed")


class YearBands(Hierarchy):
    """A year → its 5-year band ("1960-1964") → its 10-year band ("1960-1969") → suppressed."""

    levels = ("original", "band5", "band10", "suppressed")

    def _coarser(self, values: pd.Series, level: int, k: int) -> pd.Series:
        years = pd.to_numeric(values, errors="coerce")
        bad = years.isna() & values.notna()
        if bad.any():
            raise ValueError(f"birth year: row {int(bad.to_numpy().argmax()) + 1} is not a year")
        width = 5 if level == 1 else 10
        start = (years // width) * width
        return pd.Series([None if pd.isna(s) else f"{int(s)}-{int(s) + width - 1}" for s in start],
                         index=values.index, dtype=object)


class RegionDistricts(Hierarchy):
    """A Russian region → its federal district → suppressed (a region not recognised goes straight to suppressed)."""

    levels = ("original", "district", "suppressed")

    def _coarser(self, values: pd.Series, level: int, k: int) -> pd.Series:
        return values.map(lambda v: None if v is None or pd.isna(v) else (federal_district(str(v)) or SUPPRESSED))


class CodeGroups(Hierarchy):
    """A code → its parent group (codes without one → "other") → suppressed.

    Without parents the middle level is a rule: codes seen fewer than k times become "other".
    """

    def __init__(self, parents: Mapping[str, str] | None = None) -> None:
        self.parents = dict(parents or {})
        self.levels = ("original", "parent" if self.parents else "rare_other", "suppressed")

    def _coarser(self, values: pd.Series, level: int, k: int) -> pd.Series:
        if self.parents:
            return values.map(lambda v: self.parents.get(str(v), OTHER) if pd.notna(v) else None)
        counts = values.value_counts(dropna=True)
        rare = set(counts[counts < k].index)
        return values.map(lambda v: OTHER if v in rare else v).astype(object)


def parents_from_domain(domain: Domain) -> dict[str, str]:
    """A dictionary domain's codes → their `group`, for `CodeGroups` (codes without a group are left out)."""
    return {c.code: c.group for c in domain.codes if c.group}


_WORD = re.compile(r"[^\w]+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.sub(" ", text.lower().replace("ё", "е")).split())


@cache
def _stems() -> tuple[tuple[tuple[str, ...], str], ...]:
    data = yaml.safe_load(files("oncobank.deid").joinpath("regions.yaml").read_text(encoding="utf-8"))
    stems = [(_words(stem), district) for district, subjects in data["districts"].items()
             for subject in subjects for stem in subject]
    return tuple(sorted(stems, key=lambda s: -len(" ".join(s[0]))))  # longest first: it wins


@cache
def federal_district(region: str) -> str | None:
    """The federal district a region's name (or an address naming it) lies in; None when no subject matches."""
    words = _words(region)
    for stem, district in _stems():
        for i in range(len(words) - len(stem) + 1):
            if all(words[i + j].startswith(part) for j, part in enumerate(stem)):
                return district
    return None
