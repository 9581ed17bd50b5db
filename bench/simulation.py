"""A branch day as a discrete-event simulation (SimPy) with the real :class:`QueueEngine` deciding
who is called.

Customers arrive on a realistic curve (opening rush, a lunch bump while tellers take turns at
lunch, the pension-day peak of three times the usual cash traffic); tellers call, serve, recall,
mark no-shows, transfer and collect ratings through the engine's own commands, in simulated time.
The estimate the engine gives each ticket when it is issued is recorded next to the wait the
customer then actually had: that is what ``bench/wait_accuracy.py`` and the tests measure. The
same runs, stored with the real :class:`~branchq.host.storage.Store`, are the generated history the
reports are tested on.
"""

from __future__ import annotations

import math
import random
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import simpy

from branchq.host.config import BranchConfig
from branchq.host.engine import Event, InvalidState, Priority, QueueEngine, Ticket
from branchq.host.engine.events import TICKET_CALLED, TICKET_ISSUED
from branchq.host.insight.estimate import estimate_range
from branchq.host.storage import Store

OPEN = time(9, 0)
CHECK = time(8, 50)  # the lobby manager's equipment check before opening
LAST_TICKET_S = 7.75 * 3600  # tickets until 16:45; counters serve everyone who has one
# Customers per hour choosing at the kiosk, from 09:00: opening rush, lunch bump, quiet close.
HOURLY = (62.0, 44.0, 40.0, 50.0, 36.0, 38.0, 42.0, 30.0)
MIX = {"cash": 0.42, "noncash": 0.33, "vip": 0.06, "wealth": 0.07, "atm_small": 0.12}
SERVICE_MEAN_S = {"cash": 200.0, "noncash": 330.0, "vip": 400.0, "wealth": 600.0}
SERVICE_CV = 0.5  # lognormal spread of service times
SERVICE_SIGMA = math.sqrt(math.log(1 + SERVICE_CV**2))  # of the log of a service time
# Tellers are not equally fast; the engine learns from what it sees, not from this table.
COUNTER_SPEED = {1: 0.9, 2: 1.15, 3: 1.0, 4: 1.1, 5: 1.0, 6: 1.0}
RECALL_AFTER_S = 20.0
NO_SHOW_AFTER_S = 25.0
COMES_BACK_AFTER_S = (120.0, 600.0)  # a no-show who returns does so uniformly in this window
GREEN_SERVICES = ("cash", "noncash")  # where seniors take the green channel
VIP_PRIORITY_SERVICE = "cash"  # where the manager issues tickets with VIP priority
TRANSFER_FROM, TRANSFER_TO = "noncash", "cash"  # a transferred customer's cash part: its mean time


