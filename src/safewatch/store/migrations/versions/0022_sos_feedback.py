"""what her watch or phone does when she presses SOS: silent unless she chose (issue 23,
point 2)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "protected_person",
        sa.Column("sos_feedback", sa.String(40), nullable=False, server_default="silent"),
    )


def downgrade() -> None:
    op.drop_column("protected_person", "sos_feedback")
