"""What a disease module hands to a publish: derived tables, their columns' kinds and labels, keyed by patient.

A module publishes derived facts by having a `publish` submodule with `derived_tables(entries, patient_ids)`: the
current active entries of a batch of the module's patients, as the publish has already read them, so the facts need
no second read of the clinical store. The publish builder (`oncobank.deid`) finds it by the module's name, so no
disease knowledge lives there. The builder turns `patient_id` into the pseudonym, shifts or reduces every `date`
column, maps every `entry` column (an entry ID) to its non-identifying key and caps every `age` column, as it does
for the dictionary's own sections.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
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


Hook = Callable[[Sequence[Any], Sequence[int]], list[DerivedTable]]


def derived_hook(module: str) -> Hook | None:
    """The module's `derived_tables(entries, patient_ids)`, or None if it has none.

    `entries` are the patients' current active entries (each with patient_id, entry_id, version_id, version,
    section, entry_date and decrypted values); `patient_ids` the patients, those without entries included."""
    try:
        found = importlib.import_module(f"oncobank.diseases.{module}.publish")
    except ModuleNotFoundError as exc:
        if exc.name in (f"oncobank.diseases.{module}", f"oncobank.diseases.{module}.publish"):
            return None
        raise
    return getattr(found, "derived_tables", None)


def section_frame(entries: Iterable[Any], section: str, fields: Mapping[str, str]) -> pd.DataFrame:
    """One section's entries as the frame `thyroid.entries.read_section` reads from the store: patient_id, entry_id,
    version_id, version, date and `fields` ("text": text or None, "number": float or NaN, "json": the value), sorted
    by patient, date and entry."""
    rows = [(e.patient_id, e.entry_id, e.version_id, e.version, e.entry_date,
             *(_value(e.values.get(name), kind) for name, kind in fields.items()))
            for e in entries if e.section == section]
    frame = pd.DataFrame.from_records(rows, columns=["patient_id", "entry_id", "version_id", "version", "date",
                                                     *fields])
    frame["date"] = pd.to_datetime(frame["date"])
    frame = frame.astype({"patient_id": "int64", "entry_id": "int64", "version_id": "int64", "version": "int64"})
    for name, kind in fields.items():
        if kind == "number":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame.sort_values(["patient_id", "date", "entry_id"], kind="stable").reset_index(drop=True)


def _value(value: Any, kind: str) -> Any:
    """A value as SQL's JSON extraction gives it: text as it is and anything else as JSON text for "text"."""
    if kind == "text" and value is not None and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return value
