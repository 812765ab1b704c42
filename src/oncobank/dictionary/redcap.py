"""Convert dictionary modules to and from REDCap's data-dictionary CSV without losing anything."""

# How the mapping works: every row is first read the way REDCap itself reads it (the "plain" reading);
# what that reading gets wrong or cannot know is written as a JSON difference in the Field Annotation
# column (`@ONCOBANK-FIELD=`, `-SECTION=`, `-DOMAIN=`, `-MODULE=`). Export computes the difference with
# the same plain reading that import uses, so an exported file always reads back to the same module.
# A plain REDCap file keeps its presentation (field type, validation, matrix groups, action tags, ...) in
# each field's `entry` where it differs from what export writes by default, so it is written back as it came.

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from oncobank.dictionary.loader import load_module
from oncobank.dictionary.logic import rename, section_logic
from oncobank.dictionary.module_yaml import module_to_yaml
from oncobank.dictionary.redcap_format import (
    ALIGN,
    ANNOTATION,
    BRANCHING,
    CHOICES,
    FORM,
    HEADER,
    IDENTIFIER,
    LABEL,
    MATRIX,
    NOTE,
    QUESTION,
    RANKING,
    REDCAP_COLUMNS,
    REQUIRED,
    TYPE,
    VALIDATION,
    VAR,
    VMAX,
    VMIN,
    Loss,
    RedcapError,
    Row,
    read_rows,
)
from oncobank.dictionary.schema import Code, Domain, FieldDef, FieldType, Label, Module, Section

__all__ = ["REDCAP_COLUMNS", "Loss", "RedcapError", "RedcapImport", "export_redcap", "import_redcap",
           "module_to_yaml", "read_redcap", "safe_codes", "variable_names"]

RECORD_ID = "record_id"
NAME_MAX = 64  # the dictionary's limit on names; REDCap allows 100
RECORD_LABEL = Label(ru="Номер записи", en="Record ID")
RADIO_MAX = 4  # enums with at most this many choices become radio buttons, longer ones dropdowns
NOTES_OVER = 255  # text longer than this (or unlimited) becomes a multi-line "notes" box
# REDCap field types that hold no value the dictionary could keep, and why
SKIPPED_TYPES = {"descriptive": "display text, holds no data", "file": "files are attached as documents"}
# A field's type and limit columns, overridden by its `entry` where a plain file differed from export's default
TYPE_COLUMNS = {"validation": VALIDATION, "type": TYPE, "choices": CHOICES, "min": VMIN, "max": VMAX}
# Presentation columns kept in a field's `entry` as they are
SHOWN_COLUMNS = {"header": HEADER, "align": ALIGN, "question": QUESTION, "matrix": MATRIX, "ranking": RANKING}
# The record-ID row's cells kept in the module's `entry` where they are not the default `record_id` row's
RECORD_COLUMNS = {"name": VAR, "label": LABEL, "note": NOTE, "identifier": IDENTIFIER, "required": REQUIRED,
                  "branching": BRANCHING, **TYPE_COLUMNS, **SHOWN_COLUMNS}
CHECKED_VALIDATIONS = ("integer", "number", "date_ymd", "date_dmy", "date_mdy", "autocomplete")
DATE_FORMATS = {"date_ymd": "%Y-%m-%d", "date_dmy": "%d-%m-%Y", "date_mdy": "%m-%d-%Y"}

_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_NEGATIVE = re.compile(r"-\d+")  # REDCap takes negative whole numbers as codes (-9, -99: missing-data codes)
_ACTION_TAG = re.compile(r"@[A-Z][A-Z0-9_-]*")
_ONTOLOGY = re.compile(r"[A-Z]+:\S+")  # BIOPORTAL:ICD10CM, the look-up a text field's choices column names


@dataclass
class RedcapImport:
    """An imported module, what REDCap's file held that the module could not keep or does not apply, and how
    the file's shape differed from REDCap's own."""

    module: Module
    losses: list[Loss] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def dropped(self) -> list[Loss]:
        return [loss for loss in self.losses if not loss.kept]


# ---------------------------------------------------------------------------------------------- export


