"""Database tables (SQLAlchemy Core). The Alembic migrations under ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

# One row per branch; writers lock it so that events get gap-free sequence numbers across
# every host process sharing the database.
branch_state = Table(
    "branch_state",
    metadata,
    Column("branch", String(32), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("branch", String(32), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("ticket_id", String(40)),
    Column("counter", Integer),
    Column("data", JSON, nullable=False),
)

# Events ``branchq maint db repair`` took out of the log because they do not replay, with the
# reason; their seq stays taken, so the log and this table together are gap-free.
quarantined_events = Table(
    "quarantined_events",
    metadata,
    Column("branch", String(32), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("ticket_id", String(40)),
    Column("counter", Integer),
    Column("data", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("quarantined_at", UTCDateTime, nullable=False),
)

# A projection of the event log, kept in the same transaction: the current state of each ticket,
# for the status page, reports and the "no duplicate number" constraint.
tickets = Table(
    "tickets",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("branch", String(32), nullable=False),
    Column("business_day", Date, nullable=False),
    Column("service", String(32), nullable=False),
    Column("number", Integer, nullable=False),
    Column("label", String(12), nullable=False),
    Column("priority", String(8), nullable=False),
    Column("status", String(12), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("called_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("counter", Integer),
    Column("recalls", Integer, nullable=False, default=0),
    Column("routed_from", String(32)),
    Column("transferred_from", String(32)),
    UniqueConstraint("branch", "business_day", "label", name="uq_ticket_label"),
    Index("ix_tickets_day", "branch", "business_day"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("branch", String(32), nullable=False),
    Column("name", String(80), nullable=False),
    Column("role", String(16), nullable=False),
    Column("counter", Integer),
    # Comma-separated counter numbers a keypad-gateway token may act for (revision 0003).
    Column("counters", String(200), nullable=False, server_default=""),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("note", Text, nullable=False, default=""),
)

# The customer opinion book (客户意见簿). ``phone`` is personal data, given only so the branch can
# call back: it is read by managers and admins alone, never logged, never put in an event.
opinions = Table(
    "opinions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("branch", String(32), nullable=False),
    Column("business_day", Date, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("phone", String(20)),
    Column("reply", Text),
    Column("replied_at", UTCDateTime),
    Column("replied_by", String(80)),
    Index("ix_opinions_day", "branch", "business_day"),
)

# Outbound webhooks waiting to be sent, sent, or given up on (host/webhooks.py). A row is
# written in the transaction of the event that causes it; ``id`` is the delivery id receivers
# dedupe on, one per (event, webhook). The payload never holds a phone number: that is read
# from ``ticket_contacts`` when the delivery is sent.
webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("branch", String(32), nullable=False),
    Column("webhook", String(32), nullable=False),
    Column("event_key", String(80), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("ticket_id", String(40)),
    Column("payload", JSON, nullable=False),
    Column("status", String(8), nullable=False),  # pending, done, dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime),
    Column("last_error", String(200)),
    UniqueConstraint("branch", "webhook", "event_key", name="uq_webhook_event"),
    Index("ix_webhook_due", "branch", "status", "next_attempt_at"),
)

# A phone number on file for a ticket (PUT /api/v1/tickets/{id}/contact): personal data, kept
# apart from the event log, read only for webhook payloads, erased when its business day ends.
ticket_contacts = Table(
    "ticket_contacts",
    metadata,
    Column("ticket_id", String(40), primary_key=True),
    Column("branch", String(32), nullable=False),
    Column("business_day", Date, nullable=False),
    Column("phone", String(20), nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
    Column("set_by", String(80), nullable=False),
    Index("ix_ticket_contacts_day", "branch", "business_day"),
)
