"""The ingest run: find the registry's patients, link source IDs, then stream rows into versioned entries."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncobank.dictionary.validate import Issue
from oncobank.ingest import admissions
from oncobank.ingest.adapters import AdapterError, SourceRow, read_rows, source_files
from oncobank.ingest.batch import running_batch
from oncobank.ingest.identify import count_cells, link_patients, register_patients, survey_exports
from oncobank.ingest.mapping import Mapping, Source
from oncobank.ingest.records import MappedRow, RowMapper
from oncobank.ingest.survey import Survey
from oncobank.ingest.writer import BIRTH_SECTION, JOB, ChunkWriter, IngestReport, add_quarantine, resolve_quarantine
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import PatientIdentifier


def run_ingest(
    store: ClinicalStore,
    root: Path,
    mapping: Mapping,
    mapping_text: str,
    *,
    user: str = "system",  # the store's own account, when a job runs outside a command
    chunk_size: int = 2000,
    on_rows: Callable[[int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> IngestReport:
    """Ingest every source of `mapping` under `root`; safe to re-run and to resume after a kill or a stop.

    One run at a time per store (`on_wait` hears why a run waits); a run that cannot finish raises IngestStopped
    with its batch marked failed and the committed rows counted.
    """
    with long_lived() as settle, running_batch(store, mapping, mapping_text, user, on_wait) as (uid, report):
        mappers = {s.name: RowMapper(mapping, s, store.dictionary) for s in mapping.sources}
        survey = survey_exports(mapping, mappers, root, report)
        try:
            _check_master(survey, mapping)
            register_patients(store, mapping, survey, uid, report)
            link_patients(store, mapping, survey, report)
        finally:
            survey.close()
        _stays(store, mapping, root, report.batch_id, report)
        writer = ChunkWriter(store, mapping, uid, report.batch_id, report, root)
        settle()  # the linkage's imports and the dictionary live until the end
        for source in _by_missing_rate(mapping, mappers, root, survey.cells, report):
            write_chunks(store, writer, _mapped(mappers[source.name], root), chunk_size, on_rows)
        report.unmapped = {name: dict(m.unmapped) for name, m in mappers.items() if m.unmapped}
        report.warnings = {name: dict(m.warnings) for name, m in mappers.items() if m.warnings}
        report.others = {name: dict(m.others) for name, m in mappers.items() if m.others}
    return report


def _check_master(survey: Survey, mapping: Mapping) -> None:
    """Stop when the master system's exports name no patient: every row would be quarantined as unlinked."""
    if not survey.scalar("SELECT count(*) FROM best WHERE system = ?", [mapping.master]):
        files = ", ".join(f for s in mapping.sources if s.system == mapping.master and s.identity for f in s.files)
        raise AdapterError(f"the exports of the master system {mapping.master} ({files}) name no patient: "
                           "check the files and the mapping's `master`")


@contextmanager
def long_lived() -> Iterator[Callable[[], None]]:
    """Keep the collector off objects that outlive the job; yields a call that adds the ones made since.

    Python's full collections walk every live object: with the dictionary and the linkage's modules alive, they
    took a sixth of a 5,000-patient ingest. Frozen objects are skipped until the job ends and hands them back.
    """
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def write_chunks(
    store: ClinicalStore, writer: ChunkWriter, rows: Iterator[MappedRow], chunk_size: int,
    on_rows: Callable[[int], None] | None = None,
) -> None:
    """Write mapped rows one transaction per chunk, so a killed run loses and duplicates nothing."""
    written, next_analyze = 0, ANALYZE_FIRST
    for chunk in _chunks(rows, chunk_size):
        with writer.report.undone_on_error(), store.session() as s:
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


MISSING_SAMPLE = 5000  # rows read to estimate the missing rate of a source the survey does not read


def _by_missing_rate(
    mapping: Mapping, mappers: dict[str, RowMapper], root: Path, cells: dict[str, list[int]], report: IngestReport
) -> list[Source]:
    """Section sources, the one with the lowest missing rate first: it becomes the base of shared facts."""
    ranked = []
    for index, source in enumerate(mapping.sources):
        if source.section is None:
            continue
        if source.name not in cells:
            for path in source_files(source, root):
                for n, row in enumerate(read_rows(source, path, root)):
                    if n == MISSING_SAMPLE:
                        break
                    count_cells(cells, mappers[source.name], row)
        empty, total = cells.get(source.name, [0, 0])
        report.missing_rates[source.name] = round(empty / total, 6) if total else 0.0
        # Birth dates first, whatever their missing rate: every dated entry is checked against the patient's.
        ranked.append((source.section != BIRTH_SECTION, report.missing_rates[source.name], index, source))
    return [source for *_, source in sorted(ranked, key=lambda r: r[:3])]



def _stays(store: ClinicalStore, mapping: Mapping, root: Path, batch_id: int, report: IngestReport) -> None:
    """Admissions exports into `ingest_admission`; every row ends loaded, unchanged, excluded or quarantined."""
    for source in mapping.sources:
        if source.admissions is None:
            continue
        rows = (row for path in source_files(source, root) for row in read_rows(source, path, root))
        for chunk in _chunks(rows, STAY_CHUNK):
            with report.undone_on_error(), store.session() as s:
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