def export_redcap(module: Module, domains: dict[str, Domain], lang: str = "en") -> str:
    """REDCap data-dictionary CSV of `module`'s own sections; `domains` resolves inherited domains."""
    if lang not in ("ru", "en"):
        raise ValueError(f"language must be 'ru' or 'en', not {lang!r}")
    rows = [_record_row(module, lang)]
    job = _Export(module, domains, lang, variable_names(module))
    rows += [job.row(section, index) for section in module.sections for index in range(len(section.fields))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REDCAP_COLUMNS)
    writer.writerows([row[c] for c in REDCAP_COLUMNS] for row in rows)
    return out.getvalue()


def variable_names(module: Module) -> dict[tuple[str, str], str]:
    """REDCap variable of each (section, field): REDCap needs names unique across forms, the dictionary
    only within a section, so a name used by several sections is prefixed with its section's."""
    counts = Counter(f.name for s in module.sections for f in s.fields)
    record = _record_name(module)
    taken = {record, *counts}
    names: dict[tuple[str, str], str] = {}
    for section in module.sections:
        for f in section.fields:
            name = f.name
            if counts[name] > 1 or name == record:
                name = f"{section.name}_{f.name}"
                n = 1
                while name in taken or len(name) > NAME_MAX:
                    n += 1
                    name = f"{f.name[: NAME_MAX - 4]}_{n}"
                taken.add(name)
            names[section.name, f.name] = name
    return names


def _record_name(module: Module) -> str:
    return module.entry.get("name", RECORD_ID)


def _record_row(module: Module, lang: str) -> dict[str, str]:
    row = dict.fromkeys(REDCAP_COLUMNS, "")
    first_form = module.sections[0].name if module.sections else module.module
    row.update({VAR: RECORD_ID, FORM: first_form, TYPE: "text", LABEL: RECORD_LABEL.get(lang)})
    row.update({column: module.entry[key] for key, column in RECORD_COLUMNS.items() if key in module.entry})
    info = module.model_dump(mode="json", exclude_defaults=True, exclude={"domains", "sections", "entry"})
    used = [f.domain for s in module.sections for f in s.fields if f.domain in module.domains]
    unused = {n: d.model_dump(mode="json", exclude_defaults=True)
              for n, d in module.domains.items() if n not in used}
    if unused:
        info["domains"] = unused
    natural = [*unused, *dict.fromkeys(used)]  # the order import would rebuild them in
    if natural != list(module.domains):
        info["domain_order"] = list(module.domains)
    row[ANNOTATION] = " ".join(t for t in (module.entry.get("tags", ""), _tag("MODULE", info)) if t)
    return row


@dataclass
class _Export:
    module: Module
    domains: dict[str, Domain]
    lang: str
    names: dict[tuple[str, str], str]
    described: set[str] = field(default_factory=set)  # own domains already written out in full

    def row(self, section: Section, index: int) -> dict[str, str]:
        """The row of one field; its annotation holds what REDCap's plain reading of the row misses."""
        f, lang = section.fields[index], self.lang
        row = dict.fromkeys(REDCAP_COLUMNS, "")
        row.update({VAR: self.names[section.name, f.name], FORM: section.name, LABEL: f.label.get(lang),
                    IDENTIFIER: "y" if f.identifying else "", REQUIRED: "y" if f.required else "",
                    NOTE: " — ".join(p for p in (f.description, f.unit) if p)})
        row.update({column: f.entry[key] for key, column in SHOWN_COLUMNS.items() if key in f.entry})
        above = self._record_header(section, index)
        if index == 0:
            row[HEADER] = "" if above else section.label.get(lang)
        domain = None
        if f.domain is not None:
            domain = self.module.domains.get(f.domain) or self.domains.get(f.domain)
            if domain is None:
                raise RedcapError(f"section {section.name}, field {f.name}: unknown domain {f.domain!r}")
        row.update(_type_columns(f, domain, lang))
        # REDCap's logic names variables, which carry a section prefix where field names clash
        variables = {g.name: self.names[section.name, g.name] for g in section.fields}
        if f.show_if:
            row[BRANCHING] = rename(f.show_if, variables)
        if f.calculation:
            row[CHOICES] = rename(f.calculation, variables)
        tags = [f.entry["tags"]] if f.entry.get("tags") else []
        if f.type == FieldType.TEXT and f.max_length is not None:
            tags.append(f"@CHARLIMIT={f.max_length}")
        leftover = f.entry.get("tags", "")
        charlimit = f.max_length if f.type == FieldType.TEXT else None
        plain = _plain_row(Row(0, row, {}, charlimit, leftover), first=index == 0, above=above)
        if index == 0:
            real = section.model_dump(mode="json", exclude={"fields"})
            tags.append(_tag("SECTION", _delta(plain.section.model_dump(mode="json"), real)))
        if domain is not None and f.domain in self.module.domains and f.domain not in self.described:
            self.described.add(f.domain)
            tags.append(_tag("DOMAIN", _domain_delta(f.domain, domain, plain)))
        delta = _delta(plain.field.model_dump(mode="json"), f.model_dump(mode="json"))
        delta.pop("entry", None)
        if plain.field.entry != f.entry:
            delta["entry"] = f.entry  # whole: a difference of dicts cannot say that a key goes
        tags.append(_tag("FIELD", delta))
        row[ANNOTATION] = " ".join(t for t in tags if t)
        return row

    def _record_header(self, section: Section, index: int) -> str:
        """The record-ID row's section header when it already shows this (first) section's label."""
        header = self.module.entry.get("header", "")
        first = index == 0 and section is self.module.sections[0]
        return header if first and header == section.label.get(self.lang) else ""


