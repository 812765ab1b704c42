"""Read the current entries of one registry section into a DataFrame, one SQL query for all patients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, select

from oncobank.store import crypt
from oncobank.store.models import Entry, EntryVersion, Patient

# How a value is pulled out of the JSON column: as text, as a float, or as JSON (lists).
KINDS = ("text", "number", "json")
CHUNK = 900  # patients per IN (...) list: below SQLite's default limit on bound parameters


def _element(name: str, kind: str) -> Any:
    element = EntryVersion.values[name]
    if kind == "text":
        return element.as_string().label(name)
    if kind == "number":
        return element.as_float().label(name)
    if kind == "json":
        return element.label(name)
    raise ValueError(f"field {name}: unknown kind {kind!r}; use one of {KINDS}")


def read_section(
    engine: Engine,
    section: str,
    fields: Mapping[str, str],
    module: str = "thyroid",
    patient_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Current active entries of `section`: patient_id, entry_id, version_id, version, date and `fields`.

    `fields` maps a field name to how it is read ("text", "number" or "json"); JSON extraction runs in the
    database (SQLite's json_extract, PostgreSQL's ->/->>) so only the needed values travel. With
    `patient_ids` only those patients are read (in chunks); otherwise the whole registry.
    """
    columns = [
        Entry.patient_id.label("patient_id"),
        Entry.id.label("entry_id"),
        EntryVersion.id.label("version_id"),
        EntryVersion.version.label("version"),
        EntryVersion.entry_date.label("date"),
        *(_element(name, kind) for name, kind in fields.items()),
    ]
    base = (
        select(*columns)
        .join(EntryVersion, and_(EntryVersion.entry_id == Entry.id, EntryVersion.version == Entry.current_version))
        .join(Patient, Patient.id == Entry.patient_id)
        .where(Entry.section == section, EntryVersion.status == "active", Patient.module == module)
    )
    names = [c.name for c in columns]
    rows: list[Sequence[Any]] = []
    with engine.connect() as connection:
        if patient_ids is None:
            rows = list(connection.execute(base))
        else:
            ids = sorted(set(patient_ids))
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                rows.extend(connection.execute(base.where(Entry.patient_id.in_(chunk))))
    frame = pd.DataFrame.from_records(rows, columns=names)
    frame["date"] = pd.to_datetime(frame["date"])
    frame = frame.astype({"patient_id": "int64", "entry_id": "int64", "version_id": "int64", "version": "int64"})
    codec = crypt.attach(engine)
    for name, kind in fields.items():
        if kind == "number":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        elif kind == "text":  # an identifying field (a birth date) comes out of SQL encrypted
            frame[name] = frame[name].map(codec.show_text)
    return frame.sort_values(["patient_id", "date", "entry_id"], kind="stable").reset_index(drop=True)


def patients(engine: Engine, module: str = "thyroid") -> pd.DataFrame:
    """Every patient of the module: patient_id and registry_id."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Patient.id, Patient.registry_id).where(Patient.module == module).order_by(Patient.id)
        ).all()
    return pd.DataFrame.from_records(rows, columns=["patient_id", "registry_id"])
