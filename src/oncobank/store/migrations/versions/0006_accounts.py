"""Accounts: a user's status, contact, specialty and sign-in state; roles limited to the registry's six.

Accounts that existed before are kept active; a role the registry does not know becomes `clinician` (the role every
account was given by default before), and the store's own account keeps `system`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("administrator", "data_manager", "clinician", "reviewer", "ai_evaluator", "researcher", "system")
COLUMNS = ("status", "email", "specialty", "password_hash", "failed_logins", "locked_until", "changed_at")


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy: a copied SQLite table would lose the history seal's triggers.
    op.add_column("app_user", sa.Column("status", sa.String(length=16), nullable=False, server_default="active"))
    op.add_column("app_user", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("app_user", sa.Column("specialty", sa.String(length=100), nullable=True))
    op.add_column("app_user", sa.Column("password_hash", sa.String(length=200), nullable=True))
    op.add_column("app_user", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("app_user", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("app_user", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    known = ", ".join(f"'{r}'" for r in ROLES)
    op.execute(f"UPDATE app_user SET role = 'clinician' WHERE role NOT IN ({known})")


def downgrade() -> None:
    for name in COLUMNS:
        op.drop_column("app_user", name)
