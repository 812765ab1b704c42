"""Pass 1 of an ingest: find the registry's patients in the exports and tie every system's IDs to them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, insert, select

from oncobank.ingest import limits, linkage
from oncobank.ingest.adapters import PER_PATIENT_FORMATS, SourceRow, read_rows, source_files
from oncobank.ingest.keys import pairs_in
from oncobank.ingest.mapping import Mapping
from oncobank.ingest.models import LinkDecision
from oncobank.ingest.records import RowMapper
from oncobank.ingest.survey import Survey
from oncobank.ingest.values import icd10_codes
from oncobank.ingest.writer import JOB, IngestReport
from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Centre, Patient, PatientIdentifier, utcnow

BATCH = 5000  # source IDs looked up, registered or linked per transaction


def survey_exports(mapping: Mapping, mappers: dict[str, RowMapper], root: Path, report: IngestReport) -> Survey:
    """Read identities, cross-system IDs and case-finding codes into a Survey (the caller closes it)."""
    survey = Survey()
    try:
        for source in mapping.sources:
            _survey_source(survey, mapping, mappers, source.name, root, report)
        survey.finish()
    except BaseException:
        survey.close()
        raise
    return survey


def _survey_source(
    survey: Survey, mapping: Mapping, mappers: dict[str, RowMapper], name: str, root: Path, report: IngestReport
) -> None:
    mapper = mappers[name]
    source = mapper.source
    finding = mapping.case_finding if mapping.case_finding and mapping.case_finding.source == name else None
    if not (source.identity or source.links or finding):
        return
    icd = _icd_lookup(mapper) if finding else {}
    wanted = set(finding.codes) if finding else set()
    # Who, not what: one row per message will do (its missing rate then comes from a sample of rows).
    per_patient = source.section is not None and source.format in PER_PATIENT_FORMATS
    for path in source_files(source, root):
        for row in read_rows(source, path, root, per_patient=per_patient):
            if source.section is None and source.admissions is None:
                report.reference_rows += 1
            elif source.section is not None and not per_patient:
                count_cells(survey.cells, mapper, row)
            sid = row.fields.get(source.patient_id, "").strip()
            if not sid or limits.code_problem(sid, limits.SOURCE_ID):
                continue  # its rows are quarantined when they are written
            if source.identity:
                spelling = hash(tuple(row.fields.get(c, "") for c in source.identity.values()))
                survey.identity(source.system, sid, spelling, lambda row=row: mapper.identity(row))
            for system, column in source.links.items():
                other = row.fields.get(column, "").strip()
                if other and not limits.code_problem(other, limits.SOURCE_ID):
                    survey.link(source.system, sid, system, other)
            if finding is not None:
                case = row.fields.get(finding.patient_id, "").strip()
                codes = (c for column in finding.columns for c in icd10_codes(row.fields.get(column, "")))
                if any(icd.get(code.casefold(), code) in wanted for code in codes):
                    survey.case(case)


def count_cells(cells: dict[str, list[int]], mapper: RowMapper, row: SourceRow) -> None:
    """Add a row's empty and filled value cells to its source's count (for the missing rate)."""
    columns = mapper.value_columns(row)
    counts = cells.setdefault(mapper.source.name, [0, 0])
    counts[0] += sum(not row.fields.get(c, "").strip() for c in columns)
    counts[1] += len(columns)


def carried_ids(store: ClinicalStore, root: Path, mapping: Mapping) -> set[tuple[str, str]]:
    """Every (system, patient ID) the exports under `root` carry with an identity or a link."""
    mappers = {s.name: RowMapper(mapping, s, store.dictionary) for s in mapping.sources}
    survey = survey_exports(mapping, mappers, root, IngestReport(batch_id=0))
    try:
        return {(system, sid) for batch in survey.rows(_ALL_KEYS) for system, sid in batch}
    finally:
        survey.close()


_ALL_KEYS = "SELECT system, sid FROM best UNION SELECT system, sid FROM best_link"


def _icd_lookup(mapper: RowMapper) -> dict[str, str]:
    try:
        return mapper.dictionary.codes("icd10")
    except KeyError:
        return {}


def register_patients(store: ClinicalStore, mapping: Mapping, survey: Survey, uid: int, report: IngestReport) -> None:
    """Create a registry patient for each case-found master ID not yet in the store, a batch at a time."""
    cases = " AND sid IN (SELECT sid FROM found_case)" if mapping.case_finding is not None else ""
    with store.session() as s:
        centre = s.scalar(select(Centre.id).where(Centre.code == mapping.centre))
        taken = s.scalar(select(func.count()).select_from(Patient).where(
            Patient.registry_id.like(f"{mapping.registry_prefix}%")))
    for batch in survey.rows(f"SELECT sid FROM best WHERE system = ?{cases} ORDER BY sid", [mapping.master], BATCH):
        sids = [sid for (sid,) in batch]
        with store.session() as s:
            known = set(s.scalars(select(PatientIdentifier.value).where(
                PatientIdentifier.system == mapping.master, PatientIdentifier.value.in_(sids))))
            fresh = [sid for sid in sids if sid not in known]
            if not fresh:
                continue
            rows = [{"registry_id": f"{mapping.registry_prefix}{taken + n:06d}", "module": store.dictionary.name,
                     "centre_id": centre, "created_by": uid} for n, _ in enumerate(fresh, start=1)]
            conn = s.connection()
            ids = conn.execute(
                insert(Patient.__table__).returning(Patient.__table__.c.id, sort_by_parameter_order=True), rows
            ).scalars().all()
            identifiers = [{"patient_id": pid, "system": mapping.master, "value": sid}
                           for pid, sid in zip(ids, fresh, strict=True)]
            conn.execute(insert(PatientIdentifier.__table__), identifiers)
            audit.record_many(s, [{"user_id": uid, "action": "create_patient", "patient_id": pid, "entry_id": None,
                                   "details": {"job": JOB, "systems": [mapping.master]}} for pid in ids])
        taken += len(fresh)
        report.patients_created += len(fresh)


def link_patients(store: ClinicalStore, mapping: Mapping, survey: Survey, report: IngestReport) -> None:
    """Tie every other system's IDs to patients: identifiers first, Splink for the rest; decisions are kept."""
    master = mapping.master
    with store.session() as s:  # the registry side of linkage: master ID -> patient, into the survey's database
        for row in s.execute(select(PatientIdentifier.value, PatientIdentifier.patient_id)
                             .where(PatientIdentifier.system == master).execution_options(yield_per=BATCH)):
            survey.add("registry", (row.value, row.patient_id))
    survey.flush("registry")
    keys = f"""SELECT k.system, k.sid, l.other, b.sid IS NOT NULL FROM ({_ALL_KEYS}) k
        LEFT JOIN best_link l ON l.system = k.system AND l.sid = k.sid AND l.other_system = ?
        LEFT JOIN best b ON b.system = k.system AND b.sid = k.sid
        WHERE k.system <> ? ORDER BY k.system, k.sid"""
    for batch in survey.rows(keys, [master, master], BATCH):
        with store.session() as s:
            pairs = [(system, sid) for system, sid, _, _ in batch]
            known = set(s.execute(select(PatientIdentifier.system, PatientIdentifier.value).where(
                pairs_in(s, PatientIdentifier.system, PatientIdentifier.value, pairs))).all())
            decided = set(s.execute(select(LinkDecision.system, LinkDecision.source_id).where(
                pairs_in(s, LinkDecision.system, LinkDecision.source_id, pairs))).all())
            masters = sorted({other for _, _, other, _ in batch if other})
            patient = dict(s.execute(select(PatientIdentifier.value, PatientIdentifier.patient_id).where(
                PatientIdentifier.system == master, PatientIdentifier.value.in_(masters))).all())
        proposals = []
        for system, sid, other, has_identity in batch:
            if (system, sid) in known or (system, sid) in decided:
                continue
            if other in patient:
                proposals.append(linkage.Proposal(system, sid, "linked", patient[other], 1.0, []))
                report.linkage["deterministic"] = report.linkage.get("deterministic", 0) + 1
            elif has_identity:
                survey.add("open_id", (system, sid))
        _keep(store, proposals, report)
    survey.flush("open_id")
    for (system,) in survey.con.execute("SELECT DISTINCT system FROM open_id ORDER BY system").fetchall():
        proposals = []
        for proposal in linkage.probabilistic(survey, system, master):
            proposals.append(proposal)
            if len(proposals) == BATCH:
                _keep(store, proposals, report)
                proposals = []
        _keep(store, proposals, report)


def _keep(store: ClinicalStore, proposals: Iterable[linkage.Proposal], report: IngestReport) -> None:
    """Record linkage decisions (and, for links, the patient's new identifier) in one transaction."""
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
