"""Learning the branch (host/insight/history.py): the past business days' service times, per
service, counter and hour, read from the stored tickets when the host starts, so a restart
does not forget them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from branchq.host.config import load_config
from branchq.host.insight.estimate import estimate_range
from branchq.host.insight.history import Served, learn
from branchq.host.service import BranchService
from branchq.host.storage import Store
from tests.host.engine_helpers import OPENING, Branch


def _store_yesterday(store: Store) -> None:
    """Yesterday at counter 1: forty cash services of 300 s, then twenty of 100 s (the engine's
    last twenty durations say 100 s; the day says 233 s). Stored as the host's writer does."""
    b = Branch()
    b.now = OPENING - timedelta(days=1)
    for _ in range(62):
        b.issue("cash")
    for k in range(61):
        b.call(1)
        b.tick(300 if k < 40 else 100)
    b.do("done", 1)
    with store.write_transaction() as tx:
        tx.append(tx.prepare(b.log, b.engine.tickets))


def _host(store: Store) -> BranchService:
    """A host started this morning at 09:00 (the service's own start-up path)."""
    host = BranchService(load_config(None), store, clock=lambda: OPENING)
    host.load()
    host.engine.issue(ticket_id="today-1", service="wealth", at=OPENING, actor="kiosk:test")
    return host


def _per_call(host: BranchService) -> float:
    told = estimate_range(host.engine, "cash", 30)
    assert told is not None
    return told.estimate_s / 31 * 3  # counters 1, 2 and 5 share the cash queue


def test_yesterdays_service_times_are_learned_at_start_and_survive_a_restart(
        tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'branch.db'}", load_config(None).branch.id)
    store.migrate()
    forgetful = _host(store)  # nothing stored yet: the default service time
    assert forgetful.history.days == ()
    _store_yesterday(store)
    host = _host(store)
    assert [d.isoformat() for d in host.history.days] == ["2026-11-12"]
    day_mean = (40 * 300 + 20 * 100) / 60
    assert _per_call(host) == pytest.approx(day_mean, rel=0.1)  # not the last twenty's 100 s
    restarted = _host(store)
    assert estimate_range(restarted.engine, "cash", 30) == estimate_range(host.engine, "cash", 30)
    store.close()


def test_a_slow_counter_is_learned_as_slow_and_thin_data_moves_little() -> None:
    """Counter 2 takes half as long again as counter 1 for the same services; counter 7 has
    served twice and is taken as nearly average."""
    served = ([Served("cash", 1, 10, 100.0)] * 200 + [Served("cash", 2, 10, 150.0)] * 200
              + [Served("noncash", 1, 11, 200.0)] * 100 + [Served("noncash", 2, 11, 300.0)] * 100
              + [Served("cash", 7, 10, 250.0)] * 2)
    history = learn(served)
    assert history.factor(2) / history.factor(1) == pytest.approx(1.5, rel=0.1)
    assert history.factor(7) == pytest.approx(1.0, abs=0.1)
    assert history.factor(99) == 1.0
    # At an average counter: between the two counters' own means.
    assert 100 < (history.mean_s("cash", 10) or 0) < 150
    assert history.mean_s("cash", 15) == history.mean_s("cash", None)  # no services that hour
