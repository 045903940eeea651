"""a text's id at the SMS gateway, by which its delivery receipt is asked (issue 23, point 6)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite too): the delivery table is large, and is not copied.
    op.add_column("delivery", sa.Column("gateway_ref", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("delivery", "gateway_ref")