@dataclass(frozen=True)
class DayProfile:
    """What kind of day it is: ``scale`` multiplies all traffic (small test days use < 1)."""

    scale: float = 1.0
    pension_day: bool = False
    green_share: float = 0.06
    vip_priority_share: float = 0.03  # cash tickets a manager issues with VIP priority
    no_show: float = 0.06
    comes_back: float = 0.25  # no-shows who return within the grace period and are reinstated
    transfer: float = 0.04  # non-cash customers who also need the cash counter
    rates: float = 0.6  # customers who press a rating key
    atm_fault: float = 0.15  # chance an ATM breaks during the day
    printer_warning: float = 0.1

    def rate(self, service: str, t_s: float) -> float:
        """Arrivals per second of ``service`` choices, ``t_s`` seconds after opening."""
        hour = min(int(t_s // 3600), len(HOURLY) - 1)
        per_hour = HOURLY[hour] * MIX[service] * self.scale
        if self.pension_day and service == "cash":
            per_hour *= 3.0 if t_s < 1.5 * 3600 else 1.3
        return per_hour / 3600

    def top_rate(self) -> float:
        """A bound on the summed arrival rate over the day, for thinning."""
        services = list(MIX)
        peak = max(self.rate(s, t) for s in services for t in (0, 3600 * 3))
        top = sum(max(self.rate(s, h * 3600) for h in range(len(HOURLY))) for s in services)
        return max(top, peak)

    def priority(self, service: str, draw: float) -> Priority:
        """The priority of a ticket of ``service`` from one uniform ``draw``."""
        if service in GREEN_SERVICES and draw < self.green_share:
            return Priority.GREEN
        if service == VIP_PRIORITY_SERVICE and draw < self.green_share + self.vip_priority_share:
            return Priority.VIP
        return Priority.NORMAL


def rota(config: BranchConfig) -> dict[int, list[tuple[float, float]]]:
    """The lunch rota the tellers keep: each counter's breaks of ``branch.toml`` (``breaks``),
    as (from, to) in seconds after opening. The branch's one source of it: the engine's wait
    estimate reads the same configuration."""
    opening = OPEN.hour * 3600 + OPEN.minute * 60

    def seconds(t: time) -> float:
        return t.hour * 3600 + t.minute * 60 + t.second - opening

    return {c.number: [(seconds(a), seconds(b)) for a, b in c.break_spans()]
            for c in config.counters}


def service_time(service: str, rng: random.Random) -> float:
    """One customer's business at an average teller: lognormal around the service's mean, CV
    SERVICE_CV (a teller takes COUNTER_SPEED times this)."""
    return SERVICE_MEAN_S[service] * rng.lognormvariate(-SERVICE_SIGMA**2 / 2, SERVICE_SIGMA)


def profile_for(day: date, scale: float = 1.0) -> DayProfile:
    """The 13th is pension day (docs/architecture.md §1); salary days at the start and end of the
    month are busier; weekends quieter."""
    factor = 0.6 if day.weekday() >= 5 else 1.0
    last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if day.day in (1, 2) or day == last:
        factor *= 1.4
    if day.day == 13:
        return DayProfile(scale=scale * factor, pension_day=True, green_share=0.2)
    return DayProfile(scale=scale * factor)


# Who a customer in the snapshot is, as far as the branch can tell (bench/oracle.py draws the rest).
UNKNOWN, PRESENT, TRANSFERRED, ABSENT = 0, 1, 2, 3
# The buckets of a service queue, in call order (host/engine/queues.py, docs/architecture.md §4).
BUCKET = {Priority.GREEN: 1, Priority.VIP: 2, Priority.NORMAL: 3}
FRONT = 0


@dataclass(frozen=True)
class Waiting:
    """A waiting ticket. Times are seconds from the snapshot (so ``since_s <= 0``)."""

    service: str
    bucket: int  # FRONT or a BUCKET value
    since_s: float  # when it started waiting (aging counts from here)
    front_s: float  # when it was put at the front (FRONT only)
    number: int
    who: int  # UNKNOWN (a no-show or not), PRESENT (came back), TRANSFERRED (the cash part)


@dataclass(frozen=True)
class Desk:
    """A counter: what it serves (in order of preference), its teller's speed and lunch."""

    number: int
    services: tuple[str, ...]
    vip: bool
    speed: float
    serving: str | None  # the service of its current customer
    elapsed_s: float  # how long it has served that customer
    who: int  # the current customer: UNKNOWN, PRESENT, TRANSFERRED or ABSENT (recalled)
    back_s: float | None  # paused for lunch: back this many seconds from now
    lunch_s: tuple[float, float] | None  # a lunch still to take: (from, to) from now


@dataclass(frozen=True)
class Snapshot:
    """The exact state of the branch when a ticket was issued: what an oracle may know."""

    clock_s: float  # seconds after opening
    target: Waiting  # the ticket issued (also in ``waiting``)
    waiting: tuple[Waiting, ...]
    desks: tuple[Desk, ...]
    gone: tuple[tuple[str, float], ...]  # today's no-shows who may come back: (service, seconds ago)
    atms_down: bool  # self-service choices then get a ticket of the fallback service
    fallback: str  # that service
    aging_limit_s: float
    profile: DayProfile


@dataclass(frozen=True)
class Issued:
    """One ticket as issued: the engine's estimate then, and when the customer was first called."""

    ticket_id: str
    service: str
    priority: Priority
    issued_at: datetime
    people_ahead: int
    estimate_s: int | None
    called_at: datetime | None = None
    # What the counters were doing then: (counter, service being served or None, seconds at it).
    counters: tuple[tuple[int, str | None, float], ...] = ()
    snapshot: Snapshot | None = None
    # The engine's 80% range at issue (host/insight/estimate.py), around ``estimate_s``.
    low_s: int | None = None
    high_s: int | None = None

    @property
    def actual_s(self) -> float | None:
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds()


@dataclass
class DayRun:
    day: date
    events: list[Event] = field(default_factory=list)
    issued: list[Issued] = field(default_factory=list)


@dataclass
class _Customer:
    service_s: float
    absent: bool
    transfer: bool
    rating: int | None


class _BranchDay:
    def __init__(self, engine: QueueEngine, day: date, profile: DayProfile, rng: random.Random,
                 id_prefix: str) -> None:
        self.engine = engine
        self.profile = profile
        self.rng = rng
        self.env = simpy.Environment()
        tz = engine.config.branch.tz
        self.opening = datetime.combine(day, OPEN, tzinfo=tz)
        self.run = DayRun(day)
        self.customers: dict[str, _Customer] = {}
        self.arrived = self.env.event()
        self.id_prefix = id_prefix
        self.issues_open = True
        self.serial = 0
        # The lunch rota as it stands: lunches still to take, and when a paused teller is back.
        self.rota = rota(engine.config)
        self.lunch_left: dict[int, list[tuple[float, float]]] = {}
        self.back_at: dict[int, float] = {}
        self.gone: dict[str, float] = {}  # no-shows of today who may still come back: when

    # ------------------------------------------------------------------ plumbing
    def now(self) -> datetime:
        return self.opening + timedelta(seconds=self.env.now)

    def do(self, method: str, *args: Any, actor: str) -> list[Event]:
        events: list[Event] = getattr(self.engine, method)(*args, self.now(), actor)
        self.run.events.extend(events)
        return events

    def _notify(self) -> None:
        ready, self.arrived = self.arrived, self.env.event()
        ready.succeed()

    # ------------------------------------------------------------------ customers
    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        services = list(MIX)
        top = self.profile.top_rate()
        while True:
            yield self.env.timeout(self.rng.expovariate(top))
            if self.env.now > LAST_TICKET_S:
                break
            rates = [self.profile.rate(s, self.env.now) for s in services]
            if self.rng.random() * top > sum(rates):
                continue  # thinning: a non-homogeneous Poisson process
            service = self.rng.choices(services, weights=rates)[0]
            self.issue(service)
        self.issues_open = False
        self._notify()

    def issue(self, service: str) -> None:
        priority = self.profile.priority(service, self.rng.random())
        channel = "kiosk"
        if priority is Priority.GREEN:
            channel = "manager" if self.rng.random() < 0.5 else "kiosk"
        elif priority is Priority.VIP or service == "vip":
            channel = "manager"
        self.serial += 1
        ticket_id = f"{self.id_prefix}{self.serial:05d}"
        events = self.engine.issue(ticket_id=ticket_id, service=service, at=self.now(),
                                   actor=f"{channel}:sim", priority=priority, channel=channel)
        self.run.events.extend(events)
        if events[-1].kind != TICKET_ISSUED:
            return  # guidance to the ATMs: no ticket
        ticket = self.engine.tickets[ticket_id]
        ahead = self.engine.people_ahead(ticket, self.now())
        told = estimate_range(self.engine, ticket.service, ahead)
        self.run.issued.append(Issued(ticket_id, ticket.service, priority, self.now(), ahead,
                                      None if told is None else told.estimate_s,
                                      counters=self._counters_now(),
                                      snapshot=self._snapshot(ticket),
                                      low_s=None if told is None else told.low_s,
                                      high_s=None if told is None else told.high_s))
        self.customers[ticket_id] = self._customer(ticket.service)
        self._notify()

    def _snapshot(self, target: Ticket) -> Snapshot:
        now, clock = self.now(), self.env.now
        engine = self.engine

        def waiting(t: Ticket) -> Waiting:
            since = ((t.queue_since or t.issued_at) - now).total_seconds()
            if t.front_since is None:
                return Waiting(t.service, BUCKET[t.priority], since, 0.0, t.number, UNKNOWN)
            who = TRANSFERRED if t.transferred_from else PRESENT
            return Waiting(t.service, FRONT, since, (t.front_since - now).total_seconds(),
                           t.number, who)

        desks = []
        for number, state in engine.counters.items():
            serving, elapsed, who = None, 0.0, UNKNOWN
            if state.current is not None:
                current = engine.tickets[state.current]
                serving = current.service
                elapsed = (now - (current.called_at or now)).total_seconds()
                # A reinstated customer keeps the recalls of the first call: present all the same.
                who = (TRANSFERRED if current.transferred_from
                       else PRESENT if current.no_show_at is not None
                       else ABSENT if current.recalls else UNKNOWN)
            lunch = self.lunch_left.get(number, [])
            desks.append(Desk(
                number, state.services, state.vip, COUNTER_SPEED.get(number, 1.0), serving,
                elapsed, who, self.back_at[number] - clock if state.paused else None,
                (lunch[0][0] - clock, lunch[0][1] - clock) if lunch else None))
        fallback = engine.services["atm_small"].fallback or ""
        return Snapshot(
            clock, waiting(target),
            tuple(waiting(t) for q in engine.queues.values() for t in q),
            tuple(desks), tuple((engine.tickets[i].service, clock - at) for i, at in self.gone.items()),
            not engine.self_service_available(), fallback,
            engine.aging_limit.total_seconds(), self.profile)

    def _counters_now(self) -> tuple[tuple[int, str | None, float], ...]:
        """What each counter serves now and for how long: the information an estimate has."""
        out: list[tuple[int, str | None, float]] = []
        for number, state in self.engine.counters.items():
            if state.current is None:
                out.append((number, None, 0.0))
                continue
            current = self.engine.tickets[state.current]
            elapsed = (self.now() - (current.called_at or self.now())).total_seconds()
            out.append((number, current.service, elapsed))
        return tuple(out)

    def _customer(self, service: str) -> _Customer:
        p, rng = self.profile, self.rng
        service_s = service_time(service, rng)
        rating = None
        if rng.random() < p.rates:
            rating = rng.choices((3, 2, 1), weights=(85, 12, 3))[0]
        return _Customer(service_s, rng.random() < p.no_show,
                         service == TRANSFER_FROM and rng.random() < p.transfer, rating)

    def comes_back(self, ticket_id: str) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.rng.uniform(*COMES_BACK_AFTER_S))
        self.customers[ticket_id].absent = False
        del self.gone[ticket_id]
        self.do("reinstate", ticket_id, actor="manager:lobby")
        self._notify()

    # ------------------------------------------------------------------ tellers
    def teller(self, counter: int) -> Generator[simpy.Event, Any, None]:
        names = (f"teller:c{counter}-am", f"teller:c{counter}-pm")
        lunch = self.lunch_left[counter] = list(self.rota[counter])
        state = self.engine.counters[counter]
        while True:
            actor = names[0] if self.env.now < 4.5 * 3600 else names[1]
            if lunch and lunch[0][0] <= self.env.now:
                start, end = lunch.pop(0)
                if state.current is not None:
                    self.do("done", counter, actor=actor)
                self.do("pause", counter, actor=actor)
                self.back_at[counter] = max(end, self.env.now)
                yield self.env.timeout(max(end - self.env.now, 0))
                self.do("resume", counter, actor=actor)
                continue
            events = self.do("call_next", counter, actor=actor)
            called = [e for e in events if e.kind == TICKET_CALLED]
            if not called:
                if not self.issues_open and not self._anyone_waiting(counter):
                    return
                yield self.arrived | self.env.timeout(60)
                continue
            yield from self.serve(counter, called[0].ticket_id or "", actor)

    def serve(self, counter: int, ticket_id: str, actor: str) -> Generator[simpy.Event, Any, None]:
        customer = self.customers[ticket_id]
        if customer.absent:
            yield self.env.timeout(RECALL_AFTER_S)
            self.do("recall", counter, actor=actor)
            yield self.env.timeout(NO_SHOW_AFTER_S)
            self.do("no_show", counter, actor=actor)
            self.gone[ticket_id] = self.env.now
            if self.rng.random() < self.profile.comes_back:
                self.env.process(self.comes_back(ticket_id))
            return
        speed = COUNTER_SPEED.get(counter, 1.0)
        service_s = customer.service_s * speed
        if self.engine.tickets[ticket_id].service != TRANSFER_FROM:
            customer.transfer = False
        yield self.env.timeout(service_s)
        if customer.transfer:
            customer.transfer = False
            customer.service_s = SERVICE_MEAN_S[TRANSFER_TO]
            self.do("transfer", counter, TRANSFER_TO, actor=actor)
            self._notify()
            return
        if customer.rating is not None:
            try:
                self.do("rate", counter, customer.rating, actor="keypad:sim")
            except InvalidState:
                pass  # a customer rates once, even when served twice (transfer)

    def _anyone_waiting(self, counter: int) -> bool:
        return any(self.engine.queues[s] for s in self.engine.counters[counter].services)

    # ------------------------------------------------------------------ equipment
    def run_day(self) -> DayRun:
        self._morning_check()
        for counter in self.engine.counters:
            self.env.process(self.teller(counter))
        self.env.process(self.arrivals())
        self.env.process(self.faults())
        self.env.run()
        for issued in self._with_calls():
            self.run.issued[issued[0]] = issued[1]
        return self.run

    def _morning_check(self) -> None:
        at = datetime.combine(self.opening.date(), CHECK, tzinfo=self.opening.tzinfo)
        for item in self.engine.equipment:
            events = self.engine.set_equipment(item, True, "morning check: ok", at, "manager:lobby")
            self.run.events.extend(events)
        events = self.engine.report_devices(
            "kiosk-1", [("printer", "ok", ""), ("screen", "ok", "")], at, "kiosk:kiosk-1")
        self.run.events.extend(events)

    def faults(self) -> Generator[simpy.Event, Any, None]:
        if self.rng.random() < self.profile.printer_warning:
            yield self.env.timeout(self.rng.uniform(1, 6) * 3600)
            self.do("report_devices", "kiosk-1", [("printer", "warning", "paper near end")],
                    actor="kiosk:kiosk-1")
            yield self.env.timeout(900)
            self.do("report_devices", "kiosk-1", [("printer", "ok", "")], actor="kiosk:kiosk-1")
        if self.rng.random() < self.profile.atm_fault and self.engine.equipment:
            atm = self.rng.choice(sorted(self.engine.equipment))
            yield self.env.timeout(self.rng.uniform(0.5, 5) * 3600)
            self.do("set_equipment", atm, False, "card reader jammed; repair requested",
                    actor="manager:lobby")
            yield self.env.timeout(self.rng.uniform(1, 2) * 3600)
            self.do("set_equipment", atm, True, "repaired", actor="technician:bank-it")

    def _with_calls(self) -> Iterator[tuple[int, Issued]]:
        first_call: dict[str, datetime] = {}
        for e in self.run.events:
            if e.kind == TICKET_CALLED and e.ticket_id and e.ticket_id not in first_call:
                first_call[e.ticket_id] = e.at
        for i, issued in enumerate(self.run.issued):
            called = first_call.get(issued.ticket_id)
            yield i, replace(issued, called_at=called)


def simulate_day(engine: QueueEngine, day: date, profile: DayProfile | None = None,
                 seed: int = 0) -> DayRun:
    """Run one business day through ``engine`` (which keeps its state: run several days in a row
    for a history). Ticket ids are unique per day and seed."""
    rng = random.Random(f"{day.isoformat()}:{seed}")
    prefix = f"sim{day:%Y%m%d}s{seed}-"
    return _BranchDay(engine, day, profile or profile_for(day), rng, prefix).run_day()


def simulate_mmc(arrivals_per_s: float, service_s: float, servers: int, horizon_s: float,
                 seed: int = 0) -> list[float]:
    """Waits of every customer of a plain M/M/c queue (Poisson arrivals, exponential service,
    first come first served), the model Erlang C describes, for checking it."""
    rng = random.Random(seed)
    env = simpy.Environment()
    counters = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def customer() -> Generator[simpy.Event, Any, None]:
        arrived = env.now
        with counters.request() as slot:
            yield slot
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / service_s))

    def source() -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(rng.expovariate(arrivals_per_s))
            env.process(customer())

    env.process(source())
    env.run(until=horizon_s)
    return waits


