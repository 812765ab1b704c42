"""The clinical store's write API: patients, dated entries, versions, retractions and reviews."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import FieldDef
from oncobank.dictionary.units import UnitError
from oncobank.dictionary.validate import EntryRejected, Issue, Validator, ValidEntry, text_problem
from oncobank.store import accounts, audit, crypt, progress
from oncobank.store.access import Actor
from oncobank.store.codes import code_issue, column_length
from oncobank.store.db import data_home, sqlite_file
from oncobank.store.errors import ConflictError, NotFound, RuleViolation, SchemaOutOfDate
from oncobank.store.migrate import is_current
from oncobank.store.models import Centre, Entry, EntryVersion, Patient, PatientIdentifier, Review, User

AGREEMENTS = ("agree", "partial", "disagree")
SYSTEM_USER = "system"


@dataclass(frozen=True)
class EntryRef:
    """What a write returns: the entry, the version it created, and any soft-range warnings."""

    entry_id: int
    version: int
    warnings: list[Issue] = field(default_factory=list)


def attachment_folder(engine: Engine) -> Path:
    """Where a store keeps its attached files: beside a SQLite store (`NAME-attachments`); for a server store,
    ONCOBANK_ATTACHMENTS or the data home's `attachments` folder. Never the current folder by accident."""
    file = sqlite_file(engine.url.render_as_string(hide_password=True))
    if file is not None:
        return file.resolve().with_name(f"{file.stem}-attachments")
    return Path(os.environ.get("ONCOBANK_ATTACHMENTS") or data_home() / "attachments").resolve()


