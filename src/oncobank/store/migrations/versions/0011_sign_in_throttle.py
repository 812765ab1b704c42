"""Failed sign-ins per client address in the store, so that every worker of a deployment counts them together.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A new table only; the counts held in a worker's memory before were lost at every restart anyway.
    op.create_table(
        "failed_sign_in",
        sa.Column("id", ID, nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_sign_in")),
    )
    op.create_index("ix_failed_sign_in_address_at", "failed_sign_in", ["address_hash", "at"])
    op.create_index(op.f("ix_failed_sign_in_at"), "failed_sign_in", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_failed_sign_in_at"), table_name="failed_sign_in")
    op.drop_index("ix_failed_sign_in_address_at", table_name="failed_sign_in")
    op.drop_table("failed_sign_in")
