"""Write-time validation of a section entry against the dictionary: types, domains, units, ranges."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.logic import section_logic
from oncobank.dictionary.schema import FieldDef, FieldType, Section
from oncobank.dictionary.units import UnitError

EARLIEST_DATE = date(1900, 1, 1)
SHOWN = 60  # characters of a value that a message shows; the rest is cut
MAX_REF_TEXT = 200  # a laboratory's reference range as words ("<9 mcg/dL: Acceptable background…")
_BOOLEAN = {"true": True, "yes": True, "1": True, "да": True, "false": False, "no": False, "0": False, "нет": False}


@dataclass(frozen=True)
class Issue:
    """One problem with one value: where it is, what it was and which rule it broke."""

    section: str
    field: str | None
    value: Any
    rule: str
    message: str
    severity: str = "error"  # "error" rejects the entry; "warning" is stored with it
    patient: str | None = None

    def __str__(self) -> str:
        where = [f"patient {clip(self.patient)}"] if self.patient else []
        where.append(f"section {clip(self.section)}")
        if self.field:
            where.append(f"field {clip(self.field)}")
        shown = "" if self.value is None else f"value {clip(repr(self.value))}: "
        return f"{', '.join(where)}: {shown}{self.message} [rule: {self.rule}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "section": self.section,
            "field": self.field,
            "value": _jsonable(self.value),
            "rule": self.rule,
            "message": self.message,
            "severity": self.severity,
        }


class EntryRejected(ValueError):
    """An entry with at least one error; every issue found is listed, not only the first."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("; ".join(str(i) for i in issues))


@dataclass(frozen=True)
class ValidEntry:
    """A validated entry: canonical values, the values as entered, reference ranges, warnings."""

    section: str
    date: date | None
    facility: str | None
    values: dict[str, Any]
    entered: dict[str, Any] = field(default_factory=dict)
    references: dict[str, list[float | None]] = field(default_factory=dict)
    warnings: list[Issue] = field(default_factory=list)


class _Bad(Exception):
    def __init__(self, rule: str, message: str):
        self.rule = rule
        self.message = message


@dataclass
class _Context:
    birth_date: date | None
    today: date
    entered: dict[str, Any]
    references: dict[str, list[float | None]]
    warnings: list[tuple[str, Any, str, str]]


Checker = Callable[[Any, _Context], Any]


