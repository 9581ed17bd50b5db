"""The waiting tickets of one service, indexed so that a busy pension day stays fast.

Tickets are kept in buckets (front, appointments, green, VIP, normal). Within a bucket they are
in ``(queue_since, number)`` order (appointments: ``(slot_start, number)``), and the call key of
:mod:`branchq.host.engine.ordering` never decreases along a bucket (an older ticket is aged first
and waited longer; an earlier slot is due first). So the next ticket is one of the
bucket heads, and "people ahead" is a binary search per bucket, not a scan of the whole queue.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import islice

from branchq.host.engine.model import CounterState, Priority, Ticket
from branchq.host.engine.ordering import call_key


def _since(ticket: Ticket) -> tuple[datetime, int]:
    return (ticket.queue_since or ticket.issued_at, ticket.number)


def _slot(ticket: Ticket) -> tuple[datetime, int]:
    return (ticket.slot_start or ticket.issued_at, ticket.number)


class ServiceQueue:
    def __init__(self) -> None:
        self.front: list[Ticket] = []  # reinstated and transferred-in, in the order they came
        self.booked: list[Ticket] = []  # appointments' tickets, by slot
        self.buckets: dict[Priority, list[Ticket]] = {p: [] for p in Priority}

    def add(self, ticket: Ticket) -> None:
        if ticket.front_since is not None:
            self.front.append(ticket)
        elif ticket.slot_start is not None:
            insort(self.booked, ticket, key=_slot)
        else:
            insort(self.buckets[ticket.priority], ticket, key=_since)

    def remove(self, ticket: Ticket) -> None:
        """Take ``ticket`` out if it is here (a remote ticket not yet confirmed is not)."""
        if ticket.front_since is not None:
            if ticket in self.front:
                self.front.remove(ticket)
            return
        bucket, key = ((self.booked, _slot) if ticket.slot_start is not None
                       else (self.buckets[ticket.priority], _since))
        i = bisect_left(bucket, key(ticket), key=key)
        if i < len(bucket) and bucket[i] is ticket:
            del bucket[i]

    def __len__(self) -> int:
        return len(self.front) + len(self.booked) + sum(len(b) for b in self.buckets.values())

    def __iter__(self) -> Iterator[Ticket]:
        yield from self.front
        yield from self.booked
        for bucket in self.buckets.values():
            yield from bucket

    def heads(self) -> Iterator[Ticket]:
        """The only tickets that can be called next from this service."""
        if self.front:
            yield self.front[0]
        if self.booked:
            yield self.booked[0]
        for bucket in self.buckets.values():
            if bucket:
                yield bucket[0]

    def oldest_first(self, k: int) -> Sequence[Ticket]:
        """The ``k`` longest-waiting tickets, oldest first (front tickets keep their original
        time), without reading the rest of the queue."""
        filled = [b for b in self.buckets.values() if b]
        if not self.front and not self.booked and len(filled) <= 1:
            return filled[0][:k] if filled else []  # the usual case: a slice, no merge
        others = sorted(self.front + self.booked, key=_since)  # a few tickets a day
        return list(islice(heapq.merge(others, *filled, key=_since), k))

    def oldest_since(self) -> datetime | None:
        """When the longest-waiting ticket started waiting (front tickets keep their old time)."""
        candidates = self.front + self.booked + [b[0] for b in self.buckets.values() if b]
        return min((t.queue_since or t.issued_at for t in candidates), default=None)

    def ahead_of(self, ticket: Ticket, view: CounterState, now: datetime, aging: timedelta) -> int:
        """How many tickets of this queue ``view`` would call before ``ticket``."""
        if ticket.front_since is not None and ticket in self.front:
            return self.front.index(ticket)
        mine = call_key(ticket, view, now, aging)
        count = len(self.front)
        for bucket in (self.booked, *self.buckets.values()):
            count += bisect_left(bucket, mine, key=lambda t: call_key(t, view, now, aging))
        return count
