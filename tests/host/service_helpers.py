"""Drive the real BranchService (writer thread, group commit, database) one batch at a time.

A batch is made deterministic with a gate: a first command holds the writer inside its
transaction while the batch's commands are queued, so when it lets go the writer takes all of
them in one batch, exactly as it does under load.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import fields
from datetime import datetime
from typing import Any

from branchq.host.config import BranchConfig
from branchq.host.engine import Event, QueueEngine
from branchq.host.insight.estimate import ProjectedWait
from branchq.host.service import BranchService, Command
from branchq.host.storage.store import _ticket_values

Outcome = list[Event] | BaseException


def run_batch(service: BranchService, commands: list[Command]) -> list[Outcome]:
    """Run ``commands`` as one group-commit batch; each command's events or exception."""
    entered, gate = threading.Event(), threading.Event()

    def hold(_engine: QueueEngine, _now: datetime) -> list[Event]:
        entered.set()
        gate.wait(30)
        return []

    async def main() -> list[Outcome]:
        held = asyncio.ensure_future(service.execute(hold))
        assert await asyncio.to_thread(entered.wait, 30), "the writer never took the gate"
        tasks = [asyncio.ensure_future(service.execute(c)) for c in commands]
        await asyncio.sleep(0)  # every task has queued its command
        gate.set()
        await held
        done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
        return list(done)

    return asyncio.run(main())


def engine_state(engine: QueueEngine) -> dict[str, Any]:
    """Everything the engine knows, in comparable form (queues by their order)."""
    return {
        "seq": engine.seq,
        "day": engine.day,
        "tickets": engine.tickets,
        "counters": engine.counters,
        "equipment": engine.equipment,
        "stats": {k: (list(s.recent), s.issued_today, s.last_number)
                  for k, s in engine.stats.items()},
        "queues": {k: [t.id for t in q] for k, q in engine.queues.items()},
        "notices": engine.notices,
        "client_refs": engine.client_refs,
        "labels": engine.labels,
        "leases": engine.lease_book.leases,
        "vip_cards": engine.vip_cards,
        "devices": engine.devices,
        "help": engine.help,
        "help_refs": engine.help_refs,
        "test_slips": engine.test_slips,
        "appointments": {k: getattr(engine.appointments, k)
                         for k in ("by_id", "refs", "codes", "taken", "salts")},
        "remote": (sorted(engine.remote_pending), engine.remote_codes),
        "tally": {f.name: getattr(engine.tally, f.name) for f in fields(engine.tally)
                  if f.name != "greens"} | {"greens": [t.id for t in engine.tally.greens]},
    }


def replayed(config: BranchConfig, service: BranchService) -> QueueEngine:
    """A fresh engine built from what the database holds."""
    engine = QueueEngine(config, ProjectedWait())
    engine.replay(service.store.load_events(0))
    return engine


def assert_memory_equals_database(service: BranchService) -> None:
    """The invariant: the live engine is exactly a replay of the stored log, and the ticket
    rows are exactly the engine's tickets."""
    with service._lock:
        live = engine_state(service.engine)
        rows = {t.id: _ticket_values(service.store.branch, t) for t in service.engine.tickets.values()}
    assert live == engine_state(replayed(service.config, service))
    for ticket_id, values in rows.items():
        stored = service.store.ticket_row(ticket_id)
        assert stored is not None, f"ticket {ticket_id} is in memory but not in the database"
        assert {k: stored[k] for k in values} == values