class ClinicalStore:
    """Identified, versioned, audited patient data validated against one dictionary module."""

    def __init__(
        self, engine: Engine, dictionary: Dictionary, attachments: Path | None = None, check_schema: bool = True
    ):
        if check_schema and not is_current(engine):
            raise SchemaOutOfDate("the store is not initialised or is out of date: run `oncobank init` first")
        self.engine = engine
        self.dictionary = dictionary
        # The values of the dictionary's identifying fields are written encrypted (oncobank.store.crypt).
        crypt.attach(engine).fields.update(
            f.name for section in dictionary.sections.values() for f in section.fields if f.identifying)
        self.validator = Validator(dictionary, facility_length=column_length(EntryVersion.facility))
        self.attachments = attachments or attachment_folder(engine)
        self.actor: Actor | None = None  # who a command or request acts as (None: the library, trusted by its caller)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    # --- people and places -------------------------------------------------------------------------

    def ensure_centre(self, code: str, name: str | None = None) -> int:
        """The centre with `code`, registered (with `name`, default the code) when new."""
        issues = [code_issue("code", code, Centre.code, section="centre"),
                  None if name is None else code_issue("name", name, Centre.name, section="centre")]
        if any(issues):
            raise RuleViolation("; ".join(str(i) for i in issues if i))
        with self.session() as s:
            found = s.scalar(select(Centre.id).where(Centre.code == code))
            if found is not None:
                return found
            return s.execute(insert(Centre).values(code=code, name=name or code).returning(Centre.id)).scalar_one()

    def ensure_user(self, username: str, role: str, *, centre: str | None = None,
                    full_name: str | None = None) -> int:
        """The account called `username`, registered by the store itself when new (set-up and tests, not commands:
        a command acts only as a user an administrator registered, see `accounts.acting`)."""
        with self.session() as s:
            found = s.scalar(select(User.id).where(User.username == username))
        if found is not None:
            return found
        try:
            return accounts.add_user(self, username, role, by=None, centre=centre, full_name=full_name)
        except RuleViolation:  # registered by another process meanwhile
            with self.session() as s:
                return s.scalars(select(User.id).where(User.username == username)).one()

    def known_user(self, username: str) -> int:
        """The ID of the registered account `username` (NotFound otherwise: nothing is created)."""
        with self.session() as s:
            return self.user_id(s, username)

    def user_id(self, s: Session, username: str) -> int:
        found = s.scalar(select(User.id).where(User.username == username))
        if found is None:
            raise NotFound(f"no user {username!r}: an administrator registers it with `oncobank user add`")
        return found

    def create_patient(
        self,
        registry_id: str,
        centre: str,
        user: str,
        identifiers: Mapping[str, str] | None = None,
    ) -> int:
        """Register a patient (no clinical data yet); identifiers map source system -> ID."""
        issues = [code_issue("patient_id", registry_id, Patient.registry_id)]
        for system, value in (identifiers or {}).items():
            issues.append(code_issue("identifier system", system, PatientIdentifier.system, patient=registry_id))
            issues.append(code_issue(f"identifier {system}", value, PatientIdentifier.value, patient=registry_id,
                                     shown=False))
        if any(issues):
            raise RuleViolation("; ".join(str(i) for i in issues if i))
        with self.session() as s:
            uid = self.user_id(s, user)
            centre_id = s.scalar(select(Centre.id).where(Centre.code == centre))
            if centre_id is None:
                raise NotFound(f"no centre {centre!r}")
            try:
                pid = s.execute(
                    insert(Patient)
                    .values(registry_id=registry_id, module=self.dictionary.name, centre_id=centre_id, created_by=uid)
                    .returning(Patient.id)
                ).scalar_one()
                for system, value in (identifiers or {}).items():
                    s.execute(insert(PatientIdentifier).values(patient_id=pid, system=system, value=value))
                s.flush()
            except IntegrityError as exc:
                raise RuleViolation(
                    f"patient {registry_id}: the registry ID or one of its source identifiers is already taken"
                ) from exc
            progress.refresh(s, self.dictionary, [pid])
            audit.record(s, "create_patient", uid, pid, systems=sorted(identifiers or {}))
            return pid

    def patient_id(self, s: Session, registry_id: str) -> int:
        found = s.scalar(select(Patient.id).where(Patient.registry_id == registry_id))
        if found is None:
            raise NotFound(f"no patient {registry_id}")
        return found

    # --- entries -----------------------------------------------------------------------------------

    def add_entry(
        self,
        registry_id: str,
        section: str,
        values: Mapping[str, Any],
        *,
        user: str,
        entry_date: date | str | None = None,
        facility: str | None = None,
        reason: str | None = None,
    ) -> EntryRef:
        """Create a new entry (version 1); a non-repeating section takes one active entry per patient."""
        with self.session() as s:
            uid = self.user_id(s, user)
            pid = self.patient_id(s, registry_id)
            valid = self._validate(s, pid, registry_id, section, values, entry_date, facility)
            if not self.dictionary.section(section).repeating:
                existing = self._active_entries(s, pid, section)
                if existing:
                    raise RuleViolation(
                        f"patient {registry_id}, section {section}: holds one entry per patient and entry "
                        f"{existing[0]} exists; edit it instead"
                    )
            entry_id = s.execute(
                insert(Entry)
                .values(patient_id=pid, section=section, current_version=1, created_by=uid)
                .returning(Entry.id)
            ).scalar_one()
            self._write_version(s, entry_id, 1, "active", valid, uid, reason)
            audit.record(s, "create", uid, pid, entry_id, section=section, version=1)
            return EntryRef(entry_id, 1, valid.warnings)

    def edit_entry(
        self,
        entry_id: int,
        expected_version: int,
        values: Mapping[str, Any],
        *,
        user: str,
        reason: str,
        entry_date: date | str | None = None,
        facility: str | None = None,
    ) -> EntryRef:
        """Write a new version with the full new values; fails if `expected_version` is not current.

        A retracted entry is not edited back to life: reinstate it first (`reinstate_entry`).
        """
        _check_reason(entry_id, reason, "an edit")
        with self.session() as s:
            uid = self.user_id(s, user)
            entry = self.get_entry(s, entry_id)
            if self._current(s, entry).status == "retracted":
                raise RuleViolation(
                    f"entry {entry_id} is retracted (version {entry.current_version}); reinstate it first: "
                    f"oncobank entry reinstate {entry_id} --version {entry.current_version} --reason …"
                )
            registry_id = s.scalar(select(Patient.registry_id).where(Patient.id == entry.patient_id))
            valid = self._validate(s, entry.patient_id, registry_id, entry.section, values, entry_date, facility)
            version = self._bump(s, entry_id, expected_version)
            self._write_version(s, entry_id, version, "active", valid, uid, reason)
            audit.record(s, "edit", uid, entry.patient_id, entry_id, section=entry.section, version=version)
            return EntryRef(entry_id, version, valid.warnings)

    def retract_entry(self, entry_id: int, expected_version: int, *, user: str, reason: str) -> EntryRef:
        """Mark an entry withdrawn by a new version; its earlier versions stay readable."""
        _check_reason(entry_id, reason, "a retraction")
        with self.session() as s:
            uid = self.user_id(s, user)
            entry = self.get_entry(s, entry_id)
            last = self._current(s, entry)
            if last.status == "retracted":
                raise RuleViolation(f"entry {entry_id} is already retracted")
            version = self._bump(s, entry_id, expected_version)
            kept = ValidEntry(
                entry.section, last.entry_date, last.facility, last.values, last.entered, last.reference_ranges
            )
            self._write_version(s, entry_id, version, "retracted", kept, uid, reason)
            audit.record(s, "retract", uid, entry.patient_id, entry_id, section=entry.section, version=version)
            return EntryRef(entry_id, version)

    def reinstate_entry(self, entry_id: int, expected_version: int, *, user: str, reason: str) -> EntryRef:
        """Make a retracted entry active again: a new version with the values it had, validated and audited."""
        _check_reason(entry_id, reason, "a reinstatement")
        with self.session() as s:
            uid = self.user_id(s, user)
            entry = self.get_entry(s, entry_id)
            last = self._current(s, entry)
            if last.status != "retracted":
                raise RuleViolation(f"entry {entry_id} is not retracted; there is nothing to reinstate")
            if not self.dictionary.section(entry.section).repeating:
                active = self._active_entries(s, entry.patient_id, entry.section)
                if active:
                    raise RuleViolation(f"entry {entry_id}: section {entry.section} holds one entry per patient "
                                        f"and entry {active[0]} is active")
            registry_id = s.scalar(select(Patient.registry_id).where(Patient.id == entry.patient_id))
            valid = self._validate(s, entry.patient_id, registry_id, entry.section, self.as_input(entry.section, last),
                                   last.entry_date, last.facility)
            version = self._bump(s, entry_id, expected_version)
            self._write_version(s, entry_id, version, "active", valid, uid, reason)
            audit.record(s, "reinstate", uid, entry.patient_id, entry_id, section=entry.section, version=version)
            return EntryRef(entry_id, version, valid.warnings)

    def review_entry(
        self,
        entry_id: int,
        *,
        reviewer: str,
        review_date: date | str,
        agreement: str,
        revised_values: Mapping[str, Any] | None = None,
        comment: str | None = None,
        facility: str | None = None,
        version: int | None = None,
    ) -> int:
        """Record a second opinion on a version of an entry (default: the current one), beside it."""
        if agreement not in AGREEMENTS:
            raise RuleViolation(f"entry {entry_id}: agreement must be one of {', '.join(AGREEMENTS)}")
        if agreement != "agree" and not revised_values and not comment:
            raise RuleViolation(f"entry {entry_id}: a {agreement} review needs revised values or a comment")
        if comment is not None and (problem := text_problem(comment, None, single_line=False)) is not None:
            raise RuleViolation(f"entry {entry_id}, comment: {problem[1]} [rule: {problem[0]}]")
        with self.session() as s:
            uid = self.user_id(s, reviewer)
            entry = self.get_entry(s, entry_id)
            version = version or entry.current_version
            if not 1 <= version <= entry.current_version:
                raise NotFound(f"entry {entry_id} has no version {version}")
            revised: dict[str, Any] = {}
            if revised_values:
                revised = self._validate_partial(s, entry, revised_values)
            when, facility = self._review_date_and_place(s, entry, version, review_date, facility)
            review_id = s.execute(
                insert(Review)
                .values(
                    entry_id=entry_id,
                    entry_version=version,
                    reviewer_id=uid,
                    review_date=when,
                    facility=facility,
                    agreement=agreement,
                    revised_values=revised,
                    comment=comment,
                )
                .returning(Review.id)
            ).scalar_one()
            progress.refresh(s, self.dictionary, [entry.patient_id])
            audit.record(
                s,
                "review",
                uid,
                entry.patient_id,
                entry_id,
                section=entry.section,
                version=version,
                agreement=agreement,
            )
            return review_id

    def as_input(self, section: str, version: EntryVersion) -> dict[str, Any]:
        """A stored version turned back into input values (units as entered, reference ranges kept)."""
        fields = {f.name: f for f in self.dictionary.section(section).fields}
        result: dict[str, Any] = {}
        for name, value in version.values.items():
            entered = version.entered.get(name)
            ref = version.reference_ranges.get(name)
            if entered is None and ref is None:
                result[name] = value
                continue
            item = dict(entered) if entered else {"value": value}
            if ref is not None:
                unit = entered["unit"] if entered else None
                item["ref_low"], item["ref_high"] = self._range_in(fields[name], ref, unit)
            result[name] = item
        return result

    def edited_input(self, section: str, version: EntryVersion, changes: Mapping[str, Any]) -> dict[str, Any]:
        """`version` as input values with `changes` applied, for an edit that names only what changes.

        A changed number keeps the version's reference range (in the unit the new value is given in) unless the
        change gives a range of its own or clears the value.
        """
        fields = {f.name: f for f in self.dictionary.section(section).fields}
        result = self.as_input(section, version)
        for name, new in changes.items():
            ref = version.reference_ranges.get(name)
            own = isinstance(new, Mapping) and ("ref_low" in new or "ref_high" in new)
            result[name] = new
            if ref is None or own or new is None or new == "" or name not in fields:
                continue
            item = dict(new) if isinstance(new, Mapping) else {"value": new}
            unit = item.get("unit") or None
            try:
                item["ref_low"], item["ref_high"] = self._range_in(fields[name], ref, unit)
            except (UnitError, TypeError):
                continue  # a unit that does not convert: the validator names it
            result[name] = item
        return result

    # --- internals ---------------------------------------------------------------------------------

    def _range_in(self, f: FieldDef, ref: list[float | None], unit: Any) -> tuple[float | None, float | None]:
        """A stored (canonical) reference range expressed in `unit` (None: the canonical unit)."""
        factor = 1.0
        if unit is not None and f.unit and unit != f.unit:
            factor = self.dictionary.units.factor(unit, f.unit, f.molar_mass)
        low, high = (None if x is None else x / factor for x in ref)
        return low, high

    def _current(self, s: Session, entry: Entry) -> EntryVersion:
        return s.execute(
            select(EntryVersion).where(EntryVersion.entry_id == entry.id, EntryVersion.version == entry.current_version)
        ).scalar_one()

    def _review_date_and_place(
        self, s: Session, entry: Entry, version: int, raw: date | str, facility: str | None
    ) -> tuple[date, str | None]:
        """A review's date and facility, checked as an entry's are; a review cannot predate what it reviews."""
        registry_id = s.scalar(select(Patient.registry_id).where(Patient.id == entry.patient_id))
        born = self.birth_date(s, entry.patient_id)
        when = self.validator.event_date(entry.section, "review_date", raw, patient=registry_id, birth_date=born)
        reviewed = s.scalar(select(EntryVersion.entry_date).where(EntryVersion.entry_id == entry.id,
                                                                  EntryVersion.version == version))
        if reviewed is not None and when < reviewed:
            raise EntryRejected([Issue(entry.section, "review_date", when.isoformat(), "before_entry",
                                       f"the review is dated before the entry it reviews ({reviewed.isoformat()})",
                                       patient=registry_id)])
        return when, self.validator.facility(entry.section, facility, patient=registry_id)

    def get_entry(self, s: Session, entry_id: int) -> Entry:
        entry = s.get(Entry, entry_id)
        if entry is None:
            raise NotFound(f"no entry {entry_id}")
        return entry

    def _active_entries(self, s: Session, patient_id: int, section: str) -> list[int]:
        query = (
            select(Entry.id)
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(Entry.patient_id == patient_id, Entry.section == section, EntryVersion.status == "active")
        )
        return list(s.scalars(query))

    def _bump(self, s: Session, entry_id: int, expected: int) -> int:
        # The WHERE on the old version makes the check and the increment one atomic step; a concurrent
        # writer blocks on the row lock and then matches no row.
        result = s.execute(
            update(Entry)
            .where(Entry.id == entry_id, Entry.current_version == expected)
            .values(current_version=expected + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            actual = s.scalar(select(Entry.current_version).where(Entry.id == entry_id))
            raise ConflictError(entry_id, expected, actual)
        return expected + 1

    def _write_version(
        self, s: Session, entry_id: int, version: int, status: str, valid: ValidEntry, uid: int, reason: str | None
    ) -> None:
        s.execute(
            insert(EntryVersion).values(
                entry_id=entry_id,
                version=version,
                status=status,
                entry_date=valid.date,
                facility=valid.facility,
                values=valid.values,
                entered=valid.entered,
                reference_ranges=valid.references,
                warnings=[w.to_dict() for w in valid.warnings],
                reason=reason,
                author_id=uid,
            )
        )
        # Every version is written here: the patient's completeness status follows in the same transaction.
        progress.refresh(s, self.dictionary, [s.scalar(select(Entry.patient_id).where(Entry.id == entry_id))])

    def birth_date(self, s: Session, patient_id: int) -> date | None:
        return self.birth_dates(s, [patient_id])[patient_id]

    def birth_dates(self, s: Session, patient_ids: Collection[int]) -> dict[int, date | None]:
        """Each patient's recorded birth date (None when unknown), in one query."""
        query = (
            select(Entry.patient_id, EntryVersion.values)
            .join(Entry, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(Entry.patient_id.in_(sorted(patient_ids)), Entry.section == "demographics",
                   EntryVersion.status == "active")
        )
        born: dict[int, date | None] = dict.fromkeys(patient_ids)
        for pid, values in s.execute(query):
            text = (values or {}).get("birth_date")
            born[pid] = date.fromisoformat(text) if text else None
        return born

    def _validate(
        self,
        s: Session,
        patient_id: int,
        registry_id: str | None,
        section: str,
        values: Mapping[str, Any],
        entry_date: date | str | None,
        facility: str | None,
    ) -> ValidEntry:
        born = None if section == "demographics" else self.birth_date(s, patient_id)
        return self.validator.validate(
            section, values, entry_date=entry_date, facility=facility, patient=registry_id, birth_date=born
        )

    def _validate_partial(self, s: Session, entry: Entry, revised: Mapping[str, Any]) -> dict[str, Any]:
        # A review revises some fields; it is checked as the whole entry with those fields replaced.
        current = self._current(s, entry)
        registry_id = s.scalar(select(Patient.registry_id).where(Patient.id == entry.patient_id))
        merged = {**current.values, **revised}
        valid = self._validate(
            s, entry.patient_id, registry_id, entry.section, merged, current.entry_date, current.facility
        )
        return {k: valid.values.get(k) for k in revised}


def _check_reason(entry_id: int, reason: str, what: str) -> None:
    """Every change says why, in text the store can keep."""
    if not reason or not reason.strip():
        raise RuleViolation(f"entry {entry_id}: {what} needs a reason")
    problem = text_problem(reason, None, single_line=False)
    if problem is not None:
        raise RuleViolation(f"entry {entry_id}, reason: {problem[1]} [rule: {problem[0]}]")
