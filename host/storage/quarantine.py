"""Finding an event of the log that does not replay, and taking it out (quarantine).

The host rebuilds its state by replaying the whole event log at every start; one event that does
not apply (written by a fault, or edited by hand) would stop every start. ``branchq maint db
check`` names it and ``branchq maint db repair`` moves it, with the reason, to the
``quarantined_events`` table so the rest of the log replays (docs/maintenance.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from branchq.host.config import BranchConfig
from branchq.host.engine import QueueEngine, ReplayError
from branchq.host.insight.estimate import ProjectedWait
from branchq.host.storage.store import _UPDATE_TICKET, Store, _keyed_by_id, _ticket_values
from branchq.host.storage.tables import events, quarantined_events, tickets


@dataclass(frozen=True)
class Replayed:
    engine: QueueEngine  # the state up to the first event that does not replay
    events: int  # events that replayed
    problem: ReplayError | None


def replay_log(store: Store, config: BranchConfig) -> Replayed:
    """Replay the branch's whole log as the host does at start (with the host's estimator, so
    the engine handed back answers as the host's would)."""
    engine = QueueEngine(config, ProjectedWait())
    log = store.load_events(0)
    try:
        engine.replay(log)
    except ReplayError as err:
        return Replayed(engine, next(i for i, e in enumerate(log) if e.seq == err.seq), err)
    return Replayed(engine, len(log), None)


def quarantine(store: Store, problem: ReplayError, at: datetime) -> None:
    """Move the event ``problem`` names out of the log, keeping it with the reason."""
    key = (events.c.branch == store.branch) & (events.c.seq == problem.seq)
    with store._write() as conn:
        row = conn.execute(select(events).where(key)).mappings().one()
        conn.execute(insert(quarantined_events).values(
            **row, reason=str(problem), quarantined_at=at))
        conn.execute(delete(events).where(key))


def rewrite_ticket_rows(store: Store, engine: QueueEngine) -> int:
    """Make the ticket rows of the engine's day say what the repaired log says; returns how
    many rows were written (a quarantined event may have changed a row before)."""
    rows = [_ticket_values(store.branch, t) for t in engine.tickets.values()]
    with store._write() as conn:
        known = {r for (r,) in conn.execute(select(tickets.c.id).where(
            tickets.c.id.in_([r["id"] for r in rows])))}
        fresh = [r for r in rows if r["id"] not in known]
        if fresh:
            conn.execute(insert(tickets), fresh)
        stale = [_keyed_by_id(r) for r in rows if r["id"] in known]
        if stale:
            conn.execute(_UPDATE_TICKET, stale)
    return len(rows)