def _type_columns(f: FieldDef, domain: Domain | None, lang: str) -> dict[str, str]:
    """Field Type, choices and validation columns of one field: export's default, then the field's `entry`."""
    cols = dict.fromkeys(TYPE_COLUMNS.values(), "")
    low, high = (f.hard_range.min, f.hard_range.max) if f.hard_range else (None, None)
    if f.calculation is not None:
        cols.update({TYPE: "calc", CHOICES: f.calculation, VMIN: _number(low), VMAX: _number(high)})
    elif domain is not None:
        cols[CHOICES] = " | ".join(f"{safe}, {_choice_label(code.label.get(lang))}"
                                   for safe, code in zip(safe_codes(domain), domain.codes, strict=True))
        if f.multiple:
            cols[TYPE] = "checkbox"
        elif f.type == FieldType.ENUM and len(domain.codes) <= RADIO_MAX:
            cols[TYPE] = "radio"
        else:
            cols[TYPE] = "dropdown"
    elif f.type == FieldType.BOOLEAN:
        cols[TYPE] = "yesno"
    elif f.type in (FieldType.NUMBER, FieldType.INTEGER):
        cols.update({TYPE: "text", VALIDATION: str(f.type), VMIN: _number(low), VMAX: _number(high)})
    elif f.type == FieldType.DATE:
        cols.update({TYPE: "text", VALIDATION: "date_ymd", VMIN: f.earliest.isoformat() if f.earliest else "",
                     VMAX: "" if f.future_allowed else "today"})
    else:
        long_text = f.max_length is None or f.max_length > NOTES_OVER
        cols[TYPE] = "notes" if long_text and not f.entry.get("validation") else "text"
    cols.update({column: f.entry[key] for key, column in TYPE_COLUMNS.items() if key in f.entry})
    return cols


def _domain_delta(name: str, domain: Domain, plain: _Plain) -> dict[str, Any]:
    base = plain.domain
    assert base is not None  # a row with choices always reads into a domain
    out: dict[str, Any] = {"name": name}
    label = _delta(base.label.model_dump(), domain.label.model_dump())
    if label:
        out["label"] = label
    codes = {}
    for safe, code, plain_code in zip(safe_codes(domain), domain.codes, base.codes, strict=True):
        delta = _delta(plain_code.model_dump(mode="json"), code.model_dump(mode="json"))
        if delta:
            codes[safe] = delta
    if codes:
        out["codes"] = codes
    return out


def safe_codes(domain: Domain) -> list[str]:
    """REDCap choice codes (letters, digits, underscore, or a negative whole number) for a domain's codes,
    unique and in order."""
    out: list[str] = []
    seen: set[str] = set()
    for code in domain.codes:
        stem = code.code if _NEGATIVE.fullmatch(code.code) else _UNSAFE.sub("_", code.code).strip("_") or "code"
        safe, n = stem, 1
        while safe.casefold() in seen:  # checkbox columns fold case, so "a" and "A" would collide
            n += 1
            safe = f"{stem}_{n}"
        seen.add(safe.casefold())
        out.append(safe)
    return out


