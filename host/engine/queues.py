"""The waiting tickets of one service, indexed so that a busy pension day stays fast.

Tickets are kept in buckets (front, green, VIP, normal). Within a bucket they are in
``(queue_since, number)`` order, and the call key of :mod:`branchq.host.engine.ordering` never decreases
along a bucket (an older ticket is aged first and waited longer). So the next ticket is one of the
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


class ServiceQueue:
    def __init__(self) -> None:
        self.front: list[Ticket] = []  # reinstated and transferred-in, in the order they came
        self.buckets: dict[Priority, list[Ticket]] = {p: [] for p in Priority}

    def add(self, ticket: Ticket) -> None:
        if ticket.front_since is not None:
            self.front.append(ticket)
        else:
            insort(self.buckets[ticket.priority], ticket, key=_since)

    def remove(self, ticket: Ticket) -> None:
        if ticket.front_since is not None:
            self.front.remove(ticket)
            return
        bucket = self.buckets[ticket.priority]
        i = bisect_left(bucket, _since(ticket), key=_since)
        if i < len(bucket) and bucket[i] is ticket:
            del bucket[i]

    def __len__(self) -> int:
        return len(self.front) + sum(len(b) for b in self.buckets.values())

    def __iter__(self) -> Iterator[Ticket]:
        yield from self.front
        for bucket in self.buckets.values():
            yield from bucket

    def heads(self) -> Iterator[Ticket]:
        """The only tickets that can be called next from this service."""
        if self.front:
            yield self.front[0]
        for bucket in self.buckets.values():
            if bucket:
                yield bucket[0]

    def oldest_first(self, k: int) -> Sequence[Ticket]:
        """The ``k`` longest-waiting tickets, oldest first (front tickets keep their original
        time), without reading the rest of the queue."""
        filled = [b for b in self.buckets.values() if b]
        if not self.front and len(filled) <= 1:
            return filled[0][:k] if filled else []  # the usual case: a slice, no merge
        front = sorted(self.front, key=_since)
        return list(islice(heapq.merge(front, *filled, key=_since), k))

    def oldest_since(self) -> datetime | None:
        """When the longest-waiting ticket started waiting (front tickets keep their old time)."""
        candidates = self.front + [b[0] for b in self.buckets.values() if b]
        return min((t.queue_since or t.issued_at for t in candidates), default=None)

    def ahead_of(self, ticket: Ticket, view: CounterState, now: datetime, aging: timedelta) -> int:
        """How many tickets of this queue ``view`` would call before ``ticket``."""
        if ticket.front_since is not None:
            return self.front.index(ticket)
        mine = call_key(ticket, view, now, aging)
        count = len(self.front)
        for bucket in self.buckets.values():
            count += bisect_left(bucket, mine, key=lambda t: call_key(t, view, now, aging))
        return count
