"""Data-entry forms generated from the dictionary: widgets per field, reading a posted form, messages, completeness.

No field is written by hand in a template: a section's form is the list of `Widget`s made here from its
declaration (type, domain, units with their conversion factors, ranges, required-ness), and what comes back is
turned into the values the store's validator takes. Messages are the validator's issues, worded in RU or EN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.logic import section_logic
from oncobank.dictionary.schema import FieldDef, FieldType, Range, Section
from oncobank.dictionary.units import display_unit
from oncobank.dictionary.validate import Issue
from oncobank.store.card import EntryView
from oncobank.store.progress import COMPLETE, INCOMPLETE, STATUSES, UNVERIFIED, expected

# The formats people type a date in; the first that reads the text wins.
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y")
PREFIX = "f."  # form fields of the section's fields are f.NAME, f.NAME.unit, f.NAME.ref_low, f.NAME.ref_high
LONG_TEXT = 300  # text fields allowing more characters than this get a textarea


@dataclass(frozen=True)
class Widget:
    """One field of a form: how it is shown and what it accepts."""

    name: str
    label: str
    kind: str  # number, integer, text, textarea, date, select, checkboxes, boolean
    required: bool
    unit: str | None = None
    units: list[tuple[str, str, float]] = field(default_factory=list)  # (unit, shown as, factor to canonical)
    options: list[tuple[str, str]] = field(default_factory=list)  # (code, label)
    hard: str | None = None
    soft: str | None = None
    reference_range: bool = False
    help: str | None = None
    max_length: int | None = None
    missing: list[tuple[str, str]] = field(default_factory=list)  # missing-data codes an optional field may take
    show_if: str | None = None  # branching logic as the JSON tree the page evaluates (dictionary/logic.py)
    calc: str | None = None  # a calculation's tree: the page shows the value, the store computes it on save


def missing_codes(dictionary: Dictionary, lang: str) -> list[tuple[str, str]]:
    """The dictionary's missing-data codes with their labels, in declaration order."""
    return [(code, label.get(lang)) for m in dictionary.modules for code, label in m.missing_codes.items()]


def widgets(dictionary: Dictionary, section: Section, lang: str) -> list[Widget]:
    """The form of `section`: one widget per field, in the dictionary's order (optional ones with the missing-data
    codes)."""
    codes = missing_codes(dictionary, lang)
    logic = section_logic(section)
    shown = {name: json.dumps(found.to_json()) for name, found in logic.shown_if.items()}
    computed = {name: json.dumps(found.to_json()) for name, found in logic.calculated.items()}
    return [
        replace(w if w.required else replace(w, missing=codes), show_if=shown.get(w.name), calc=computed.get(w.name))
        for w in (_widget(dictionary, f, lang) for f in section.fields)
    ]


def _widget(dictionary: Dictionary, f: FieldDef, lang: str) -> Widget:
    label = f.label.get(lang)
    if f.type in (FieldType.NUMBER, FieldType.INTEGER):
        units = [(u, display_unit(u), dictionary.units.factor(u, f.unit, f.molar_mass) if f.unit else 1.0)
                 for u in f.accepted_units]
        return Widget(f.name, label, str(f.type), f.required, f.unit, units, hard=_range(f.hard_range, f.unit),
                      soft=_range(f.soft_range, f.unit), reference_range=f.reference_range, help=f.description)
    if f.type in (FieldType.CODE, FieldType.ENUM):
        assert f.domain is not None
        options = [(c.code, c.label.get(lang)) for c in dictionary.domains[f.domain].codes]
        return Widget(f.name, label, "checkboxes" if f.multiple else "select", f.required, options=options,
                      help=f.description)
    if f.type == FieldType.DATE:
        return Widget(f.name, label, "date", f.required, help=f.description)
    if f.type == FieldType.BOOLEAN:
        return Widget(f.name, label, "boolean", f.required, help=f.description)
    long = f.max_length is None or f.max_length > LONG_TEXT
    return Widget(f.name, label, "textarea" if long else "text", f.required, help=f.description,
                  max_length=f.max_length)


