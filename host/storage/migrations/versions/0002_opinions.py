"""The customer opinion book: entries, an optional phone for a reply, reply tracking.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from branchq.host.storage.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opinions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("branch", sa.String(32), nullable=False),
        sa.Column("business_day", sa.Date, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("phone", sa.String(20)),
        sa.Column("reply", sa.Text),
        sa.Column("replied_at", UTCDateTime),
        sa.Column("replied_by", sa.String(80)),
    )
    op.create_index("ix_opinions_day", "opinions", ["branch", "business_day"])


def downgrade() -> None:
    op.drop_table("opinions")
