"""History seal: a keyed hash chain over history and identity rows, guards against rewriting them, an app role.

Every sealed table gets `txn` (which store session wrote the row, so its commit seals it); audit events keep the
user's name at the time; `history_chain` holds the links. Triggers refuse rewriting sealed columns, moving an
entry's current version anywhere but on to the next, deleting users and centres, overwriting a row by ID (SQLite's
INSERT OR REPLACE) and TRUNCATE (PostgreSQL). On PostgreSQL the role `oncobank_app` gets what the application needs:
SELECT and INSERT only on history, the chain and identities. Rows already in the store are sealed as they are.

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

from oncobank.store.chain import SEALED, adopt

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("history",)
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APP_ROLE = "oncobank_app"
HISTORY = ("entry_version", "review", "attachment", "audit_log", "history_chain")  # SELECT and INSERT only
HEADS = ("centre", "app_user", "patient", "patient_identifier", "entry")  # rows whose sealed columns never change
KEYS = {**{name: "id" for name in SEALED}, "history_chain": "seq"}


def upgrade() -> None:
    for name in SEALED:
        op.add_column(name, sa.Column("txn", sa.BigInteger(), nullable=True))
        op.create_index(op.f(f"ix_{name}_txn"), name, ["txn"], unique=False)
    op.add_column("audit_log", sa.Column("username", sa.String(length=64), nullable=True))
    op.create_table(
        "history_chain",
        sa.Column("seq", ID, autoincrement=False, nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_history_chain")),
        sa.UniqueConstraint("table_name", "row_id", name="uq_history_chain_table_name_row_id"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    _name_events_at_the_time(postgres)
    _execute(*(create for _, create in (_pg_guards() if postgres else _sqlite_guards())))
    if postgres:
        _grant()
    adopt(op.get_bind())


def _name_events_at_the_time(postgres: bool) -> None:
    # Events recorded before this revision get their user's name as it is now: the best that is known of it.
    fill = ("UPDATE audit_log SET username = (SELECT username FROM app_user WHERE app_user.id = audit_log.user_id) "
            "WHERE user_id IS NOT NULL")
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        op.execute(fill)
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        return
    op.execute("DROP TRIGGER audit_log_no_update")
    op.execute(fill)
    op.execute(_sqlite_refusal("audit_log_no_update", "BEFORE UPDATE ON audit_log",
                               "UPDATE on audit_log is not allowed: history is never changed or deleted"))


def _sqlite_refusal(name: str, when: str, message: str) -> str:
    return f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, 'oncobank: {message}'); END"


def _sqlite_guards() -> Iterator[tuple[str, str]]:
    """(name, CREATE TRIGGER) of each SQLite guard this revision adds."""
    for table in HEADS:
        columns = ", ".join(SEALED[table])
        yield f"{table}_sealed", _sqlite_refusal(
            f"{table}_sealed", f"BEFORE UPDATE OF {columns} ON {table}",
            f"UPDATE of {columns} on {table} is not allowed: sealed history is never changed")
    yield "entry_version_step", _sqlite_refusal(
        "entry_version_step",
        "BEFORE UPDATE OF current_version ON entry WHEN NEW.current_version IS NOT OLD.current_version + 1",
        "the current version of an entry only moves on to its next version")
    for table in ("centre", "app_user", "history_chain"):
        yield f"{table}_no_delete", _sqlite_refusal(
            f"{table}_no_delete", f"BEFORE DELETE ON {table}",
            f"DELETE on {table} is not allowed: history is never changed or deleted")
    yield "history_chain_no_update", _sqlite_refusal(
        "history_chain_no_update", "BEFORE UPDATE ON history_chain",
        "UPDATE on history_chain is not allowed: history is never changed or deleted")
    for table, key in KEYS.items():  # INSERT OR REPLACE deletes without firing the delete triggers
        yield f"{table}_no_replace", _sqlite_refusal(
            f"{table}_no_replace",
            f"BEFORE INSERT ON {table} WHEN EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key})",
            f"a row of {table} with this {key} exists: history is never overwritten")


def _pg_guards() -> Iterator[tuple[str, str]]:
    """(name, CREATE statement) of each PostgreSQL guard this revision adds (triggers as `name ON table`)."""
    refuse = "EXECUTE FUNCTION oncobank_forbid_change()"
    yield "FUNCTION oncobank_version_step()", (
        "CREATE FUNCTION oncobank_version_step() RETURNS trigger AS $$ BEGIN "
        "IF NEW.current_version IS DISTINCT FROM OLD.current_version + 1 THEN "
        "RAISE EXCEPTION 'oncobank: the current version of an entry only moves on to its next version'; "
        "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    for table in HEADS:
        yield f"{table}_sealed ON {table}", (
            f"CREATE TRIGGER {table}_sealed BEFORE UPDATE OF {', '.join(SEALED[table])} ON {table} "
            f"FOR EACH ROW {refuse}")
    yield "entry_version_step ON entry", (
        "CREATE TRIGGER entry_version_step BEFORE UPDATE OF current_version ON entry "
        "FOR EACH ROW EXECUTE FUNCTION oncobank_version_step()")
    for table in ("centre", "app_user"):
        yield f"{table}_no_delete ON {table}", f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} " \
                                               f"FOR EACH ROW {refuse}"
    yield "history_chain_append_only ON history_chain", (
        f"CREATE TRIGGER history_chain_append_only BEFORE UPDATE OR DELETE ON history_chain FOR EACH ROW {refuse}")
    for table in KEYS:
        yield f"{table}_no_truncate ON {table}", (
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT {refuse}")


def _grant() -> None:
    """The application's role: what it needs everywhere, but only SELECT and INSERT on history and identities."""
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"CREATE ROLE {APP_ROLE} NOLOGIN; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "  # made meanwhile by another store's init
        f"WHEN insufficient_privilege THEN RAISE EXCEPTION 'oncobank: the role {APP_ROLE} does not exist and this "
        f"user may not create it; ask the database administrator to run: CREATE ROLE {APP_ROLE} NOLOGIN'; END $$"
    )
    schema = op.get_bind().scalar(sa.text("SELECT current_schema()"))
    _execute(
        f"GRANT USAGE ON SCHEMA {schema} TO {APP_ROLE}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {APP_ROLE}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {APP_ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(HISTORY)} FROM {APP_ROLE}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON patient, patient_identifier, centre FROM {APP_ROLE}",
        f"REVOKE DELETE, TRUNCATE ON app_user FROM {APP_ROLE}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON entry FROM {APP_ROLE}",
        f"GRANT UPDATE (current_version) ON entry TO {APP_ROLE}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {APP_ROLE}",
    )


def _execute(*statements: str) -> None:
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        schema = op.get_bind().scalar(sa.text("SELECT current_schema()"))
        _execute(  # the role itself belongs to the server, and may serve other stores
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {APP_ROLE}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {APP_ROLE}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {APP_ROLE}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {APP_ROLE}",
            f"REVOKE USAGE ON SCHEMA {schema} FROM {APP_ROLE}",
        )
    for name, _ in reversed(list(_pg_guards() if postgres else _sqlite_guards())):
        if name.startswith("FUNCTION"):
            op.execute(f"DROP {name}")
        else:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("history_chain")
    op.drop_column("audit_log", "username")
    for name in SEALED:
        op.drop_index(op.f(f"ix_{name}_txn"), table_name=name)
        op.drop_column(name, "txn")
