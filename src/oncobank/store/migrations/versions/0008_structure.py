"""Structuring review: facts extracted from documents, proposed as entries until accepted, corrected or rejected.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # A new table only: the sealed tables (and their SQLite triggers) are not touched.
    op.create_table(
        "structure_proposal",
        sa.Column("id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("document_entry_id", ID, nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("corrections", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("entry_id", ID, nullable=True),
        sa.Column("entry_version", sa.Integer(), nullable=True),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_structure_proposal_patient_id_patient")),
        sa.ForeignKeyConstraint(
            ["document_entry_id"], ["entry.id"], name=op.f("fk_structure_proposal_document_entry_id_entry")
        ),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], name=op.f("fk_structure_proposal_entry_id_entry")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_structure_proposal_decided_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure_proposal")),
        sa.UniqueConstraint(
            "document_entry_id", "section", "seq", name="uq_structure_proposal_document_entry_id_section_seq"
        ),
    )
    op.create_index(op.f("ix_structure_proposal_patient_id"), "structure_proposal", ["patient_id"])
    op.create_index(op.f("ix_structure_proposal_document_entry_id"), "structure_proposal", ["document_entry_id"])
    op.create_index(op.f("ix_structure_proposal_status"), "structure_proposal", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_structure_proposal_status"), table_name="structure_proposal")
    op.drop_index(op.f("ix_structure_proposal_document_entry_id"), table_name="structure_proposal")
    op.drop_index(op.f("ix_structure_proposal_patient_id"), table_name="structure_proposal")
    op.drop_table("structure_proposal")
