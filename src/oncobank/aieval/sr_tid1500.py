"""Read a vendor's standard SR (TID 1500 measurement report, Basic or Enhanced text SR) into one result row.

The content tree is walked as it is, whatever template wrote it (highdicom, dcmqi, a vendor's own): the
mapping (`sr_map`) names the items that carry the probability and the category. Measurement groups
(TID 1410/1411/1501) are kept as findings with their tracking identifiers, measurements and qualitative
evaluations. The study's probability is the highest one reported (a study is as suspicious as its most
suspicious finding); its category the most severe of the mapping's values found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from oncobank.aieval.errors import Issue
from oncobank.aieval.sr_map import SrMap, concept_key

GROUP = ("DCM", "125007")  # Measurement Group
TRACKING_ID = ("DCM", "112039")
TRACKING_UID = ("DCM", "112040")
FINDING = ("DCM", "121071")
FINDING_SITE = ("SCT", "363698007")
NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Item:
    """One content item: its concept, value type, where it sits (concept meanings from the root), and group."""

    concept: tuple[str, str]
    kind: str
    path: str
    node: Any
    group: int | None  # index of the measurement group it belongs to


def _concept(node: Any) -> tuple[tuple[str, str], str] | None:
    if "ConceptNameCodeSequence" not in node or not node.ConceptNameCodeSequence:
        return None
    code = node.ConceptNameCodeSequence[0]
    value = str(code.get("CodeValue") or code.get("LongCodeValue") or code.get("URNCodeValue") or "")
    return (str(code.get("CodingSchemeDesignator", "")), value), str(code.get("CodeMeaning", value))


def walk(ds: Any) -> list[Item]:
    """Every content item below the root, depth first, with its path and measurement group."""
    out: list[Item] = []
    groups = 0

    def visit(node: Any, path: str, group: int | None) -> None:
        nonlocal groups
        for child in getattr(node, "ContentSequence", []):
            named = _concept(child)
            if named is None:
                continue
            concept, meaning = named
            inside = group
            if concept == GROUP and child.ValueType == "CONTAINER":
                inside = groups
                groups += 1
                meaning = f"{meaning} {groups}"  # which of the report's groups, as the error will say
            here = f"{path} > {meaning}" if path else meaning
            out.append(Item(concept, str(child.ValueType), here, child, inside))
            visit(child, here, inside)

    visit(ds, "", None)
    return out


def code_of(node: Any) -> tuple[str, str, str] | None:
    seq = node.get("ConceptCodeSequence")
    if not seq:
        return None
    code = seq[0]
    return str(code.CodingSchemeDesignator), str(code.CodeValue), str(code.CodeMeaning)


def _number(item: Item, smap: SrMap) -> tuple[float | None, str | None]:
    """The item's probability on 0–1, or the reason it has none."""
    node = item.node
    if item.kind == "NUM":
        measured = node.get("MeasuredValueSequence")
        if not measured:
            return None, "the item has no value"
        value = float(measured[0].NumericValue)
        unit = measured[0].MeasurementUnitsCodeSequence[0] if "MeasurementUnitsCodeSequence" in measured[0] else None
        percent = unit is not None and str(unit.CodeValue) == "%"
        return (value / 100 if percent else value * smap.scale), None
    if item.kind == "TEXT":
        text = str(node.TextValue)
        if smap.pattern is not None:
            found = smap.pattern.search(text)
            raw = found.group(1) if found and found.groups() else None
        else:
            first = NUMBER.search(text)
            raw = first.group(0) if first else None
        if raw is None:
            return None, "no number in the text"
        value = float(raw.replace(",", "."))
        percent = text[text.find(raw) + len(raw):].lstrip().startswith("%")
        return (value / 100 if percent else value * smap.scale), None
    return None, f"a probability must be a NUM or TEXT item, not {item.kind}"


def _category(item: Item, smap: SrMap) -> tuple[str | None, str | None]:
    """The item's category (through the mapping's values when it has them), or the reason it has none."""
    if item.kind == "CODE":
        code = code_of(item.node)
        if code is None:
            return None, "the item has no value"
        key = concept_key(code[0], code[1])
        if smap.values:
            return (smap.values[key], None) if key in smap.values else (
                None, f"the code {key} ({code[2]}) is not among the mapping's category values")
        return code[2], None
    if item.kind == "TEXT":
        text = str(item.node.TextValue).strip()
        if smap.values and text not in smap.values:
            return None, "the text is not among the mapping's category values"
        return smap.values.get(text, text), None
    return None, f"a category must be a CODE or TEXT item, not {item.kind}"


def dicom_datetime(text: str) -> datetime | None:
    """A DICOM DT value (YYYYMMDDHHMMSS[.FFFFFF][&ZZXX]); without an offset it is taken as UTC."""
    from pydicom.valuerep import DT

    try:
        value = DT(text)
    except ValueError:
        return None
    plain = datetime.fromisoformat(value.isoformat())
    return plain if plain.tzinfo is not None else plain.replace(tzinfo=UTC)


