"""Where a criterion's `section.field` lives in the analysis store: table, column, type, unit, code domain, dates."""

from __future__ import annotations

from dataclasses import dataclass

from oncobank.dictionary import Dictionary
from oncobank.dictionary.schema import Domain
from oncobank.engine import AnalysisStore


class CohortError(ValueError):
    """A definition that cannot run on this store (unknown field, value of the wrong type, unit, ...)."""


@dataclass(frozen=True)
class Column:
    """A published column a criterion can use."""

    table: str
    column: str
    type: str  # the Arrow type's name: string, double, int64, bool, date32[day], list<item: string>, ...
    unit: str | None
    domain: Domain | None
    date_column: str | None  # the date of each row: entry_date, else date, else none
    per_person: bool  # one row per person (no entry_key)
    label_en: str
    label_ru: str

    @property
    def is_list(self) -> bool:
        return self.type.startswith("list")

    @property
    def is_number(self) -> bool:
        return self.type in ("double", "int64") or self.type.startswith("list<item: double")


class Catalogue:
    """The store's `columns` table, looked up by `section.field` or `table.column`, with the dictionary's domains."""

    def __init__(self, store: AnalysisStore, dictionary: Dictionary):
        self.dictionary = dictionary
        rows = store.to_arrow(store.table("columns")).to_pylist()
        self._rows = rows
        self._tables: dict[str, list[dict]] = {}
        for row in rows:
            self._tables.setdefault(row["table"], []).append(row)

    def tables(self) -> list[str]:
        return sorted(self._tables)

    def table_of(self, name: str) -> str:
        """The published table a criterion's prefix names: a table itself, a section, or `module_` + name."""
        if name in self._tables:
            return name
        for row in self._rows:
            if row["section"] == name:
                return row["table"]
        for table in self._tables:
            if table.endswith("_" + name) and table.split("_", 1)[1] == name:
                return table
        raise CohortError(f"no published table or section {name} (tables: {', '.join(self.tables())})")

    def column(self, reference: str) -> Column:
        """The column `reference` (`section.field` or `table.column`) names."""
        prefix, name = reference.split(".", 1)
        table = self.table_of(prefix)
        rows = {r["column"]: r for r in self._tables[table]}
        row = rows.get(name)
        if row is None:
            raise CohortError(f"{reference}: table {table} has no column {name} "
                              f"(columns: {', '.join(c for c in rows if c not in ('pseudonym', 'entry_key'))})")
        date_column = "entry_date" if "entry_date" in rows else "date" if "date" in rows else None
        return Column(table=table, column=name, type=row["type"], unit=row["unit"], domain=self._domain(row),
                      date_column=date_column, per_person="entry_key" not in rows and "entry" not in rows,
                      label_en=row["label_en"] or name, label_ru=row["label_ru"] or name)

    def _domain(self, row: dict) -> Domain | None:
        if not row["section"] or not row["field"]:
            return None
        try:
            field = self.dictionary.section(row["section"]).field(row["field"])
        except (KeyError, ValueError):
            return None
        return self.dictionary.domains.get(field.domain) if field.domain else None


def code_family(domain: Domain | None, code: str) -> set[str]:
    """`code` and every code of `domain` below it: its `group` members, their members, ... (histology variants)."""
    family = {code}
    if domain is None:
        return family
    frontier = {code}
    while frontier:
        below = {c.code for c in domain.codes if c.group in frontier} - family
        family |= below
        frontier = below
    return family
