"""Unit conversion to a field's canonical unit, with pint and molar masses from the dictionary."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pint

# Spellings that pint cannot parse but sources use for every analyte; module-specific ones come
# from the dictionary's `unit_aliases`.
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_POWER = re.compile(r"^(?:x|×|\*)?\s*10\s*(?:\^|\*\*|\*|e)?\s*(-?\d+)\s*/\s*(l|л)$", re.IGNORECASE)


def display_unit(unit: str) -> str:
    """A unit as people write it: µmol/L rather than umol/L, ×10⁹/L rather than 1e9/L."""
    power = re.fullmatch(r"1e(-?\d+)/L", unit)
    if power:
        return f"×10{power.group(1).translate(_TO_SUPERSCRIPT)}/L"
    return re.sub(r"(?<![A-Za-z])u(?=[A-Za-z])", "µ", unit)


_TO_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class UnitError(ValueError):
    """A unit that cannot be read, or cannot be converted to the field's canonical unit."""


MAX_UNIT = 64  # characters: real units are a fraction of this, and pint's parser takes time quadratic in length


def _short(unit: str) -> str:
    if len(unit) > MAX_UNIT:
        raise UnitError(f"a unit is at most {MAX_UNIT} characters long, this one has {len(unit)}")
    return unit


@dataclass(frozen=True, eq=False)  # identity hash: a UnitSystem keys the factor cache
class UnitSystem:
    """A pint registry extended with a module's definitions, plus its spelling aliases."""

    registry: pint.UnitRegistry
    aliases: dict[str, str]

    def normalise_spelling(self, unit: str) -> str:
        text = unit.strip().translate(_SUPERSCRIPTS)
        key = text.casefold()
        if key in self.aliases:
            return self.aliases[key]
        power = _POWER.match(text.replace(" ", ""))
        if power:
            return f"1e{power.group(1)}/L"
        return text.replace("µ", "u").replace("μ", "u")

    def parse(self, unit: str) -> pint.Unit | pint.Quantity:
        spelled = self.normalise_spelling(_short(unit))
        try:
            return self.registry.parse_expression(spelled)
        except Exception as exc:  # pint raises several unrelated types for bad strings
            raise UnitError(f"unknown unit {unit!r}") from exc

    def factor(self, unit: str, canonical: str, molar_mass: float | None = None) -> float:
        """Multiplier that turns a value in `unit` into the same amount in `canonical`."""
        return _factor(self, _short(unit), canonical, molar_mass)  # checked before it becomes a cache key


@lru_cache(maxsize=4096)
def _factor(system: UnitSystem, unit: str, canonical: str, molar_mass: float | None) -> float:
    source = system.parse(unit)
    target = system.parse(canonical)
    quantity = 1 * source
    target_q = 1 * target
    if quantity.dimensionality == target_q.dimensionality:
        return float(quantity.to(target_q.units).magnitude / target_q.magnitude)
    if molar_mass is None:
        raise UnitError(f"unit {unit!r} cannot be converted to {canonical!r}")
    mm = system.registry.Quantity(molar_mass, "g/mol")
    for candidate in (quantity / mm, quantity * mm):
        if candidate.dimensionality == target_q.dimensionality:
            return float(candidate.to(target_q.units).magnitude / target_q.magnitude)
    raise UnitError(f"unit {unit!r} cannot be converted to {canonical!r} even through the molar mass")


def build_unit_system(definitions: list[str], aliases: dict[str, str]) -> UnitSystem:
    import pint  # a second to import: only when units are first needed

    registry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in definitions:
        registry.define(line)
    folded = {k.strip().casefold(): v for k, v in aliases.items()}
    return UnitSystem(registry=registry, aliases=folded)
