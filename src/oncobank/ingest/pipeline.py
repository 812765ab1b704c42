"""The ingest run: find the registry's patients, link source IDs, then stream rows into versioned entries."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from oncobank.dictionary.validate import Issue
from oncobank.ingest import admissions, linkage
from oncobank.ingest.adapters import PER_PATIENT_FORMATS, SourceRow, read_rows, source_files
from oncobank.ingest.mapping import Mapping, Source
from oncobank.ingest.models import IngestBatch, LinkDecision
from oncobank.ingest.records import Identity, MappedRow, RowMapper
from oncobank.ingest.values import icd10_codes
from oncobank.ingest.writer import JOB, ChunkWriter, IngestReport, add_quarantine, resolve_quarantine
from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Centre, Patient, PatientIdentifier, utcnow


@dataclass
class _Links:
    identities: dict[tuple[str, str], Identity] = field(default_factory=dict)
    links: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    cases: set[str] = field(default_factory=set)
    cells: dict[str, list[int]] = field(default_factory=dict)  # source -> [empty cells, cells] of value columns


def run_ingest(
    store: ClinicalStore,
    root: Path,
    mapping: Mapping,
    mapping_text: str,
    *,
    user: str = "ingest",
    chunk_size: int = 2000,
    on_rows: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest every source of `mapping` under `root`; safe to re-run and to resume after a kill."""
    with long_lived() as settle:
        uid, batch_id = open_batch(store, mapping, mapping_text, user)
        report = IngestReport(batch_id)
        mappers = {s.name: RowMapper(mapping, s, store.dictionary) for s in mapping.sources}
        found = _survey(mapping, mappers, root, report)
        _register_patients(store, mapping, found, uid, report)
        _link(store, mapping, found, report)
        _stays(store, mapping, root, batch_id, report)
        writer = ChunkWriter(store, mapping, uid, batch_id, report, root)
        settle()  # the survey's identities and the linkage's imports live until the end
        for source in _by_missing_rate(mapping, mappers, root, found, report):
            write_chunks(store, writer, _mapped(mappers[source.name], root), chunk_size, on_rows)
        report.unmapped = {name: dict(m.unmapped) for name, m in mappers.items() if m.unmapped}
        close_batch(store, report)
    return report


@contextmanager
def long_lived() -> Iterator[Callable[[], None]]:
    """Keep the collector off objects that outlive the job; yields a call that adds the ones made since.

    Python's full collections walk every live object: with the dictionary, the linkage's modules and a
    patient-sized identity map alive, they took a sixth of a 5,000-patient ingest. Frozen objects are skipped
    until the job ends and hands them back.
    """
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def open_batch(store: ClinicalStore, mapping: Mapping, mapping_text: str, user: str) -> tuple[int, int]:
    """The acting user's ID and a new `running` entry of the batch log."""
    uid = store.ensure_user(user, role="system")
    store.ensure_centre(mapping.centre)
    with store.session() as s:
        batch_id = s.execute(
            insert(IngestBatch)
            .values(
                mapping=mapping.module, mapping_sha256=hashlib.sha256(mapping_text.encode()).hexdigest(),
                status="running", counts={},
            )
            .returning(IngestBatch.id)
        ).scalar_one()
    return uid, batch_id


def write_chunks(
    store: ClinicalStore, writer: ChunkWriter, rows: Iterator[MappedRow], chunk_size: int,
    on_rows: Callable[[int], None] | None = None,
) -> None:
    """Write mapped rows one transaction per chunk, so a killed run loses and duplicates nothing."""
    written, next_analyze = 0, ANALYZE_FIRST
    for chunk in _chunks(rows, chunk_size):
        with store.session() as s:
            writer.write(s, chunk)
        written += len(chunk)
        if written >= next_analyze:
            _refresh_statistics(store)
            next_analyze *= 2
        if on_rows:
            on_rows(len(chunk))


ANALYZE_FIRST = 10_000  # rows written before the first refresh of planner statistics; then at 20,000, 40,000 …
_GROWING = ("ingest_record", "ingest_fact", "entry", "entry_version", "audit_log")


def _refresh_statistics(store: ClinicalStore) -> None:
    # Before autovacuum catches up, PostgreSQL believes the growing tables are tiny and answers "which of these
    # 2,000 record keys are known" by scanning every row of the source: each chunk slower than the last.
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(_GROWING)}")


def close_batch(store: ClinicalStore, report: IngestReport) -> None:
    with store.session() as s:
        s.execute(
            update(IngestBatch)
            .where(IngestBatch.id == report.batch_id)
            .values(status="done", counts=report.to_dict(), finished_at=utcnow())
        )


def _mapped(mapper: RowMapper, root: Path) -> Iterator[MappedRow]:
    for path in source_files(mapper.source, root):
        for row in read_rows(mapper.source, path, root):
            yield mapper.map(row)


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- pass 1: who is who -------------------------------------------------------------------------------


