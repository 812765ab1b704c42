"""Bulk load of canonical registry JSON into the clinical store, with quarantine and reconciled counts."""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, or_, select, tuple_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from oncobank.dictionary.validate import SHOWN, EntryRejected, Issue, ValidEntry, clip
from oncobank.store import audit
from oncobank.store.clinical import ClinicalStore
from oncobank.store.codes import code_issue, column_length
from oncobank.store.errors import BadInput, LoadStopped, database_reason
from oncobank.store.models import Centre, Entry, EntryVersion, Patient, PatientIdentifier, Quarantine

FORMAT = "oncobank-registry"
FORMAT_VERSION = 1
JOB = "load"
MAX_DEPTH = 32  # nesting a patient line may have; far deeper than the format, far shallower than any stack
_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # neither backend stores these alike, even inside JSON
# Fields of a quarantined record whose values may be listed although no dictionary field declares them.
_PLAIN_FIELDS = {"patient_id", "centre", "date", "facility"}


@dataclass
class LoadReport:
    """Counts of one load; every patient and entry read ends in exactly one bucket.

    A load that stopped part-way (see LoadStopped) counts what it committed: `lines - patients_in` lines are
    not loaded yet.
    """

    source: str
    lines: int = 0  # patient lines in the file
    patients_in: int = 0
    patients_loaded: int = 0
    patients_skipped: int = 0  # already in the store (their new entries are loaded, entry by entry)
    patients_quarantined: int = 0
    entries_in: int = 0
    entries_loaded: int = 0
    entries_quarantined: int = 0
    entries_skipped: int = 0  # already in the store
    warnings: int = 0
    rules: dict[str, int] = field(default_factory=dict)  # quarantine reasons by rule
    quarantined: list[dict[str, Any]] = field(default_factory=list)  # line, patient, section, field, value, rule

    @property
    def balanced(self) -> bool:
        patients = self.patients_loaded + self.patients_skipped + self.patients_quarantined
        entries = self.entries_loaded + self.entries_quarantined + self.entries_skipped
        return patients == self.patients_in and entries == self.entries_in

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "balanced": self.balanced}

    def add(self, other: LoadReport) -> None:
        """Take in the counts of a committed batch."""
        for name in ("patients_in", "patients_loaded", "patients_skipped", "patients_quarantined", "entries_in",
                     "entries_loaded", "entries_quarantined", "entries_skipped", "warnings"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for rule, n in other.rules.items():
            self.rules[rule] = self.rules.get(rule, 0) + n
        self.quarantined.extend(other.quarantined)


@dataclass
class _Patient:
    line: int
    raw: dict[str, Any]
    registry_id: str
    centre_id: int
    identifiers: dict[str, str]
    pid: int | None = None  # set when the patient is in the store already, or once inserted
    entries: list[ValidEntry] = field(default_factory=list)


@dataclass
class _Stored:
    """A present patient's entries: every version's fingerprint, and the active entry of each one-entry section."""

    versions: dict[str, list[int]] = field(default_factory=dict)  # fingerprint -> entry IDs having it
    single: dict[str, int] = field(default_factory=dict)  # section -> active entry ID
    matched: set[int] = field(default_factory=set)


def read_manifest(directory: Path, module: str | None = None) -> dict[str, Any]:
    """registry/manifest.json under `directory`, checked (against `module` too, when given).

    Raises BadInput naming the line, field and rule.
    """
    path = directory / "registry" / "manifest.json"
    name = str(path)
    if not path.is_file():
        raise BadInput(name, None, "missing", "not found; a registry folder holds registry/manifest.json")
    text = _decode(name, path.read_bytes())
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(name, exc.lineno, "json",
                       f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except (ValueError, RecursionError):
        raise BadInput(name, 1, "json",
                       "not valid JSON (nested too deeply or a number too long)") from None
    if not isinstance(manifest, dict):
        raise BadInput(name, 1, "type", "the manifest is a JSON object {format, format_version, module, "
                       "centres}")

    def bad(key: str, rule: str, message: str) -> BadInput:
        return BadInput(name, _line_of(text, key), rule, message, field=key, value=manifest.get(key))

    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise bad("format", "format", f"expected format {FORMAT!r}, format_version {FORMAT_VERSION}")
    if not isinstance(manifest.get("module"), str):
        raise bad("module", "type", "the module is a name, e.g. \"thyroid\"")
    if module is not None and manifest["module"] != module:
        raise bad("module", "module", f"the store uses module {module}")
    centres = manifest.get("centres")
    if not isinstance(centres, list):
        raise bad("centres", "type", "centres is a list of {code, name}")
    for i, centre in enumerate(centres):
        where = _line_of(text, "centres")
        if not isinstance(centre, dict):
            raise BadInput(name, where, "type", "a centre is {code, name}", field=f"centres[{i}]")
        for key, column in (("code", Centre.code), ("name", Centre.name)):
            issue = code_issue(key, centre.get(key), column, section="centre")
            if issue is not None and (key == "code" or centre.get(key) is not None):
                raise BadInput(name, where, issue.rule, issue.message, field=f"centres[{i}].{key}",
                               value=centre.get(key))
    return manifest


def load_registry(
    store: ClinicalStore,
    directory: Path,
    *,
    user: str = "system",
    batch_size: int = 250,
    on_patient: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> LoadReport:
    """Load registry/patients.jsonl under `directory`, batch by batch; resumable.

    The manifest and the whole file's encoding are checked before anything is written (BadInput). Bad patients and
    entries are quarantined with their reasons; patients already present get the entries they do not have yet.
    A failure part-way raises LoadStopped with the counts of the batches committed: loading the same file again
    finishes the job. `on_total` hears the number of patient lines, `on_patient` each batch's size.
    """
    manifest = read_manifest(directory, store.dictionary.name)
    path = directory / "registry" / "patients.jsonl"
    report = LoadReport(source=str(path), lines=sum(1 for _ in _lines(path)))
    if on_total:
        on_total(report.lines)
    source = _source_key(path)
    seen: set[str] = set()  # registry IDs met on earlier lines
    line = 1
    try:
        uid = store.known_user(user)
        codes = {c["code"].strip(): c.get("name") for c in manifest["centres"]}
        centres = {code: store.ensure_centre(code, name) for code, name in codes.items()}
        for chunk in _chunks(_lines(path), batch_size):
            line = chunk[0][0]
            counts = LoadReport(report.source)
            with store.session() as s:
                _load_chunk(store, s, chunk, centres, uid, counts, source, seen)
            report.add(counts)
            if on_patient:
                on_patient(len(chunk))
        line = 0
        if report.patients_loaded or report.entries_loaded:
            _refresh_statistics(store)
    except SQLAlchemyError as exc:
        raise LoadStopped(report, line, f"database error ({database_reason(exc)})") from None
    except OSError as exc:
        raise LoadStopped(report, line, f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    except BadInput as exc:  # the file changed since it was checked
        raise LoadStopped(report, line, str(exc)) from None
    except KeyboardInterrupt:
        raise LoadStopped(report, line, "interrupted") from None
    return report


def quarantined(store: ClinicalStore, job: str | None = None, status: str = "open") -> list[dict[str, Any]]:
    """Quarantined records (of one job, or all), one row per problem: where, which patient and field, which rule.

    A value is listed only when its field is known not to identify the patient; the record itself stays in the
    store (`payload`) for the job that retries it.
    """
    query = select(Quarantine).where(Quarantine.status == status).order_by(Quarantine.id)
    if job is not None:
        query = query.where(Quarantine.job == job)
    rows: list[dict[str, Any]] = []
    with store.session() as s:
        for q in s.scalars(query):
            for issue in q.issues or [{}]:
                name = issue.get("field")
                rows.append({
                    "id": q.id, "job": q.job, "source": q.source, "location": q.location, "patient": q.patient_ref,
                    "section": q.section, "field": name, "rule": issue.get("rule"), "message": issue.get("message"),
                    "value": _listed(issue.get("value")) if _plain(store, q.section, name) else None,
                })
    return rows


def _refresh_statistics(store: ClinicalStore) -> None:
    # After a bulk load the planner's row estimates are stale until autovacuum runs; without fresh ones
    # PostgreSQL reads a patient card with sequential scans over every version row.
    tables = ("patient", "patient_identifier", "entry", "entry_version", "audit_log")
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
        else:
            conn.exec_driver_sql("ANALYZE")


def _decode(name: str, data: bytes, first_line: int = 1) -> str:
    """Registry text (a file, or one line of it): UTF-8 with any byte-order mark dropped, else BadInput naming the
    line and byte."""
    if first_line == 1 and (data.startswith(_UTF16) or b"\x00" in data[:2]):
        raise BadInput(name, 1, "encoding", "the file is UTF-16; registry JSON is UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BadInput(name, line, "encoding", f"byte 0x{data[exc.start]:02x} at byte {column} of the line is not "
                       "UTF-8; registry JSON is UTF-8 (save the file as UTF-8)") from None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """The non-blank lines of the patients file, numbered; BadInput for a missing file or a line not in UTF-8."""
    name = str(path)
    if not path.is_file():
        raise BadInput(name, None, "missing", "not found; registry/patients.jsonl holds one patient a line")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            text = _decode(name, raw, number)
            if text.strip():
                yield number, text


def _chunks(items: Iterator[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Batch:
    """One batch's quarantine: the rows to keep open, and the counts and listing of what was quarantined."""

    def __init__(self, store: ClinicalStore, report: LoadReport, source: str):
        self.store, self.report, self.source = store, report, source
        self.rows: list[dict[str, Any]] = []

    def reject(self, line: int, raw: Any, ref: str | None, section: Any, issues: list[Issue]) -> None:
        known = section if isinstance(section, str) and section in self.store.dictionary.sections else None
        for issue in issues:
            self.report.rules[issue.rule] = self.report.rules.get(issue.rule, 0) + 1
            self.report.quarantined.append({
                "line": line, "patient": ref, "section": known, "field": issue.field, "rule": issue.rule,
                "message": issue.message,
                "value": _listed(issue.value) if _plain(self.store, known, issue.field) else None,
            })
        self.rows.append({
            "job": JOB, "source": self.source, "location": f"line {line}", "patient_ref": ref, "section": known,
            "payload": _storable(raw if isinstance(raw, dict) else {"json": raw}),
            "issues": _storable([i.to_dict() for i in issues]), "status": "open",
        })

    def reject_patient(self, line: int, raw: Any, ref: str | None, entries: int, issues: list[Issue]) -> None:
        self.report.patients_quarantined += 1
        self.report.entries_in += entries
        self.report.entries_quarantined += entries  # kept in the patient's quarantine row
        self.reject(line, raw, ref, None, issues)

    def write(self, s: Session, refs: list[str], lines: list[int]) -> None:
        """Keep this batch's open rows: the same problem stays one row; a problem gone is resolved.

        A patient's open rows follow its latest load, from whichever file: that load read the whole patient.
        """
        refs = sorted({*refs, *(r["patient_ref"] for r in self.rows if r["patient_ref"])})
        scope = and_(
            Quarantine.job == JOB, Quarantine.status == "open",
            or_(Quarantine.patient_ref.in_(refs),
                and_(Quarantine.patient_ref.is_(None), Quarantine.source == self.source,
                     Quarantine.location.in_([f"line {n}" for n in lines]))),
        )
        open_rows = {_row_key(q.source, q.location, q.patient_ref, q.section, q.issues): q.id
                     for q in s.execute(select(Quarantine.id, Quarantine.source, Quarantine.location,
                                               Quarantine.patient_ref, Quarantine.section, Quarantine.issues)
                                        .where(scope))}
        fresh = [row for row in self.rows
                 if open_rows.pop(_row_key(row["source"], row["location"], row["patient_ref"], row["section"],
                                           row["issues"]), None) is None]
        if open_rows:
            s.execute(update(Quarantine).where(Quarantine.id.in_(sorted(open_rows.values()))).values(status="resolved")
                      .execution_options(synchronize_session=False))
        if fresh:
            s.connection().execute(insert(Quarantine.__table__), fresh)


def _load_chunk(
    store: ClinicalStore,
    s: Session,
    chunk: list[tuple[int, str]],
    centres: dict[str, int],
    uid: int,
    report: LoadReport,
    source: str,
    seen: set[str],
) -> None:
    batch = _Batch(store, report, source)
    parsed: list[_Patient] = []
    for line, text in chunk:
        report.patients_in += 1
        patient = _parse(line, text, centres, batch)
        if patient is not None:
            parsed.append(patient)
    refs = [p.registry_id for p in parsed]
    query = select(Patient.registry_id, Patient.id).where(Patient.registry_id.in_(refs))
    present: dict[str, int] = {ref: pid for ref, pid in s.execute(query)} if refs else {}
    taken = _taken_identifiers(s, [p for p in parsed if p.registry_id not in present])
    new: list[_Patient] = []
    old: list[_Patient] = []
    for p in parsed:
        n = len(p.raw["entries"])
        if p.registry_id in seen:
            batch.reject_patient(p.line, p.raw, p.registry_id, n, [Issue(
                "patient", "patient_id", p.registry_id, "duplicate_identifier",
                "this patient_id is on an earlier line of the file too", patient=p.registry_id)])
            continue
        seen.add(p.registry_id)
        if p.registry_id in present:
            p.pid = present[p.registry_id]
            report.patients_skipped += 1
            old.append(p)
            continue
        clash = sorted(sys for sys, val in p.identifiers.items() if (sys, val) in taken)
        if clash:
            batch.reject_patient(p.line, p.raw, p.registry_id, n, [Issue(
                "patient", "identifiers", None, "duplicate_identifier",
                f"the {', '.join(clash)} identifier already belongs to another patient", patient=p.registry_id)])
            continue
        taken.update(p.identifiers.items())
        new.append(p)
    births = store.birth_dates(s, [p.pid for p in old if p.pid is not None]) if old else {}
    stored = _stored_entries(s, [p.pid for p in old if p.pid is not None])
    for p in new:
        _validate_entries(store, p, None, _Stored(), report, batch)
    for p in old:
        assert p.pid is not None
        _validate_entries(store, p, births.get(p.pid), stored.get(p.pid, _Stored()), report, batch)
    _insert(s, new, old, store.dictionary.name, uid, report)
    batch.write(s, refs, [line for line, _ in chunk])


def _parse(line: int, text: str, centres: dict[str, int], batch: _Batch) -> _Patient | None:
    """The patient on one line, or None when it is quarantined (every problem of the patient itself listed)."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply or a number too long"
        batch.reject_patient(line, {"text": text}, None, 0,
                             [Issue("patient", None, None, "json", f"the line is not valid JSON: {why}")])
        return None
    if not _shallow(raw):
        batch.reject_patient(line, {"text": text}, None, 0,
                             [Issue("patient", None, None, "json", f"nested more than {MAX_DEPTH} levels deep")])
        return None
    if not isinstance(raw, dict):
        batch.reject_patient(line, raw, None, 0, [Issue(
            "patient", None, None, "type", "a patient is a JSON object {patient_id, centre, identifiers, entries}")])
        return None
    entries = raw.get("entries")
    n_entries = len(entries) if isinstance(entries, list) else 0
    issues: list[Issue] = []
    problem = code_issue("patient_id", raw.get("patient_id"), Patient.registry_id)
    ref = raw["patient_id"].strip() if problem is None else None
    if problem is not None:
        issues.append(problem)
    if not isinstance(entries, list):
        issues.append(Issue("patient", "entries", None, "type", "entries is a list of {section, date, facility, "
                            "values}", patient=ref))
    centre = raw.get("centre")
    if centre is None:
        issues.append(Issue("patient", "centre", None, "required", "the centre is required", patient=ref))
    elif not isinstance(centre, str):
        issues.append(Issue("patient", "centre", centre, "type", "the centre is a code listed in the manifest",
                            patient=ref))
    elif centre.strip() not in centres:
        issues.append(Issue("patient", "centre", centre, "unknown_centre", "the centre is not listed in the manifest",
                            patient=ref))
    identifiers = _identifiers(raw.get("identifiers"), ref, issues)
    if issues:
        batch.reject_patient(line, raw, ref, n_entries, issues)
        return None
    assert ref is not None and isinstance(centre, str)
    return _Patient(line, raw, ref, centres[centre.strip()], identifiers)


def _identifiers(raw: Any, ref: str | None, issues: list[Issue]) -> dict[str, str]:
    """System -> identifier; problems go to `issues`, never with an identifier's value."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        issues.append(Issue("patient", "identifiers", None, "type", "identifiers is a list of {system, value}",
                            patient=ref))
        return {}
    found: dict[str, str] = {}
    for i, item in enumerate(raw):
        where = f"identifiers[{i}]"
        if not isinstance(item, dict):
            issues.append(Issue("patient", where, None, "type", "an identifier is {system, value}", patient=ref))
            continue
        system, value = item.get("system"), item.get("value")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        problems = [code_issue(f"{where}.system", system, PatientIdentifier.system, patient=ref),
                    code_issue(f"{where}.value", value, PatientIdentifier.value, patient=ref, shown=False)]
        if any(problems):
            issues.extend(p for p in problems if p is not None)
            continue
        if system.strip() in found:
            issues.append(Issue("patient", where, None, "duplicate_identifier",
                                f"two identifiers of system {clip(system.strip())}", patient=ref))
            continue
        found[system.strip()] = value.strip()
    return found


def _taken_identifiers(s: Session, patients: list[_Patient]) -> set[tuple[str, str]]:
    pairs = [(sys, val) for p in patients for sys, val in p.identifiers.items()]
    if not pairs:
        return set()
    query = select(PatientIdentifier.system, PatientIdentifier.value).where(
        tuple_(PatientIdentifier.system, PatientIdentifier.value).in_(pairs)
    )
    return {(row.system, row.value) for row in s.execute(query)}


def _stored_entries(s: Session, pids: list[int]) -> dict[int, _Stored]:
    """Every version of every entry of the given patients, by fingerprint; retracted ones too, so none comes back."""
    stored: dict[int, _Stored] = {}
    if not pids:
        return stored
    rows = s.execute(
        select(Entry.id, Entry.patient_id, Entry.section, Entry.current_version, EntryVersion.version,
               EntryVersion.status, EntryVersion.entry_date, EntryVersion.facility, EntryVersion.values,
               EntryVersion.entered, EntryVersion.reference_ranges)
        .join(EntryVersion, EntryVersion.entry_id == Entry.id)
        .where(Entry.patient_id.in_(pids))
        .order_by(Entry.id, EntryVersion.version)
    )
    for r in rows:
        mine = stored.setdefault(r.patient_id, _Stored())
        key = _fingerprint(r.section, r.entry_date, r.facility, r.values, r.entered, r.reference_ranges)
        mine.versions.setdefault(key, []).append(r.id)
        if r.version == r.current_version and r.status == "active":
            mine.single[r.section] = r.id
    return stored


def _fingerprint(section: str, when: date | None, facility: str | None, values: Any, entered: Any,
                 references: Any) -> str:
    return json.dumps([section, when.isoformat() if when else None, facility, values, entered, references],
                      sort_keys=True, ensure_ascii=False)


def _validate_entries(
    store: ClinicalStore, p: _Patient, born: date | None, stored: _Stored, report: LoadReport, batch: _Batch
) -> None:
    """Validate a patient's entries; keep in `p.entries` those the store does not hold yet."""
    entries = p.raw["entries"]
    # Demographics first: its birth date bounds every other date of the patient.
    ordered = sorted(entries, key=lambda e: 0 if isinstance(e, dict) and e.get("section") == "demographics" else 1)
    single_seen: set[str] = set()
    for raw in ordered:
        report.entries_in += 1
        section = raw.get("section") if isinstance(raw, dict) else None
        try:
            valid = _valid_entry(store, p.registry_id, raw, born)
            key = _fingerprint(valid.section, valid.date, valid.facility, valid.values, valid.entered,
                               valid.references)
            same = next((e for e in stored.versions.get(key, []) if e not in stored.matched), None)
            one_only = not store.dictionary.sections[valid.section].repeating
            if one_only and valid.section in single_seen:
                raise EntryRejected([Issue(valid.section, None, None, "single_entry",
                                           "this section holds one entry per patient", patient=p.registry_id)])
            if one_only and same is None and valid.section in stored.single:
                entry = stored.single[valid.section]
                raise EntryRejected([Issue(valid.section, None, None, "single_entry",
                                           f"the store holds entry {entry} of this one-entry section with other "
                                           f"values; change it with `oncobank entry edit {entry}`",
                                           patient=p.registry_id)])
        except EntryRejected as exc:
            report.entries_quarantined += 1
            batch.reject(p.line, raw, p.registry_id, section, exc.issues)
            continue
        if one_only:
            single_seen.add(valid.section)
        if valid.section == "demographics" and valid.values.get("birth_date"):
            born = date.fromisoformat(valid.values["birth_date"])
        if same is not None:
            stored.matched.add(same)
            report.entries_skipped += 1
            continue
        report.warnings += len(valid.warnings)
        p.entries.append(valid)


def _valid_entry(store: ClinicalStore, ref: str, raw: Any, born: date | None) -> ValidEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("values"), dict):
        section = raw.get("section") if isinstance(raw, dict) else None
        shown = clip(section) if isinstance(section, str) else "entry"
        raise EntryRejected([Issue(shown, None, None, "type", "an entry is {section, date, facility, values}",
                                   patient=ref)])
    section = raw.get("section")
    return store.validator.validate(section, raw["values"], entry_date=raw.get("date"),
                                    facility=raw.get("facility"), patient=ref,
                                    birth_date=None if section == "demographics" else born)


def _insert(s: Session, new: list[_Patient], old: list[_Patient], module: str, uid: int, report: LoadReport) -> None:
    # Core statements on the session's connection: ORM bulk inserts fall back to one statement per row here.
    conn = s.connection()
    patient, entry = Patient.__table__, Entry.__table__
    if new:
        ids = conn.execute(
            insert(patient).returning(patient.c.id, sort_by_parameter_order=True),
            [{"registry_id": p.registry_id, "module": module, "centre_id": p.centre_id, "created_by": uid}
             for p in new],
        ).scalars().all()
        for pid, p in zip(ids, new, strict=True):
            p.pid = pid
        identifiers = [{"patient_id": p.pid, "system": sys, "value": val}
                       for p in new for sys, val in p.identifiers.items()]
        if identifiers:
            conn.execute(insert(PatientIdentifier.__table__), identifiers)
    touched = new + [p for p in old if p.entries]
    heads = [(p.pid, e) for p in touched for e in p.entries]
    if heads:
        entry_ids = conn.execute(
            insert(entry).returning(entry.c.id, sort_by_parameter_order=True),
            [{"patient_id": pid, "section": e.section, "current_version": 1, "created_by": uid} for pid, e in heads],
        ).scalars().all()
        conn.execute(
            insert(EntryVersion.__table__),
            [
                {
                    "entry_id": eid,
                    "version": 1,
                    "status": "active",
                    "entry_date": e.date,
                    "facility": e.facility,
                    "values": e.values,
                    "entered": e.entered,
                    "reference_ranges": e.references,
                    "warnings": [w.to_dict() for w in e.warnings],
                    "reason": None,
                    "author_id": uid,
                }
                for eid, (_, e) in zip(entry_ids, heads, strict=True)
            ],
        )
    audit.record_many(s, [
        {"user_id": uid, "action": "load", "patient_id": p.pid, "entry_id": None,
         "details": {"entries": len(p.entries), "source_line": p.line}}
        for p in touched
    ])
    report.patients_loaded += len(new)
    report.entries_loaded += len(heads)


def _shallow(value: Any) -> bool:
    """Whether `value` nests at most MAX_DEPTH levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def _storable(value: Any) -> Any:
    """`value` as both backends keep JSON: no NUL or lone surrogate in a string, no NaN or infinity."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _row_key(source: str, location: str, ref: str | None, section: str | None, issues: Any) -> str:
    return json.dumps([source, location, ref, section, issues], sort_keys=True, ensure_ascii=False)


def _plain(store: ClinicalStore, section: str | None, name: str | None) -> bool:
    """Whether a quarantined value of this field may be listed: a dictionary field that does not identify."""
    if name is None:
        return False
    if name in _PLAIN_FIELDS or name.endswith(".system"):
        return True
    sec = store.dictionary.sections.get(section or "")
    found = next((f for f in sec.fields if f.name == name), None) if sec else None
    return found is not None and not found.identifying


def _listed(value: Any) -> Any:
    """A value as a listing shows it: long text cut, other long values cut as JSON."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict) and isinstance(value.get("value"), int | float) and value.get("unit"):
        return clip(_storable(f"{value['value']:g} {value['unit']}"), SHOWN)  # a measurement as a person writes it
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return clip(_storable(text), SHOWN)


def _line_of(text: str, key: str) -> int:
    """The line of the first `"key"` in a JSON text (1 when it is absent)."""
    at = text.find(json.dumps(key))
    return 1 if at < 0 else text.count("\n", 0, at) + 1


def _source_key(path: Path) -> str:
    """How quarantine rows name the file: its whole path, cut from the left to fit the column."""
    text = str(path.resolve())
    limit = column_length(Quarantine.source)
    return text if len(text) <= limit else "…" + text[-(limit - 1):]