def _tag(kind: str, data: dict[str, Any]) -> str:
    if not data:
        return ""
    return f"@ONCOBANK-{kind}=" + json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")  # shortest exact decimal, never scientific notation


def _choice_label(text: str) -> str:
    # "|" separates choices and a line break would too; the annotation keeps the original
    return " ".join(text.split()).replace("|", "/")


# ------------------------------------------------------------------------------- the plain reading


@dataclass
class _Plain:
    """A row read as REDCap reads it: what the module gets when there is no annotation."""

    field: FieldDef
    section: Section
    domain: Domain | None
    choices: list[str]
    losses: list[Loss]


def _plain_row(row: Row, first: bool, above: str = "") -> _Plain:
    """The plain reading of one row; `first` for a form's first row, `above` the record-ID row's section header
    when this row opens the first form without one of its own."""
    cells, n = row.cells, row.number
    losses: list[Loss] = []
    name, kind = cells[VAR], cells[TYPE].strip().lower()
    label = cells[LABEL].strip() or name
    data: dict[str, Any] = {
        "name": name,
        "label": {"ru": label, "en": label},
        "description": cells[NOTE].strip() or None,
        "identifying": _flag(row, IDENTIFIER),
        "required": _flag(row, REQUIRED),
        "show_if": cells[BRANCHING].strip() or None,
    }
    choices: list[tuple[str, str]] = []
    if kind in ("dropdown", "radio", "checkbox"):
        choices = _parse_choices(row)
        data.update(type=FieldType.ENUM, domain=_choices_name(name), multiple=kind == "checkbox")
    elif kind in ("yesno", "truefalse"):
        data["type"] = FieldType.BOOLEAN
    elif kind == "notes":
        data.update(type=FieldType.TEXT, max_length=row.charlimit)
    elif kind == "text":
        data.update(_plain_text(row, losses))
    elif kind == "calc":
        data.update(type=FieldType.NUMBER, calculation=cells[CHOICES].strip(), hard_range=_range(row))
    elif kind == "slider":
        data.update(type=FieldType.INTEGER, hard_range={"min": _float(row, VMIN) or 0.0,
                                                       "max": _float(row, VMAX) or 100.0})
    elif kind == "sql":
        data["type"] = FieldType.TEXT
        losses.append(_kept("sql", "SQL choice query kept; the field is free text", row, CHOICES))
    else:
        raise RedcapError("unknown field type", n, TYPE, cells[TYPE])
    tags = _ACTION_TAG.findall(row.leftover)
    if tags:
        losses.append(_kept("action_tag", f"action tag(s) {' '.join(tags)} kept; not applied", row, ANNOTATION))
    plain_field = _validated(FieldDef, data, row, VAR, name)
    domain = None
    if choices:
        domain = Domain(label=plain_field.label,
                        codes=[Code(code=c, label=Label(ru=t, en=t)) for c, t in choices])
    plain_field = plain_field.model_copy(update={"entry": _entry(row, plain_field, domain, first)})
    header = (cells[HEADER].strip() or above) if first else ""
    section_label = header or _humanise(cells[FORM])
    section = _validated(Section, {"name": cells[FORM], "label": {"ru": section_label, "en": section_label},
                                   "fields": [plain_field]}, row, FORM, cells[FORM])
    return _Plain(plain_field, section, domain, [c for c, _ in choices], losses)


def _entry(row: Row, plain: FieldDef, domain: Domain | None, first: bool) -> dict[str, str]:
    """The row's presentation where export's default would write it otherwise, column by column."""
    entry: dict[str, str] = {}
    for key, column in TYPE_COLUMNS.items():
        if key == "choices" and domain is not None:
            continue  # the choices are the domain
        found = row.cells[column].strip()
        if found != _type_columns(plain.model_copy(update={"entry": entry}), domain, "en")[column]:
            entry[key] = found
    for key, column in SHOWN_COLUMNS.items():
        if row.cells[column].strip() and not (key == "header" and first):
            entry[key] = row.cells[column].strip()
    if row.leftover:
        entry["tags"] = row.leftover
    return entry


