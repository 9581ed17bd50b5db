"""Erlang B/C against published tables and against a simulated M/M/c queue."""

from __future__ import annotations

import math

import pytest

from bench.simulation import simulate_mmc
from branchq.host.insight.erlang import (
    erlang_b,
    erlang_c,
    mean_wait,
    p_wait_over,
    p_wait_over_fractional,
)


@pytest.mark.parametrize(("servers", "traffic"), [
    (1, 0.0101), (2, 0.153), (3, 0.455), (4, 0.869), (5, 1.361), (10, 4.461), (20, 12.03),
])
def test_erlang_b_matches_the_published_one_percent_column(servers: int, traffic: float) -> None:
    """The standard Erlang B table (e.g. the one printed in every teletraffic handbook, such as
    ITU-T "Teletraffic Engineering Handbook", Iversen, table of offered traffic for a given
    blocking): the traffic that N circuits carry at 1% blocking. The table rounds A to 3-4
    significant digits, so B at that A is 1% within the rounding."""
    assert erlang_b(traffic, servers) == pytest.approx(0.01, rel=0.02)


def test_erlang_c_matches_the_published_worked_example() -> None:
    """The worked example of "The Erlang-C Formula" (Mike Tanner, Mitan Ltd, the PhoneCalc
    authors): 360 calls per half hour, 240 s average duration, so A = 48 erlangs, on 55 agents,
    target answer time 15 s. Published: probability of waiting 24% (E_C = 0.2388), average speed
    of answer 8.2 s, service level 84.6% within 15 s."""
    arrivals, service = 360 / 1800, 240.0
    assert erlang_c(48, 55) == pytest.approx(0.2388, abs=5e-4)
    assert mean_wait(arrivals, service, 55) == pytest.approx(8.18, abs=0.01)
    assert 1 - p_wait_over(arrivals, service, 55, 15) == pytest.approx(0.846, abs=5e-4)


def test_small_cases_in_closed_form() -> None:
    """C(N=1, A) = A (M/M/1: an arrival waits iff the server is busy); C(2, 1) = 1/3."""
    assert erlang_c(0.7, 1) == pytest.approx(0.7)
    assert erlang_c(1, 2) == pytest.approx(1 / 3)
    assert erlang_c(3, 3) == 1.0 and erlang_c(4, 3) == 1.0  # unstable: everyone waits
    assert mean_wait(1 / 60, 60, 1) == math.inf


def test_fractional_counters_interpolate_monotonically() -> None:
    lam, s = 30 / 3600, 240.0
    values = [p_wait_over_fractional(lam, s, c / 2, 180) for c in range(6, 13)]
    assert values == sorted(values, reverse=True)
    assert values[0] == p_wait_over(lam, s, 3, 180) and values[-1] == p_wait_over(lam, s, 6, 180)


@pytest.mark.parametrize(("per_hour", "service_s", "servers"), [(40, 240, 3), (25, 300, 3)])
def test_erlang_c_agrees_with_a_simulated_mmc_queue(per_hour: float, service_s: float,
                                                    servers: int) -> None:
    """Share of customers waiting over 3 minutes in a long simulated M/M/c run (SimPy)."""
    waits = simulate_mmc(per_hour / 3600, service_s, servers, horizon_s=400 * 3600, seed=7)
    simulated = sum(w > 180 for w in waits) / len(waits)
    predicted = p_wait_over(per_hour / 3600, service_s, servers, 180)
    assert simulated == pytest.approx(predicted, abs=0.03)
    assert sum(w > 0 for w in waits) / len(waits) == pytest.approx(
        erlang_c(per_hour * service_s / 3600, servers), abs=0.03)
