"""One chunk of mapped rows into versioned entries with provenance, data issues and quarantine, in one transaction."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from oncobank.dictionary.validate import EntryRejected, Issue, ValidEntry
from oncobank.ingest import admissions
from oncobank.ingest.keys import pairs_in
from oncobank.ingest.limits import storable
from oncobank.ingest.mapping import Mapping
from oncobank.ingest.models import DataIssue, IngestDocument, IngestFact, IngestRecord, LinkDecision
from oncobank.ingest.records import MappedRow
from oncobank.store import audit
from oncobank.store.attachments import check_document, keep_blob
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import ConflictError, RuleViolation
from oncobank.store.models import Attachment, Entry, EntryVersion, Patient, PatientIdentifier, Quarantine

JOB = "ingest"
BIRTH_SECTION = "demographics"  # the section whose birth date every dated entry of the patient is checked against


@dataclass
class IngestReport:
    """Counts of one run; every row of a section-bearing or admissions source ends in exactly one bucket."""

    batch_id: int
    rows_in: int = 0
    loaded: int = 0  # its value went into a new entry or a new version
    merged: int = 0  # the same fact was already stored from another source (duplicate or conflict)
    unchanged: int = 0  # this very row was taken in by an earlier run
    quarantined: int = 0
    excluded: int = 0  # the patient is not in the registry (case finding)
    reference_rows: int = 0  # rows of sources read only for linkage or case finding
    skipped: int = 0  # quarantine retry: open rows of sources the mapping cannot retry (not in rows_in)
    patients_created: int = 0
    entries_created: int = 0
    versions_created: int = 0
    conflicts: int = 0
    rules: dict[str, int] = field(default_factory=dict)
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: dict[str, dict[str, int]] = field(default_factory=dict)  # per source: a reader's warning -> files
    others: dict[str, dict[str, int]] = field(default_factory=dict)  # per source: field=value kept as "other"
    linkage: dict[str, int] = field(default_factory=dict)
    missing_rates: dict[str, float] = field(default_factory=dict)  # per source: the base is the lowest

    @property
    def balanced(self) -> bool:
        ended = self.loaded + self.merged + self.unchanged + self.quarantined + self.excluded
        return ended == self.rows_in

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "balanced": self.balanced}

    @contextmanager
    def undone_on_error(self) -> Iterator[None]:
        """Counts added in the block are taken back when it raises (its transaction was rolled back)."""
        before = copy.deepcopy(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.update(before)
            raise


@dataclass
class _Current:
    entry_id: int
    patient_id: int
    version: int
    valid: ValidEntry


class ChunkWriter:
    """Writes one chunk of mapped rows in the caller's transaction."""

    def __init__(
        self, store: ClinicalStore, mapping: Mapping, uid: int, batch_id: int, report: IngestReport,
        root: Path | None = None,
    ):
        self.store = store
        self.root = root  # the exports' folder: PDF documents are copied from it into the attachment store
        self.mapping = mapping
        self.uid = uid
        self.batch_id = batch_id
        self.report = report
        self._new_records: list[dict[str, Any]] = []
        self._changed_records: list[dict[str, Any]] = []
        self._taken: list[tuple[str, str]] = []
        self._entries: list[_NewEntry] = []
        self._versions: list[tuple[int | _NewEntry, int, int, ValidEntry, str]] = []
        self._issues: list[dict[str, Any]] = []
        self._documents: dict[str, dict[str, Any]] = {}  # sha256 -> extracted text of a document source's file
        self._pdfs: dict[str, tuple[int, str]] = {}  # sha256 -> size, file name of PDFs kept in this chunk
        self._attachments: list[tuple[int | _NewEntry, int, str]] = []  # entry, patient, sha256
        self._open_quarantine: bool | None = None  # known once: does any earlier row wait in quarantine?

    def write(self, s: Session, rows: list[MappedRow]) -> None:
        report = self.report
        report.rows_in += len(rows)
        quarantine: list[tuple[MappedRow, list[Issue], str | None]] = []
        pairs = {(r.system, r.source_id) for r in rows if r.source_id}
        patients = self._patients(s, pairs)
        review = self._review(s, pairs)
        ready: list[tuple[MappedRow, int, str]] = []
        for r in rows:
            if r.issues:
                quarantine.append((r, r.issues, None))
                continue
            found = patients.get((r.system, r.source_id))
            if found is None:
                if r.system == self.mapping.master:
                    report.excluded += 1
                    continue
                rule = "linkage_review" if (r.system, r.source_id) in review else "unlinked"
                message = ("the patient ID waits for a linkage decision (oncobank linkage review)"
                           if rule == "linkage_review" else "the patient ID matches no registry patient")
                quarantine.append((r, [Issue(r.section, None, None, rule, message)], None))
                continue
            pid, registry_id = found
            r.fact_key = r.fact_key.replace("{patient}", str(pid))
            if self._pdf_kept(r, registry_id, quarantine):
                ready.append((r, pid, registry_id))
        stored = self._stored_records(s, ready)
        fresh: list[tuple[MappedRow, int, str, bool]] = []
        seen: dict[tuple[str, str], str] = {}  # record -> content of its first row in this chunk
        later: list[MappedRow] = []  # a record's next row with other content: its correction, written after it
        last = {(r.source, r.record_key): r.content_hash for r, _, _ in ready}  # what the run leaves each record as
        # Records the store already holds as this run leaves them: their earlier rows are in their history too.
        settled = {key for key, content in last.items() if stored.get(key) == content}
        for r, pid, registry_id in ready:
            key = (r.source, r.record_key)
            previous = seen.get(key, stored.get(key))
            if key in settled or previous == r.content_hash:  # a repeat, word for word, or settled: nothing to write
                report.unchanged += 1
                continue
            if key in seen:
                later.append(r)
                continue
            seen[key] = r.content_hash
            fresh.append((r, pid, registry_id, previous is not None))
        groups: dict[str, list[tuple[MappedRow, int, str, bool]]] = {}
        for item in fresh:
            groups.setdefault(item[0].fact_key, []).append(item)
        current = self._current(s, list(groups))
        singles = {key: (members[0][1], members[0][0].section) for key, members in groups.items()
                   if key not in current and not self.store.dictionary.section(members[0][0].section).repeating}
        current.update(self._single_entries(s, singles))
        births = self.store.birth_dates(s, {m[0][1] for m in groups.values() if m[0][0].section != BIRTH_SECTION})
        for fact_key, members in groups.items():
            self._merge(s, fact_key, members, current.get(fact_key), births, quarantine)
        self._flush(s)
        self._quarantine(s, quarantine)
        if later:  # in source order, each correction becomes the next version of what was just written
            report.rows_in -= len(later)
            self.write(s, later)

    def _pdf_kept(self, r: MappedRow, registry_id: str, quarantine: list[tuple[MappedRow, list[Issue], str | None]]
                  ) -> bool:
        """Copy a PDF document row's file into the attachment store; quarantine the row when it cannot be."""
        if r.payload.get("document_media_type") != "application/pdf":
            return True
        name = r.payload.get(self.mapping.source(r.source).document or "file", "")
        where = f"{r.file}, {r.location}, document {name}"
        try:
            if self.root is None:
                raise RuleViolation(f"{where}: the file is needed to attach it; run the ingest again")
            data = (self.root / Path(r.file).parent / name).read_bytes()
            check_document(data, where)
            digest = keep_blob(self.store.attachments, data)  # content-addressed: a file kept for nothing is inert
            if digest != r.payload.get("document_sha256"):
                raise RuleViolation(f"{where}: the file changed while the ingest was reading it")
            self._pdfs[digest] = (len(data), Path(name).name)
        except (OSError, RuleViolation) as exc:
            message = str(exc) if isinstance(exc, RuleViolation) else f"{where}: {exc.strerror or exc}"
            quarantine.append((r, [Issue(r.section, None, name, "attachment", message)], registry_id))
            return False
        return True

    # - lookups -

    def _patients(self, s: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
        if not pairs:
            return {}
        query = (
            select(PatientIdentifier.system, PatientIdentifier.value, Patient.id, Patient.registry_id)
            .join(Patient, Patient.id == PatientIdentifier.patient_id)
            .where(pairs_in(s, PatientIdentifier.system, PatientIdentifier.value, sorted(pairs)))
        )
        return {(r.system, r.value): (r.id, r.registry_id) for r in s.execute(query)}

    def _review(self, s: Session, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
        if not pairs:
            return set()
        query = select(LinkDecision.system, LinkDecision.source_id).where(
            LinkDecision.status == "review", pairs_in(s, LinkDecision.system, LinkDecision.source_id, sorted(pairs))
        )
        return {(r.system, r.source_id) for r in s.execute(query)}

    def _stored_records(self, s: Session, ready: list[tuple[MappedRow, int, str]]) -> dict[tuple[str, str], str]:
        keys = sorted({(r.source, r.record_key) for r, _, _ in ready})
        if not keys:
            return {}
        query = select(IngestRecord.source, IngestRecord.record_key, IngestRecord.content_hash).where(
            pairs_in(s, IngestRecord.source, IngestRecord.record_key, keys)
        )
        return {(r.source, r.record_key): r.content_hash for r in s.execute(query)}

    def _current(self, s: Session, fact_keys: list[str]) -> dict[str, _Current]:
        if not fact_keys:
            return {}
        query = (
            select(IngestFact.fact_key, Entry.id, Entry.patient_id, Entry.current_version, Entry.section, EntryVersion)
            .join(Entry, Entry.id == IngestFact.entry_id)
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(IngestFact.fact_key.in_(fact_keys))
        )
        out: dict[str, _Current] = {}
        for key, entry_id, pid, version, section, v in s.execute(query):
            valid = ValidEntry(section, v.entry_date, v.facility, v.values, v.entered, v.reference_ranges)
            out[key] = _Current(entry_id, pid, version, valid)
        return out

    # - merging -

    def _merge(
        self,
        s: Session,
        fact_key: str,
        members: list[tuple[MappedRow, int, str, bool]],
        current: _Current | None,
        births: dict[int, date | None],
        quarantine: list[tuple[MappedRow, list[Issue], str | None]],
    ) -> None:
        first, pid, registry_id, _ = members[0]
        section = first.section
        born = None if section == BIRTH_SECTION else births[pid]
        base: dict[str, Any] = {}
        when, facility = first.date, first.facility
        if current is not None:
            base = self._as_input(section, current.valid)
            when, facility = current.valid.date or when, current.valid.facility or facility
            # A re-exported record that changed brings its date and facility too, as it brings its values.
            moved = next((r for r, _, _, changed in members if changed), None)
            if moved is not None:
                when, facility = moved.date or when, moved.facility or facility
        values = dict(base)
        supplied: dict[str, MappedRow] = {}
        compare: list[tuple[MappedRow, str]] = []
        for r, _, _, changed in members:
            for name, raw in r.values.items():
                if name not in values or changed or name in supplied:
                    if name in supplied and supplied[name] is not r:
                        compare.append((r, name))
                        continue
                    values[name] = raw
                    supplied[name] = r
                else:
                    compare.append((r, name))
        rejected: set[int] = set()
        valid = None
        for _ in range(len(supplied) + 2):
            try:
                valid = self.store.validator.validate(
                    section, values, entry_date=when, facility=facility, patient=registry_id, birth_date=born
                )
                break
            except EntryRejected as exc:
                bad_rows = self._blame(exc.issues, supplied, members)
                if not bad_rows:
                    bad_rows = [(r, exc.issues) for r, *_ in members]
                for r, issues in bad_rows:
                    if id(r) in rejected:
                        continue
                    rejected.add(id(r))
                    quarantine.append((r, issues, registry_id))
                    for name in r.values:
                        if supplied.get(name) is r:
                            del supplied[name]
                            if name in base:
                                values[name] = base[name]
                            else:
                                values.pop(name, None)
                if all(id(r) in rejected for r, *_ in members):
                    return
        if valid is None:
            return
        outcomes: dict[int, dict[str, str]] = {}
        issues_out: list[dict[str, Any]] = []
        for r, name in compare:
            if id(r) in rejected:
                continue
            status = self._compare(section, name, r, valid, born)
            outcomes.setdefault(id(r), {})[name] = status
            if status == "conflict":
                issues_out.append({"field": name, "row": r, "kept": valid.values.get(name)})
        for name, r in supplied.items():
            outcomes.setdefault(id(r), {})[name] = "used"
        entry, wrote = self._store_entry(s, fact_key, pid, current, valid, first)
        for r, _, _, changed in members:
            if id(r) in rejected:
                continue
            fields = outcomes.get(id(r), {})
            if wrote and any(v == "used" for v in fields.values()):
                self.report.loaded += 1
            else:
                self.report.merged += 1
            self._record(s, r, entry, pid, fields, changed)
        for item in issues_out:
            r = item["row"]
            self.report.conflicts += 1
            self._issues.append(dict(
                batch_id=self.batch_id, patient_id=pid, entry_id=entry, field=item["field"], rule="conflict",
                kept={"value": item["kept"]},
                offered={"value": r.values[item["field"]], "source": r.source, "file": r.file,
                         "location": r.location},
            ))

    def _blame(
        self, issues: list[Issue], supplied: dict[str, MappedRow], members: list[tuple[MappedRow, int, str, bool]]
    ) -> list[tuple[MappedRow, list[Issue]]]:
        blamed: dict[int, tuple[MappedRow, list[Issue]]] = {}
        for issue in issues:
            row = supplied.get(issue.field or "")
            if row is None:
                return []  # the date or a required field: the group as a whole is wrong
            blamed.setdefault(id(row), (row, []))[1].append(issue)
        return list(blamed.values())

    def _compare(self, section: str, name: str, r: MappedRow, valid: ValidEntry, born: date | None) -> str:
        try:
            other = self.store.validator.canonical(section, name, r.values[name], birth_date=born)
        except EntryRejected:
            return "conflict"
        return "duplicate" if _same(other, valid.values.get(name)) else "conflict"

    def _as_input(self, section: str, valid: ValidEntry) -> dict[str, Any]:
        version = EntryVersion(values=valid.values, entered=valid.entered, reference_ranges=valid.references)
        return self.store.as_input(section, version)

    def _single_entries(self, s: Session, wanted: dict[str, tuple[int, str]]) -> dict[str, _Current]:
        """Entries of one-per-patient sections already stored (typed in by hand, say): the ingest adds to them."""
        if not wanted:
            return {}
        keys = {(pid, section): key for key, (pid, section) in wanted.items()}
        query = (
            select(Entry.id, Entry.patient_id, Entry.section, Entry.current_version, EntryVersion)
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(pairs_in(s, Entry.section, Entry.patient_id, [(sec, pid) for pid, sec in keys]),
                   EntryVersion.status == "active")
        )
        out: dict[str, _Current] = {}
        for entry_id, pid, section, version, v in s.execute(query):
            valid = ValidEntry(section, v.entry_date, v.facility, v.values, v.entered, v.reference_ranges)
            out[keys[(pid, section)]] = _Current(entry_id, pid, version, valid)
        if out:
            s.connection().execute(insert(IngestFact.__table__), [
                {"fact_key": key, "entry_id": c.entry_id, "patient_id": c.patient_id} for key, c in out.items()])
        return out

    def _store_entry(
        self, s: Session, fact_key: str, pid: int, current: _Current | None, valid: ValidEntry, source_row: MappedRow
    ) -> tuple[int | _NewEntry, bool]:
        """The entry holding the fact, and whether it changed; entries and versions are written when the chunk ends."""
        if current is not None and _same_entry(current.valid, valid):
            return current.entry_id, False
        entry: int | _NewEntry
        if current is None:
            entry = _NewEntry(pid, fact_key, valid.section, valid.date, source_row.system, source_row.admission_key)
            self._entries.append(entry)
            version = 1
            self.report.entries_created += 1
        else:
            entry, version = current.entry_id, current.version + 1
            bumped = s.execute(
                update(Entry).where(Entry.id == entry, Entry.current_version == current.version)
                .values(current_version=version).execution_options(synchronize_session=False)
            )
            if bumped.rowcount != 1:  # someone edited the entry since this chunk read it
                raise ConflictError(entry, current.version, s.scalar(select(Entry.current_version).where(
                    Entry.id == entry)))
            self.report.versions_created += 1
            current.version, current.valid = version, valid
        self._versions.append((entry, pid, version, valid, source_row.source))
        return entry, True

    def _record(
        self, s: Session, r: MappedRow, entry: int | _NewEntry, pid: int, fields: dict[str, str], changed: bool
    ) -> None:
        values = dict(
            source=r.source, record_key=r.record_key, fact_key=r.fact_key, entry_id=entry,
            content_hash=r.content_hash, file=r.file, location=r.location, fields=fields, batch_id=self.batch_id,
        )
        (self._changed_records if changed else self._new_records).append(values)
        if "document_sha256" in r.payload and "document_text" in r.payload:
            self._documents[r.payload["document_sha256"]] = {
                "sha256": r.payload["document_sha256"], "media_type": r.payload.get("document_media_type", ""),
                "text": r.payload["document_text"], "source": r.source, "file": r.file, "batch_id": self.batch_id}
            if r.payload["document_sha256"] in self._pdfs:
                self._attachments.append((entry, pid, r.payload["document_sha256"]))
        self._taken.append((_where(r), r.location))

    def _flush(self, s: Session) -> None:
        """Bulk-write the chunk's entries, versions, audit events, source records and data issues."""
        conn = s.connection()
        if self._entries:
            table = Entry.__table__
            ids = conn.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True),
                [{"patient_id": e.patient_id, "section": e.section, "current_version": 1, "created_by": self.uid}
                 for e in self._entries],
            ).scalars().all()
            for e, entry_id in zip(self._entries, ids, strict=True):
                e.id = entry_id
            stays = admissions.match(s, [(e.patient_id, e.system, e.admission_key, e.date) for e in self._entries])
            conn.execute(insert(IngestFact.__table__), [
                {"fact_key": e.fact_key, "entry_id": e.id, "patient_id": e.patient_id, "admission_id": stay,
                 "admission_match": how}
                for e, (stay, how) in zip(self._entries, stays, strict=True)])
        if self._versions:
            conn.execute(insert(EntryVersion.__table__), [
                {"entry_id": _id(entry), "version": version, "status": "active", "entry_date": valid.date,
                 "facility": valid.facility, "values": valid.values, "entered": valid.entered,
                 "reference_ranges": valid.references, "warnings": [w.to_dict() for w in valid.warnings],
                 "reason": None if version == 1 else f"ingest batch {self.batch_id}: data from source {source}",
                 "author_id": self.uid}
                for entry, _, version, valid, source in self._versions
            ])
            audit.record_many(s, [
                {"user_id": self.uid, "action": "create" if version == 1 else "edit", "patient_id": pid,
                 "entry_id": _id(entry), "details": {"section": valid.section, "version": version, "job": JOB}}
                for entry, pid, version, valid, _ in self._versions
            ])
        for row in (*self._new_records, *self._changed_records, *self._issues):
            row["entry_id"] = _id(row["entry_id"])
        if self._new_records:
            conn.execute(insert(IngestRecord.__table__), self._new_records)
        for row in self._changed_records:
            conn.execute(update(IngestRecord.__table__).where(
                IngestRecord.source == row["source"], IngestRecord.record_key == row["record_key"]).values(**row))
        if self._issues:
            conn.execute(insert(DataIssue.__table__), self._issues)
        if self._documents:
            kept = set(s.scalars(select(IngestDocument.sha256).where(IngestDocument.sha256.in_(self._documents))))
            fresh = [d for sha, d in self._documents.items() if sha not in kept]
            if fresh:
                conn.execute(insert(IngestDocument.__table__), fresh)
        self._attach(s)
        if self._open_quarantine is None:
            # Each row is read once per run, so only rows quarantined by an earlier run can be taken in now.
            self._open_quarantine = s.scalar(select(Quarantine.id).where(
                Quarantine.job == JOB, Quarantine.status == "open").limit(1)) is not None
        if self._open_quarantine:
            resolve_quarantine(s, self._taken)
        self._new_records, self._changed_records, self._taken = [], [], []
        self._entries, self._versions, self._issues, self._documents = [], [], [], {}

    def _attach(self, s: Session) -> None:
        """Attachment rows (and audit events) tying each kept PDF to its documents entry, once."""
        wanted = {(_id(entry), sha): pid for entry, pid, sha in self._attachments}
        self._attachments, pdfs, self._pdfs = [], self._pdfs, {}
        if not wanted:
            return
        have = set(s.execute(select(Attachment.entry_id, Attachment.sha256).where(
            Attachment.entry_id.in_(sorted({entry_id for entry_id, _ in wanted})))).all())
        fresh = [{"patient_id": pid, "entry_id": entry_id, "sha256": sha, "size": pdfs[sha][0],
                  "media_type": "application/pdf", "original_name": pdfs[sha][1], "created_by": self.uid}
                 for (entry_id, sha), pid in wanted.items() if (entry_id, sha) not in have]
        if fresh:
            s.connection().execute(insert(Attachment.__table__), fresh)
            audit.record_many(s, [
                {"user_id": self.uid, "action": "attach", "patient_id": a["patient_id"], "entry_id": a["entry_id"],
                 "details": {"media_type": a["media_type"], "size": a["size"], "job": JOB}} for a in fresh])

    def _quarantine(self, s: Session, items: list[tuple[MappedRow, list[Issue], str | None]]) -> None:
        if not items:
            return
        self.report.quarantined += len(items)
        for _, issues, _ in items:
            for issue in issues:
                self.report.rules[issue.rule] = self.report.rules.get(issue.rule, 0) + 1
        add_quarantine(s, [
            {"job": JOB, "source": _where(r), "location": r.location, "patient_ref": ref, "section": r.section or None,
             "payload": r.payload, "issues": [i.to_dict() for i in issues], "status": "open"}
            for r, issues, ref in items
        ])