class Validator:
    """Validates entries of one resolved dictionary; checkers are compiled once per field.

    `facility_length` is the longest facility name the store can hold (None: no limit).
    """

    def __init__(self, dictionary: Dictionary, today: date | None = None, *, facility_length: int | None = None):
        self.dictionary = dictionary
        self.today = today
        self.facility_length = facility_length
        self._identifying = {
            (s.name, f.name) for s in dictionary.sections.values() for f in s.fields if f.identifying
        }
        self._checkers: dict[str, dict[str, Checker]] = {
            s.name: {f.name: self._compile(f) for f in s.fields} for s in dictionary.sections.values()
        }
        self._required = {s.name: [f.name for f in s.fields if f.required] for s in dictionary.sections.values()}
        self._logic = {s.name: section_logic(s) for s in dictionary.sections.values()}
        self._missing_codes = {code for m in dictionary.modules for code in m.missing_codes}

    def validate(
        self,
        section: str,
        values: Mapping[str, Any],
        *,
        entry_date: date | str | None = None,
        facility: str | None = None,
        patient: str | None = None,
        birth_date: date | None = None,
    ) -> ValidEntry:
        """Check one entry; return it in canonical form or raise EntryRejected listing every error.

        The value of an identifying field is never put into an issue: messages name the patient and the field.
        """
        if not isinstance(section, str) or section not in self.dictionary.sections:
            shown = clip(section if isinstance(section, str) else repr(section))
            message = f"module {self.dictionary.name} has no such section"
            raise EntryRejected([Issue(shown, None, None, "unknown_section", message, patient=patient)])
        sec = self.dictionary.sections[section]
        ctx = _Context(birth_date, self.today or date.today(), {}, {}, [])
        errors: list[Issue] = []
        when = self._entry_date(sec, entry_date, ctx, patient, errors)
        place = self._facility(section, facility, patient, errors)
        checkers = self._checkers[section]
        canonical: dict[str, Any] = {}
        for name, raw in values.items():
            checker = checkers.get(name)
            if checker is None:
                # An unknown field's value is not shown: nothing says it is not identifying.
                errors.append(Issue(section, clip(str(name)), None, "unknown_field",
                                    f"section {section} has no such field", patient=patient))
                continue
            if _is_missing(raw):
                continue
            if isinstance(raw, dict) and set(raw) == {"missing"}:  # a missing-data code instead of a value
                problem = self._missing_code(raw["missing"], name in self._required[section])
                if problem is None:
                    ctx.entered[name] = {"missing": raw["missing"]}
                else:
                    errors.append(Issue(section, name, clip(str(raw["missing"])), *problem, patient=patient))
                continue
            try:
                canonical[name] = checker(raw, ctx)
            except _Bad as bad:
                errors.append(Issue(section, name, self._shown(section, name, raw), bad.rule, bad.message,
                                    patient=patient))
        logic = self._logic[section]
        for name, value in logic.compute(canonical).items():  # computed, whatever was typed (as in REDCap)
            try:
                canonical[name] = checkers[name](value, ctx)
            except _Bad as bad:
                shown = self._shown(section, name, value)
                errors.append(Issue(section, name, shown, bad.rule, f"calculated: {bad.message}", patient=patient))
        for name in self._required[section]:
            if logic.hidden(name, canonical):  # branching logic hides it: not asked, so not required
                continue
            if name not in canonical and not any(e.field == name for e in errors):
                errors.append(Issue(section, name, None, "required", "a value is required", patient=patient))
        if errors:
            raise EntryRejected(errors)
        warnings = [Issue(section, n, self._shown(section, n, v), r, m, "warning", patient)
                    for n, v, r, m in ctx.warnings]
        return ValidEntry(section, when, place, canonical, ctx.entered, ctx.references, warnings)

    def _missing_code(self, code: Any, required: bool) -> tuple[str, str] | None:
        """The rule and message a missing-data code breaks, or None: it must be declared, and a required field needs
        its value."""
        if required:
            return "required", "a value is required (a missing-data code does not replace it)"
        if code not in self._missing_codes:
            return "missing_code", f"not a missing-data code; declared: {', '.join(sorted(self._missing_codes))}"
        return None

    def event_date(
        self, section: str, name: str, raw: date | str, *, patient: str | None = None, birth_date: date | None = None
    ) -> date:
        """A date that is not an entry's own (a review's, say), checked as entry dates are; raises EntryRejected."""
        try:
            return _check_date(raw, _Context(birth_date, self.today or date.today(), {}, {}, []), EARLIEST_DATE,
                               future_allowed=False)
        except _Bad as bad:
            raise EntryRejected([Issue(section, name, raw, bad.rule, bad.message, patient=patient)]) from None

    def facility(self, section: str, raw: Any, *, patient: str | None = None) -> str | None:
        """A facility name as the store keeps it (None when blank); raises EntryRejected when it cannot be kept."""
        errors: list[Issue] = []
        place = self._facility(section, raw, patient, errors)
        if errors:
            raise EntryRejected(errors)
        return place

    def _facility(self, section: str, raw: Any, patient: str | None, errors: list[Issue]) -> str | None:
        if _is_missing(raw):
            return None
        problem = text_problem(raw, self.facility_length, single_line=True)
        if problem is not None:
            errors.append(Issue(section, "facility", raw, *problem, patient=patient))
            return None
        return str(raw).strip()

    def _shown(self, section: str, name: str, raw: Any) -> Any:
        return None if (section, name) in self._identifying else raw

    def canonical(self, section: str, name: str, raw: Any, *, birth_date: date | None = None) -> Any:
        """One field's value in canonical form (None when missing), checked as `validate` checks it.

        For comparing a value offered by a second source with the stored one, without re-checking the whole
        entry; raises EntryRejected naming the rule when the value is not acceptable.
        """
        checker = self._checkers.get(section, {}).get(name)
        if checker is None:
            raise EntryRejected([Issue(section, name, raw, "unknown_field", f"section {section} has no such field")])
        if _is_missing(raw):
            return None
        try:
            return checker(raw, _Context(birth_date, self.today or date.today(), {}, {}, []))
        except _Bad as bad:
            shown = self._shown(section, name, raw)
            raise EntryRejected([Issue(section, name, shown, bad.rule, bad.message)]) from None

    def _entry_date(
        self, sec: Section, raw: date | str | None, ctx: _Context, patient: str | None, errors: list[Issue]
    ) -> date | None:
        if not sec.dated:
            if raw is not None:
                errors.append(
                    Issue(
                        sec.name, None, raw, "undated_section", "this section's entries carry no date", patient=patient
                    )
                )
            return None
        if _is_missing(raw):
            errors.append(Issue(sec.name, "date", None, "required", "the entry date is required", patient=patient))
            return None
        try:
            return _check_date(raw, ctx, EARLIEST_DATE, future_allowed=False)
        except _Bad as bad:
            errors.append(Issue(sec.name, "date", raw, bad.rule, bad.message, patient=patient))
            return None

    def _compile(self, f: FieldDef) -> Checker:
        if f.type in (FieldType.NUMBER, FieldType.INTEGER):
            return self._quantity_checker(f)
        if f.type == FieldType.DATE:
            earliest = f.earliest or EARLIEST_DATE
            return lambda raw, ctx: _check_date(raw, ctx, earliest, f.future_allowed).isoformat()
        if f.type in (FieldType.ENUM, FieldType.CODE):
            return self._code_checker(f)
        if f.type == FieldType.BOOLEAN:
            return _check_boolean
        return lambda raw, ctx: _check_text(raw, f.max_length)

    def _code_checker(self, f: FieldDef) -> Checker:
        assert f.domain is not None
        lookup = self.dictionary.codes(f.domain)
        domain = f.domain

        def one(raw: Any) -> str:
            if not isinstance(raw, str | int) or isinstance(raw, bool):
                raise _Bad("type", f"expected a code of domain {domain}")
            text = str(raw).strip()
            code = lookup.get(text) or lookup.get(text.casefold())
            if code is None:
                raise _Bad("domain", f"not a code of domain {domain}")
            return code

        if not f.multiple:
            return lambda raw, ctx: one(raw)

        def many(raw: Any, ctx: _Context) -> list[str]:
            items = raw if isinstance(raw, list | tuple) else [raw]
            codes = [one(item) for item in items]
            return list(dict.fromkeys(codes))

        return many

    def _quantity_checker(self, f: FieldDef) -> Checker:
        units = self.dictionary.units
        integer = f.type == FieldType.INTEGER

        factors: dict[str, float] = {}  # per source unit: the same few spellings come back on every row

        def convert(number: float, unit: str | None) -> float:
            if unit is None or f.unit is None or unit == f.unit:
                return number
            factor = factors.get(unit)
            if factor is None:
                try:
                    factor = factors[unit] = units.factor(unit, f.unit, f.molar_mass)
                except UnitError as exc:
                    raise _Bad("unit", f"{exc}; accepted: {', '.join(f.accepted_units)}") from None
            return _round(number * factor)

        def check(raw: Any, ctx: _Context) -> float | int:
            unit = None
            if isinstance(raw, dict | Mapping):  # dict first: the ABC check is slow and dicts are the rule
                extra = set(raw) - {"value", "unit", "ref_low", "ref_high", "ref_text"}
                if extra or "value" not in raw:
                    raise _Bad("type", "a quantity is {value, unit[, ref_low, ref_high, ref_text]}")
                unit = raw.get("unit") or None
                if unit is not None and not isinstance(unit, str):
                    raise _Bad("type", "a unit is text, e.g. 'mCi'")
                if unit is not None and f.unit is None:
                    raise _Bad("unit", "this field takes no unit")
                number = _number(raw["value"])
                if "ref_low" in raw or "ref_high" in raw:
                    if not f.reference_range:
                        raise _Bad("reference_range", "this field takes no reference range")
                    ctx.references[f.name] = [
                        None if _is_missing(raw.get(k)) else convert(_number(raw.get(k)), unit)
                        for k in ("ref_low", "ref_high")
                    ]
            else:
                number = _number(raw)
            value = convert(number, unit)
            if unit is not None:
                ctx.entered[f.name] = {"value": number, "unit": unit}
            ref_text = raw.get("ref_text") if isinstance(raw, dict | Mapping) else None
            if not _is_missing(ref_text):  # a range printed as words, kept as written beside the value
                if not f.reference_range:
                    raise _Bad("reference_range", "this field takes no reference range")
                if not isinstance(ref_text, str) or len(ref_text) > MAX_REF_TEXT:
                    raise _Bad("reference_range", f"a reference range as text is at most {MAX_REF_TEXT} characters")
                ctx.entered[f.name] = {"value": number, **({"unit": unit} if unit else {}), "ref_text": ref_text}
            if integer:
                if not float(value).is_integer():
                    raise _Bad("type", "expected a whole number")
                value = int(value)
            if f.hard_range and not f.hard_range.contains(value):
                shown = _quantity(value, f.unit)
                raise _Bad("hard_range", f"{shown} is outside the possible range {f.hard_range.describe()}")
            if f.soft_range and not f.soft_range.contains(value):
                shown = _quantity(value, f.unit)
                message = f"{shown} is outside the expected range {f.soft_range.describe()}"
                ctx.warnings.append((f.name, raw, "soft_range", message))
            return value

        return check


