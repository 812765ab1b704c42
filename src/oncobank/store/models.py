"""SQLAlchemy models of the clinical store: centres, users, patients, versioned entries, reviews, audit, seal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from oncobank.store import crypt

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


def _codec(dialect: Any) -> crypt.Codec | None:
    return getattr(dialect, "oncobank_codec", None)


class EntryValues(TypeDecorator[Any]):
    """Entry values (a JSON object): the values of identifying fields are kept encrypted, each in an envelope."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        codec = _codec(dialect)
        return value if codec is None else codec.hide_fields(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return crypt.codec_of(dialect).show_fields(value) if _holds_envelope(value) else value


class SecretJson(EntryValues):
    """A JSON value kept encrypted as a whole (a quarantined source row, a value two sources disagree on)."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        codec = _codec(dialect)
        return value if codec is None or value is None or crypt.is_envelope(value) else codec.hide(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return crypt.codec_of(dialect).show(value) if crypt.is_envelope(value) else value


class SecretText(TypeDecorator[str]):
    """Text kept encrypted under a random nonce (a report's text)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        codec = _codec(dialect)
        return value if codec is None or value is None else codec.seal(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value if value is None else crypt.codec_of(dialect).open(value)


class LookupText(TypeDecorator[str]):
    """An identifier kept encrypted deterministically, so that equality lookups and unique constraints still work.

    `limit` is the length of the identifier itself (its ciphertext is longer: the column is TEXT on PostgreSQL,
    and SQLite does not enforce a declared length)."""

    impl = String
    cache_ok = True

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit

    def load_dialect_impl(self, dialect: Any) -> Any:
        return Text() if dialect.name == "postgresql" else String(self.limit)

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        codec = _codec(dialect)
        return value if codec is None or value is None else codec.fixed(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value if value is None else crypt.codec_of(dialect).open(value)


def _holds_envelope(value: Any) -> bool:
    return isinstance(value, dict) and any(crypt.is_envelope(v) for v in (value, *value.values()))


def utcnow() -> datetime:
    return datetime.now(UTC)


WRITE_TOKEN = "oncobank_write_token"  # connection info: the token of the store session writing on it
WRITTEN = "oncobank_written"  # connection info: the sealed tables this session has written rows to


def _written_by(table: str) -> Any:
    """The default of a sealed table's `txn`: the writing session's token, noting the table for the seal."""

    def token(context: Any) -> int | None:
        info = context.connection.info
        found = info.get(WRITE_TOKEN)
        if found is not None:
            info.setdefault(WRITTEN, set()).add(table)
        return found

    return token


def _txn(table: str) -> Any:
    """The `txn` column of a sealed table: which store session wrote the row, so that its commit seals it."""
    return mapped_column(BigInteger, default=_written_by(table), index=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Centre(Base):
    """A hospital or medical facility that contributes patients."""

    __tablename__ = "centre"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    txn: Mapped[int | None] = _txn("centre")


class User(Base):
    """A person (or system job) that reads or writes patient data."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centre.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    txn: Mapped[int | None] = _txn("app_user")
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")  # pending | disabled
    email: Mapped[str | None] = mapped_column(String(254))
    specialty: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Patient(Base):
    """One registry patient; identifying data lives in the demographics entry, not here."""

    __tablename__ = "patient"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    registry_id: Mapped[str] = mapped_column(String(32), unique=True)
    module: Mapped[str] = mapped_column(String(32))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    txn: Mapped[int | None] = _txn("patient")


class PatientIdentifier(Base):
    """The patient's identifier in one source system (EMR, LIS, PACS, …)."""

    __tablename__ = "patient_identifier"
    __table_args__ = (UniqueConstraint("system", "value", name="uq_patient_identifier_system_value"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    system: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(LookupText(128))
    txn: Mapped[int | None] = _txn("patient_identifier")


class Entry(Base):
    """The head of a versioned section entry; `current_version` is the optimistic-lock counter."""

    __tablename__ = "entry"
    __table_args__ = (Index("ix_entry_patient_section", "patient_id", "section"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    section: Mapped[str] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    txn: Mapped[int | None] = _txn("entry")


class EntryVersion(Base):
    """One immutable version of an entry: canonical values, values as entered, who, when and why."""

    __tablename__ = "entry_version"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_entry_version_entry_id_version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # active | retracted
    entry_date: Mapped[date | None] = mapped_column(Date)
    facility: Mapped[str | None] = mapped_column(String(300))
    values: Mapped[dict[str, Any]] = mapped_column(EntryValues)
    entered: Mapped[dict[str, Any]] = mapped_column(EntryValues)
    reference_ranges: Mapped[dict[str, Any]] = mapped_column(Json)
    warnings: Mapped[list[Any]] = mapped_column(Json)
    reason: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    txn: Mapped[int | None] = _txn("entry_version")


class Review(Base):
    """A second opinion on one version of an entry, kept beside the original reading."""

    __tablename__ = "review"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    entry_version: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    review_date: Mapped[date] = mapped_column(Date)
    facility: Mapped[str | None] = mapped_column(String(300))
    agreement: Mapped[str] = mapped_column(String(16))  # agree | partial | disagree
    revised_values: Mapped[dict[str, Any]] = mapped_column(EntryValues)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    txn: Mapped[int | None] = _txn("review")


class Attachment(Base):
    """A file kept outside the database, addressed by its SHA-256."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    txn: Mapped[int | None] = _txn("attachment")


class AuditEvent(Base):
    """Append-only record of one read or write of patient data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_patient_id", "patient_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(32))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    details: Mapped[dict[str, Any]] = mapped_column(Json)
    username: Mapped[str | None] = mapped_column(String(64))  # the user's name when the event was recorded
    txn: Mapped[int | None] = _txn("audit_log")


class Quarantine(Base):
    """An input record a job could not accept, kept with its reason until fixed and re-run."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(500))
    location: Mapped[str] = mapped_column(String(100))  # line or row in the source
    patient_ref: Mapped[str | None] = mapped_column(LookupText(64))
    section: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(SecretJson)
    issues: Mapped[list[Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NameToken(Base):
    """The blind index of the patient list's name search: keyed hashes of a patient's folded names and birth date."""

    __tablename__ = "name_token"
    __table_args__ = (Index("ix_name_token_token", "token"),)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32), primary_key=True)


class HistoryLink(Base):
    """One link of the history seal: a sealed row's keyed hash, chained to the link before it (seq 0 starts it)."""

    __tablename__ = "history_chain"
    __table_args__ = (UniqueConstraint("table_name", "row_id", name="uq_history_chain_table_name_row_id"),)
    seq: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[int] = mapped_column(BigInteger)
    row_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))
