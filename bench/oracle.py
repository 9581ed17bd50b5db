"""The oracle: the best any wait estimate could do, from the exact state at issue time.

For a ticket of the simulated branch day (``bench/simulation.py``), :func:`forecast` draws many
futures of the branch from the :class:`~bench.simulation.Snapshot` taken when it was issued, with
the simulation's own generative model and parameters (imported, never copied): the rest of each
current service given how long it has run, the service times of everyone ahead (the teller's
speed included), who turns out to be gone (the recall and the mark), who of today's no-shows
comes back to the front, non-cash customers sent on to the cash counter, green-channel and VIP
tickets (and, for a shared counter, other services' tickets) arriving while it waits, tickets
reaching the aging limit, and counters pausing on the lunch rota. The calls follow the engine's
order (docs/architecture.md §4: front, green or aged, VIP at a VIP counter, then the counter's
services in order of preference, longest-waiting first).

The median of those futures' waits is the best single number to tell the customer (it minimises
the expected absolute error); its error against the wait that really followed is the *floor*
that ``bench/wait_accuracy.py`` judges the engine against, and the 10th to 90th percentile of the
futures is the narrowest honest 80% range.

It is a plain event loop over small lists, not SimPy: a few hundred futures per ticket for every
ticket of several simulated days must run in a minute or two of one core.

    .venv/bin/python bench/oracle.py   # the single-counter closed-form check, and the speed
"""

from __future__ import annotations

import heapq
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from statistics import NormalDist

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.simulation import (
    ABSENT,
    BUCKET,
    COMES_BACK_AFTER_S,
    FRONT,
    LAST_TICKET_S,
    MIX,
    NO_SHOW_AFTER_S,
    PRESENT,
    RECALL_AFTER_S,
    SERVICE_MEAN_S,
    SERVICE_SIGMA,
    TRANSFER_FROM,
    TRANSFER_TO,
    TRANSFERRED,
    UNKNOWN,
    DayProfile,
    Desk,
    Issued,
    Snapshot,
    Waiting,
    error_floor,
)
from branchq.host.engine import Priority

FUTURES = 200
NO_SHOW_COST_S = RECALL_AFTER_S + NO_SHOW_AFTER_S
_MU = -SERVICE_SIGMA**2 / 2  # the log-mean that makes a lognormal factor average 1
_NORMAL = NormalDist()
_FREE, _ARRIVAL, _BACK = 0, 1, 2  # event kinds
# A ticket in a future: (since_s, front_s, number, who, service).
_Ticket = tuple[float, float, int, int, str]


