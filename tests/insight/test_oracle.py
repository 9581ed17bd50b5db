"""The oracle floor (bench/oracle.py) against what is known in closed form."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bench.oracle import FUTURES, forecast
from bench.simulation import (
    BUCKET,
    PRESENT,
    UNKNOWN,
    DayProfile,
    Desk,
    Issued,
    Snapshot,
    Waiting,
    error_floor,
    profile_for,
    simulate_day,
)
from branchq.host.config import load_config
from branchq.host.engine import Priority, QueueEngine
from branchq.host.insight.estimate import ProjectedWait

WEALTH_DESK = Desk(6, ("wealth",), False, 1.0, "wealth", 100.0, UNKNOWN, None, None)
# The closed form knows nothing of no-shows who come back to the front: neither may the oracle here.
NO_RETURNS = replace(DayProfile(), comes_back=0.0)


def _wealth(ahead: int, desk: Desk = WEALTH_DESK, profile: DayProfile = NO_RETURNS) -> Snapshot:
    queue = tuple(Waiting("wealth", BUCKET[Priority.NORMAL], -60.0 * (ahead - n), 0.0, n, UNKNOWN)
                  for n in range(ahead + 1))
    return Snapshot(3600.0, queue[-1], queue, (desk,), (), False, "cash", 1200.0, profile)


def _issued(snap: Snapshot) -> Issued:
    desk = snap.desks[0]
    return Issued("t", "wealth", Priority.NORMAL, None, len(snap.waiting) - 1, 0,  # type: ignore[arg-type]
                  counters=((desk.number, desk.serving, desk.elapsed_s),))


@pytest.mark.parametrize("ahead", [0, 2, 4])
def test_the_oracle_reproduces_the_single_counter_closed_form(ahead: int) -> None:
    """For a queue that one counter alone serves, the oracle's expected error of its median is
    error_floor's: the spread of the rest of the current service and of the services ahead."""
    snap = _wealth(ahead)
    closed = error_floor(_issued(snap), counter=6, samples=20000, seed=1)
    oracle = forecast(snap, futures=8000, seed=2).spread_s
    assert closed > 100  # minutes of spread: a real comparison, not two zeros
    assert oracle == pytest.approx(closed, rel=0.05), (oracle, closed)


def test_a_free_counter_is_a_certain_wait_of_nothing() -> None:
    idle = replace(WEALTH_DESK, serving=None, elapsed_s=0.0)
    f = forecast(_wealth(0, idle))
    assert (f.median_s, f.low_s, f.high_s, f.spread_s) == (0.0, 0.0, 0.0, 0.0)


def test_returning_no_shows_only_lengthen_the_wait() -> None:
    """The real day's no-shows come back to the front a quarter of the time: with them the
    oracle's range reaches further than the closed form's model, never shorter."""
    plain = forecast(_wealth(4), futures=4000, seed=3)
    returns = forecast(_wealth(4, profile=DayProfile()), futures=4000, seed=3)
    assert returns.high_s >= plain.high_s
    assert returns.median_s == pytest.approx(plain.median_s, rel=0.05)


def test_a_counter_back_from_lunch_delays_the_call_until_it_is_back() -> None:
    lunch = replace(WEALTH_DESK, serving=None, elapsed_s=0.0, back_s=900.0)
    f = forecast(_wealth(0, lunch))
    assert f.low_s == f.high_s == 900.0
    pending = replace(WEALTH_DESK, serving="wealth", elapsed_s=0.0, who=PRESENT,
                      lunch_s=(0.0, 2000.0))
    assert forecast(_wealth(0, pending)).low_s == 2000.0  # the teller goes to lunch first


def test_every_ticket_of_a_simulated_day_has_a_forecast() -> None:
    engine = QueueEngine(load_config(None), ProjectedWait())
    day = date(2026, 11, 12)
    run = simulate_day(engine, day, profile_for(day, scale=0.3), seed=1)
    assert run.issued and all(i.snapshot is not None for i in run.issued)
    forecasts = [forecast(i.snapshot, futures=FUTURES, seed=n)  # type: ignore[arg-type]
                 for n, i in enumerate(run.issued)]
    assert all(f.low_s <= f.median_s <= f.high_s for f in forecasts)
