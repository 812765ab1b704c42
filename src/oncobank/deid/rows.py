"""De-identify a batch of patients into Arrow tables: one per section, the patient table, the derived tables.

Values are already canonical in the store; here each leaves as its column's type, dates moved by the patient's
offset (or reduced to the year), free text scrubbed with the patient's own identifying values, identifying fields
and the store's IDs left behind (entries get keyed `entry_key`s, patients pseudonyms).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oncobank.deid.keys import Keys
from oncobank.deid.policy import Policy
from oncobank.deid.schema import CENTRE, ENTRY_DATE, ENTRY_KEY, KEY, TableSpec
from oncobank.deid.source import EntryRow, PatientRow
from oncobank.deid.text import clean_text
from oncobank.dictionary.loader import Dictionary


@dataclass
class Person:
    """What the publish knows of one patient while building their rows (never written as such)."""

    row: PatientRow
    pseudonym: str
    shift: int  # days (0 in year mode)
    known: list[str] = field(default_factory=list)  # own identifying values, scrubbed from texts
    active: list[EntryRow] = field(default_factory=list)
    retracted: list[int] = field(default_factory=list)  # the version IDs of the retracted entries


def people(patients: Sequence[PatientRow], entries: Iterable[EntryRow], identifiers: dict[int, list[str]],
           dictionaries: dict[str, Dictionary], keys: Keys, policy: Policy) -> dict[int, Person]:
    """Each patient with their pseudonym, offset, active entries and own identifying values."""
    shifting = policy.dates == "shift"
    found = {p.id: Person(p, keys.pseudonym(p.registry_id),
                          keys.shift_days(p.registry_id, policy.shift_min_days, policy.shift_max_days)
                          if shifting else 0, [p.registry_id, *identifiers.get(p.id, [])]) for p in patients}
    identifying = {name: {(s.name, f.name) for s in d.sections.values() for f in s.fields if f.identifying}
                   for name, d in dictionaries.items()}
    for entry in entries:
        person = found.get(entry.patient_id)
        if person is None:
            continue
        wanted = identifying[person.row.module]
        # Values of retracted entries are scrubbed too: a withdrawn surname is still the patient's surname.
        person.known.extend(str(v) for k, v in entry.values.items()
                            if (entry.section, k) in wanted and v not in (None, "") and not isinstance(v, bool))
        if entry.status == "active":
            person.active.append(entry)
        else:
            person.retracted.append(entry.version_id)
    return found


class Dates:
    """Dates on their way out: shifted by the patient's offset, or reduced to the year."""

    def __init__(self, policy: Policy):
        self.year = policy.dates == "year"

    def one(self, value: Any, shift: int) -> date | int | None:
        """One date (a date, a timestamp or ISO text) as it leaves, or None."""
        if value is None or (not isinstance(value, date) and pd.isna(value)):
            return None
        if isinstance(value, str):
            day = date.fromisoformat(value[:10])
        elif isinstance(value, datetime):  # a pandas Timestamp too
            day = value.date()
        else:
            day = value
        return day.year if self.year else day + timedelta(days=shift)

    def column(self, values: Sequence[Any], shifts: Sequence[int]) -> pa.Array:
        """Dates (date objects or ISO text, None for none) as they leave, each moved by its row's offset."""
        found = pa.array([v if v is None or isinstance(v, date) else str(v)[:10] for v in values])
        days = found.cast(pa.date32()) if not pa.types.is_date32(found.type) else found
        if self.year:
            return pc.year(days).cast(pa.int64())
        moved = pc.add(days.cast(pa.int32()), pa.array(shifts, pa.int32()))
        return moved.cast(pa.date32())