def add_quarantine(s: Session, rows: list[dict[str, Any]]) -> None:
    """Open quarantine rows for rows not already open (a re-run does not repeat them)."""
    if not rows:
        return
    rows = storable(rows)  # a payload may hold a NUL that was the reason for the quarantine
    keys = sorted({(q["source"], q["location"]) for q in rows})
    present = {
        (q.source, q.location)
        for q in s.execute(select(Quarantine.source, Quarantine.location).where(
            Quarantine.job == JOB, Quarantine.status == "open",
            pairs_in(s, Quarantine.source, Quarantine.location, keys)))
    }
    fresh = [q for q in rows if (q["source"], q["location"]) not in present]
    if fresh:
        s.connection().execute(insert(Quarantine.__table__), fresh)
    for q in rows:  # still open: keep the reasons of this run (a rejected link is no longer waiting for review)
        if (q["source"], q["location"]) in present:
            s.execute(update(Quarantine).where(
                Quarantine.job == JOB, Quarantine.status == "open", Quarantine.source == q["source"],
                Quarantine.location == q["location"]).values(issues=q["issues"], patient_ref=q["patient_ref"])
                .execution_options(synchronize_session=False))


def resolve_quarantine(s: Session, taken: list[tuple[str, str]]) -> None:
    """Close the open quarantine rows of (source, location) pairs that have now been taken in."""
    if taken:
        s.execute(update(Quarantine).where(
            Quarantine.job == JOB, Quarantine.status == "open",
            pairs_in(s, Quarantine.source, Quarantine.location, sorted(set(taken))),
        ).values(status="resolved").execution_options(synchronize_session=False))


@dataclass
class _NewEntry:
    """An entry created in this chunk: its ID is known once the chunk's entries are inserted."""

    patient_id: int
    fact_key: str
    section: str
    date: date | None
    system: str
    admission_key: str | None
    id: int | None = None


def _id(entry: int | _NewEntry) -> int:
    if isinstance(entry, int):
        return entry
    assert entry.id is not None, "entries are inserted before the rows that point to them"
    return entry.id


def _where(r: MappedRow) -> str:
    return f"{r.source}:{r.file}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _same_entry(a: ValidEntry, b: ValidEntry) -> bool:
    return (a.values == b.values and a.date == b.date and a.facility == b.facility
            and a.references == b.references)
