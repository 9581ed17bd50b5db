"""The engine's estimate at issue time against simulated actual waits (small simulated days)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from bench.oracle import FUTURES, draw_waits, forecast, quantile
from bench.simulation import (
    Accuracy,
    Issued,
    accuracy,
    error_floor,
    profile_for,
    simulate_day,
)
from bench.wait_accuracy import Judged, row
from branchq.host.config import load_config
from branchq.host.engine import Priority, QueueEngine
from branchq.host.insight.estimate import ProjectedWait

ORDINARY = date(2026, 11, 12)
PENSION = date(2026, 11, 13)


def _days(*days: date, seeds: range = range(3)) -> dict[str, Accuracy]:
    """Pooled over a few independent runs: one day's handful of long waits is too few to judge."""
    issued = []
    for seed in seeds:
        engine = QueueEngine(load_config(None), ProjectedWait())
        simulate_day(engine, date(2026, 11, 11), seed=seed)  # warm-up: yesterday's service times
        issued += [i for d in days for i in simulate_day(engine, d, profile_for(d), seed).issued]
    return accuracy(issued)


def test_cash_estimates_meet_the_goal_on_an_ordinary_and_a_pension_day() -> None:
    ordinary = _days(ORDINARY, seeds=range(1))
    pension = _days(PENSION)
    assert ordinary["cash"].ok, ordinary["cash"]
    assert pension["cash"].ok, pension["cash"]
    assert pension["cash"].mean_wait_s > 600  # the peak is real


def test_estimates_are_unbiased_for_every_service() -> None:
    """Where one or two counters serve a queue, service-time spread alone exceeds the goal (see
    docs/insight.md); the estimate must still not lean either way by more than the goal."""
    for a in _days(ORDINARY, PENSION, seeds=range(1)).values():
        assert abs(a.bias_s) <= a.allowed_s, a


def test_every_ticket_gets_an_estimate_and_is_called() -> None:
    engine = QueueEngine(load_config(None), ProjectedWait())
    run = simulate_day(engine, ORDINARY, profile_for(ORDINARY, scale=0.3), seed=1)
    assert run.issued and all(i.estimate_s is not None for i in run.issued)
    assert all(i.called_at is not None for i in run.issued)


def _wealth_ticket(ahead: int, serving: str | None, elapsed: float = 0.0) -> Issued:
    return Issued("t", "wealth", Priority.NORMAL, datetime(2026, 11, 12, 2, tzinfo=UTC), ahead,
                  0, counters=((6, serving, elapsed),))


def test_the_error_floor_is_zero_when_called_at_once_and_grows_with_the_queue() -> None:
    assert error_floor(_wealth_ticket(0, None), counter=6) == 0.0
    one = error_floor(_wealth_ticket(0, "wealth", 100.0), counter=6)
    three = error_floor(_wealth_ticket(2, "wealth", 100.0), counter=6)
    # A 600 s lognormal service with CV 0.5: the residual alone is spread by minutes.
    assert 60 < one < three < 600


def test_no_estimate_beats_the_floor_and_ours_stays_near_it() -> None:
    """The floor bounds *any* estimator from below: ours (the engine's) must not be under it, and
    for the single-counter wealth queue it stays within half again of it. The floor itself is
    above the issue's goal there: no estimator can meet that goal for wealth."""
    issued = []
    for seed in range(2):
        engine = QueueEngine(load_config(None), ProjectedWait())
        simulate_day(engine, date(2026, 11, 11), seed=seed)
        issued += [i for i in simulate_day(engine, ORDINARY, profile_for(ORDINARY), seed).issued
                   if i.service == "wealth"]
    wealth = accuracy(issued)["wealth"]
    floor = sum(error_floor(i, counter=6, seed=n) for n, i in enumerate(issued)) / len(issued)
    assert floor <= wealth.mean_abs_error_s <= 1.5 * floor, (floor, wealth)
    assert floor > wealth.allowed_s, (floor, wealth)


def _judged_against_the_model(low_q: float, high_q: float) -> list[Judged]:
    """Tickets of a simulated day, each judged on waits drawn from the true model (the oracle's
    own futures, drawn apart from those that set its range), with the range from the ``low_q``
    to the ``high_q`` quantile of the oracle's futures."""
    engine = QueueEngine(load_config(None), ProjectedWait())
    run = simulate_day(engine, ORDINARY, profile_for(ORDINARY), seed=4)
    rng = random.Random(5)
    out = []
    for n, i in enumerate(run.issued):
        assert i.snapshot is not None
        futures = sorted(draw_waits(i.snapshot, FUTURES, random.Random(n)))
        oracle = forecast(i.snapshot, seed=n)
        low, high = quantile(futures, low_q), quantile(futures, high_q)
        out += [Judged(i.service, "ordinary", oracle.median_s, low, high, wait, oracle)
                for wait in draw_waits(i.snapshot, 10, rng)]
    return out


def test_the_coverage_check_passes_an_honest_range_and_fails_a_narrowed_one() -> None:
    honest = row("all", "ordinary", _judged_against_the_model(0.1, 0.9))
    assert 0.75 <= honest.coverage <= 0.85 and "coverage" not in honest.missed(), honest
    narrowed = row("all", "ordinary", _judged_against_the_model(0.3, 0.7))
    assert narrowed.coverage < 0.6 and "coverage" in narrowed.missed(), narrowed
    assert "width" not in narrowed.missed()  # narrow is what the width goal wants: not enough
