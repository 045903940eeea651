"""location you can trust (issue 23): an incident's position carries its accuracy radius,
its source and the time of its fix; the positions sent while it is open are its track

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("location_accuracy_m", sa.Float(), nullable=True))
        batch.add_column(sa.Column("location_source", sa.String(20), nullable=True))
        batch.add_column(sa.Column("location_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "incident_fix",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("source", sa.String(20), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_incident_fix_incident_id_incident"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incident_fix"),
    )
    op.create_index("ix_incident_fix_incident_id", "incident_fix", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_fix_incident_id", table_name="incident_fix")
    op.drop_table("incident_fix")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("location_at")
        batch.drop_column("location_source")
        batch.drop_column("location_accuracy_m")
