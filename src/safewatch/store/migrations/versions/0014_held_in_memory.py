"""an event a camera worker held in memory only (its disk was full) names the worker run that
held it: when that run ends before the clip is sent, the hub says the clip is lost

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("camera_event") as batch:
        batch.add_column(sa.Column("held_in_memory_by", sa.Uuid(), nullable=True))
        batch.create_index("ix_camera_event_held_in_memory_by", ["held_in_memory_by"])


def downgrade() -> None:
    with op.batch_alter_table("camera_event") as batch:
        batch.drop_index("ix_camera_event_held_in_memory_by")
        batch.drop_column("held_in_memory_by")
