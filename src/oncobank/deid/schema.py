"""The analysis store's tables and columns, generated from the dictionary and the modules' derived tables.

Nothing per field is written here: a column per non-identifying field of each section, typed from the field's type
in its canonical unit, and the `columns` table that carries the labels and units to downstream tools.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from oncobank.deid.policy import Policy
from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import FieldDef, FieldType, Label, Section
from oncobank.diseases.published import DerivedTable
from oncobank.engine.delta import KEY

CORE = "core"
ENTRY_KEY, ENTRY_DATE = "entry_key", "entry_date"
CENTRE = "centre"  # the patient's published centre on every patient-level table (the patient table's value)
PATIENT, COLUMNS, LOG = "patient", "columns", "publish_log"
_SCALAR = {FieldType.NUMBER: pa.float64(), FieldType.INTEGER: pa.int64(), FieldType.DATE: pa.date32(),
           FieldType.BOOLEAN: pa.bool_(), FieldType.CODE: pa.string(), FieldType.ENUM: pa.string(),
           FieldType.TEXT: pa.string()}
_KIND = {"number": pa.float64(), "integer": pa.int64(), "text": pa.string(), "boolean": pa.bool_(),
         "date": pa.date32(), "entry": pa.string(), "age": pa.int64(), "list": pa.list_(pa.string())}
COMMON_LABELS = {
    KEY: Label(en="Pseudonym of the patient", ru="Псевдоним пациента"),
    ENTRY_KEY: Label(en="Key of the entry", ru="Ключ записи"),
    ENTRY_DATE: Label(en="Date of the entry", ru="Дата записи"),
    CENTRE: Label(en="Centre code of the patient (as in the patient table)", ru="Код центра пациента (как в таблице "
                  "пациентов)"),
    "text": Label(en="Text of the document (scrubbed)", ru="Текст документа (обезличенный)"),
    "media_type": Label(en="Media type of the document", ru="Тип файла документа"),
}


@dataclass(frozen=True)
class Column:
    """One published column: its Arrow type and what `columns` says of it.

    `kind`: `date`, `text` (free text, scrubbed), `entry` (an entry ID, keyed), `age` (capped) or `value` (as is).
    """

    name: str
    type: pa.DataType
    kind: str
    label: Label
    unit: str | None = None
    section: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    section: str | None = None  # the dictionary section the rows come from (None: derived or generated)

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])


def table_name(dictionary: Dictionary, section: str) -> str:
    """A core section keeps its name; a disease module's section is prefixed with the module (two modules may
    both have an `imaging` section)."""
    owner = dictionary.section_of_module(section)
    return section if owner == CORE else f"{owner}_{section}"


def date_type(policy: Policy) -> pa.DataType:
    return pa.int64() if policy.dates == "year" else pa.date32()


def field_column(section: Section, f: FieldDef, policy: Policy) -> Column:
    kind = {FieldType.DATE: "date", FieldType.TEXT: "text"}.get(f.type, "value")
    kind_type = date_type(policy) if f.type == FieldType.DATE else _SCALAR[f.type]
    return Column(f.name, pa.list_(kind_type) if f.multiple else kind_type, kind, f.label, f.unit, section.name,
                  f.name)


def section_spec(dictionary: Dictionary, section: Section, policy: Policy) -> TableSpec:
    """The wide table of one section: pseudonym, centre, entry key and date, then each field that may leave."""
    columns = [Column(KEY, pa.string(), "value", COMMON_LABELS[KEY]), centre_column(),
               Column(ENTRY_KEY, pa.string(), "value", COMMON_LABELS[ENTRY_KEY]),
               Column(ENTRY_DATE, date_type(policy), "date", COMMON_LABELS[ENTRY_DATE], section=section.name)]
    reserved = {c.name for c in columns}
    for f in section.fields:
        if f.identifying:
            continue
        if f.name in reserved:
            raise ValueError(f"section {section.name}: field {f.name} has the name of a published key column")
        columns.append(field_column(section, f, policy))
    if section.name == "documents":  # the documents' texts travel with their entries
        columns += [Column("media_type", pa.string(), "value", COMMON_LABELS["media_type"]),
                    Column("text", pa.string(), "text", COMMON_LABELS["text"])]
    return TableSpec(table_name(dictionary, section.name), tuple(columns), section.name)


def patient_spec(policy: Policy, *, generalised: bool = True) -> TableSpec:
    """The patient table. Under k-anonymity its quasi-identifiers are text whether or not a run generalises them
    (a band such as "1960-1964", or "*"), so the layout stays the same from one publish to the next;
    `generalised=False` gives the table as built, before k-anonymity."""
    labels = {"sex": Label(en="Sex", ru="Пол"), "birth_year": Label(en="Year of birth", ru="Год рождения"),
              "age_group": Label(en=f"Age group at the latest date ({policy.top_age}+: {policy.top_age} or older)",
                                 ru=f"Возрастная группа на последнюю дату ({policy.top_age}+: {policy.top_age} и "
                                    f"старше)"),
              "centre": Label(en="Centre code", ru="Код центра"),
              "vital_status": Label(en="Vital status", ru="Жизненный статус"),
              "module": Label(en="Disease module", ru="Модуль заболевания")}
    types = {"sex": pa.string(), "birth_year": pa.int64(), "age_group": pa.string(), "centre": pa.string(),
             "vital_status": pa.string(), "module": pa.string()}
    if generalised:
        types.update(dict.fromkeys(policy.quasi_identifiers, pa.string()))
    columns = [Column(KEY, pa.string(), "value", COMMON_LABELS[KEY])]
    columns += [Column(name, kind, "value", labels[name]) for name, kind in types.items()
                if name != "birth_year" or policy.age == "birth_year"]
    return TableSpec(PATIENT, tuple(columns))


def centre_column() -> Column:
    """The patient's centre, carried by every patient-level table so that counts per centre need no join."""
    return Column(CENTRE, pa.string(), "value", COMMON_LABELS[CENTRE])