def _is_missing(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float):
        return math.isnan(raw)
    if isinstance(raw, str):
        return raw.strip() == ""
    if isinstance(raw, list | tuple):
        return len(raw) == 0
    return False


def _quantity(value: float, unit: str | None) -> str:
    return f"{value:g} {unit}" if unit else f"{value:g}"


def _round(value: float) -> float:
    # Conversion factors carry binary noise (100 mCi -> 3700.0000000000005 MBq); 12 digits is far below
    # any instrument's precision.
    return float(f"{value:.12g}")


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise _Bad("type", "expected a number")
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip().replace(",", "."))
        except ValueError:
            raise _Bad("type", "expected a number") from None
    else:
        raise _Bad("type", "expected a number")
    if not math.isfinite(number):
        raise _Bad("type", "expected a finite number")
    return number


def _check_date(raw: Any, ctx: _Context, earliest: date, future_allowed: bool) -> date:
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            raise _Bad("type", "expected a date as YYYY-MM-DD") from None
    else:
        raise _Bad("type", "expected a date as YYYY-MM-DD")
    if value < earliest:
        raise _Bad("earliest", f"date is before {earliest.isoformat()}")
    if not future_allowed and value > ctx.today:
        raise _Bad("future_date", "date is in the future")
    if ctx.birth_date is not None and value < ctx.birth_date:
        raise _Bad("before_birth", "date is before the patient's date of birth")
    return value