@dataclass(frozen=True)
class Forecast:
    """What the futures of one ticket say about its wait (seconds)."""

    median_s: float  # the best point estimate
    low_s: float  # 10th percentile
    high_s: float  # 90th percentile: [low, high] is the oracle's 80% range
    spread_s: float  # expected absolute error of the median: the ticket's share of the floor
    # The largest share of futures with one and the same wait: a counter free now (all of them
    # nothing), a teller back from lunch at a known time, a fixed-length transfer. Where it is
    # over a tenth, an 80% range may have to hold more than 80% of the waits.
    atom: float = 0.0

    @property
    def continuous(self) -> bool:
        """Whether an 80% range of this wait can hold just 80% of it (no value has 10%)."""
        return self.atom < 0.1


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values, interpolating between neighbours."""
    x = q * (len(ordered) - 1)
    i = int(x)
    if i + 1 >= len(ordered):
        return ordered[-1]
    return ordered[i] + (x - i) * (ordered[i + 1] - ordered[i])


def forecast(snap: Snapshot, futures: int = FUTURES, seed: int = 0) -> Forecast:
    """The wait of ``snap.target`` over ``futures`` independent futures."""
    waits = sorted(draw_waits(snap, futures, random.Random(seed)))
    median = waits[len(waits) // 2]
    return Forecast(median, quantile(waits, 0.1), quantile(waits, 0.9),
                    sum(abs(w - median) for w in waits) / len(waits), _atom(waits))


def _atom(ordered: Sequence[float]) -> float:
    """The largest share of ``ordered`` within half a second of one value."""
    most, run = 1, 1
    for a, b in zip(ordered, ordered[1:], strict=False):
        run = run + 1 if b - a < 0.5 else 1
        most = max(most, run)
    return most / len(ordered)


def draw_waits(snap: Snapshot, futures: int, rng: random.Random) -> list[float]:
    """Seconds from the snapshot until the target is first called, in each of ``futures``."""
    return [_Future(snap, rng).run() for _ in range(futures)]


def _relevant(snap: Snapshot) -> tuple[frozenset[str], frozenset[int]]:
    """The services and counters that can touch the target's wait: those linked to its service
    through shared counters. A wealth ticket never delays a cash one where no counter does both."""
    services = {snap.target.service}
    grown = True
    while grown:
        grown = False
        for d in snap.desks:
            if services.intersection(d.services) and not services.issuperset(d.services):
                services.update(d.services)
                grown = True
    desks = frozenset(i for i, d in enumerate(snap.desks) if services.intersection(d.services))
    return frozenset(services), desks


class _Future:
    """One future of the branch, played until the target is called."""

    def __init__(self, snap: Snapshot, rng: random.Random) -> None:
        self.snap, self.rng = snap, rng
        self.services, desks = _relevant(snap)
        self.desks = [d for i, d in enumerate(snap.desks) if i in desks]
        self.serves: dict[str, list[int]] = {s: [] for s in self.services}
        for i, d in enumerate(self.desks):
            for s in d.services:
                self.serves[s].append(i)
        # Per service: the four buckets (front, green, VIP, normal) in call order, with heads.
        self.buckets: dict[str, list[list[_Ticket]]] = {s: [[], [], [], []] for s in self.services}
        target = snap.target
        self.target: _Ticket | None = None
        for w in sorted(snap.waiting, key=lambda w: (w.front_s, w.since_s, w.number)):
            if w.service in self.services:
                t = (w.since_s, w.front_s, w.number, w.who, w.service)
                self.buckets[w.service][w.bucket].append(t)
                if w.number == target.number and w.service == target.service:
                    self.target = t
        if self.target is None:
            raise ValueError(f"the target {target} is not waiting in the snapshot")
        self.heads = {s: [0, 0, 0, 0] for s in self.services}
        self.events: list[tuple[float, int, int, int, int, _Ticket | None]] = []
        self.seq = 0
        self.token = [0] * len(self.desks)
        self.idle = [False] * len(self.desks)
        self.lunch = [d.lunch_s for d in self.desks]
        self.transfer: list[_Ticket | None] = [None] * len(self.desks)
        self.number = 1 << 30  # numbers of tickets issued in the future
        self.top = snap.profile.top_rate()
        self.kinds = list(MIX)

    # ------------------------------------------------------------------ plumbing
    def push(self, at: float, kind: int, i: int = 0, ticket: _Ticket | None = None) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, i, self.token[i], ticket))

    def wake(self, at: float, i: int) -> None:
        self.token[i] += 1
        self.idle[i] = False
        self.push(at, _FREE, i)

    def add(self, service: str, bucket: int, ticket: _Ticket, at: float) -> None:
        self.buckets[service][bucket].append(ticket)
        for i in self.serves[service]:
            if self.idle[i]:
                self.wake(at, i)

    # ------------------------------------------------------------------ the model
    def service_s(self, service: str, desk: Desk) -> float:
        return SERVICE_MEAN_S[service] * desk.speed * self.rng.lognormvariate(_MU, SERVICE_SIGMA)

    def rest_of(self, service: str, desk: Desk, elapsed: float) -> float:
        """What is left of a lognormal service that has already run ``elapsed``."""
        mean = SERVICE_MEAN_S[service] * desk.speed
        if elapsed <= 0:
            return self.service_s(service, desk)
        z0 = (math.log(elapsed / mean) - _MU) / SERVICE_SIGMA
        p0 = _NORMAL.cdf(z0)
        u = p0 + (1 - p0) * self.rng.random()
        z = _NORMAL.inv_cdf(min(max(u, 1e-12), 1 - 1e-12))
        return max(mean * math.exp(_MU + SERVICE_SIGMA * z) - elapsed, 0.0)

    def absent_now(self, service: str, desk: Desk, elapsed: float) -> bool:
        """Whether the customer a counter called ``elapsed`` ago (not recalled yet) is gone:
        Bayes on the chance of a no-show against the chance that a service runs this long."""
        if elapsed >= RECALL_AFTER_S:
            return False  # a gone customer is recalled after RECALL_AFTER_S
        p = self.snap.profile.no_show
        still = 1.0  # the chance that a service runs longer than ``elapsed``
        if elapsed > 0:
            mean = SERVICE_MEAN_S[service] * desk.speed
            still -= _NORMAL.cdf((math.log(elapsed / mean) - _MU) / SERVICE_SIGMA)
        return self.rng.random() * (p + (1 - p) * still) < p

    def gone_for_good(self, at: float, service: str, number: int) -> None:
        """A no-show at ``at``: perhaps back at the front later."""
        if self.rng.random() < self.snap.profile.comes_back:
            back = at + self.rng.uniform(*COMES_BACK_AFTER_S)
            self.push(back, _BACK, 0, (0.0, 0.0, number, PRESENT, service))

    def begin(self, i: int, at: float, ticket: _Ticket) -> float:
        """The counter ``i`` calls ``ticket`` at ``at``: when it is free again."""
        _since, _front, number, who, service = ticket
        desk = self.desks[i]
        if who == TRANSFERRED:
            return at + SERVICE_MEAN_S[TRANSFER_TO] * desk.speed
        if who == UNKNOWN and self.rng.random() < self.snap.profile.no_show:
            self.gone_for_good(at + NO_SHOW_COST_S, service, number)
            return at + NO_SHOW_COST_S
        done = at + self.service_s(service, desk)
        self.maybe_transfer(i, service, ticket)
        return done

    def maybe_transfer(self, i: int, service: str, ticket: _Ticket) -> None:
        if service == TRANSFER_FROM and self.rng.random() < self.snap.profile.transfer:
            self.transfer[i] = (ticket[0], 0.0, ticket[2], TRANSFERRED, TRANSFER_TO)

    def start(self) -> None:
        """Each counter's first event: free when its current customer leaves (or now)."""
        for i, d in enumerate(self.desks):
            if d.back_s is not None:
                self.push(d.back_s, _FREE, i)
            elif d.serving is None:
                self.push(0.0, _FREE, i)
            elif d.who == ABSENT or (d.who == UNKNOWN and self.absent_now(d.serving, d, d.elapsed_s)):
                left = max(NO_SHOW_COST_S - d.elapsed_s, 0.0)
                self.gone_for_good(left, d.serving, -i - 1)
                self.push(left, _FREE, i)
            elif d.who == TRANSFERRED:
                self.push(max(SERVICE_MEAN_S[TRANSFER_TO] * d.speed - d.elapsed_s, 0.0), _FREE, i)
            else:
                self.push(self.rest_of(d.serving, d, d.elapsed_s), _FREE, i)
                self.maybe_transfer(i, d.serving, (0.0, 0.0, -i - 1, PRESENT, d.serving))
        for service, ago in self.snap.gone:
            if service in self.services:
                self.maybe_back(service, ago)
        self.next_arrival(0.0)

    def maybe_back(self, service: str, ago: float) -> None:
        """A no-show of ``ago`` seconds who has not come back yet: the chance that they still
        will, and when (uniform over what is left of the window)."""
        lo, hi = COMES_BACK_AFTER_S
        p = self.snap.profile.comes_back
        later = p * min(max((hi - ago) / (hi - lo), 0.0), 1.0)
        if later <= 0 or self.rng.random() * (1 - p + later) >= later:
            return
        back = self.rng.uniform(max(lo, ago), hi) - ago
        self.number += 1
        self.push(back, _BACK, 0, (0.0, 0.0, -self.number, PRESENT, service))

    def next_arrival(self, at: float) -> None:
        """The next ticket anyone takes (a non-homogeneous Poisson process, by thinning)."""
        profile, rng = self.snap.profile, self.rng
        while True:
            at += rng.expovariate(self.top)
            clock = self.snap.clock_s + at
            if clock > LAST_TICKET_S:
                return
            rates = [profile.rate(s, clock) for s in self.kinds]
            if rng.random() * self.top <= sum(rates):
                break
        service = rng.choices(self.kinds, weights=rates)[0]
        self.push(at, _ARRIVAL, 0, (at, 0.0, 0, UNKNOWN, service))

    def arrive(self, at: float, service: str) -> None:
        snap = self.snap
        bucket = BUCKET[snap.profile.priority(service, self.rng.random())]
        if service not in SERVICE_MEAN_S:  # a self-service choice
            if not snap.atms_down:
                return
            service = snap.fallback
        if service not in self.services:
            return
        if service == snap.target.service and bucket >= snap.target.bucket:
            return  # newer than the target and no higher: called after it, wherever
        self.number += 1
        self.add(service, bucket, (at, 0.0, self.number, UNKNOWN, service), at)

    def pick(self, i: int, at: float) -> _Ticket | None:
        """The ticket counter ``i`` calls at ``at`` (host/engine/ordering.py), taken off its queue."""
        desk = self.desks[i]
        limit = self.snap.aging_limit_s
        best: tuple[int, int, float, int] | None = None
        where: tuple[str, int] = ("", 0)
        for pref, service in enumerate(desk.services):
            buckets, heads = self.buckets[service], self.heads[service]
            for b in range(4):
                if heads[b] >= len(buckets[b]):
                    continue
                since, front, number, _who, _s = buckets[b][heads[b]]
                if b == FRONT:
                    key = (0, 0, front, number)
                elif b == 1 or at - since >= limit:
                    key = (1, 0, since, number)
                elif b == 2 and desk.vip:
                    key = (2, 0, since, number)
                else:
                    key = (3, pref, since, number)
                if best is None or key < best:
                    best, where = key, (service, b)
        if best is None:
            return None
        service, b = where
        ticket = self.buckets[service][b][self.heads[service][b]]
        self.heads[service][b] += 1
        return ticket

    def run(self) -> float:
        self.start()
        events = self.events
        for _ in range(200_000):
            at, _seq, kind, i, token, ticket = heapq.heappop(events)
            if kind == _ARRIVAL:
                assert ticket is not None
                self.arrive(at, ticket[4])
                self.next_arrival(at)
                continue
            if kind == _BACK:
                assert ticket is not None
                self.add(ticket[4], FRONT, (ticket[0], at, ticket[2], PRESENT, ticket[4]), at)
                continue
            if token != self.token[i]:
                continue  # an idle counter's wake-up for lunch, overtaken by a customer
            moved = self.transfer[i]
            if moved is not None:
                self.transfer[i] = None
                if TRANSFER_TO in self.services:
                    self.add(TRANSFER_TO, FRONT, (moved[0], at, moved[2], TRANSFERRED, TRANSFER_TO), at)
            lunch = self.lunch[i]
            if lunch is not None and at >= lunch[0]:
                self.lunch[i] = None
                self.push(max(at, lunch[1]), _FREE, i)
                continue
            ticket = self.pick(i, at)
            if ticket is self.target:
                return at
            if ticket is None:
                self.idle[i] = True
                if lunch is not None:
                    self.push(lunch[0], _FREE, i)
                continue
            self.push(self.begin(i, at, ticket), _FREE, i)
        raise RuntimeError("a future ran 200000 events without calling the target")


def main() -> int:
    """The closed-form check of the oracle for one counter alone, and its speed."""
    desk = Desk(6, ("wealth",), False, 1.0, "wealth", 100.0, UNKNOWN, None, None)
    profile = replace(DayProfile(), comes_back=0.0)  # the closed form knows no returns
    print(f"{'ahead':>5} {'closed form':>12} {'oracle':>8} {'futures/s':>10}")
    for ahead in range(5):
        queue = tuple(Waiting("wealth", BUCKET[Priority.NORMAL], -60.0 * (ahead - n), 0.0, n,
                              UNKNOWN) for n in range(ahead + 1))
        snap = Snapshot(3600.0, queue[-1], queue, (desk,), (), False, "cash", 1200.0, profile)
        issued = Issued("t", "wealth", Priority.NORMAL, datetime.now(UTC), ahead, 0,
                        counters=((6, "wealth", 100.0),))
        started = time.perf_counter()
        oracle = forecast(snap, futures=4000, seed=ahead).spread_s
        rate = 4000 / (time.perf_counter() - started)
        closed = error_floor(issued, counter=6, samples=4000, seed=ahead)
        print(f"{ahead:5d} {closed:11.0f}s {oracle:7.0f}s {rate:10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
