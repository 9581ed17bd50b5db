"""The estimate's 80% range (host/insight/estimate.py): what the engine tells about the spread."""

from __future__ import annotations

import math

import pytest

from branchq.host.insight.estimate import (
    WIDEN,
    CounterView,
    Durations,
    QueueView,
    TodayRates,
    WaitRange,
    estimate_range,
    projected_wait,
    wait_range,
)
from tests.host.engine_helpers import Branch


def _busy() -> Branch:
    """Cash counters 1, 2 and 5 each 60 s into a service, cash durations of 100 or 300 s learned
    (mean 200 s), a long cash queue."""
    b = Branch()
    for _ in range(80):
        b.issue("cash")
    for k in range(21):
        for counter in (1, 2, 5):
            b.call(counter)
        b.tick(100 + 200 * (k % 2))
    for counter in (1, 2, 5):
        b.call(counter)
    b.tick(60)
    b.issue("wealth")  # the engine's "now" moves with its newest ticket
    return b


def test_a_free_counter_is_no_wait_and_no_range() -> None:
    b = Branch()
    assert estimate_range(b.engine, "wealth", 0) == WaitRange(0, 0, 0)


def test_next_in_line_waits_for_the_first_of_three_busy_counters_not_the_first_expected() -> None:
    """Three tellers each 60 s into a cash service (100 or 300 s): the expected rest of each is
    some 130 s; the earliest of three uncertain rests comes far sooner (about half that)."""
    b = _busy()
    recent = b.engine.stats["cash"].recent
    expected_rest = sum(d - 60 for d in recent if d > 60) / sum(1 for d in recent if d > 60)
    told = estimate_range(b.engine, "cash", 0)
    assert told is not None
    assert told.low_s < told.estimate_s < told.high_s
    assert told.estimate_s < 0.85 * expected_rest, (told, expected_rest)


def test_the_range_narrows_in_proportion_as_the_queue_grows() -> None:
    """A sum of many services is surer, relative to its length, than one service."""
    b = _busy()
    short, long = estimate_range(b.engine, "cash", 1), estimate_range(b.engine, "cash", 30)
    assert short is not None and long is not None
    assert short.estimate_s < long.estimate_s
    assert (long.high_s - long.low_s) / long.estimate_s < (short.high_s - short.low_s) / short.estimate_s
    assert long.low_s < long.estimate_s < long.high_s


def test_the_point_is_the_engines_estimate_and_the_range_holds_it() -> None:
    b = _busy()
    for ahead in (0, 1, 3, 8, 25):
        told = estimate_range(b.engine, "cash", ahead)
        assert told is not None
        assert told.low_s <= told.estimate_s <= told.high_s
        b.estimator._paces.clear()
        assert b.engine.estimate_wait("cash", ahead) == told.estimate_s


def test_no_open_counter_has_no_range() -> None:
    b = Branch()
    b.do("pause", 6)
    assert estimate_range(b.engine, "wealth", 0) is None


@pytest.mark.parametrize("cv", [0.1, 0.5, 1.0])
def test_a_lognormal_range_is_stretched_about_its_point(cv: float) -> None:
    told = wait_range(1000.0, (cv * 1000.0) ** 2)
    assert told.estimate_s == 1000
    assert 0 < told.low_s < 1000 < told.high_s
    # The model's own 10th-90th percentiles, their distance stretched WIDEN times in proportion.
    sigma = math.sqrt(math.log1p(cv**2))
    mu = math.log(1000.0) - sigma**2 / 2
    assert told.high_s == pytest.approx(1000 * (math.exp(mu + 1.2816 * sigma) / 1000) ** WIDEN,
                                        abs=2)


def test_a_day_of_services_counts_not_just_the_last_twenty_and_a_restart_learns_the_same() -> None:
    """Sixty cash services today: 40 of 300 s, then 20 of 100 s. The engine's recent twenty say
    100 s; the day says 233 s, and the estimate for a long queue goes by the day. A host that
    restarts replays the day's events and estimates the same."""
    b = Branch()
    for _ in range(120):
        b.issue("cash")
    for k in range(61):
        b.call(1)
        b.tick(300 if k < 40 else 100)
    b.issue("wealth")
    assert list(b.engine.stats["cash"].recent) == [100.0] * 20
    told = estimate_range(b.engine, "cash", 30)
    assert told is not None
    day_mean = (40 * 300 + 20 * 100) / 60
    per_call = told.estimate_s / 31  # three counters (1, 2 and 5) share the cash queue
    assert per_call == pytest.approx(day_mean / 3, rel=0.1), (told, day_mean)  # not 100 / 3

    restarted = Branch()
    restarted.engine.replay(b.log)
    assert estimate_range(restarted.engine, "cash", 30) == told


def test_a_shared_counter_gives_its_preferred_services_later_tickets_first() -> None:
    """A VIP counter that also serves non-cash: VIP customers who arrive while a non-cash
    ticket waits are called before it, so the non-cash wait grows with the VIP arrival rate;
    a counter of its own service only does not care."""
    def wait(vip_per_h: float, services: tuple[str, ...]) -> int:
        rates = TodayRates({}, 45.0, {}, {"vip": vip_per_h / 3600, "noncash": 0.0})
        found = projected_wait("noncash", 3, {"noncash": QueueView([900.0] * 4), "vip": QueueView([])},
                               [CounterView(services)], {"noncash": 300.0, "vip": 400.0},
                               {"noncash": Durations([300.0] * 30), "vip": Durations([400.0] * 30)},
                               rates, 1200.0)
        assert found is not None
        return found[0].estimate_s

    assert wait(0, ("vip", "noncash")) < wait(6, ("vip", "noncash")) < wait(12, ("vip", "noncash"))
    assert wait(12, ("noncash",)) == wait(0, ("noncash",))
