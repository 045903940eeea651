"""the protected person's app lock: a PIN, and a duress PIN that unlocks the same way but
raises a silent SOS (issue 23, point 2)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("app_pin_hash", sa.String(300), nullable=True))
        batch.add_column(sa.Column("duress_pin_hash", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("duress_pin_hash")
        batch.drop_column("app_pin_hash")