@dataclass(frozen=True)
class Accuracy:
    """How far the estimates at issue time were from the waits that followed, for one service."""

    service: str
    tickets: int
    mean_wait_s: float
    mean_abs_error_s: float
    bias_s: float  # mean of estimate - actual: positive means customers were told too long

    @property
    def allowed_s(self) -> float:
        """The goal: within 25% of the mean wait, or 60 s, whichever is larger."""
        return max(0.25 * self.mean_wait_s, 60.0)

    @property
    def ok(self) -> bool:
        return self.mean_abs_error_s <= self.allowed_s


def accuracy(issued: Iterable[Issued]) -> dict[str, Accuracy]:
    """Per service, over tickets that had an estimate and were called."""
    by_service: dict[str, list[tuple[float, float]]] = {}
    for i in issued:
        actual = i.actual_s
        if i.estimate_s is not None and actual is not None:
            by_service.setdefault(i.service, []).append((float(i.estimate_s), actual))
    out = {}
    for service, pairs in sorted(by_service.items()):
        n = len(pairs)
        out[service] = Accuracy(
            service, n, sum(a for _, a in pairs) / n,
            sum(abs(e - a) for e, a in pairs) / n, sum(e - a for e, a in pairs) / n,
        )
    return out


def error_floor(issued: Issued, counter: int, no_show: float = DayProfile.no_show,
                samples: int = 2000, seed: int = 0) -> float:
    """The smallest mean absolute error *any* estimate could have for a ticket of a service
    that only ``counter`` serves, from the spread of service times alone.

    Its wait is at least what is left of the current service plus the services of the
    ``people_ahead`` before it, each drawn as this simulation draws them (lognormal, CV 0.5, the
    counter's speed; a no-show costs the recall and the mark). The best single number for such a
    sum is its median; the floor is the mean distance from it. Whatever else delays the ticket
    (green tickets, aged ones) is independent of those durations and cannot make the error
    smaller, so no estimator beats this on average.
    """
    rng = random.Random(seed)
    serving = next((svc, elapsed) for c, svc, elapsed in issued.counters if c == counter)
    if serving[0] is None and issued.people_ahead == 0:
        return 0.0  # called at once: the estimate can be exact
    speed = COUNTER_SPEED.get(counter, 1.0)

    def duration(service: str) -> float:
        if rng.random() < no_show:
            return RECALL_AFTER_S + NO_SHOW_AFTER_S
        return service_time(service, rng) * speed

    def left_of_current() -> float:
        service, elapsed = serving
        if service is None:
            return 0.0
        for _ in range(1000):  # the current service, given that it has already run ``elapsed``
            d = duration(service)
            if d > elapsed:
                return d - elapsed
        return 0.0

    waits = sorted(left_of_current() + sum(duration(issued.service)
                                           for _ in range(issued.people_ahead))
                   for _ in range(samples))
    median = waits[len(waits) // 2]
    return sum(abs(w - median) for w in waits) / len(waits)


def record_days(store: Store, engine: QueueEngine, days: Iterable[date], scale: float = 1.0,
                seed: int = 0) -> list[DayRun]:
    """Simulate ``days`` in a row and store each day's events and tickets with the real store, as
    the host's writer does (one transaction per day): a generated history for reports."""
    runs = []
    for day in days:
        run = simulate_day(engine, day, profile_for(day, scale), seed)
        store_day(store, engine, run)
        runs.append(run)
    return runs


def store_day(store: Store, engine: QueueEngine, run: DayRun) -> None:
    """Store a simulated day's events and the tickets of ``engine`` after it, as the host's
    writer would have (one transaction)."""
    with store.write_transaction() as tx:
        rows = tx.prepare(run.events, engine.tickets)
        tx.append(rows)
    if rows.events:
        engine.seq = rows.events[-1].seq
