"""Outbound webhooks' outbox and the phone numbers on file for tickets.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from branchq.host.storage.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("branch", sa.String(32), nullable=False),
        sa.Column("webhook", sa.String(32), nullable=False),
        sa.Column("event_key", sa.String(80), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.String(40)),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("done_at", UTCDateTime),
        sa.Column("last_error", sa.String(200)),
        sa.UniqueConstraint("branch", "webhook", "event_key", name="uq_webhook_event"),
    )
    op.create_index("ix_webhook_due", "webhook_outbox", ["branch", "status", "next_attempt_at"])
    op.create_table(
        "ticket_contacts",
        sa.Column("ticket_id", sa.String(40), primary_key=True),
        sa.Column("branch", sa.String(32), nullable=False),
        sa.Column("business_day", sa.Date, nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("set_at", UTCDateTime, nullable=False),
        sa.Column("set_by", sa.String(80), nullable=False),
    )
    op.create_index("ix_ticket_contacts_day", "ticket_contacts", ["branch", "business_day"])


def downgrade() -> None:
    op.drop_table("ticket_contacts")
    op.drop_table("webhook_outbox")