def derived_spec(table: DerivedTable, policy: Policy) -> TableSpec:
    columns = [Column(KEY, pa.string(), "value", COMMON_LABELS[KEY]), centre_column()]
    for c in table.columns:
        if c.name == CENTRE:
            raise ValueError(f"derived table {table.name}: column {CENTRE} is generated by the publish")
        kind = c.kind if c.kind in ("date", "entry", "age") else "value"
        columns.append(Column(c.name, date_type(policy) if c.kind == "date" else _KIND[c.kind], kind, c.label,
                              c.unit))
    return TableSpec(table.name, tuple(columns))


def module_specs(dictionary: Dictionary, policy: Policy) -> list[TableSpec]:
    return [section_spec(dictionary, s, policy) for s in dictionary.sections.values()]


def columns_table(specs: Iterable[TableSpec]) -> pa.Table:
    """Every published column with its type, unit and labels, so that tools label plots without the dictionary."""
    rows = [{"table": spec.name, "column": c.name, "type": "year" if c.kind == "date" and c.type == pa.int64()
             else str(c.type), "unit": c.unit, "label_en": c.label.en, "label_ru": c.label.ru,
             "section": c.section, "field": c.field} for spec in specs for c in spec.columns]
    schema = pa.schema([(name, pa.string()) for name in
                        ("table", "column", "type", "unit", "label_en", "label_ru", "section", "field")])
    return pa.Table.from_pylist(rows, schema=schema)


def digest(specs: Iterable[TableSpec]) -> str:
    """The hash of every table's name and columns: a publish whose tables differ rebuilds from scratch."""
    shape = [[spec.name, [[c.name, str(c.type), c.kind] for c in spec.columns]] for spec in specs]
    return hashlib.sha256(json.dumps(sorted(shape)).encode()).hexdigest()[:16]