def _range(found: Range | None, unit: str | None) -> str | None:
    return None if found is None else f"{found.describe()}{' ' + display_unit(unit) if unit else ''}"


def typed_date(text: str) -> str:
    """A date as typed (29.03.2021, 2021-03-29, 29/03/2021) in ISO form; anything else is passed on unchanged so
    that the validator names it."""
    cleaned = text.strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date().isoformat()
        except ValueError:
            continue
    return cleaned


@dataclass(frozen=True)
class Posted:
    """A posted form read back: the values for the validator, and the entry's own date and facility."""

    values: dict[str, Any]
    entry_date: str | None
    facility: str | None


def read_form(section: Section, form: Any) -> Posted:
    """The values of `section` in a posted form (a Starlette FormData or a dict of lists); empty fields are left
    out, so an edit clears them."""
    values: dict[str, Any] = {}
    for f in section.fields:
        key = PREFIX + f.name
        if f.multiple:
            chosen = [v for v in _all(form, key) if v.strip()]
            code = _one(form, key + ".missing").strip()
            if chosen or code:
                values[f.name] = chosen or {"missing": code}
            continue
        raw = _one(form, key)
        if not raw.strip():
            code = _one(form, key + ".missing").strip()
            if code:
                values[f.name] = {"missing": code}
            continue
        if f.type == FieldType.DATE:
            values[f.name] = typed_date(raw)
        elif f.type in (FieldType.NUMBER, FieldType.INTEGER):
            values[f.name] = _quantity(f, raw, form)
        else:
            values[f.name] = raw
    when = _one(form, "entry_date").strip()
    return Posted(values, typed_date(when) if when else None, _one(form, "facility").strip() or None)


def _quantity(f: FieldDef, raw: str, form: Any) -> Any:
    unit = _one(form, f"{PREFIX}{f.name}.unit").strip() or None
    low, high = (_one(form, f"{PREFIX}{f.name}.{k}").strip() for k in ("ref_low", "ref_high"))
    if (unit is None or unit == f.unit) and not (low or high):
        return raw
    item: dict[str, Any] = {"value": raw}
    if unit is not None and unit != f.unit:
        item["unit"] = unit
    if low or high:
        item["ref_low"], item["ref_high"] = low or None, high or None
    return item


def _all(form: Any, key: str) -> list[str]:
    if hasattr(form, "getlist"):
        return [v for v in form.getlist(key) if isinstance(v, str)]
    found = form.get(key, [])
    return list(found) if isinstance(found, list | tuple) else [found]


def _one(form: Any, key: str) -> str:
    found = _all(form, key)
    return found[0] if found else ""


def prefill(section: Section, values: Mapping[str, Any], entered: Mapping[str, Any],
            references: Mapping[str, Any]) -> dict[str, Any]:
    """A stored version as form values: numbers in the unit they were entered in, dates as stored."""
    shown: dict[str, Any] = {}
    for f in section.fields:
        given = entered.get(f.name)
        if isinstance(given, Mapping) and "missing" in given:
            shown[f.name + ".missing"] = given["missing"]
        if f.name not in values:
            continue
        value = values[f.name]
        if f.name in entered and isinstance(entered[f.name], Mapping):
            shown[f.name] = _plain(entered[f.name].get("value"))
            shown[f.name + ".unit"] = entered[f.name].get("unit")
        else:
            shown[f.name] = value if f.multiple else _plain(value)
        ref = references.get(f.name)
        if ref:
            shown[f.name + ".ref_low"], shown[f.name + ".ref_high"] = (_plain(x) for x in ref)
    return shown


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# The validator's rules worded for a form: (en, ru); {range} and {earliest} come from the field's declaration.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("a value is required", "обязательное поле"),
    "hard_range": ("outside the possible range {range}: not saved", "вне возможного диапазона {range}: не сохранено"),
    "soft_range": ("outside the expected range {range}: check it (saved with a warning)",
                   "вне ожидаемого диапазона {range}: проверьте (сохраняется с предупреждением)"),
    "type_number": ("expected a number", "ожидается число"),
    "type_integer": ("expected a whole number", "ожидается целое число"),
    "type_date": ("expected a date, e.g. 29.03.2021 or 2021-03-29",
                  "ожидается дата, например 29.03.2021 или 2021-03-29"),
    "domain": ("not a choice of this list", "нет такого значения в списке"),
    "unit": ("this unit is not accepted here", "эта единица здесь не принимается"),
    "future_date": ("the date is in the future", "дата в будущем"),
    "earliest": ("the date is before {earliest}", "дата раньше {earliest}"),
    "before_birth": ("the date is before the patient's date of birth", "дата раньше даты рождения пациента"),
    "before_entry": ("the review is dated before the entry it reviews", "второе мнение датировано раньше записи"),
    "max_length": ("the text is too long (at most {max_length} characters)",
                   "текст слишком длинный (не более {max_length} символов)"),
    "characters": ("holds a character that is not allowed here", "содержит недопустимый символ"),
    "missing_code": ("not a missing-data code of this registry", "нет такого кода пропуска данных"),
}


