"""unblurred originals of an event's snapshot and clip (police only)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("camera_event") as batch:
        batch.add_column(sa.Column("original_snapshot_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("original_clip_name", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("camera_event") as batch:
        batch.drop_column("original_clip_name")
        batch.drop_column("original_snapshot_name")
