"""the home's plan with its ways in and each camera's covered area (issue 23, point 3)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_plan",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("picture_name", sa.String(200), nullable=True),
        sa.Column("picture_type", sa.String(20), nullable=True),
        sa.Column("ways_in", sa.JSON(), nullable=True),
        sa.Column("coverage", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["protection_case.id"], name="fk_site_plan_case_id_protection_case"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["user_account.id"], name="fk_site_plan_updated_by_user_account"
        ),
        sa.PrimaryKeyConstraint("case_id", name="pk_site_plan"),
    )


def downgrade() -> None:
    op.drop_table("site_plan")
