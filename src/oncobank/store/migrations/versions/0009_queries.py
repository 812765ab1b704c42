"""Data queries and their threads; each patient's completeness status for the patient list, with its mark.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # New tables only. The statuses are computed from the dictionary on first use (a mark of 0: nothing seen yet).
    op.create_table(
        "data_query",
        sa.Column("id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", ID, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_data_query_patient_id_patient")),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], name=op.f("fk_data_query_entry_id_entry")),
        sa.ForeignKeyConstraint(["opened_by"], ["app_user.id"], name=op.f("fk_data_query_opened_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_query")),
    )
    op.create_index(op.f("ix_data_query_patient_id"), "data_query", ["patient_id"])
    op.create_index(op.f("ix_data_query_entry_id"), "data_query", ["entry_id"])
    op.create_index("ix_data_query_status_patient", "data_query", ["status", "patient_id"])
    op.create_table(
        "data_query_message",
        sa.Column("id", ID, nullable=False),
        sa.Column("query_id", ID, nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("suggested", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["query_id"], ["data_query.id"], name=op.f("fk_data_query_message_query_id_data_query")
        ),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"], name=op.f("fk_data_query_message_author_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_query_message")),
    )
    op.create_index(op.f("ix_data_query_message_query_id"), "data_query_message", ["query_id"])
    op.create_table(
        "patient_progress",
        sa.Column("patient_id", ID, nullable=False, autoincrement=False),
        sa.Column("registry_id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_patient_progress_patient_id_patient")),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_patient_progress_centre_id_centre")),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_progress")),
    )
    op.create_index("ix_patient_progress_status_registry_id", "patient_progress", ["status", "registry_id"])
    op.create_index("ix_patient_progress_centre_status", "patient_progress", ["centre_id", "status", "registry_id"])
    mark = op.create_table(
        "patient_progress_mark",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("patient_id", sa.BigInteger(), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("review_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_progress_mark")),
    )
    op.bulk_insert(mark, [{"id": 1, "patient_id": 0, "version_id": 0, "review_id": 0}])


def downgrade() -> None:
    op.drop_table("patient_progress_mark")
    op.drop_index("ix_patient_progress_centre_status", table_name="patient_progress")
    op.drop_index("ix_patient_progress_status_registry_id", table_name="patient_progress")
    op.drop_table("patient_progress")
    op.drop_index(op.f("ix_data_query_message_query_id"), table_name="data_query_message")
    op.drop_table("data_query_message")
    op.drop_index("ix_data_query_status_patient", table_name="data_query")
    op.drop_index(op.f("ix_data_query_entry_id"), table_name="data_query")
    op.drop_index(op.f("ix_data_query_patient_id"), table_name="data_query")
    op.drop_table("data_query")