def _logic_not_applied(section: Section, rows: dict[str, Row]) -> list[Loss]:
    """Branching logic and calculations kept as written but not applied: those that read another form's fields
    (an entry holds one form) or that OncoBank cannot read (smart variables, events). The rest are applied."""
    return [
        _kept("calculation" if kind == "calculation" else "branching", f"{why}; kept, not applied", rows[name],
              CHOICES if kind == "calculation" else BRANCHING)
        for name, kind, why in section_logic(section).skipped
    ]


def _kept(kind: str, text: str, row: Row, column: str) -> Loss:
    return Loss(kind, text, row.number, column, row.cells[VAR], kept=True)


def _choices_name(variable: str) -> str:
    suffix = "_choices"
    return variable[: NAME_MAX - len(suffix)] + suffix


def _plain_text(row: Row, losses: list[Loss]) -> dict[str, Any]:
    """Type and limits of a REDCap text box, from its validation type."""
    validation = row.cells[VALIDATION].strip()
    if validation == "integer" or validation.startswith("number"):
        kind = FieldType.INTEGER if validation == "integer" else FieldType.NUMBER
        return {"type": kind, "hard_range": _range(row)}
    if validation in DATE_FORMATS:
        low, high = row.cells[VMIN].strip(), row.cells[VMAX].strip()
        earliest = _date(low, validation)
        if low and earliest is None:
            losses.append(_kept("date_limit", f"earliest date {low!r} kept; not checked", row, VMIN))
        if high not in ("", "today"):
            losses.append(_kept("date_limit", f"latest date {high!r} kept; checked as 'no dates after today'",
                                row, VMAX))
        return {"type": FieldType.DATE, "earliest": earliest, "future_allowed": not high}
    choices = row.cells[CHOICES].strip()
    if _ONTOLOGY.fullmatch(choices):
        losses.append(_kept("ontology", f"ontology look-up {choices!r} kept; values are free text, not looked up",
                            row, CHOICES))
    if validation and validation not in CHECKED_VALIDATIONS:
        losses.append(_kept("validation", f"validation {validation!r} kept; the value is stored as text, "
                            "not checked", row, VALIDATION))
    return {"type": FieldType.TEXT, "max_length": row.charlimit}


def _range(row: Row) -> dict[str, float | None] | None:
    low, high = _float(row, VMIN), _float(row, VMAX)
    return {"min": low, "max": high} if low is not None or high is not None else None


def _parse_choices(row: Row) -> list[tuple[str, str]]:
    text = row.cells[CHOICES]
    choices: list[tuple[str, str]] = []
    for part in text.split("|"):
        if not part.strip():
            continue
        code, comma, label = part.partition(",")
        code, label = code.strip(), label.strip()
        if not comma or not code:
            raise RedcapError(f"choice {part.strip()!r} is not 'code, label'", row.number, CHOICES, text)
        if code in [c for c, _ in choices]:
            raise RedcapError(f"choice code {code!r} is listed twice", row.number, CHOICES, text)
        choices.append((code, label or code))
    if not choices:
        raise RedcapError(f"a {row.cells[TYPE]} field needs choices", row.number, CHOICES, text)
    return choices


def _flag(row: Row, column: str) -> bool:
    value = row.cells[column].strip().lower()
    if value in ("", "n", "no", "0"):
        return False
    if value in ("y", "yes", "1"):
        return True
    raise RedcapError("expected 'y' or nothing", row.number, column, row.cells[column])


def _float(row: Row, column: str) -> float | None:
    text = row.cells[column].strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise RedcapError("not a number", row.number, column, text) from None


def _date(text: str, validation: str) -> date | None:
    """A date limit as written: REDCap files carry Y-M-D, some the validation's own order."""
    for pattern in dict.fromkeys(("%Y-%m-%d", DATE_FORMATS[validation])):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _humanise(name: str) -> str:
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def _validated(model: Any, data: dict[str, Any], row: Row, column: str, value: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or model.__name__}: {e['msg']}"
                             for e in exc.errors())
        raise RedcapError(problems, row.number, column, value) from None


# ---------------------------------------------------------------------------------------------- import


def import_redcap(csv_text: str, module_name: str | None = None, label: Label | None = None,
                  extends: list[str] | None = None) -> Module:
    """Module from a REDCap data-dictionary CSV; name, label and extends default to the file's own."""
    return read_redcap(csv_text, module_name, label, extends).module


