"""Accuracy of the engine's wait estimate at issue time against the wait that followed.

Simulated branch days (bench.simulation: SimPy, the example branch's counters, the real
QueueEngine deciding every call) with an opening rush, a lunch rota and the pension-day peak. The
engine first lives through one warm-up day, as a real host does, so it starts with yesterday's
service times. Prints, per service, the mean absolute error against the goal: within 25% of the
mean wait or 60 s, whichever is larger. Exit status 1 if a service misses it.

For a service that one counter alone serves, it also prints the *floor*: the mean absolute error
that no estimate can beat, from the spread of service times alone (see
``bench.simulation.error_floor``). Where the floor is above the goal, the goal cannot be met
by any estimator for that service, only approached; there the estimate's distance from the
floor is what to judge.

    .venv/bin/python bench/wait_accuracy.py [--days 5] [--scale 1.0] [--seeds 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.simulation import (
    Issued,
    accuracy,
    error_floor,
    profile_for,
    simulate_day,
)
from branchq.host.config import load_config
from branchq.host.engine import QueueEngine
from branchq.host.insight.estimate import ProjectedWait

FIRST_DAY = date(2026, 11, 9)  # a Monday; the 13th of the month is pension day


def run(days: int, scale: float, seed: int) -> tuple[list[Issued], list[Issued]]:
    """(ordinary days' tickets, pension day's tickets) after one warm-up day."""
    engine = QueueEngine(load_config(None), ProjectedWait())
    simulate_day(engine, FIRST_DAY - timedelta(days=1), profile_for(FIRST_DAY, scale), seed)
    ordinary: list[Issued] = []
    pension: list[Issued] = []
    for n in range(days):
        day = FIRST_DAY + timedelta(days=n)
        issued = simulate_day(engine, day, profile_for(day, scale), seed).issued
        (pension if day.day == 13 else ordinary).extend(issued)
    return ordinary, pension


def only_counter() -> dict[str, int]:
    """Services that exactly one counter of the example branch serves, and that counter."""
    serving: dict[str, list[int]] = {}
    for c in load_config(None).counters:
        for s in c.services:
            serving.setdefault(s, []).append(c.number)
    return {s: cs[0] for s, cs in serving.items() if len(cs) == 1}


def floors(issued: list[Issued]) -> dict[str, float]:
    """Per single-counter service: the mean error floor over the tickets that were judged."""
    alone = only_counter()
    per: dict[str, list[float]] = {}
    for n, i in enumerate(issued):
        if i.service in alone and i.estimate_s is not None and i.actual_s is not None:
            per.setdefault(i.service, []).append(error_floor(i, alone[i.service], seed=n))
    return {s: sum(v) / len(v) for s, v in per.items()}


def table(title: str, issued: list[Issued]) -> bool:
    rows, floor = accuracy(issued), floors(issued)
    print(f"\n{title}")
    print(f"{'service':10} {'tickets':>7} {'mean wait':>10} {'MAE':>7} {'bias':>7} {'allowed':>8} "
          f"{'floor':>7}  goal")
    for a in rows.values():
        bound = f"{floor[a.service]:6.0f}s" if a.service in floor else "      -"
        verdict = "ok" if a.ok else "MISSED"
        if not a.ok and floor.get(a.service, 0.0) > a.allowed_s:
            verdict += " (floor above goal: unattainable)"
        print(f"{a.service:10} {a.tickets:7d} {a.mean_wait_s:9.0f}s {a.mean_abs_error_s:6.0f}s "
              f"{a.bias_s:+6.0f}s {a.allowed_s:7.0f}s {bound}  {verdict}")
    return all(a.ok for a in rows.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5, help="business days from Mon 9 Nov 2026")
    parser.add_argument("--scale", type=float, default=1.0, help="traffic multiplier")
    parser.add_argument("--seeds", type=int, default=1, help="independent runs pooled")
    args = parser.parse_args()
    started = time.perf_counter()
    ordinary: list[Issued] = []
    pension: list[Issued] = []
    for seed in range(args.seeds):
        o, p = run(args.days, args.scale, seed)
        ordinary += o
        pension += p
    ok = table("ordinary days", ordinary)
    if pension:
        ok &= table("pension day (13th, cash peak 3x)", pension)
    print(f"\n{len(ordinary) + len(pension)} tickets simulated in {time.perf_counter() - started:.1f} s;"
          f" goal {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