def _survey(mapping: Mapping, mappers: dict[str, RowMapper], root: Path, report: IngestReport) -> _Links:
    """Read identities, cross-system IDs and case-finding codes; memory grows with patients, not rows."""
    found = _Links()
    spelled: dict[tuple[str, str], int] = {}  # hash of the identity text last read per ID: skip re-parsing it
    finding = mapping.case_finding
    icd = _icd_lookup(mappers[finding.source]) if finding else {}
    wanted = set(finding.codes) if finding else set()
    for source in mapping.sources:
        needs_identity = bool(source.identity or source.links)
        is_finding = finding is not None and finding.source == source.name
        if not (needs_identity or is_finding):
            continue
        mapper = mappers[source.name]
        # Who, not what: one row per message will do (its missing rate then comes from a sample of rows).
        per_patient = source.section is not None and source.format in PER_PATIENT_FORMATS
        for path in source_files(source, root):
            for row in read_rows(source, path, root, per_patient=per_patient):
                if source.section is None and source.admissions is None:
                    report.reference_rows += 1
                elif source.section is not None and not per_patient:
                    _count_cells(found, mapper, row)
                sid = row.fields.get(source.patient_id, "").strip()
                if not sid:
                    continue
                key = (source.system, sid)
                if source.identity:
                    spelling = hash(tuple(row.fields.get(c, "") for c in source.identity.values()))
                    if spelled.get(key) != spelling:
                        spelled[key] = spelling
                        seen = found.identities.get(key)
                        new = mapper.identity(row)
                        if seen is None or new.completeness() > seen.completeness():
                            found.identities[key] = new
                for system, column in source.links.items():
                    other = row.fields.get(column, "").strip()
                    if other:
                        found.links.setdefault(key, {})[system] = other
                if is_finding and finding is not None:
                    pid = row.fields.get(finding.patient_id, "").strip()
                    for column in finding.columns:
                        for code in icd10_codes(row.fields.get(column, "")):
                            if icd.get(code.casefold(), code) in wanted:
                                found.cases.add(pid)
    return found


MISSING_SAMPLE = 5000  # rows read to estimate the missing rate of a source the survey does not read


def _count_cells(found: _Links, mapper: RowMapper, row: SourceRow) -> None:
    columns = mapper.value_columns(row)
    counts = found.cells.setdefault(mapper.source.name, [0, 0])
    counts[0] += sum(not row.fields.get(c, "").strip() for c in columns)
    counts[1] += len(columns)


def _by_missing_rate(
    mapping: Mapping, mappers: dict[str, RowMapper], root: Path, found: _Links, report: IngestReport
) -> list[Source]:
    """Section sources, the one with the lowest missing rate first: it becomes the base of shared facts."""
    ranked = []
    for index, source in enumerate(mapping.sources):
        if source.section is None:
            continue
        if source.name not in found.cells:
            for path in source_files(source, root):
                for n, row in enumerate(read_rows(source, path, root)):
                    if n == MISSING_SAMPLE:
                        break
                    _count_cells(found, mappers[source.name], row)
        empty, cells = found.cells.get(source.name, [0, 0])
        report.missing_rates[source.name] = round(empty / cells, 6) if cells else 0.0
        ranked.append((report.missing_rates[source.name], index, source))
    return [source for *_, source in sorted(ranked, key=lambda r: r[:2])]


def carried_ids(store: ClinicalStore, root: Path, mapping: Mapping) -> set[tuple[str, str]]:
    """Every (system, patient ID) the exports under `root` carry with an identity or a link."""
    mappers = {s.name: RowMapper(mapping, s, store.dictionary) for s in mapping.sources}
    found = _survey(mapping, mappers, root, IngestReport(batch_id=0))
    return set(found.identities) | set(found.links)


def _icd_lookup(mapper: RowMapper) -> dict[str, str]:
    try:
        return mapper.dictionary.codes("icd10")
    except KeyError:
        return {}


def _register_patients(
    store: ClinicalStore, mapping: Mapping, found: _Links, uid: int, report: IngestReport
) -> None:
    """Create a registry patient for each case-found master ID not yet in the store."""
    master_ids = sorted(sid for system, sid in found.identities if system == mapping.master)
    if mapping.case_finding is not None:
        master_ids = [sid for sid in master_ids if sid in found.cases]
    with store.session() as s:
        known = set(
            s.scalars(select(PatientIdentifier.value).where(PatientIdentifier.system == mapping.master))
        )
        fresh = [sid for sid in master_ids if sid not in known]
        if not fresh:
            return
        centre = s.scalar(select(Centre.id).where(Centre.code == mapping.centre))
        taken = s.scalar(select(func.count()).select_from(Patient).where(
            Patient.registry_id.like(f"{mapping.registry_prefix}%")))
        conn = s.connection()
        rows = [
            {"registry_id": f"{mapping.registry_prefix}{taken + n:06d}", "module": store.dictionary.name,
             "centre_id": centre, "created_by": uid}
            for n, _ in enumerate(fresh, start=1)
        ]
        ids = conn.execute(
            insert(Patient.__table__).returning(Patient.__table__.c.id, sort_by_parameter_order=True), rows
        ).scalars().all()
        conn.execute(
            insert(PatientIdentifier.__table__),
            [{"patient_id": pid, "system": mapping.master, "value": sid} for pid, sid in zip(ids, fresh, strict=True)],
        )
        audit.record_many(s, [{"user_id": uid, "action": "create_patient", "patient_id": pid, "entry_id": None,
                               "details": {"job": JOB, "systems": [mapping.master]}} for pid in ids])
    report.patients_created = len(fresh)


