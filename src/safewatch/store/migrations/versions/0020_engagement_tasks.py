"""the protected person who drifts away (issue 23, point 5): the caseworker's tasks, and when
her app last asked for her case

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 19:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "protected_person", sa.Column("app_opened_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Nobody's app was watched before: count from now, not from each case's start (or the
    # first sweep would call every older case's person "not opening the app for a week").
    person = sa.table("protected_person", sa.column("app_opened_at", sa.DateTime(timezone=True)))
    op.execute(person.update().values(app_opened_at=datetime.now(UTC)))
    op.create_table(
        "engagement_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["protection_case.id"], name="fk_engagement_task_case_id_protection_case"
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["user_account.id"], name="fk_engagement_task_closed_by_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_engagement_task"),
    )
    op.create_index("ix_engagement_task_case_id", "engagement_task", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_engagement_task_case_id", table_name="engagement_task")
    op.drop_table("engagement_task")
    op.drop_column("protected_person", "app_opened_at")
