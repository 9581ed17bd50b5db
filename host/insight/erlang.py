"""Erlang B and C, the M/M/c queue: how many counters keep waits under a target.

A branch queue is close to M/M/c when customers arrive independently (Poisson) and a counter
finishes one customer at a time. Service times are not exponential, so the figures are a
planning guide, checked against the branch simulation in the tests, not a promise.
"""

from __future__ import annotations

import math


def erlang_b(traffic: float, servers: int) -> float:
    """Blocking probability for ``traffic`` erlangs offered to ``servers`` (the stable recursion
    B(0)=1, B(n)=A*B(n-1)/(n+A*B(n-1)), no factorials to overflow)."""
    if servers < 0 or traffic < 0:
        raise ValueError("traffic and servers must not be negative")
    b = 1.0
    for n in range(1, servers + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(traffic: float, servers: int) -> float:
    """Probability that an arriving customer has to wait at all; 1.0 when the queue is unstable
    (``traffic >= servers``: the queue grows without bound)."""
    if servers <= 0 or traffic >= servers:
        return 1.0
    if traffic == 0:
        return 0.0
    b = erlang_b(traffic, servers)
    rho = traffic / servers
    return b / (1 - rho * (1 - b))


def p_wait_over(arrivals_per_s: float, service_s: float, servers: int, threshold_s: float) -> float:
    """P(wait > threshold) in M/M/c: C(c, A) * exp(-(c*mu - lambda) * t)."""
    traffic = arrivals_per_s * service_s
    if servers <= 0 or traffic >= servers:
        return 1.0
    drain = servers / service_s - arrivals_per_s
    return erlang_c(traffic, servers) * math.exp(-drain * threshold_s)


def mean_wait(arrivals_per_s: float, service_s: float, servers: int) -> float:
    """Mean wait in the queue (ASA), seconds; infinite when unstable."""
    traffic = arrivals_per_s * service_s
    if servers <= 0 or traffic >= servers:
        return math.inf
    return erlang_c(traffic, servers) * service_s / (servers - traffic)


def p_wait_over_fractional(arrivals_per_s: float, service_s: float, servers: float,
                           threshold_s: float) -> float:
    """:func:`p_wait_over` for a fractional number of counters (a counter that mostly serves
    another queue counts half, see the engine's ``open_counters``): linear between the two
    neighbouring whole numbers, which is exact at whole numbers and monotone in between."""
    low = math.floor(servers)
    frac = servers - low
    p_low = p_wait_over(arrivals_per_s, service_s, low, threshold_s)
    if frac == 0:
        return p_low
    p_high = p_wait_over(arrivals_per_s, service_s, low + 1, threshold_s)
    return p_low + frac * (p_high - p_low)