def _link(store: ClinicalStore, mapping: Mapping, found: _Links, report: IngestReport) -> None:
    """Tie every other system's IDs to patients: identifiers first, Splink for the rest; decisions are kept."""
    with store.session() as s:
        query = select(PatientIdentifier.system, PatientIdentifier.value, PatientIdentifier.patient_id)
        known = {(r.system, r.value): r.patient_id for r in s.execute(query)}
        decided = {(r.system, r.source_id) for r in s.execute(select(LinkDecision.system, LinkDecision.source_id))}
        master = {pid: found.identities[(mapping.master, sid)]
                  for (system, sid), pid in known.items() if system == mapping.master
                  and (mapping.master, sid) in found.identities}
        proposals: list[linkage.Proposal] = []
        open_ids: dict[str, dict[str, Identity]] = {}
        for key in sorted(set(found.identities) | set(found.links)):
            system, sid = key
            if system == mapping.master or key in known or key in decided:
                continue
            master_id = found.links.get(key, {}).get(mapping.master)
            pid = known.get((mapping.master, master_id)) if master_id else None
            if pid is not None:
                proposals.append(linkage.Proposal(system, sid, "linked", pid, 1.0, []))
                report.linkage["deterministic"] = report.linkage.get("deterministic", 0) + 1
            elif key in found.identities:
                open_ids.setdefault(system, {})[sid] = found.identities[key]
    for system, wanted in sorted(open_ids.items()):
        everyone = {sid: i for (sys_, sid), i in found.identities.items() if sys_ == system}
        proposals.extend(linkage.probabilistic(master, everyone, system, set(wanted)))
    decisions, identifiers = [], []
    for p in proposals:
        report.linkage[p.status] = report.linkage.get(p.status, 0) + 1
        if p.status == "none":
            continue  # nothing to decide: the rows are quarantined as unlinked and tried again next run
        linked = p.status == "linked"
        decisions.append({
            "system": p.system, "source_id": p.source_id, "patient_id": p.patient_id, "probability": p.probability,
            "method": "deterministic" if p.probability == 1.0 and not p.candidates else "probabilistic",
            "status": p.status, "candidates": p.candidates, "decided_by": "ingest" if linked else None,
            "decided_at": utcnow() if linked else None,
        })
        if linked:
            identifiers.append({"patient_id": p.patient_id, "system": p.system, "value": p.source_id})
    with store.session() as s:
        for table, rows in ((LinkDecision.__table__, decisions), (PatientIdentifier.__table__, identifiers)):
            if rows:
                s.connection().execute(insert(table), rows)


def _stays(store: ClinicalStore, mapping: Mapping, root: Path, batch_id: int, report: IngestReport) -> None:
    """Admissions exports into `ingest_admission`; every row ends loaded, unchanged, excluded or quarantined."""
    for source in mapping.sources:
        if source.admissions is None:
            continue
        rows = (row for path in source_files(source, root) for row in read_rows(source, path, root))
        for chunk in _chunks(rows, STAY_CHUNK):
            with store.session() as s:
                _stay_chunk(s, mapping, source, chunk, batch_id, report)


STAY_CHUNK = 5000


def _stay_chunk(
    s: Session, mapping: Mapping, source: Source, rows: list[SourceRow], batch_id: int, report: IngestReport
) -> None:
    report.rows_in += len(rows)
    sids = sorted({row.fields.get(source.patient_id, "").strip() for row in rows})
    owner = dict(s.execute(select(PatientIdentifier.value, PatientIdentifier.patient_id).where(
        PatientIdentifier.system == source.system, PatientIdentifier.value.in_(sids))).all())
    good, bad = [], []
    for row in rows:
        sid = row.fields.get(source.patient_id, "").strip()
        found, problem = admissions.stay(source, row)
        if row.problem or problem:
            bad.append((row, "malformed" if row.problem else "admission", row.problem or problem))
        elif sid in owner:
            good.append({**found, "patient_id": owner[sid]})
        elif source.system == mapping.master and sid:
            report.excluded += 1
        else:
            bad.append((row, "unlinked", "the patient ID matches no registry patient"))
    counts = admissions.store_stays(s, good, batch_id)
    report.loaded += counts["loaded"]
    report.unchanged += counts["unchanged"]
    report.quarantined += len(bad)
    for _, rule, _ in bad:
        report.rules[rule] = report.rules.get(rule, 0) + 1
    add_quarantine(s, [
        {"job": JOB, "source": f"{source.name}:{row.file}", "location": row.location, "patient_ref": None,
         "section": None, "payload": row.fields,
         "issues": [Issue("admission", None, None, rule, str(message)).to_dict()], "status": "open"}
        for row, rule, message in bad
    ])
    resolve_quarantine(s, [(f"{source.name}:{row.file}", row.location) for row in rows])
