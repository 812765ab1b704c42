"""Apply a source's mapping to its rows: patient reference, identity, record keys and dictionary values."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import OTHER, FieldType
from oncobank.dictionary.validate import Issue, clip
from oncobank.ingest import limits
from oncobank.ingest.dicom import WARNINGS_KEY
from oncobank.ingest.mapping import Mapping, Source
from oncobank.ingest.rows import SourceRow
from oncobank.ingest.values import ValueProblem, parse_date, reference_range, result_value


@dataclass(frozen=True, slots=True)
class Identity:
    """What a source says about who the patient is; used for linkage, never logged."""

    surname: str = ""
    first_name: str = ""
    patronymic: str = ""
    birth_date: str = ""  # ISO, or "" when unknown
    sex: str = ""

    def completeness(self) -> int:
        # Initials ("Д.") count less than full names, so the fullest spelling a source gives wins.
        return sum(len(x) > 2 for x in (self.surname, self.first_name, self.patronymic)) + bool(self.birth_date)


@dataclass
class MappedRow:
    """One source row ready for the store: where it came from, whose it is, and its dictionary values."""

    source: str
    file: str
    location: str
    system: str
    source_id: str
    record_key: str
    fact_key: str  # rows with one fact key form one entry ("{patient}" is filled in once linked)
    section: str
    date: date | None
    facility: str | None
    values: dict[str, Any]
    content_hash: str
    payload: dict[str, str]
    admission_key: str | None = None  # the stay the row names, if its source has an admission ID column
    issues: list[Issue] = field(default_factory=list)
    qualifier: str | None = None

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


class RowMapper:
    """Compiled mapping of one source: column → field lookups are resolved once, not per row."""

    def __init__(self, mapping: Mapping, source: Source, dictionary: Dictionary):
        self.mapping = mapping
        self.source = source
        self.dictionary = dictionary
        self.section = dictionary.section(source.section) if source.section else None
        self.field_defs = {f.name: f for f in self.section.fields} if self.section else {}
        self.items = self._item_lookup()
        self.unmapped: dict[str, int] = {}  # column, item or field=value outside its domain -> rows, never guessed
        self.warnings: dict[str, int] = {}  # what a reader warned about (pydicom) -> files, for the run's report
        self.others: dict[str, int] = {}  # field=value outside its domain kept as "other" -> rows
        self._columns: dict[str, str | None] = {}
        self._known = {
            source.patient_id, *source.identity.values(), *source.links.values(), *source.record, *source.ignore,
            *(c for c in (source.date, source.facility, source.admission_id) if c),
        }
        if source.long:
            long = source.long
            self._known |= {c for c in (long.item, long.value, long.unit, long.reference_range) if c}
        self._hashed = self._known - set(source.ignore)

    def _item_lookup(self) -> dict[str, str]:
        lookup = {f.name.casefold(): f.name for f in self.field_defs.values()}
        for f in self.field_defs.values():
            for alias in f.aliases:
                lookup.setdefault(alias.casefold(), f.name)
        for item, name in self.mapping.items.items():
            if name in self.field_defs:
                lookup[item.casefold()] = name
        return lookup

    def column_field(self, column: str) -> str | None:
        if column not in self._columns:
            explicit = self.source.fields.get(column)
            self._columns[column] = explicit or self.items.get(column.strip().casefold())
        return self._columns[column]

    def value_columns(self, row: SourceRow) -> list[str]:
        """The columns whose emptiness counts toward the source's missing rate: those that carry values."""
        if self.source.long is not None:
            long = self.source.long
            return [c for c in (long.value, long.unit, long.reference_range) if c]
        return [c for c in row.fields if self.column_field(c)]

    def identity(self, row: SourceRow) -> Identity:
        get = {k: row.fields.get(col, "").strip() for k, col in self.source.identity.items()}
        surname, first, patronymic = get.get("surname", ""), get.get("first_name", ""), get.get("patronymic", "")
        if get.get("full_name"):
            parts = get["full_name"].replace("^", " ").replace(".", ". ").split()
            surname, first, patronymic = [*parts, "", "", ""][:3]
        born = ""
        if get.get("birth_date"):
            try:
                born = parse_date(get["birth_date"], self.source.date_formats).isoformat()
            except ValueProblem:
                born = ""
        sex = self.dictionary.codes("sex").get(get.get("sex", "").casefold(), "") if get.get("sex") else ""
        return Identity(surname, first, patronymic, born, sex)

    def map(self, row: SourceRow) -> MappedRow:
        """The row's patient, keys and values; problems are listed in `issues`, never raised."""
        s = self.source
        section = s.section or ""
        issues: list[Issue] = []

        def problem(field_name: str | None, value: Any, rule: str, message: str) -> None:
            issues.append(Issue(section, field_name, value, rule, message))

        if row.problem:
            problem(None, None, "malformed", row.problem)
        for said in filter(None, row.fields.get(WARNINGS_KEY, "").split("; ")):
            said = _QUOTED.sub("'…'", said)  # a warning may quote the value (a birth date): the report never does
            self.warnings[said] = self.warnings.get(said, 0) + 1
        read = self._read_fields(row)
        self._check_characters(read, problem)
        source_id = row.fields.get(s.patient_id, "").strip()
        too_long = limits.code_problem(source_id, limits.SOURCE_ID)
        if not source_id:
            problem(s.patient_id, None, "required", f"column {s.patient_id!r} (patient ID) is empty or missing")
        elif too_long is not None:
            problem(s.patient_id, None, too_long[0], f"column {s.patient_id!r} (patient ID) {too_long[1]}")
        record_values = [row.fields.get(c, "").strip() for c in s.record]
        when = self._date(row, issues, problem)
        values: dict[str, Any] = {}
        qualifier = None
        if s.long is not None:
            item = row.fields.get(s.long.item, "").strip()
            name = self.items.get(item.casefold())
            record_values.append(item)
            if name is None:
                key = f"{s.long.item}={clip(item)}"
                self.unmapped[key] = self.unmapped.get(key, 0) + 1
                problem(None, clip(item), "unmapped_item",
                        f"item {clip(repr(item))} maps to no field of section {section}")
            else:
                values[name], qualifier = self._long_value(row, name, problem)
        else:
            for column, text in row.fields.items():
                if column in self._known and not self.column_field(column):
                    continue
                name = self.column_field(column)
                if name is None:
                    self.unmapped[clip(column)] = self.unmapped.get(clip(column), 0) + 1
                    continue
                if text.strip():  # an empty cell is a gap for another source to fill, not a value
                    self._wide_value(name, text, problem, values)
        record = "|".join(record_values) if s.record else source_id
        key_part = "|".join(record_values[: len(s.record)]) if s.record else "{patient}"
        repeating = self.section is not None and self.section.repeating
        fact_key = f"{section}:{s.system}:{key_part}" if repeating and s.record else f"{section}:{{patient}}"
        for key, limit in ((record, limits.RECORD_KEY), (fact_key, limits.FACT_KEY)):
            bad_key = limits.code_problem(key, limit) if source_id else None
            if bad_key is not None:
                problem(None, None, bad_key[0], f"the record key (columns {', '.join(s.record)}) {bad_key[1]}")
                break
        facility = row.fields.get(s.facility, "").strip() or None if s.facility else None
        return MappedRow(
            source=s.name,
            file=row.file,
            location=row.location,
            system=s.system,
            source_id=source_id,
            record_key=record,
            fact_key=fact_key,
            section=section,
            date=when,
            facility=facility,
            values=values,
            content_hash=content_hash(read),
            payload=row.fields,
            admission_key=row.fields.get(s.admission_id, "").strip() or None if s.admission_id else None,
            issues=issues,
            qualifier=qualifier,
        )

    def _read_fields(self, row: SourceRow) -> dict[str, str]:
        # What the mapping reads of the row: a re-export that changes only columns nobody maps (an HL7 message's
        # send time, say) is the same record, and hashing a few columns instead of a whole flattened message is
        # a tenth of the work.
        if self.source.long is not None:
            return {c: row.fields.get(c, "") for c in self._hashed}
        return {c: v for c, v in row.fields.items() if c in self._hashed or self.column_field(c)}

    @staticmethod
    def _check_characters(read: dict[str, str], problem: Any) -> None:
        """Quarantine a row whose read cells hold what no backend stores alike (one regex over the whole row)."""
        if limits.character_problem("".join(read.values())) is None:
            return
        for column, text in read.items():
            found = limits.character_problem(text)
            if found is not None:
                problem(None, None, "characters", f"column {clip(repr(column))} {found}")

    def _date(self, row: SourceRow, issues: list[Issue], problem: Any) -> date | None:
        if not self.source.date or self.section is None or not self.section.dated:
            return None
        text = row.fields.get(self.source.date, "").strip()
        if not text:
            problem("date", None, "required", f"column {self.source.date!r} (entry date) is empty")
            return None
        try:
            return parse_date(text, self.source.date_formats)
        except ValueProblem as exc:
            problem("date", text, exc.rule, str(exc))
            return None

    def _long_value(self, row: SourceRow, name: str, problem: Any) -> tuple[Any, str | None]:
        long = self.source.long
        assert long is not None
        text = row.fields.get(long.value, "").strip()
        try:
            number, qualifier = result_value(text, self.source.decimal, self.source.below_limit)
        except ValueProblem as exc:
            problem(name, text, exc.rule, str(exc))
            return text, None
        value: dict[str, Any] = {"value": number}
        unit = row.fields.get(long.unit, "").strip() if long.unit else ""
        if unit:
            value["unit"] = unit
        ref = row.fields.get(long.reference_range, "").strip() if long.reference_range else ""
        if ref and self.field_defs[name].reference_range:
            try:
                value["ref_low"], value["ref_high"] = reference_range(ref, self.source.decimal)
            except ValueProblem:  # words or a coded range: kept as written, the result still counts
                value["ref_text"] = ref
        return value, qualifier

    def _wide_value(self, name: str, text: str, problem: Any, values: dict[str, Any]) -> None:
        """Put the value of cell `text` for field `name` into `values` (with its "other" text, if it is one)."""
        text = text.strip()
        mapped = self.source.values.get(name, {})
        if text in mapped:
            values[name] = mapped[text]
            return
        f = self.field_defs[name]
        if f.domain is not None and not f.multiple and not f.identifying and text:
            codes = self.dictionary.codes(f.domain)
            if text not in codes and text.casefold() not in codes:
                key = f"{name}={clip(text)}"
                if f.other is not None:  # kept under the domain's "other" code, the source's text beside it
                    self.others[key] = self.others.get(key, 0) + 1
                    values[name], values[f.other] = OTHER, text
                    return
                self.unmapped[key] = self.unmapped.get(key, 0) + 1  # quarantined by the validator; grouped here
        if f.type == FieldType.DATE and text:
            try:
                values[name] = parse_date(text, self.source.date_formats).isoformat()
                return
            except ValueProblem as exc:
                problem(name, text, exc.rule, str(exc))
        values[name] = text


def content_hash(fields: dict[str, str]) -> str:
    """SHA-256 of a row's fields: the same row re-exported hashes the same, a changed one differently."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
