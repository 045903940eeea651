"""a camera's heartbeat (state, undelivered items), its silence; delivery states that tell
the truth (accepted by a service, delivered to a screen, seen)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAMERA_HEALTH = ("starting", "ok", "degraded", "restarting")


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(
            sa.Column(
                "camera_state",
                sa.Enum(*CAMERA_HEALTH, name="camerahealth", native_enum=False, length=40),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("undelivered", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("undelivered_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("silence_reported_at", sa.DateTime(timezone=True), nullable=True)
        )
    # "sent" (an SMS file written) and a push service's or the 112 system's 2xx were all
    # called delivered or sent: they were accepted by a service, not seen on a screen.
    op.execute(
        "UPDATE delivery SET status = 'accepted' "
        "WHERE status = 'sent' OR (status = 'delivered' AND channel <> 'in_app')"
    )


def downgrade() -> None:
    op.execute("UPDATE delivery SET status = 'delivered' WHERE status = 'seen'")
    op.execute(
        "UPDATE delivery SET status = CASE WHEN channel = 'sms' THEN 'sent' ELSE 'delivered' END "
        "WHERE status = 'accepted'"
    )
    with op.batch_alter_table("device") as batch:
        batch.drop_column("silence_reported_at")
        batch.drop_column("undelivered_count")
        batch.drop_column("undelivered")
        batch.drop_column("camera_state")
