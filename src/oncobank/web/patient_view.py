"""Everything about one patient on one page: sections with their entries, opinions and history, completeness, the
timeline, the disease module's derived facts, and the missing or contradictory data found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import FieldType, Section
from oncobank.dictionary.units import display_unit
from oncobank.dictionary.validate import Issue
from oncobank.store.card import EntryView, PatientCard
from oncobank.web import timeline
from oncobank.web.forms import Completeness, message, patient_status, section_status
from oncobank.web.labels import text

FOLLOW_UP = "follow_up"  # the core module's outcome section: its death date bounds every other entry


@dataclass
class SectionView:
    section: Section
    label: str
    entries: list[EntryView]
    completeness: Completeness


@dataclass
class PatientView:
    card: PatientCard
    sections: list[SectionView]
    completeness: Completeness
    svg: Markup
    flags: list[str] = field(default_factory=list)
    summary: dict[str, Any] | None = None


def shown(dictionary: Dictionary, section: Section, name: str, value: Any, entered: dict[str, Any],
          lang: str) -> str:
    """A stored value as a person reads it: code labels, numbers with their unit (and as entered, when converted)."""
    given = entered.get(name)
    if isinstance(given, dict) and "missing" in given:  # a missing-data code: said, not left empty
        found = next((label for m in dictionary.modules for code, label in m.missing_codes.items()
                      if code == given["missing"]), None)
        return f"[{found.get(lang) if found else given['missing']}]"
    if value is None or value == [] or value == "":
        return "—"
    try:
        f = section.field(name)
    except KeyError:
        return str(value)
    if f.domain is not None:
        labels = {c.code: c.label.get(lang) for c in dictionary.domains[f.domain].codes}
        return ", ".join(labels.get(v, str(v)) for v in (value if isinstance(value, list) else [value]))
    if f.type in (FieldType.NUMBER, FieldType.INTEGER) and isinstance(value, int | float):
        out = f"{value:g} {display_unit(f.unit)}" if f.unit else f"{value:g}"
        given = entered.get(name)
        if isinstance(given, dict) and given.get("unit"):
            out += f" ({given['value']:g} {display_unit(given['unit'])})"
        return out
    if f.type == FieldType.BOOLEAN:
        return text("yes" if value else "no", lang)
    return str(value)


def warning_text(dictionary: Dictionary, warning: dict[str, Any], lang: str) -> str:
    """A stored soft-range warning in `lang`: the field's label and the validator's rule worded for a page."""
    issue = Issue(warning.get("section") or "", warning.get("field"), warning.get("value"), warning.get("rule", ""),
                  warning.get("message", ""), warning.get("severity", "warning"))
    sec = dictionary.sections.get(issue.section)
    label = next((f.label.get(lang) for f in sec.fields if f.name == issue.field), issue.field) if sec else issue.field
    return f"{label}: {message(dictionary, issue, lang)}"


def flags(dictionary: Dictionary, card: PatientCard, statuses: list[Completeness], lang: str) -> list[str]:
    """What a reader should check: missing sections and values, unreviewed entries, entries after the death date,
    a death date without the status, second opinions that disagree, values outside the expected range."""
    out = [text("flag_missing", lang, what=m) for s in statuses for m in s.missing]
    unreviewed = sum(s.unreviewed for s in statuses)
    if unreviewed:
        out.append(text("flag_unreviewed", lang, n=str(unreviewed)))
    active = [e for e in card.entries if not e.retracted]
    deaths = [date.fromisoformat(e.current.values["death_date"]) for e in active
              if e.section == FOLLOW_UP and e.current.values.get("death_date")]
    if any(e.section == FOLLOW_UP and e.current.values.get("death_date") and e.current.values.get("vital_status")
           not in (None, "dead") for e in active):
        out.append(text("flag_death_status", lang))
    if deaths:
        death = min(deaths)
        for e in active:
            day = e.current.entry_date
            if day is not None and day > death and e.section != FOLLOW_UP:
                out.append(text("flag_after_death", lang, section=_label(dictionary, e.section, lang),
                                day=day.isoformat(), death=death.isoformat()))
    for e in active:
        label = _label(dictionary, e.section, lang)
        if any(r.agreement == "disagree" and r.entry_version == e.current.version for r in e.reviews):
            out.append(text("flag_disagree", lang, section=label))
        for w in e.current.warnings:
            name = w.get("field")
            sec = dictionary.sections.get(e.section)
            field_label = next((f.label.get(lang) for f in sec.fields if f.name == name), name) if sec else name
            out.append(text("flag_warning", lang, section=label, field=str(field_label)))
    return out


def _label(dictionary: Dictionary, section: str, lang: str) -> str:
    found = dictionary.sections.get(section)
    return found.label.get(lang) if found else section


def build(dictionary: Dictionary, card: PatientCard, lang: str, summary: dict[str, Any] | None = None,
          today: date | None = None) -> PatientView:
    """The page of `card` (read with `read_card`, so the read is audited)."""
    sections = []
    for section in dictionary.sections.values():
        entries = card.section(section.name)
        sections.append(SectionView(section, section.label.get(lang), entries,
                                    section_status(section, entries, lang)))
    statuses = [s.completeness for s in sections]
    return PatientView(card, sections, patient_status(statuses), timeline.render(dictionary, card, lang, today),
                       flags(dictionary, card, statuses, lang), summary)