def read_redcap(csv_text: str, module_name: str | None = None, label: Label | None = None,
                extends: list[str] | None = None) -> RedcapImport:
    """Like `import_redcap`, plus the list of what the file held that the module cannot keep or does not apply,
    and warnings about the file's shape."""
    warnings: list[str] = []
    rows = read_rows(csv_text, warnings)
    record, body = rows[0], rows[1:]
    info = record.tags.get("MODULE", {})
    for key, kind in (("domains", dict), ("domain_order", list), ("extends", list)):
        if not isinstance(info.get(key, kind()), kind):
            shape = "object" if kind is dict else "list"
            message = f"@ONCOBANK-MODULE: {key} must be a JSON {shape}"
            raise RedcapError(message, record.number, ANNOTATION, info[key])
    name = module_name or info.get("module")
    if not name:
        raise RedcapError("no module name given and none recorded in the file", record.number, ANNOTATION)
    parents = list(extends if extends is not None else info.get("extends", []))
    inherited = _inherited_domains(parents)
    losses: list[Loss] = []
    if "MODULE" not in record.tags:
        losses += [Loss("language", "labels: REDCap has one language; each label was copied to Russian and English"),
                   Loss("repeating", "sections: repeating instruments are a project setting, not in the data "
                        "dictionary; all sections were imported as not repeating")]
    body = _skip_valueless(body, losses)
    above = record.cells[HEADER].strip()
    plains = [_plain_row(r, first=i == 0 or r.cells[FORM] != body[i - 1].cells[FORM],
                         above=above if i == 0 and r.cells[FORM] == record.cells[FORM] else "")
              for i, r in enumerate(body)]
    own = _tagged_domains(record, info, body, plains)
    forms: dict[str, list[tuple[Row, _Plain]]] = {}
    for r, plain in zip(body, plains, strict=True):
        losses += plain.losses
        if r.cells[FORM] in forms and r.cells[FORM] != next(reversed(forms)):
            raise RedcapError("a form's fields must be together; this form appeared earlier",
                              r.number, FORM, r.cells[FORM])
        forms.setdefault(r.cells[FORM], []).append((r, plain))
    sections = []
    for entries in forms.values():
        fields = [_resolve_field(r, plain, own, inherited) for r, plain in entries]
        first, plain = entries[0]
        base = plain.section.model_dump(mode="json", exclude={"fields"})
        data = _merge(base, first.tags.get("SECTION", {}))
        section = _validated(Section, {**data, "fields": fields}, first, ANNOTATION, first.cells[FORM])
        losses += _logic_not_applied(section, {plain.field.name: r for r, plain in entries})
        sections.append(section)
    order = info.get("domain_order", list(own))
    domains = {n: own[n] for n in [*order, *own] if n in own}
    module_label = label.model_dump() if label is not None else info.get("label")
    data = {**info, "module": name, "label": module_label or {"ru": _humanise(name), "en": _humanise(name)},
            "version": info.get("version", 1), "extends": parents, "domains": domains, "sections": sections,
            "entry": _record_entry(record)}
    data.pop("domain_order", None)
    losses.sort(key=lambda loss: loss.row or 0)  # the file's own first, then row by row
    return RedcapImport(_validated(Module, data, record, ANNOTATION, name), losses, warnings)


def _record_entry(record: Row) -> dict[str, str]:
    """What the record-ID row holds beyond the default `record_id` row export writes."""
    default = dict.fromkeys(REDCAP_COLUMNS, "")
    default.update({VAR: RECORD_ID, TYPE: "text"})
    entry = {key: record.cells[column].strip() for key, column in RECORD_COLUMNS.items()
             if record.cells[column].strip() != default[column]}
    if entry.get("label") in (RECORD_LABEL.ru, RECORD_LABEL.en):
        del entry["label"]
    if record.leftover:
        entry["tags"] = record.leftover
    return entry


