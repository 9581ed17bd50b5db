"""The webhook outbox and the phone numbers on file for tickets (host/webhooks.py sends).

Outbox rows are written by the writer thread inside the transaction of the events that cause
them (:meth:`Outbox.enqueue` takes that transaction's connection), so a committed event always
has its deliveries and a rolled-back one none. A delivery is claimed before it is sent (its
attempt counted and its next try pushed past the send's timeout), so two host processes sharing
a PostgreSQL database never send it at once, and a host that dies mid-send tries it again later.

Phone numbers are personal data (docs/security.md §7): this module never logs them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from branchq.host.storage.faults import StorageError
from branchq.host.storage.store import Store
from branchq.host.storage.tables import ticket_contacts, webhook_outbox

PENDING = "pending"
DONE = "done"
DEAD = "dead"
T = TypeVar("T")


@dataclass(frozen=True)
class Planned:
    """A delivery to write: one event for one webhook (``event_key`` is unique per webhook)."""

    webhook: str
    event_key: str
    event_type: str
    ticket_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Delivery:
    id: str
    webhook: str
    event_key: str
    event_type: str
    ticket_id: str | None
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    done_at: datetime | None
    last_error: str | None


class Outbox:
    """The outbox rows of one branch (blocking calls, except :meth:`enqueue`: the caller's
    transaction)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        dialect = postgresql if store.dialect == "postgresql" else sqlite
        self._insert = dialect.insert(webhook_outbox).on_conflict_do_nothing(
            index_elements=["branch", "webhook", "event_key"])

    def enqueue(self, conn: Connection, planned: list[Planned], at: datetime) -> None:
        """Write ``planned`` in the caller's transaction. One already written (the same event
        for the same webhook, planned again by another host process or after a restart) is
        left as it is: an event gets one delivery id per webhook, ever."""
        if not planned:
            return
        conn.execute(self._insert, [
            {"id": uuid.uuid4().hex, "branch": self.store.branch, "webhook": p.webhook,
             "event_key": p.event_key, "event_type": p.event_type, "ticket_id": p.ticket_id,
             "payload": p.payload, "status": PENDING, "attempts": 0, "next_attempt_at": at,
             "created_at": at}
            for p in planned])

    def due(self, webhook: str, now: datetime, limit: int = 50) -> list[Delivery]:
        """Pending deliveries of ``webhook`` whose time has come, oldest first."""
        return self._select(webhook_outbox.c.webhook == webhook,
                            webhook_outbox.c.status == PENDING,
                            webhook_outbox.c.next_attempt_at <= now,
                            order=webhook_outbox.c.created_at, limit=limit)

    def next_due(self, webhook: str) -> datetime | None:
        """When the next pending delivery of ``webhook`` is due (None: none pending)."""
        query = select(func.min(webhook_outbox.c.next_attempt_at)).where(
            webhook_outbox.c.branch == self.store.branch, webhook_outbox.c.webhook == webhook,
            webhook_outbox.c.status == PENDING)
        value: object = self._read(lambda conn: conn.execute(query).scalar())
        return value if isinstance(value, datetime) else None

    def claim(self, delivery: Delivery, until: datetime) -> bool:
        """Take ``delivery`` for one attempt: count it and hold the row until ``until`` (after
        the send's timeout). False when another process took it first."""
        c = webhook_outbox.c
        statement = update(webhook_outbox).where(
            c.id == delivery.id, c.status == PENDING, c.attempts == delivery.attempts,
        ).values(attempts=delivery.attempts + 1, next_attempt_at=until)
        return self._write(lambda conn: int(conn.execute(statement).rowcount)) == 1

    def delivered(self, delivery_id: str, at: datetime) -> None:
        """The receiver answered 2xx: never sent again."""
        self._set(delivery_id, status=DONE, done_at=at, last_error=None)

    def failed(self, delivery_id: str, error: str, retry_at: datetime | None) -> None:
        """The attempt failed: try again at ``retry_at``, or (None) give up: a dead letter."""
        if retry_at is None:
            self._set(delivery_id, status=DEAD, last_error=error[:200])
        else:
            self._set(delivery_id, next_attempt_at=retry_at, last_error=error[:200])

    def dead_letters(self, limit: int = 200) -> list[Delivery]:
        """Deliveries given up on, newest first."""
        return self._select(webhook_outbox.c.status == DEAD,
                            order=webhook_outbox.c.created_at.desc(), limit=limit)

    def get(self, delivery_id: str) -> Delivery | None:
        found = self._select(webhook_outbox.c.id == delivery_id, order=webhook_outbox.c.id,
                             limit=1)
        return found[0] if found else None

    def retry(self, delivery_id: str, at: datetime) -> bool:
        """A dead letter goes back to the outbox with a fresh set of attempts (the manager's
        retry button); False when ``delivery_id`` is no dead letter of this branch."""
        c = webhook_outbox.c
        statement = update(webhook_outbox).where(
            c.id == delivery_id, c.branch == self.store.branch, c.status == DEAD,
        ).values(status=PENDING, attempts=0, next_attempt_at=at)
        return self._write(lambda conn: int(conn.execute(statement).rowcount)) == 1

    def purge_delivered(self, before: datetime) -> int:
        """Forget deliveries done before ``before`` (the table would grow without end); how
        many. Dead letters stay until the manager retries them."""
        statement = delete(webhook_outbox).where(
            webhook_outbox.c.branch == self.store.branch, webhook_outbox.c.status == DONE,
            webhook_outbox.c.done_at < before)
        return self._write(lambda conn: int(conn.execute(statement).rowcount))

    def _set(self, delivery_id: str, **values: Any) -> None:
        statement = update(webhook_outbox).where(webhook_outbox.c.id == delivery_id).values(
            **values)
        self._write(lambda conn: int(conn.execute(statement).rowcount))

    def _select(self, *where: Any, order: Any, limit: int) -> list[Delivery]:
        query = (select(webhook_outbox).where(webhook_outbox.c.branch == self.store.branch, *where)
                 .order_by(order).limit(limit))
        return self._read(lambda conn: [_delivery(r) for r in conn.execute(query)])

    def _read(self, work: Callable[[Connection], T]) -> T:
        try:
            with self.store.engine.connect() as conn:
                return work(conn)
        except SQLAlchemyError as err:
            raise StorageError(f"cannot read the webhook outbox: {type(err).__name__}") from err

    def _write(self, work: Callable[[Connection], T]) -> T:
        try:
            with _write(self.store) as conn:
                return work(conn)
        except SQLAlchemyError as err:
            raise StorageError(f"cannot update the webhook outbox: {type(err).__name__}") from err


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(row.id, row.webhook, row.event_key, row.event_type, row.ticket_id,
                    dict(row.payload), row.status, int(row.attempts), row.next_attempt_at,
                    row.created_at, row.done_at, row.last_error)


