"""Encryption at rest: identifying values of existing rows encrypted in place; the name index of the patient list.

Revision ID: 0010
Revises: 0009, 0002
Create Date: 2026-12-02 06:10:00

Identifiers of source systems become TEXT on PostgreSQL (their ciphertext is longer than the ID); SQLite does not
enforce declared lengths, and its tables are not copied (a copied table would lose the history seal's triggers).
Rows written before are encrypted where they are: the history seal hashes plain values (oncobank.store.chain), so
their links still hold. The append-only triggers of the rewritten tables are set aside for the rewrite only
(PostgreSQL: disabled and enabled again; SQLite: dropped and re-created from their own SQL), in this transaction.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | tuple[str, ...] | None = ("0009", "0002")  # the ingest's tables hold identifiers too
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LOOKUPS = [("patient_identifier", "value", 128), ("link_decision", "source_id", 128), ("quarantine", "patient_ref", 64),
           ("ingest_record", "record_key", 300), ("ingest_record", "fact_key", 300), ("ingest_fact", "fact_key", 300)]


def upgrade() -> None:
    op.create_table(
        "name_token",
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_name_token_patient_id_patient")),
        sa.PrimaryKeyConstraint("patient_id", "token", name=op.f("pk_name_token")),
    )
    op.create_index("ix_name_token_token", "name_token", ["token"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _retype(bind, [(table, column, sa.Text()) for table, column, _ in LOOKUPS])
    _encrypt_existing(bind)


def _retype(bind: sa.Connection, changes: list[tuple[str, str, Any]]) -> None:
    """PostgreSQL: change the columns' types; a trigger that names a column is dropped and re-created around it."""
    for table, column, kind in changes:
        saved = bind.execute(sa.text(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
            "AND NOT tgisinternal"), {"t": table}).all()
        for name, _ in saved:
            bind.execute(sa.text(f'DROP TRIGGER "{name}" ON {table}'))
        op.alter_column(table, column, type_=kind)
        for _, definition in saved:
            bind.exec_driver_sql(definition)


def _encrypt_existing(bind: sa.Connection) -> None:
    from oncobank.dictionary import load_module
    from oncobank.store import crypt

    if not bind.scalar(sa.text("SELECT count(*) FROM patient")) and not bind.scalar(
            sa.text("SELECT count(*) FROM quarantine")):
        return  # nothing identifying yet (and no key is made)
    codec = crypt.attach(bind.engine)
    modules = {m for (m,) in bind.execute(sa.text("SELECT DISTINCT module FROM patient"))} | {"core"}
    for module in sorted(modules):
        dictionary = load_module(module)
        codec.fields.update(f.name for s in dictionary.sections.values() for f in s.fields if f.identifying)
    fixed = _unless(lambda v: v.startswith((crypt.FIXED + ":", crypt.RANDOM + ":")), codec.fixed)
    whole = _unless(crypt.is_envelope, codec.hide)
    plan: dict[str, dict[str, Callable[[Any], Any]]] = {
        "patient_identifier": {"value": fixed},
        "link_decision": {"source_id": fixed},
        "quarantine": {"patient_ref": fixed, "payload": whole},
        "ingest_record": {"record_key": fixed, "fact_key": fixed},
        "ingest_fact": {"fact_key": fixed},
        "data_issue": {"kept": whole, "offered": whole},
        "ingest_document": {"text": _unless(lambda v: v.startswith(crypt.RANDOM + ":"), codec.seal)},
        "entry_version": {"values": codec.hide_fields, "entered": codec.hide_fields},
        "review": {"revised_values": codec.hide_fields},
    }
    json_columns = {"payload", "kept", "offered", "values", "entered", "revised_values"}
    postgres = bind.dialect.name == "postgresql"
    for table, columns in plan.items():
        with _triggers_aside(bind, table):
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = bind.execute(sa.text(f"SELECT id, {quoted} FROM {table} ORDER BY id")).all()
            for row in rows:
                changed: dict[str, Any] = {}
                for i, (column, change) in enumerate(columns.items(), start=1):
                    value = row[i]
                    if value is None:
                        continue
                    if column in json_columns:
                        plain = json.loads(value) if isinstance(value, str) else value
                        new = change(plain)
                        if new != plain:
                            changed[column] = json.dumps(new, ensure_ascii=False)
                    elif (new := change(value)) != value:
                        changed[column] = new
                if changed:
                    sets = ", ".join(f'"{c}" = ' + ("CAST(:" + c + " AS JSONB)" if postgres and c in json_columns
                                                    else ":" + c) for c in changed)
                    bind.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), {**changed, "id": row[0]})
    from oncobank.store import name_index

    name_index.reindex(bind, bind.scalars(sa.text("SELECT id FROM patient")).all())


def _unless(done: Callable[[Any], bool], change: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: value if done(value) else change(value)


class _triggers_aside:
    """The table's triggers off for the block: disabled on PostgreSQL, dropped and re-created on SQLite."""

    def __init__(self, bind: sa.Connection, table: str):
        self.bind, self.table, self.saved = bind, table, []

    def __enter__(self) -> None:
        if self.bind.dialect.name == "postgresql":
            self.bind.execute(sa.text(f"ALTER TABLE {self.table} DISABLE TRIGGER USER"))
            return
        self.saved = self.bind.execute(sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": self.table}).all()
        for name, _ in self.saved:
            self.bind.execute(sa.text(f'DROP TRIGGER "{name}"'))

    def __exit__(self, *_: object) -> None:
        if self.bind.dialect.name == "postgresql":
            self.bind.execute(sa.text(f"ALTER TABLE {self.table} ENABLE TRIGGER USER"))
            return
        for _, sql in self.saved:
            self.bind.exec_driver_sql(sql)


def downgrade() -> None:
    # Encrypted values stay encrypted: a store taken back before this revision needs its keys to be read.
    if op.get_bind().dialect.name == "postgresql":
        _retype(op.get_bind(), [(table, column, sa.String(length)) for table, column, length in LOOKUPS])
    op.drop_index("ix_name_token_token", table_name="name_token")
    op.drop_table("name_token")
