"""Pydantic models of a data-dictionary module: sections, fields, domains, units."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(Strict):
    """A text shown to users, in Russian and English."""

    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en


OTHER = "other"  # the code a field declaring `other:` stores for a source value outside its domain


class FieldType(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    TEXT = "text"
    DATE = "date"
    CODE = "code"  # a code from a large, extensible code list (ICD-10, ICD-O-3, genes)
    ENUM = "enum"  # one of a small fixed set of choices
    BOOLEAN = "boolean"


class Code(Strict):
    """One permitted value of a domain."""

    code: str = Field(min_length=1)
    label: Label
    aliases: list[str] = []
    # Free-form grouping used by rules and reports (e.g. ICD-10 chapter, TNM category axis).
    group: str | None = None


class Domain(Strict):
    """A named list of permitted codes (value domain)."""

    label: Label
    codes: list[Code] = Field(min_length=1)

    @field_validator("codes")
    @classmethod
    def _unique_codes(cls, codes: list[Code]) -> list[Code]:
        seen: set[str] = set()
        for code in codes:
            if code.code in seen:
                raise ValueError(f"code {code.code!r} is listed twice")
            seen.add(code.code)
        return codes


class Range(Strict):
    """Closed interval in the field's canonical unit; either end may be open (None)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"range min {self.min} is above max {self.max}")
        return self

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        low = "-inf" if self.min is None else f"{self.min:g}"
        high = "+inf" if self.max is None else f"{self.max:g}"
        return f"[{low}, {high}]"


class FieldDef(Strict):
    """One parameter of a section."""

    name: Name
    label: Label
    type: FieldType
    description: str | None = None
    # Quantities: canonical unit (stored), and every unit accepted on entry (converted with pint).
    unit: str | None = None
    units: list[str] = []
    # g/mol, for conversions between mass and substance concentrations (e.g. free T4 ng/dL <-> pmol/L).
    molar_mass: float | None = None
    reference_range: bool = False  # a lab value may arrive with its laboratory's reference range
    domain: str | None = None
    multiple: bool = False  # several codes at once (e.g. uptake sites)
    hard_range: Range | None = None  # outside: rejected
    soft_range: Range | None = None  # outside: stored with a warning
    max_length: int | None = None
    # Dates: the earliest plausible one (hard), and whether a date after today is accepted.
    earliest: date | None = None
    future_allowed: bool = False
    required: bool = False
    identifying: bool = False  # direct identifier: never leaves the clinical store
    # A source value outside the domain is kept, not refused: stored as the domain's `other` code with the text as
    # the source wrote it in this text field of the section (REDCap's "other, specify").
    other: str | None = None
    aliases: list[str] = []
    # Data entry, as REDCap's data dictionary holds it (in REDCap's logic syntax, kept as written): show the
    # field only when `show_if` holds; compute its value with `calculation`.
    show_if: str | None = None
    calculation: str | None = None
    # How a data-entry form presents the field where it differs from the default (REDCap field type, validation,
    # action tags, matrix group, slider labels, ...), so an imported study is written back as it came.
    entry: dict[str, str] = {}

    @model_validator(mode="after")
    def _consistent(self) -> FieldDef:
        quantity = self.type in (FieldType.NUMBER, FieldType.INTEGER)
        if self.unit is not None and not quantity:
            raise ValueError(f"field {self.name}: only number and integer fields carry a unit")
        if self.reference_range and not quantity:
            raise ValueError(f"field {self.name}: only numbers carry a reference range")
        if self.units and self.unit is None:
            raise ValueError(f"field {self.name}: accepted units given without a canonical unit")
        if self.type in (FieldType.CODE, FieldType.ENUM) and self.domain is None:
            raise ValueError(f"field {self.name}: a {self.type} field needs a domain")
        if self.domain is not None and self.type not in (FieldType.CODE, FieldType.ENUM):
            raise ValueError(f"field {self.name}: only code and enum fields take a domain")
        if self.other is not None and (self.domain is None or self.multiple):
            raise ValueError(f"field {self.name}: only a single-valued coded field keeps other values")
        if self.multiple and self.type not in (FieldType.CODE, FieldType.ENUM):
            raise ValueError(f"field {self.name}: only code and enum fields can hold several values")
        if (self.hard_range or self.soft_range) and not quantity:
            raise ValueError(f"field {self.name}: ranges apply to numbers")
        if (self.earliest or self.future_allowed) and self.type != FieldType.DATE:
            raise ValueError(f"field {self.name}: earliest and future_allowed apply to dates")
        return self

    @property
    def accepted_units(self) -> list[str]:
        if self.unit is None:
            return []
        return [self.unit, *[u for u in self.units if u != self.unit]]


class Section(Strict):
    """A group of fields entered together; repeating sections hold many dated entries."""

    name: Name
    label: Label
    repeating: bool = False
    dated: bool = True  # each entry carries the date it was done
    facility: bool = False  # each entry carries the medical facility (MF)
    description: str | None = None
    fields: list[FieldDef] = Field(min_length=1)

    @field_validator("fields")
    @classmethod
    def _unique_fields(cls, fields: list[FieldDef]) -> list[FieldDef]:
        names = [f.name for f in fields]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"fields listed twice: {sorted(dupes)}")
        texts = {f.name for f in fields if f.type == FieldType.TEXT}
        for f in fields:
            if f.other is not None and f.other not in texts:
                raise ValueError(f"field {f.name}: `other: {f.other}` names no text field of the section")
        return fields

    def field(self, name: str) -> FieldDef:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"section {self.name!r} has no field {name!r}")


class Module(Strict):
    """A disease (or core) module: the unit a registry is built from."""

    module: Name
    version: int = Field(ge=1)
    label: Label
    description: str | None = None
    extends: list[Name] = []
    # Extra pint unit definitions (e.g. international units), and spellings of units seen in sources.
    unit_definitions: list[str] = []
    unit_aliases: dict[str, str] = {}
    # Missing-data codes a form may give an optional field instead of a value (unknown, not done, ...): kept apart
    # from the values (as entered), so an empty field and a field known to be missing stay distinct.
    missing_codes: dict[Name, Label] = {}
    # The record-ID field of a REDCap project where it is not the default `record_id` (its name, label, note, ...).
    entry: dict[str, str] = {}
    domains: dict[Name, Domain] = {}
    sections: list[Section] = []

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, sections: list[Section]) -> list[Section]:
        names = [s.name for s in sections]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"sections listed twice: {sorted(dupes)}")
        return sections