def _check_boolean(raw: Any, ctx: _Context) -> bool:
    if isinstance(raw, bool):
        return raw
    key = str(raw).strip().casefold()
    if key not in _BOOLEAN:
        raise _Bad("type", "expected yes or no")
    return _BOOLEAN[key]


def _check_text(raw: Any, max_length: int | None) -> str:
    problem = text_problem(raw, max_length, single_line=False)
    if problem is not None:
        raise _Bad(*problem)
    return raw.strip()


def text_problem(raw: Any, max_length: int | None, *, single_line: bool) -> tuple[str, str] | None:
    """The rule and message a text value breaks (type, max_length, characters), or None when the store can keep it.

    No text may hold a NUL or a lone surrogate (neither backend can store them alike); a one-line value (an ID, a
    code, a facility) holds no control characters at all.
    """
    if not isinstance(raw, str):
        return "type", "expected text"
    text = raw.strip()
    if max_length is not None and len(text) > max_length:
        return "max_length", f"text is {len(text)} characters long, at most {max_length} allowed"
    bad = next((c for c in text if _unstorable(c, single_line)), None)
    if bad is not None:
        return "characters", f"holds the character U+{ord(bad):04X}, which is not allowed here"
    return None


def _unstorable(char: str, single_line: bool) -> bool:
    code = ord(char)
    if code == 0 or 0xD800 <= code <= 0xDFFF:
        return True
    return single_line and (code < 0x20 or 0x7F <= code <= 0x9F)


def clip(text: str, limit: int = SHOWN) -> str:
    """`text` cut to `limit` characters (with an ellipsis), for messages about values of any length."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value