def _when(ds: Any, items: list[Item], spec: Any, name: str, key: str, issues: list[Issue]) -> datetime | None:
    if spec is None:
        return None
    if spec in ("study", "content"):
        prefix = "Study" if spec == "study" else "Content"
        date, time = str(ds.get(f"{prefix}Date", "")), str(ds.get(f"{prefix}Time", ""))
        where, raw = f"attributes {prefix}Date/{prefix}Time", date + time
    else:
        found = next((i for i in items if i.concept == spec and i.kind == "DATETIME"), None)
        if found is None:
            issues.append(Issue(name, "content tree", key, None, "sr_required_item",
                                f"the report has no DATETIME item {concept_key(*spec)}"))
            return None
        where, raw = f"item {found.path}", str(found.node.DateTime)
    value = dicom_datetime(raw) if raw else None
    if value is None:
        issues.append(Issue(name, where, key, raw, "timestamp",
                            "not a DICOM date-time (YYYYMMDDHHMMSS, optional &ZZXX offset)"))
    return value


def findings(items: list[Item]) -> list[dict[str, Any]]:
    """Each measurement group: tracking ID and UID, finding, site, measurements and qualitative evaluations."""
    out: dict[int, dict[str, Any]] = {}
    for item in items:
        if item.group is None:
            continue
        group = out.setdefault(item.group, {"tracking_id": None, "tracking_uid": None, "finding": None,
                                            "site": None, "measurements": {}, "evaluations": {}})
        meaning = str(item.node.ConceptNameCodeSequence[0].CodeMeaning)
        if item.concept == TRACKING_ID and item.kind == "TEXT":
            group["tracking_id"] = str(item.node.TextValue)
        elif item.concept == TRACKING_UID and item.kind == "UIDREF":
            group["tracking_uid"] = str(item.node.UID)
        elif item.concept == FINDING and item.kind == "CODE":
            group["finding"] = code_of(item.node)
        elif item.concept == FINDING_SITE and item.kind == "CODE":
            group["site"] = code_of(item.node)
        elif item.kind == "NUM" and item.node.get("MeasuredValueSequence"):
            measured = item.node.MeasuredValueSequence[0]
            group["measurements"][meaning] = (float(measured.NumericValue),
                                              str(measured.MeasurementUnitsCodeSequence[0].CodeValue))
        elif item.kind == "CODE" and item.node.get("RelationshipType") == "CONTAINS":
            code = code_of(item.node)
            group["evaluations"][meaning] = code[2] if code else None
    return [out[k] for k in sorted(out)]


def _values(name: str, items: list[Item], concept: tuple[str, str] | None, read: Any, key: str, smap: SrMap,
            issues: list[Issue]) -> list[tuple[Item, Any]]:
    """Every item of `concept` with its value, read by `read`; an item it cannot read is an issue."""
    out = []
    for item in (i for i in items if concept is not None and i.concept == concept):
        value, why = read(item, smap)
        if why is not None:
            issues.append(Issue(name, f"item {item.path}", key, None, f"sr_{key}", why))
        elif value is not None:
            out.append((item, value))
    return out


def read_mapped(name: str, ds: Any, smap: SrMap, issues: list[Issue]) -> tuple[dict[str, Any], list[Any]]:
    """The result row and findings of one vendor SR; its problems are added to `issues`."""
    items = walk(ds)
    probs = []
    for item, value in _values(name, items, smap.probability, _number, "probability", smap, issues):
        if 0 <= value <= 1:
            probs.append(float(value))
        else:
            issues.append(Issue(name, f"item {item.path}", "probability", value, "probability",
                                "must be a number from 0 to 1 (set the mapping's scale for another range)"))
    if (smap.probability is not None and smap.when_absent is None
            and not any(i.concept == smap.probability for i in items)):
        issues.append(Issue(name, "content tree", "probability", None, "sr_required_item",
                            f"the report has no item {concept_key(*smap.probability)} and the mapping "
                            "gives no 'when_absent'"))
    categories = [str(v) for _, v in _values(name, items, smap.category, _category, "category", smap, issues)]
    order = list(dict.fromkeys(smap.values.values()))
    if len(set(categories)) > 1 and not order:
        issues.append(Issue(name, "content tree", "category", None, "sr_category",
                            "the report gives several categories; list them in the mapping's values, least to "
                            "most severe"))
    version = next((str(i.node.TextValue) for i in items if i.concept == smap.version and i.kind == "TEXT"), None)
    version = version or str(ds.get("SoftwareVersions", "") or "").strip() or None
    if version is None:
        issues.append(Issue(name, "content tree", "service_version", None, "sr_required_item",
                            f"no item {concept_key(*smap.version)} and no SoftwareVersions attribute"))
    study_uid = str(ds.get("StudyInstanceUID", "")).strip()
    if not study_uid:
        issues.append(Issue(name, "attribute StudyInstanceUID", "study_uid", "", "required", "a value is required"))
    sent = _when(ds, items, smap.sent_at, name, "sent_at", issues)
    received = _when(ds, items, smap.received_at, name, "received_at", issues)
    if sent is not None and received is not None and received < sent:
        issues.append(Issue(name, "content tree", "received_at", None, "received_after_sent",
                            "the result cannot arrive before the study was sent"))
    category = max(categories, key=order.index) if categories and order else (categories[0] if categories else None)
    row = {"study_uid": study_uid, "service_version": version, "sent_at": sent, "received_at": received,
           "probability": max(probs) if probs else smap.when_absent, "category": category}
    return row, findings(items)
