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
    """Resources of FHIR R4 bundles (or NDJSON): validated, flattened, with `patient` = the subject's ID.

    Bundles inside bundles and resources `contained` in others are read too (servers export both); a contained
    resource without its own subject takes its parent's. `effective` is the resource's date: `effectiveDateTime`,
    else `effectivePeriod.start`, else its parent DiagnosticReport's. A transaction's `urn:uuid:` reference to a
    Patient in the same bundle gives that Patient's ID. An entry that only holds a request (a DELETE, a search)
    is one row with its problem.
    """
    from fhir.resources.R4B import get_fhir_model_class  # R4B reads R4 resources of these kinds

    kinds = set(source.resources or FHIR_KINDS)
    for where, doc in _load(path, name, source.encoding):
        if isinstance(doc, _Broken):
            yield SourceRow(name, where, {"text": doc.text[:2000]}, doc.problem)
            continue
        found = list(_resources(doc, where, None))
        uuids = {u: str(r.get("id") or u) for _, r, _, u in found
                 if isinstance(r, dict) and r.get("resourceType") == "Patient" and u.startswith("urn:uuid:")}
        for here, resource, parent, url in found:
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                problem = _request_only(resource) or "entry holds no FHIR resource"
                yield SourceRow(name, here, {"value": str(resource)[:2000]}, problem)
                continue
            kind = resource["resourceType"]
            if kind not in kinds:
                continue
            fields = flatten(resource)
            fields["patient"] = _patient(resource, uuids) or (_patient(parent, uuids) if parent else "")
            if kind == "Patient" and not fields["patient"]:
                fields["patient"] = uuids.get(url, "")  # a transaction's new patient, known by its fullUrl
            fields["effective"] = _effective(resource) or (_effective(parent) if parent else "")
            if kind == "Observation":
                fields["referenceRange"] = _range(resource)
            try:
                get_fhir_model_class(kind).model_validate(resource)
            except Exception as exc:  # pydantic's ValidationError, or an unknown resource type
                first = str(exc).splitlines()
                yield SourceRow(name, here, fields, f"not a valid FHIR {kind}: {' '.join(first[:3])[:300]}")
                continue
            yield SourceRow(name, here, fields)


BUNDLE_DEPTH = 8  # bundles inside bundles read this deep; a deeper one is a row with its problem


def _resources(doc: Any, where: str, parent: dict[str, Any] | None,
               depth: int = 0) -> Iterator[tuple[str, Any, dict[str, Any] | None, str]]:
    """(location, resource, parent resource, fullUrl) of a document: bundles walked into, contained resources
    after their parent."""
    if not _is_bundle(doc):
        yield from _with_contained(doc, where, parent, "")
        return
    if depth >= BUNDLE_DEPTH:
        yield where, f"a Bundle nested more than {BUNDLE_DEPTH} deep", parent, ""
        return
    entries = doc.get("entry") if isinstance(doc.get("entry"), list) else []
    for number, entry in enumerate(entries, start=1):
        here = f"{where}, entry {number}" if where == "document" or len(entries) > 1 else where
        resource = entry.get("resource") if isinstance(entry, dict) else entry
        if resource is None and isinstance(entry, dict) and "request" in entry:
            yield here, {"request": entry["request"]}, parent, ""
        elif _is_bundle(resource):
            yield from _resources(resource, here, parent, depth + 1)
        else:
            url = entry.get("fullUrl") if isinstance(entry, dict) else None
            yield from _with_contained(resource, here, parent, url if isinstance(url, str) else "")


def _is_bundle(resource: Any) -> bool:
    return isinstance(resource, dict) and resource.get("resourceType") == "Bundle"


def _with_contained(resource: Any, here: str, parent: dict[str, Any] | None,
                    url: str) -> Iterator[tuple[str, Any, dict[str, Any] | None, str]]:
    yield here, resource, parent, url
    contained = resource.get("contained") if isinstance(resource, dict) else None
    for number, inner in enumerate(contained if isinstance(contained, list) else [], start=1):
        yield f"{here}, contained {number}", inner, resource, ""


def _request_only(entry: Any) -> str | None:
    request = entry.get("request") if isinstance(entry, dict) and set(entry) == {"request"} else None
    if not isinstance(request, dict):
        return None
    what = " ".join(str(request.get(k, "")) for k in ("method", "url")).strip()[:200]
    return f"entry holds only a request ({what}), no resource to load"


def _patient(resource: dict[str, Any], uuids: dict[str, str]) -> str:
    if resource["resourceType"] == "Patient":
        return str(resource.get("id", ""))
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            reference = ref["reference"]
            return uuids.get(reference, reference if reference.startswith("urn:") else reference.rsplit("/", 1)[-1])
    return ""


def _effective(resource: dict[str, Any]) -> str:
    period = resource.get("effectivePeriod")
    for value in (resource.get("effectiveDateTime"), period.get("start") if isinstance(period, dict) else None):
        if isinstance(value, str) and value:
            return value
    return ""


def _range(resource: dict[str, Any]) -> str:
    ranges = resource.get("referenceRange")
    first = ranges[0] if isinstance(ranges, list) and ranges and isinstance(ranges[0], dict) else {}
    low, high = (first.get(k, {}).get("value") if isinstance(first.get(k), dict) else None for k in ("low", "high"))
    if low is not None and high is not None:
        return f"{low}-{high}"
    return str(first.get("text", ""))