class ContactBook:
    """Phone numbers on file for tickets of one branch (blocking calls). The host's
    appointment and remote-ticket endpoints store theirs through :meth:`put` too."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, ticket_id: str, business_day: date, phone: str, at: datetime,
            actor: str) -> None:
        """File ``phone`` for the ticket (replacing one filed before)."""
        values = {"branch": self.store.branch, "business_day": business_day, "phone": phone,
                  "set_at": at, "set_by": actor}
        try:
            with _write(self.store) as conn:
                changed = conn.execute(update(ticket_contacts).where(
                    ticket_contacts.c.ticket_id == ticket_id,
                    ticket_contacts.c.branch == self.store.branch).values(values)).rowcount
                if not changed:
                    conn.execute(ticket_contacts.insert().values(ticket_id=ticket_id, **values))
        except SQLAlchemyError as err:
            raise StorageError(f"cannot store the contact: {type(err).__name__}") from err

    def remove(self, ticket_id: str) -> bool:
        """Erase the ticket's phone; False when none was on file."""
        return self._delete(ticket_contacts.c.ticket_id == ticket_id) > 0

    def erase_before(self, day: date) -> int:
        """Erase every phone of business days before ``day`` (the day's end); how many."""
        return self._delete(ticket_contacts.c.business_day < day)

    def phone(self, ticket_id: str) -> str | None:
        query = select(ticket_contacts.c.phone).where(
            ticket_contacts.c.ticket_id == ticket_id, ticket_contacts.c.branch == self.store.branch)
        try:
            with self.store.engine.connect() as conn:
                value = conn.execute(query).scalar()
        except SQLAlchemyError as err:
            raise StorageError(f"cannot read the contact: {type(err).__name__}") from err
        return str(value) if value is not None else None

    def _delete(self, where: Any) -> int:
        statement = delete(ticket_contacts).where(ticket_contacts.c.branch == self.store.branch,
                                                  where)
        try:
            with _write(self.store) as conn:
                return int(conn.execute(statement).rowcount)
        except SQLAlchemyError as err:
            raise StorageError(f"cannot erase contacts: {type(err).__name__}") from err


@contextmanager
def _write(store: Store) -> Iterator[Connection]:
    """A write transaction that takes the SQLite write lock up front, like the store's own."""
    with store.engine.connect().execution_options(branchq_write=True) as conn:
        with conn.begin():
            yield conn
