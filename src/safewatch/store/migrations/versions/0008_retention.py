"""retention: media purged, incidents held as evidence

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("camera_event") as batch:
        batch.add_column(sa.Column("media_purged_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("incident") as batch:
        batch.add_column(
            sa.Column("evidence_hold", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("evidence_hold")
    with op.batch_alter_table("camera_event") as batch:
        batch.drop_column("media_purged_at")
