"""Initial schema: event log, ticket projection, branch sequence row, API tokens.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from branchq.host.storage.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "branch_state",
        sa.Column("branch", sa.String(32), primary_key=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("branch", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("ticket_id", sa.String(40)),
        sa.Column("counter", sa.Integer),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("branch", sa.String(32), nullable=False),
        sa.Column("business_day", sa.Date, nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("label", sa.String(12), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("called_at", UTCDateTime),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("counter", sa.Integer),
        sa.Column("recalls", sa.Integer, nullable=False),
        sa.Column("routed_from", sa.String(32)),
        sa.Column("transferred_from", sa.String(32)),
        sa.UniqueConstraint("branch", "business_day", "label", name="uq_ticket_label"),
    )
    op.create_index("ix_tickets_day", "tickets", ["branch", "business_day"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("branch", sa.String(32), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("counter", sa.Integer),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
        sa.Column("note", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("api_tokens", "tickets", "events", "branch_state"):
        op.drop_table(table)
