"""One batch of a publish: some patients read from the clinical store and de-identified into Arrow tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import Engine

from oncobank.deid import source
from oncobank.deid.keys import Keys
from oncobank.deid.policy import Policy
from oncobank.deid.rows import Builder, Person, by_section, group_by_module, people
from oncobank.deid.schema import PATIENT, TableSpec, module_specs
from oncobank.dictionary import load_module
from oncobank.diseases.published import DerivedTable, derived_hook


@dataclass
class BatchRows:
    """What one batch gives the publish: each table's Arrow chunks, the patients' pseudonyms, and how many of their
    entries were retracted since the last publish."""

    tables: dict[str, list[pa.Table]]
    pseudonyms: list[str]
    retracted: int


@dataclass(frozen=True)
class BatchJob:
    """What every batch of one publish shares: the keys, the policy, the watermark read at and the tables built.

    `since` is the last publish's highest entry version (0: none), so that only newer retractions are counted."""

    keys: Keys
    policy: Policy
    mark: source.Watermark
    specs: tuple[TableSpec, ...]
    since: int

    def run(self, engine: Engine, ids: Sequence[int]) -> BatchRows:
        """The rows of the patients `ids`, as the clinical store at `engine` held them at the watermark."""
        with engine.connect() as connection:
            patients = source.patients(connection, self.mark, ids)
            dictionaries = {m: load_module(m) for m in sorted({p.module for p in patients})}
            entries = list(source.entries(connection, self.mark, ids))
            persons = people(patients, entries, source.identifiers(connection, self.mark, ids), dictionaries,
                             self.keys, self.policy)
            digests = [str(e.values["attachment_sha256"]) for e in entries
                       if e.section == "documents" and e.values.get("attachment_sha256")]
            texts = source.document_texts(connection, self.mark, digests)
        builder = Builder(self.keys, self.policy, texts)
        specs = {spec.name: spec for spec in self.specs}
        tables: dict[str, list[pa.Table]] = {name: [] for name in specs}
        if self.policy.k_anonymity is None:  # else the whole table is built apart (publish_kanon)
            tables[PATIENT].append(builder.patients(specs[PATIENT], persons.values()))
        for module, members in group_by_module(persons).items():
            by = by_section(members.values())
            for spec in module_specs(dictionaries[module], self.policy):
                tables[spec.name].append(builder.section(specs[spec.name], dictionaries[module],
                                                         by.get(spec.section or "", [])))
            for table in derived_tables(module, members):
                tables[table.name].append(builder.derived(specs[table.name], table.rows, members))
        retracted = sum(1 for p in persons.values() for version in p.retracted if version > self.since)
        return BatchRows(tables, [p.pseudonym for p in persons.values()], retracted)


def derived_tables(module: str, members: dict[int, Person]) -> list[DerivedTable]:
    """The module's derived tables for `members`, from the entries already read (none: the tables' shapes)."""
    hook = derived_hook(module)
    if hook is None:
        return []
    return hook([e for p in members.values() for e in p.active], sorted(members))


def concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    """The chunks as one table of `schema` (an empty one for no chunks)."""
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables).combine_chunks()
