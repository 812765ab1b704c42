"""Hospital stays: read admissions exports into `ingest_admission` and find the stay each record belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from oncobank.ingest import limits
from oncobank.ingest.keys import pairs_in
from oncobank.ingest.mapping import Source
from oncobank.ingest.models import IngestAdmission
from oncobank.ingest.records import content_hash
from oncobank.ingest.rows import SourceRow
from oncobank.ingest.values import ValueProblem, icd10_codes, parse_date


def stay(source: Source, row: SourceRow) -> tuple[dict[str, Any] | None, str | None]:
    """The admission a row describes (without its patient), or the reason it cannot be read."""
    layout = source.admissions
    assert layout is not None
    key = row.fields.get(layout.id, "").strip()
    if not key:
        return None, f"column {layout.id!r} (admission ID) is empty"
    department = row.fields.get(layout.department, "").strip() or None if layout.department else None
    for column, text, limit in ((layout.id, key, limits.ADMISSION_KEY),
                                (layout.department, department or "", limits.DEPARTMENT)):
        problem = limits.code_problem(text, limit)
        if problem is not None:
            return None, f"column {column!r} {problem[1]}"
    for column in layout.codes:
        found = limits.character_problem(row.fields.get(column, ""), one_line=True)
        if found is not None:
            return None, f"column {column!r} {found}"
    try:
        admitted = parse_date(row.fields.get(layout.admitted, ""), source.date_formats)
        out = row.fields.get(layout.discharged, "").strip() if layout.discharged else ""
        discharged = parse_date(out, source.date_formats) if out else None
    except ValueProblem as exc:
        return None, str(exc)
    if discharged is not None and discharged < admitted:
        return None, "the discharge date is before the admission date"
    codes = [c for column in layout.codes for c in icd10_codes(row.fields.get(column, ""))]
    return {"system": source.system, "admission_key": key, "admitted": admitted, "discharged": discharged,
            "department": department, "codes": codes, "content_hash": content_hash(row.fields)}, None


def store_stays(s: Session, stays: list[dict[str, Any]], batch_id: int) -> dict[str, int]:
    """Insert new stays, update changed ones, leave equal ones; returns how many went each way."""
    counts = {"loaded": 0, "unchanged": 0}
    if not stays:
        return counts
    keys = sorted({(x["system"], x["admission_key"]) for x in stays})
    known = {(r.system, r.admission_key): r.content_hash for r in s.execute(
        select(IngestAdmission.system, IngestAdmission.admission_key, IngestAdmission.content_hash)
        .where(pairs_in(s, IngestAdmission.system, IngestAdmission.admission_key, keys)))}
    fresh = []
    for x in stays:
        key = (x["system"], x["admission_key"])
        if known.get(key) == x["content_hash"]:
            counts["unchanged"] += 1
            continue
        counts["loaded"] += 1
        if key in known:
            s.execute(update(IngestAdmission).where(
                IngestAdmission.system == key[0], IngestAdmission.admission_key == key[1]).values(
                **x, batch_id=batch_id))
        else:
            fresh.append({**x, "batch_id": batch_id})
        known[key] = x["content_hash"]
    if fresh:
        s.connection().execute(insert(IngestAdmission.__table__), fresh)
    return counts


def match(
    s: Session, wanted: Iterable[tuple[int, str, str | None, date | None]]
) -> list[tuple[int | None, str | None]]:
    """For each (patient, system, admission ID or None, date): the stay's row ID and how it was matched.

    A record naming its admission ID (in its own system) is attached to that stay when the stay is the same
    patient's; otherwise (no ID, or an ID of no known stay) a dated record is attached to the patient's stay
    that holds the date (the latest admission when stays overlap; a stay without a discharge date holds only
    its admission day).
    """
    wanted = list(wanted)
    patients = sorted({pid for pid, *_ in wanted})
    stays: dict[int, list[Any]] = {}
    if patients:
        for r in s.execute(select(IngestAdmission.id, IngestAdmission.patient_id, IngestAdmission.system,
                                  IngestAdmission.admission_key, IngestAdmission.admitted, IngestAdmission.discharged)
                           .where(IngestAdmission.patient_id.in_(patients))
                           .order_by(IngestAdmission.admitted.desc(), IngestAdmission.id.desc())):
            stays.setdefault(r.patient_id, []).append(r)
    out: list[tuple[int | None, str | None]] = []
    for pid, system, key, day in wanted:
        mine = stays.get(pid, [])
        named = [r.id for r in mine if key is not None and r.system == system and r.admission_key == key]
        held = [r.id for r in mine if day is not None and r.admitted <= day <= (r.discharged or r.admitted)]
        out.append((named[0], "id") if named else (held[0], "date") if held else (None, None))
    return out
