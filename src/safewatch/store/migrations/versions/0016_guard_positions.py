"""the guards' reported positions while they go to an incident (the consoles' map)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guard_position",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("reported_by", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_guard_position_incident_id_incident"
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["user_account.id"], name="fk_guard_position_reported_by_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_guard_position"),
    )
    op.create_index("ix_guard_position_incident_id", "guard_position", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_guard_position_incident_id", table_name="guard_position")
    op.drop_table("guard_position")
