"""The customer opinion book (客户意见簿): entries, replies and the same-day reply rule.

A customer who leaves a phone number is called back the same business day (docs/architecture.md §1);
an entry with a phone and no reply after its day is overdue. The phone is personal data: this
module never logs it, and the API shows it to managers and admins only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from branchq.host.storage.faults import StorageError
from branchq.host.storage.store import Store, inserted_id
from branchq.host.storage.tables import opinions


@dataclass(frozen=True)
class Opinion:
    id: int
    business_day: date
    created_at: datetime
    created_by: str
    text: str
    phone: str | None
    reply: str | None
    replied_at: datetime | None
    replied_by: str | None

    def needs_reply(self) -> bool:
        return self.phone is not None

    def overdue(self, today: date) -> bool:
        """A phone was left, the business day is over, and nobody replied."""
        return self.needs_reply() and self.reply is None and today > self.business_day

    def replied_late(self, tz: tzinfo) -> bool:
        return (self.needs_reply() and self.replied_at is not None
                and self.replied_at.astimezone(tz).date() > self.business_day)


@dataclass(frozen=True)
class OpinionSummary:
    """The monthly summary the branch files: how many, how many wanted a reply, how they went."""

    entries: int
    with_phone: int
    replied_same_day: int
    replied_late: int
    overdue: int


class OpinionBook:
    """Opinion book rows of one branch, on the host's database (blocking calls)."""

    def __init__(self, store: Store, tz: tzinfo) -> None:
        self.store = store
        self.tz = tz

    def add(self, text: str, phone: str | None, at: datetime, actor: str) -> Opinion:
        values = {
            "branch": self.store.branch, "business_day": at.astimezone(self.tz).date(),
            "created_at": at, "created_by": actor, "text": text, "phone": phone,
        }
        try:
            with self._write() as conn:
                new_id = inserted_id(conn.execute(insert(opinions).values(values)))
        except SQLAlchemyError as err:
            raise StorageError("cannot store the opinion") from err
        found = self.get(new_id)
        if found is None:
            raise StorageError("the opinion was not stored")
        return found

    def get(self, opinion_id: int) -> Opinion | None:
        rows = self._select(opinions.c.id == opinion_id)
        return rows[0] if rows else None

    def between(self, first: date, last: date) -> list[Opinion]:
        """Entries of business days ``first`` to ``last`` inclusive, oldest first."""
        return self._select(opinions.c.business_day >= first, opinions.c.business_day <= last)

    def reply(self, opinion_id: int, text: str, at: datetime, actor: str) -> Opinion | None:
        try:
            with self._write() as conn:
                conn.execute(
                    update(opinions)
                    .where(opinions.c.id == opinion_id, opinions.c.branch == self.store.branch)
                    .values(reply=text, replied_at=at, replied_by=actor)
                )
        except SQLAlchemyError as err:
            raise StorageError("cannot store the reply") from err
        return self.get(opinion_id)

    def summary(self, entries: list[Opinion], today: date) -> OpinionSummary:
        return OpinionSummary(
            entries=len(entries),
            with_phone=sum(o.needs_reply() for o in entries),
            replied_same_day=sum(o.needs_reply() and o.replied_at is not None
                                 and not o.replied_late(self.tz) for o in entries),
            replied_late=sum(o.replied_late(self.tz) for o in entries),
            overdue=sum(o.overdue(today) for o in entries),
        )

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction that takes the SQLite write lock up front, like the store's own."""
        with self.store.engine.connect().execution_options(branchq_write=True) as conn:
            with conn.begin():
                yield conn

    def _select(self, *where: Any) -> list[Opinion]:
        query = (select(opinions).where(opinions.c.branch == self.store.branch, *where)
                 .order_by(opinions.c.id))
        try:
            with self.store.engine.connect() as conn:
                return [Opinion(r.id, r.business_day, r.created_at, r.created_by, r.text, r.phone,
                                r.reply, r.replied_at, r.replied_by) for r in conn.execute(query)]
        except SQLAlchemyError as err:
            raise StorageError("cannot read the opinion book") from err
