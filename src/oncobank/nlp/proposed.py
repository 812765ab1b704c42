"""Facts folded into proposed entries: one per section of a document, or one per record of a repeated kind.

A fact `{kind}_{k}_{part}` (the k-th radioiodine course, drug period, lesion, gene test) that is no field of its
section is a part of the k-th record. When the section has a field `…_{k}_{part}` for one of the record's parts
(the imaging entry's `target_lesion_{k}_site`), the record is a row of the section's one entry; otherwise the
record is an entry of its own: its parts go to the fields of the same name, its date (a part `…_date` the section
has no field of, else the first date field in the dictionary's order it fills) is the entry's date, and the
section's other facts go to the latest records' entries (the report's own: a post-therapy scan to the last
course; a genetics report's method to every test, all of the report's date). A fact with no field is shown in
review as not kept and never sent to the store; a document's own `entry_date` dates the proposals with no date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import FieldType
from oncobank.nlp.facts import Fact

RECORD = re.compile(r"(?P<kind>[a-z]+)_(?P<k>\d+)_(?P<part>\w+)")
DOCUMENTS = "documents"  # the core section whose entries name the documents
ENTRY_DATE = "entry_date"  # the item holding the proposed entry's date
VALUE, DATE, NOT_KEPT = "value", "date", "not kept"  # an item's role


@dataclass
class Proposed:
    section: str
    record: int  # 0: the section's one entry of the document; k >= 1: the entry of its k-th record
    items: list[dict[str, Any]]


def record_of(items: list[dict[str, Any]]) -> int:
    """The record a proposal's items are of (0 for a proposal written before records were proposed)."""
    return int(items[0].get("record", 0)) if items else 0


def values_of(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Field -> value of the items that go to the store."""
    return {i["field"]: i["value"] for i in items if i.get("role", VALUE) == VALUE}


def date_of(items: list[dict[str, Any]]) -> str | None:
    return next((i["value"] for i in items if i.get("role") == DATE), None)


def fold(facts: list[Fact]) -> dict[str, dict[str, dict[str, Any]]]:
    """Facts folded per section into one item per field: a scalar field keeps its first fact, a list field every
    value in order (the spans of all of them); the confidence is the lowest of the facts'."""
    sections: dict[str, dict[str, dict[str, Any]]] = {}
    for f in facts:
        multi = f.rule.endswith("[]")
        fields = sections.setdefault(f.section, {})
        item = fields.get(f.field)
        if item is None:
            fields[f.field] = {
                "field": f.field,
                "value": [f.value] if multi else f.value,
                "spans": [[f.start, f.end]],
                "rule": f.rule,
                "confidence": f.confidence,
                "negated": f.negated,
                "uncertain": f.uncertain,
            }
        elif multi and f.value not in item["value"]:
            item["value"].append(f.value)
            item["spans"].append([f.start, f.end])
            item["confidence"] = min(item["confidence"], f.confidence)
            item["uncertain"] = item["uncertain"] or f.uncertain
    return sections


def proposed(facts: list[Fact], dictionary: Dictionary) -> list[Proposed]:
    """The entries a document's facts propose, each with its items (role: value, date or not kept)."""
    sections = fold(facts)
    document_date = sections.pop(DOCUMENTS, {}).get(ENTRY_DATE)
    out: list[Proposed] = []
    for section, items in sections.items():
        if section not in dictionary.sections:
            continue
        fields = dictionary.section(section).fields
        names = {f.name for f in fields}
        dates = [f.name for f in fields if f.type == FieldType.DATE]
        plain: dict[str, dict[str, Any]] = {}
        records: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}
        for name, item in items.items():
            m = RECORD.fullmatch(name)
            if m and name not in names:
                records.setdefault((m["kind"], int(m["k"])), {})[m["part"]] = item
            else:
                plain[name] = item
        rowed = {kind for (kind, k), parts in records.items() if any(_row_field(names, k, p) for p in parts)}
        own: list[dict[str, dict[str, Any]]] = []
        for (kind, k), parts in sorted(records.items()):
            if kind in rowed:  # a row of the section's one entry (a row past the last the section has: not kept)
                for p, item in parts.items():
                    name = _row_field(names, k, p) or f"{kind}_{k}_{p}"
                    plain[name] = item | {"field": name}
            else:
                own.append({p: item | {"field": p, "source": item["field"]} for p, item in parts.items()})
        if not own:
            out += _one(section, 0, plain, names, dates, document_date)
            continue
        carried = {p for parts in own for p in parts}
        shared = {n: i for n, i in plain.items() if n in names and n not in carried}
        days = [(_date(parts, names, dates, document_date) or {}).get("value") for parts in own]
        latest = max((d for d in days if d), default=None)
        for k, (parts, day) in enumerate(zip(own, days, strict=True), start=1):
            out += _one(section, k, parts | (shared if day == latest else {}), names, dates, document_date)
    return out


def _row_field(names: set[str], k: int, part: str) -> str | None:
    found = [n for n in names if n.endswith(f"_{k}_{part}")]
    return found[0] if len(found) == 1 else None


def _one(
    section: str,
    record: int,
    items: dict[str, dict[str, Any]],
    names: set[str],
    dates: list[str],
    document_date: dict[str, Any] | None,
) -> list[Proposed]:
    """One entry's items (none when no item goes to the store): the fields, the date, what is not kept."""
    date = _date(items, names, dates, document_date)
    out = [
        item | {"role": VALUE if name in names else NOT_KEPT}
        for name, item in items.items()
        if name in names or item is not date
    ]
    if not any(i["role"] == VALUE for i in out):
        return []
    if date is not None:
        out.append(date | {"field": ENTRY_DATE, "role": DATE, "source": date["field"]})
    return [Proposed(section, record, [i | {"record": record} for i in out])]


def _date(
    items: dict[str, dict[str, Any]], names: set[str], dates: list[str], document_date: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The item dating an entry: a `…_date` the section has no field of, else the first date field in the
    dictionary's order, else the document's own date."""
    own = next((i for n, i in items.items() if n not in names and n.endswith("_date")), None)
    return own or next((items[n] for n in dates if n in items), document_date)
