"""each recognition threshold change says what its numbers measure: the cohort z-scores of
before issue 20, or descriptor distances; a camera applies only those of the current scoring

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("face_threshold_change") as batch:
        batch.add_column(
            sa.Column("scoring", sa.String(20), nullable=False, server_default="cohort-z")
        )


def downgrade() -> None:
    with op.batch_alter_table("face_threshold_change") as batch:
        batch.drop_column("scoring")
