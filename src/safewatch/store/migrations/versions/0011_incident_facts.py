"""incidents' and timeline lines' facts, which the screens word in the page's language

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    with op.batch_alter_table("incident_entry") as batch:
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incident_entry") as batch:
        batch.drop_column("facts")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("facts")
