"""Fan-out of committed events to WebSocket subscribers, inside the event loop."""

from __future__ import annotations

import asyncio
import logging

from host.engine.events import Event

log = logging.getLogger("branchq.hub")


class EventHub:
    """Each subscriber gets a bounded queue; one that falls too far behind is dropped and must
    reconnect with ``after=SEQ`` (it then catches up from the database, losing nothing)."""

    def __init__(self, queue_size: int = 2000) -> None:
        self._subscribers: set[asyncio.Queue[Event | None]] = set()
        self._queue_size = queue_size

    def subscribe(self) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(self._queue_size)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._subscribers.discard(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, events: list[Event]) -> None:
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
