"""A small driver for the pure engine: a clock that only moves when told, readable commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from branchq.host.config import BranchConfig, load_config
from branchq.host.engine import Event, Priority, QueueEngine
from branchq.host.insight.estimate import ProjectedWait

# 09:00 on pension day in Shanghai (UTC+8)
OPENING = datetime(2026, 11, 13, 1, 0, tzinfo=UTC)


class Branch:
    def __init__(self, config: BranchConfig | None = None) -> None:
        self.estimator = ProjectedWait()
        self.engine = QueueEngine(config or load_config(None), self.estimator)
        self.now = OPENING
        self.log: list[Event] = []
        self._ids = 0

    def tick(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)

    def _record(self, events: list[Event]) -> list[Event]:
        for e in events:
            self.log.append(Event(e.kind, e.at, e.actor, e.ticket_id, e.counter, e.data,
                                  len(self.log) + 1))
        return events

    def issue(self, service: str = "cash", priority: Priority = Priority.NORMAL) -> str:
        self._ids += 1
        ticket_id = f"ticket-{self._ids:05d}"
        self._record(self.engine.issue(ticket_id=ticket_id, service=service, at=self.now,
                                       actor="kiosk:test", priority=priority))
        return ticket_id

    def label(self, ticket_id: str) -> str:
        return self.engine.tickets[ticket_id].label

    def call(self, counter: int) -> str | None:
        """Call next at ``counter``; the label called, or None."""
        events = self._record(self.engine.call_next(counter, self.now, "teller:test"))
        called = [e for e in events if e.kind == "ticket_called"]
        return called[0].data["label"] if called else None

    def do(self, method: str, *args: object) -> list[Event]:
        return self._record(getattr(self.engine, method)(*args, self.now, "teller:test"))
