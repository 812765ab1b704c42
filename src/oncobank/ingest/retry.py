"""`oncobank quarantine retry`: map the open quarantined rows again, from their kept payloads, and write them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import select

from oncobank.ingest.batch import running_batch
from oncobank.ingest.mapping import Mapping
from oncobank.ingest.pipeline import write_chunks
from oncobank.ingest.records import MappedRow, RowMapper
from oncobank.ingest.rows import SourceRow
from oncobank.ingest.writer import JOB, ChunkWriter, IngestReport
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Quarantine


def retry_quarantine(
    store: ClinicalStore,
    mapping: Mapping,
    mapping_text: str,
    *,
    user: str = "system",  # the store's own account, when a job runs outside a command
    chunk_size: int = 2000,
    on_rows: Callable[[int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> IngestReport:
    """Retry every open quarantined row of a section source with the current mapping, links and decisions.

    The row's fields were kept in the quarantine, so no export is needed: a row that now loads closes its
    quarantine row, one that still fails stays open with its current reasons. Rows of sources the mapping no
    longer has, of admissions exports, or of documents sources (their files are copied into the attachment
    store) are counted as `skipped`: re-run the ingest for those.
    """
    with running_batch(store, mapping, mapping_text, user, on_wait) as (uid, report):
        mappers = {s.name: RowMapper(mapping, s, store.dictionary) for s in mapping.sources
                   if s.section and s.format != "documents"}
        with store.session() as s:
            waiting = s.execute(select(Quarantine.source, Quarantine.location, Quarantine.payload).where(
                Quarantine.job == JOB, Quarantine.status == "open").order_by(Quarantine.id)).all()
        writer = ChunkWriter(store, mapping, uid, report.batch_id, report)
        write_chunks(store, writer, _rows(waiting, mappers, report), chunk_size, on_rows)
    return report


def _rows(waiting: list, mappers: dict[str, RowMapper], report: IngestReport) -> Iterator[MappedRow]:  # type: ignore[type-arg]
    for where, location, payload in waiting:
        name, _, file = where.partition(":")
        mapper = mappers.get(name)
        if mapper is None or not isinstance(payload, dict):
            report.skipped += 1
            continue
        yield mapper.map(SourceRow(file, location, {str(k): str(v) for k, v in payload.items()}))
