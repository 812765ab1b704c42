"""What a disease module hands to a publish: derived tables, their columns' kinds and labels, keyed by patient.

A module publishes derived facts by having a `publish` submodule with `derived_tables(engine, patient_ids)`;
the publish builder (`oncobank.deid`) finds it by the module's name, so no disease knowledge lives there. The builder
turns `patient_id` into the pseudonym, shifts or reduces every `date` column, maps every `entry` column (an entry ID)
to its non-identifying key and caps every `age` column, as it does for the dictionary's own sections.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import pandas as pd

from oncobank.dictionary.schema import Label

Kind = Literal["number", "integer", "text", "boolean", "date", "entry", "age", "list"]
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True)
class DerivedColumn:
    """One column of a derived table; `unit` for numbers, in the unit the values are in."""

    name: str
    kind: Kind
    label: Label
    unit: str | None = None


@dataclass(frozen=True)
class DerivedTable:
    """Rows of one kind of derived fact: a `patient_id` column (the store's patient ID) and `columns`, in order."""

    name: str
    label: Label
    columns: tuple[DerivedColumn, ...]
    rows: pd.DataFrame

    def __post_init__(self) -> None:
        wanted = ["patient_id", *(c.name for c in self.columns)]
        missing = [c for c in wanted if c not in self.rows.columns]
        if missing:
            raise ValueError(f"derived table {self.name}: the rows lack the columns {', '.join(missing)}")
        unknown = [c.name for c in self.columns if c.kind not in KINDS]
        if unknown:
            raise ValueError(f"derived table {self.name}: columns of unknown kind: {', '.join(unknown)}")


Hook = Callable[[Any, Sequence[int] | None], list[DerivedTable]]


def derived_hook(module: str) -> Hook | None:
    """The module's `derived_tables(engine, patient_ids)` (patient_ids None: every patient), or None if it has none."""
    try:
        found = importlib.import_module(f"oncobank.diseases.{module}.publish")
    except ModuleNotFoundError as exc:
        if exc.name in (f"oncobank.diseases.{module}", f"oncobank.diseases.{module}.publish"):
            return None
        raise
    return getattr(found, "derived_tables", None)
