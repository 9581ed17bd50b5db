"""Fan-out of committed events to WebSocket subscribers, inside the event loop."""

from __future__ import annotations

import asyncio
import logging

from branchq.host.engine.events import Event

log = logging.getLogger("branchq.hub")
_MAX_HELD = 500


class EventHub:
    """Each subscriber gets a bounded queue; one that falls too far behind is dropped and must
    reconnect with ``after=SEQ`` (it then catches up from the database, losing nothing)."""

    def __init__(self, queue_size: int = 2000) -> None:
        self._subscribers: set[asyncio.Queue[Event | None]] = set()
        # Whose screen each subscriber is (a role: "display" for a hall TV), for the morning
        # check's "hall display connected" (host/opening.py).
        self._roles: dict[asyncio.Queue[Event | None], str] = {}
        self._queue_size = queue_size
        # Events reach the hub from the writer (our commits) and from the PostgreSQL listener
        # (other processes' commits), not always in seq order: hold any that arrive early.
        self._next: int | None = None
        self._held: dict[int, Event] = {}

    def start_after(self, seq: int) -> None:
        """The next event to deliver is ``seq + 1`` (set at start from the event log)."""
        self._next = seq + 1
        self._held.clear()

    def subscribe(self, role: str = "") -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(self._queue_size)
        self._subscribers.add(queue)
        self._roles[queue] = role
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._subscribers.discard(queue)
        self._roles.pop(queue, None)

    def connected(self, role: str) -> int:
        """Subscribers of ``role`` connected to this process and keeping up with the events."""
        return sum(1 for queue, r in self._roles.items() if r == role and queue in self._subscribers)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, events: list[Event]) -> None:
        """Deliver events to every subscriber in seq order, each once."""
        for e in events:
            if self._next is None or e.seq >= self._next:
                self._held[e.seq] = e
        if self._next is None and self._held:
            self._next = min(self._held)
        ready: list[Event] = []
        while self._next in self._held:
            ready.append(self._held.pop(self._next))
            self._next += 1
        if len(self._held) > _MAX_HELD:  # a gap that is not closing: deliver rather than stall
            log.warning("event seq %s never arrived; delivering %d later events", self._next,
                        len(self._held))
            ready.extend(self._held[k] for k in sorted(self._held))
            self._next = max(self._held) + 1
            self._held.clear()
        if ready:
            self._deliver(ready)

    def _deliver(self, events: list[Event]) -> None:
        for queue in list(self._subscribers):
            try:
                for e in events:
                    queue.put_nowait(e)
            except asyncio.QueueFull:
                log.warning("an event subscriber fell behind; disconnecting it")
                self._subscribers.discard(queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(None)  # tells the subscriber to close
