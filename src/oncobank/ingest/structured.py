"""Readers for JSON exports and FHIR R4 resources: each record or resource becomes one row of dotted-path fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oncobank.ingest.mapping import Source
from oncobank.ingest.rows import AdapterError, SourceRow

FHIR_KINDS = ("Patient", "Condition", "Observation", "Procedure", "MedicationStatement", "MedicationRequest",
              "DiagnosticReport")


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested objects and lists as `a.b.0.c` keys with text values (numbers as JSON writes them)."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}{key}."))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}{index}."))
    elif prefix:
        key = prefix[:-1]
        out[key] = "" if value is None else value if isinstance(value, str) else json.dumps(value)
    return out


def _load(path: Path, name: str, encoding: str) -> Iterator[tuple[str, Any]]:
    """(location, item) for a JSON document, or for each line of a JSON Lines file."""
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise AdapterError(f"{name}: bytes are not valid {encoding}: {exc.reason}") from None
    if path.suffix in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield f"line {number}", json.loads(line)
                except json.JSONDecodeError as exc:
                    yield f"line {number}", _Broken(f"line is not valid JSON: {exc.msg}", line)
        return
    try:
        yield "document", json.loads(text)
    except json.JSONDecodeError as exc:
        raise AdapterError(f"{name}: not valid JSON: {exc.msg} at line {exc.lineno}") from None


class _Broken:
    def __init__(self, problem: str, text: str):
        self.problem, self.text = problem, text


def json_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    """Records of a JSON export: the list at `records` (a dotted path), the document's top list, or JSON Lines."""
    for where, doc in _load(path, name, source.encoding):
        if isinstance(doc, _Broken):
            yield SourceRow(name, where, {"text": doc.text[:2000]}, doc.problem)
            continue
        items = doc
        for step in (source.records.split(".") if source.records else []):
            items = items.get(step) if isinstance(items, dict) else None
        if where != "document":
            items = [items] if isinstance(items, dict) else items
        if not isinstance(items, list):
            raise AdapterError(f"{name}: {where}: no list of records at {source.records or 'the top level'!r}")
        for number, item in enumerate(items, start=1):
            here = f"record {number}" if where == "document" else where
            if isinstance(item, dict):
                yield SourceRow(name, here, flatten(item))
            else:
                yield SourceRow(name, here, {"value": str(item)[:2000]}, "record is not a JSON object")


def fhir_rows(source: Source, path: Path, name: str) -> Iterator[SourceRow]:
    """Resources of FHIR R4 bundles (or NDJSON): validated, flattened, with `patient` = the subject's ID."""
    from fhir.resources.R4B import get_fhir_model_class  # R4B reads R4 resources of these kinds

    kinds = set(source.resources or FHIR_KINDS)
    for where, doc in _load(path, name, source.encoding):
        if isinstance(doc, _Broken):
            yield SourceRow(name, where, {"text": doc.text[:2000]}, doc.problem)
            continue
        entries = [e.get("resource") if isinstance(e, dict) else e for e in doc.get("entry", [])] \
            if isinstance(doc, dict) and doc.get("resourceType") == "Bundle" else [doc]
        for number, resource in enumerate(entries, start=1):
            here = f"{where}, entry {number}" if where == "document" or len(entries) > 1 else where
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                yield SourceRow(name, here, {"value": str(resource)[:2000]}, "entry holds no FHIR resource")
                continue
            kind = resource["resourceType"]
            if kind not in kinds:
                continue
            fields = flatten(resource)
            fields["patient"] = _patient(resource)
            if kind == "Observation":
                fields["referenceRange"] = _range(resource)
            try:
                get_fhir_model_class(kind).model_validate(resource)
            except Exception as exc:  # pydantic's ValidationError, or an unknown resource type
                first = str(exc).splitlines()
                yield SourceRow(name, here, fields, f"not a valid FHIR {kind}: {' '.join(first[:3])[:300]}")
                continue
            yield SourceRow(name, here, fields)


def _patient(resource: dict[str, Any]) -> str:
    if resource["resourceType"] == "Patient":
        return str(resource.get("id", ""))
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return ref["reference"].rsplit("/", 1)[-1]
    return ""


def _range(resource: dict[str, Any]) -> str:
    ranges = resource.get("referenceRange")
    first = ranges[0] if isinstance(ranges, list) and ranges and isinstance(ranges[0], dict) else {}
    low, high = (first.get(k, {}).get("value") if isinstance(first.get(k), dict) else None for k in ("low", "high"))
    if low is not None and high is not None:
        return f"{low}-{high}"
    return str(first.get("text", ""))