class Builder:
    """Turns the patients of one batch into rows of every table of the snapshot."""

    def __init__(self, keys: Keys, policy: Policy, texts: dict[str, tuple[str, str]] | None = None):
        self.keys, self.policy, self.dates = keys, policy, Dates(policy)
        self.texts = texts or {}
        self._year_only = policy.dates == "year"
        self._entry_keys: dict[int, str] = {}  # the batch's entries are keyed in the section and the derived tables

    def entry_key(self, entry_id: int) -> str:
        found = self._entry_keys.get(entry_id)
        if found is None:
            found = self._entry_keys[entry_id] = self.keys.entry_key(entry_id)
        return found

    def text(self, value: Any, person: Person) -> str | None:
        if value is None or value == "":
            return None if value is None else ""
        return clean_text(str(value), self.keys, shift_days=None if self._year_only else person.shift,
                          year_only=self._year_only, known=person.known)

    def section(self, spec: TableSpec, dictionary: Dictionary, rows: Sequence[tuple[Person, EntryRow]]) -> pa.Table:
        """The wide table of one section: a row per active entry of the section (see `by_section`), column by column.

        Code and enum values come from the dictionary's domains and leave as they are; free text is scrubbed.
        """
        persons = [person for person, _ in rows]
        entries = [entry for _, entry in rows]
        shifts = [person.shift for person in persons]
        out: dict[str, Any] = {KEY: [p.pseudonym for p in persons], CENTRE: [p.row.centre for p in persons],
                               ENTRY_KEY: [self.entry_key(e.entry_id) for e in entries],
                               ENTRY_DATE: self.dates.column([e.entry_date for e in entries], shifts)}
        documents = [self.texts.get(str(e.values.get("attachment_sha256"))) for e in entries]
        for column in spec.columns[len(out):]:
            if column.field is None:  # the document's text and media type
                where = 0 if column.name == "text" else 1
                values = [None if d is None else d[where] for d in documents]
            else:
                values = [e.values.get(column.field) for e in entries]
            if column.kind == "date":
                out[column.name] = self.dates.column(values, shifts)
            elif column.kind == "text":
                out[column.name] = [self.text(v, p) for v, p in zip(values, persons, strict=True)]
            else:
                out[column.name] = values
        return _sorted(pa.table(out, schema=spec.schema))

    def patients(self, spec: TableSpec, persons: Iterable[Person]) -> pa.Table:
        """One row per patient: sex, birth year and age group (policy), centre, vital status, module."""
        rows: dict[str, list[Any]] = {c.name: [] for c in spec.columns}
        for person in persons:
            facts = _patient_facts(person, self.policy, self.dates)
            rows[KEY].append(person.pseudonym)
            for column in spec.columns[1:]:
                rows[column.name].append(facts[column.name])
        return _sorted(pa.table(rows, schema=spec.schema))

    def derived(self, spec: TableSpec, frame: pd.DataFrame, persons: dict[int, Person]) -> pa.Table:
        """A module's derived table: patient IDs to pseudonyms, dates moved, entry IDs keyed, ages capped."""
        frame = frame[frame["patient_id"].isin(list(persons))]
        who = [persons[int(p)] for p in frame["patient_id"].tolist()]
        rows: dict[str, list[Any]] = {KEY: [p.pseudonym for p in who], CENTRE: [p.row.centre for p in who]}
        converters: dict[str, Callable[[Any, Person], Any]] = {
            "date": lambda v, p: self.dates.one(v, p.shift),
            "entry": lambda v, p: None if _missing(v) else self.entry_key(int(v)),
            "age": lambda v, p: None if _missing(v) else min(int(v), self.policy.top_age),
        }
        for column in spec.columns[len(rows):]:
            convert = converters.get(column.kind)
            values = frame[column.name].tolist()
            if convert is None:
                rows[column.name] = [None if _missing(v) else v for v in values]
            else:
                rows[column.name] = [convert(v, p) for v, p in zip(values, who, strict=True)]
        return _sorted(pa.table(rows, schema=spec.schema))


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, list | tuple) and bool(pd.isna(value)))


def _patient_facts(person: Person, policy: Policy, dates: Dates) -> dict[str, Any]:
    born: date | None = None
    sex: str | None = None
    latest: date | None = None
    follow_ups: list[tuple[date, int, dict[str, Any]]] = []
    for entry in person.active:
        if entry.section == "demographics":
            sex = entry.values.get("sex")
            text = entry.values.get("birth_date")
            born = date.fromisoformat(text) if text else None
            continue
        days = [entry.entry_date] if entry.entry_date else []
        days += [date.fromisoformat(v) for v in entry.values.values() if isinstance(v, str) and _is_date(v)]
        if days:
            latest = max([latest, *days] if latest else days)
        if entry.section == "follow_up":
            follow_ups.append((entry.entry_date or date.min, entry.entry_id, entry.values))
    age = None
    if born is not None and latest is not None:
        age = latest.year - born.year - ((latest.month, latest.day) < (born.month, born.day))
    birth_year = None
    if born is not None and age is not None and age < policy.top_age:
        birth_year = born.year if policy.dates == "year" else (born + timedelta(days=person.shift)).year
    return {"sex": sex, "birth_year": birth_year, "age_group": None if age is None else policy.age_group(max(age, 0)),
            "centre": person.row.centre, "vital_status": _vital_status(follow_ups), "module": person.row.module}


def _is_date(text: str) -> bool:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _vital_status(follow_ups: list[tuple[date, int, dict[str, Any]]]) -> str | None:
    """Dead once any follow-up says so (or gives a date of death); otherwise the latest follow-up's status."""
    if any(v.get("vital_status") == "dead" or v.get("death_date") for _, _, v in follow_ups):
        return "dead"
    known = [(day, eid, v["vital_status"]) for day, eid, v in follow_ups if v.get("vital_status")]
    return max(known)[2] if known else None


def _sorted(table: pa.Table) -> pa.Table:
    """Rows in a fixed order (by pseudonym, then entry key), so that equal contents are equal tables."""
    keys = [(name, "ascending") for name in (KEY, ENTRY_KEY) if name in table.column_names]
    return table.sort_by(keys) if table.num_rows else table


def by_section(persons: Iterable[Person]) -> dict[str, list[tuple[Person, EntryRow]]]:
    """The patients' active entries grouped by section, each with its patient."""
    grouped: dict[str, list[tuple[Person, EntryRow]]] = defaultdict(list)
    for person in persons:
        for entry in person.active:
            grouped[entry.section].append((person, entry))
    return grouped


def group_by_module(persons: dict[int, Person]) -> dict[str, dict[int, Person]]:
    grouped: dict[str, dict[int, Person]] = defaultdict(dict)
    for pid, person in persons.items():
        grouped[person.row.module][pid] = person
    return dict(grouped)
