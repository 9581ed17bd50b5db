"""Events taken out of the log by ``branchq maint db repair`` because they do not replay.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from branchq.host.storage.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantined_events",
        sa.Column("branch", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("ticket_id", sa.String(40)),
        sa.Column("counter", sa.Integer),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("quarantined_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("quarantined_events")
