"""access that has ended (revoked sign-ins, disabled accounts, cases taken away), which ends
the open streams listening at those addresses

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_ended",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(120), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )
    op.create_index("ix_access_ended_at", "access_ended", ["at"])


def downgrade() -> None:
    op.drop_index("ix_access_ended_at", "access_ended")
    op.drop_table("access_ended")