def _skip_valueless(body: list[Row], losses: list[Loss]) -> list[Row]:
    """The rows that hold a value; a dropped row's section header moves to the next row of its form without one."""
    kept = []
    for i, r in enumerate(body):
        kind = r.cells[TYPE].strip().lower()
        if kind in SKIPPED_TYPES:
            header = r.cells[HEADER].strip()
            after = body[i + 1] if i + 1 < len(body) and body[i + 1].cells[FORM] == r.cells[FORM] else None
            if header and after is not None and not after.cells[HEADER].strip():
                after.cells[HEADER] = header
                also = f"; its section header {header!r} moved to {after.cells[VAR]!r}"
            else:
                also = f"; its section header {header!r} went with it" if header else ""
            shown = "signature" if r.cells[VALIDATION].strip().lower() == "signature" else kind
            losses.append(Loss("no_value", f"{shown} field {r.cells[VAR]!r} dropped ({SKIPPED_TYPES[kind]}){also}",
                               r.number, TYPE, r.cells[VAR]))
        else:
            kept.append(r)
    return kept


def _inherited_domains(parents: Iterable[str]) -> dict[str, Domain]:
    domains: dict[str, Domain] = {}
    for parent in parents:
        try:
            domains.update(load_module(parent).domains)
        except ValueError as exc:
            raise RedcapError(f"cannot load extended module {parent!r}: {exc}") from None
    return domains


def _tagged_domains(record: Row, info: dict[str, Any], body: list[Row],
                    plains: list[_Plain]) -> dict[str, Domain]:
    """The module's own domains written by export: unused ones on the record row, the rest on first use."""
    own: dict[str, Domain] = {}
    for dname, raw in info.get("domains", {}).items():
        own[dname] = _validated(Domain, raw, record, ANNOTATION, dname)
    for r, plain in zip(body, plains, strict=True):
        tag = r.tags.get("DOMAIN")
        if tag is None:
            continue
        dname = tag.get("name")
        if plain.domain is None or not isinstance(dname, str) or dname in own:
            raise RedcapError("@ONCOBANK-DOMAIN needs a choice field, and a new domain name",
                              r.number, ANNOTATION, dname)
        codes = tag.get("codes", {})
        if not isinstance(codes, dict) or not all(isinstance(v, dict) for v in codes.values()):
            raise RedcapError("@ONCOBANK-DOMAIN: codes must map choice codes to objects",
                              r.number, ANNOTATION, r.cells[ANNOTATION])
        unknown = set(codes) - set(plain.choices)
        if unknown:
            raise RedcapError(f"annotation names codes not among the choices: {sorted(unknown)}",
                              r.number, ANNOTATION, r.cells[ANNOTATION])
        data = plain.domain.model_dump(mode="json")
        data["label"] = _merge(data["label"], tag.get("label", {}))
        data["codes"] = [_merge(c, codes.get(c["code"], {})) for c in data["codes"]]
        own[dname] = _validated(Domain, data, r, ANNOTATION, dname)
    return own


def _resolve_field(r: Row, plain: _Plain, own: dict[str, Domain], inherited: dict[str, Domain]) -> FieldDef:
    """The field of a row, its domain found among the module's own or the inherited ones."""
    tag = r.tags.get("FIELD", {})
    data = _merge(plain.field.model_dump(mode="json"), tag)
    if "entry" in tag:
        data["entry"] = tag["entry"]
    f: FieldDef = _validated(FieldDef, data, r, ANNOTATION, r.cells[VAR])
    if f.domain is None:
        return f
    for pool in (own, inherited):
        if f.domain in pool:
            if safe_codes(pool[f.domain]) != plain.choices:
                raise RedcapError(f"choices differ from those of domain {f.domain!r}", r.number, CHOICES,
                                  r.cells[CHOICES])
            return f
    if "FIELD" in r.tags or plain.domain is None:
        raise RedcapError(f"domain {f.domain!r} is neither in the file nor in the extended modules",
                          r.number, ANNOTATION, f.domain)
    for dname, domain in inherited.items():  # a plain REDCap list that an extended module already has
        if safe_codes(domain) == plain.choices:
            return f.model_copy(update={"domain": dname})
    own[f.domain] = plain.domain
    return f


def _delta(base: dict[str, Any], real: dict[str, Any]) -> dict[str, Any]:
    """What must change in `base` to give `real` (nested dicts compared key by key)."""
    out: dict[str, Any] = {}
    for key, value in real.items():
        old = base.get(key)
        if key in base and old == value:
            continue
        out[key] = _delta(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def _merge(base: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in delta.items():
        old = out.get(key)
        out[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out
