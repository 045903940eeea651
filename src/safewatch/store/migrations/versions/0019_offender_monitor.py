"""the offender's electronic monitor (issue 23, point 4): each case's proximity radius, where
the safe accommodation is, and where the protected person's phone or watch last said she was

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LAST_FIX = (
    sa.Column("last_latitude", sa.Float(), nullable=True),
    sa.Column("last_longitude", sa.Float(), nullable=True),
    sa.Column("last_accuracy_m", sa.Float(), nullable=True),
    sa.Column("last_fix_source", sa.String(40), nullable=True),
    sa.Column("last_fix_at", sa.DateTime(timezone=True), nullable=True),
)


def upgrade() -> None:
    op.add_column("protection_case", sa.Column("proximity_radius_m", sa.Integer(), nullable=True))
    op.add_column("stay", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("stay", sa.Column("longitude", sa.Float(), nullable=True))
    for column in LAST_FIX:
        op.add_column("protected_person", column)


def downgrade() -> None:
    for column in LAST_FIX:
        op.drop_column("protected_person", column.name)
    op.drop_column("stay", "longitude")
    op.drop_column("stay", "latitude")
    op.drop_column("protection_case", "proximity_radius_m")
