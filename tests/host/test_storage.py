"""The storage layer's own guarantees, below the engine: the database itself refuses a second
ticket with the same number on the same day, and says so distinctly from an outage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from branchq.host.config import load_config
from branchq.host.engine import QueueEngine
from branchq.host.insight.estimate import ProjectedWait
from branchq.host.storage import StorageRefused, Store


def test_the_database_refuses_a_duplicate_number_as_refused_not_unreachable(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}", "demo")
    store.migrate()
    at = datetime(2026, 11, 13, 1, 0, tzinfo=UTC)
    for attempt, ticket_id in enumerate(("first-ticket-id", "second-ticket-id")):
        engine = QueueEngine(load_config(None), ProjectedWait())  # a fresh engine: it would number A001 again
        events = engine.issue(ticket_id=ticket_id, service="cash", at=at, actor="test")
        if attempt == 0:
            with store.write_transaction() as tx:
                tx.append(tx.prepare(events, engine.tickets))
        else:
            with pytest.raises(StorageRefused), store.write_transaction() as tx:
                tx.append(tx.prepare(events[-1:], engine.tickets))
    assert store.count_tickets(at.date()) == 1
    store.close()