def message(dictionary: Dictionary, issue: Issue, lang: str) -> str:
    """An issue of the store's validator as a form shows it, in `lang` (its own English text where no wording)."""
    sec = dictionary.sections.get(issue.section)
    f = next((x for x in sec.fields if x.name == issue.field), None) if sec else None
    key = issue.rule
    if key == "type" and f is not None:
        key = {FieldType.NUMBER: "type_number", FieldType.INTEGER: "type_integer",
               FieldType.DATE: "type_date"}.get(f.type, "type")
    elif key == "type" and issue.field == "date":
        key = "type_date"
    pair = MESSAGES.get(key)
    if pair is None:
        return issue.message
    chosen = pair[1] if lang == "ru" else pair[0]
    shown = {"range": "", "earliest": (f.earliest or date(1900, 1, 1)).isoformat() if f else "1900-01-01",
             "max_length": str(f.max_length if f else "")}
    if f is not None:
        shown["range"] = _range(f.hard_range if key == "hard_range" else f.soft_range, f.unit) or ""
    return chosen.format(**shown)


def messages(dictionary: Dictionary, issues: list[Issue], lang: str) -> dict[str, list[dict[str, str]]]:
    """Issues by form field (the entry's date is `entry_date`), each {severity, text}."""
    found: dict[str, list[dict[str, str]]] = {}
    for issue in issues:
        where = "entry_date" if issue.field == "date" else issue.field or "_form"
        found.setdefault(where, []).append({"severity": issue.severity, "text": message(dictionary, issue, lang)})
    return found


# --- completeness --------------------------------------------------------------------------------------------

ORDER = STATUSES


@dataclass(frozen=True)
class Completeness:
    """A form's (or a patient's) status and what makes it so: labels of what is missing, entries not reviewed."""

    status: str
    missing: list[str] = field(default_factory=list)
    unreviewed: int = 0
    empty: bool = False  # a section no patient must have, with no entry: nothing to complete


def section_status(section: Section, entries: list[EntryView], lang: str) -> Completeness:
    """incomplete: an expected section with no active entry, or a required field without a value; unverified: every
    entry has its required values but one has no second opinion on its current version; complete otherwise."""
    active = [e for e in entries if not e.retracted]
    if not active:
        return Completeness(INCOMPLETE, [section.label.get(lang)]) if expected(section) else \
            Completeness(COMPLETE, empty=True)
    logic = section_logic(section)  # a required field its branching logic hides is not missing
    missing = [f.label.get(lang) for e in active for f in section.fields
               if f.required and f.name not in e.current.values and not logic.hidden(f.name, e.current.values)]
    if missing:
        return Completeness(INCOMPLETE, list(dict.fromkeys(missing)))
    unreviewed = sum(1 for e in active if not any(r.entry_version == e.current.version for r in e.reviews))
    return Completeness(UNVERIFIED, unreviewed=unreviewed) if unreviewed else Completeness(COMPLETE)


def patient_status(statuses: list[Completeness]) -> Completeness:
    """The worst of a patient's section statuses, with everything missing."""
    worst = min((ORDER.index(s.status) for s in statuses), default=ORDER.index(COMPLETE))
    return Completeness(ORDER[worst], [m for s in statuses for m in s.missing], sum(s.unreviewed for s in statuses))
