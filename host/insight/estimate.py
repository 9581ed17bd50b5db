"""The wait estimate: play the counters forward from the state of the queues.

Dividing "people ahead x mean service time" by the number of counters goes wrong exactly where a
branch needs it right: a counter that serves several services gives its time to the one it
prefers (the VIP counter helps the cash queue only when no VIP waits), counters that are idle
call at once, the customers being served now free their counter sooner than a full service
time (how much sooner follows from how long they have been at the counter), a called customer
who has left costs only the recall and the no-show mark, and a ticket past the aging limit is
called before any priority. So each open counter is played forward: when it frees, it takes the
oldest aged ticket of its services, else the next ticket of the first service in its order of
preference that has one, until a counter reaches the ticket being estimated.

:class:`ProjectedWait` is the engine's estimator (:class:`branchq.host.engine.WaitEstimator`): it
reads the engine's queues and counters and hands plain values to the pure :func:`projected_wait`,
so the estimate stays deterministic and replayable. Validated in ``bench/wait_accuracy.py`` against the
simulated branch day of ``bench/simulation.py``.

Besides the point, the projection carries how uncertain each counter's free time has become (the
variance of the rest of its current service plus that of each service it is projected to give,
from the spread of the recent durations and today's no-show share), and gives an 80% range
(:class:`WaitRange`, docs/insight.md "Ranges"):

- on a short queue (fewer than SHORT_RANK tickets per counter sharing it) the wait is the time
  until the counters have been free so many times; each free time is a lognormal of its projected
  mean and variance, and the wait's distribution is that of the order statistic
  (:func:`_order_range`): the point is its mean, the range its 10th to 90th percentile. The
  earliest of three busy counters frees well before the earliest *expected* one;
- on a longer queue the call time's variance is the sharing counters' summed variance over their
  number squared (for one counter: its own; for c alike counters a c-th of one path, as for
  superposed renewal processes), green tickets that may yet overtake add a Poisson term, and the
  range is a lognormal's with the projected mean and that variance.

Either range is then stretched WIDEN times (what the model does not see), never shrunk to look
precise. A short queue's range costs 0.2-0.7 ms, a long one's stays at the projection's cost.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Protocol, overload, runtime_checkable

from branchq.host.engine.model import Priority, Ticket, TicketStatus
from branchq.host.engine.tally import DayTally
from branchq.host.insight.history import NO_HISTORY, BranchHistory, Served, learn

if TYPE_CHECKING:
    from branchq.host.engine import QueueEngine

# Before any no-show has been timed today: the recall and the no-show mark take about this long.
DEFAULT_NO_SHOW_COST_S = 45.0
GREEN_WINDOW = timedelta(minutes=30)
ARRIVAL_WINDOW = timedelta(minutes=30)
# The 80% range: a lognormal's 10th and 90th percentiles lie this many sigmas from its log-median.
Z80 = 1.2815515655446004
# The model's 80% range is too sure of itself: it does not see the uncertainty of its mean
# service times, nor any ticket that arrives later yet goes first (VIP and other services'
# tickets at a shared counter, no-shows who come back, tellers leaving for lunch). Stretching
# the range's distance from the point (in proportion) this many times brings its coverage to
# 75-80% on ordinary days of the simulated branch (bench/wait_accuracy.py, seeds 0-1 of its 10
# days: 1.0 covers 55-65%, 1.5 covers 78-81% at up to 1.3x the oracle's width, 1.3 under 75%;
# docs/insight.md, "Ranges").
WIDEN = 1.4
# Before a service has two timed durations, its spread is taken as an exponential's (CV 1):
# wide, as an estimate from nothing should be.
UNKNOWN_CV = 1.0
# A queue this short per counter sharing it is told from the order statistics of the counters'
# free times (_order_range), read off a curve of this many points; a longer one is a sum of many
# services, near enough to a lognormal of its mean and variance.
SHORT_RANK = 2
GRID = 24
# From this many services finished today, an estimate goes by all of today's (ProjectedWait._learned).
TODAY_ENOUGH = 20
# The past business days (host/insight/history.py) count as this many of today's services in a
# service's mean, and their no-show share as this many of today's calls.
HISTORY_WEIGHT = 100
NO_SHOW_PRIOR = 50
# Beyond this many projected calls the rest is extrapolated at the projected pace, so a hall of a
# thousand waiting costs the same as one of sixty (about 0.3 ms per estimate).
MAX_STEPS = 60
PACE_FRESH = timedelta(seconds=1)  # how long a Pace may be reused


@dataclass(frozen=True)
class CounterView:
    """A counter open now or back from its break later: its services in order of preference,
    what it serves now and for how long, and its next rota break as (from, to) seconds from now
    (from 0: due now or under way). Free at or after ``from``, it takes no one and is free
    again at ``to``."""

    services: tuple[str, ...]
    serving: str | None = None
    elapsed_s: float = 0.0
    away: tuple[float, float] | None = None
    speed: float = 1.0  # its services take this many times an average counter's


def next_break(breaks: Sequence[tuple[float, float]], clock_s: float,
               paused: bool) -> tuple[float, float] | None:
    """A counter's next rota break as :attr:`CounterView.away`, from its breaks (seconds after
    the branch's midnight, in order) and the time of day ``clock_s``. A paused counter is back
    at the end of the break it is on (None: paused outside the rota, closed for as long as
    anyone can tell). Not paused, it keeps the break under way or the next one today (the rota
    is taken as kept: a teller who works through it is counted away until its end)."""
    for start, end in breaks:
        if end > clock_s and (not paused or start <= clock_s):
            return max(start - clock_s, 0.0), end - clock_s
    return None


@dataclass(frozen=True)
class TodayRates:
    """From today's tickets: the share of called customers who were gone (per service), what a
    no-show cost, and how fast green-channel tickets arrived lately (per service, per second):
    those go ahead of a waiting ticket until it reaches the aging limit."""

    no_show_share: Mapping[str, float]
    no_show_cost_s: float
    green_per_s: Mapping[str, float]
    # Tickets of each service issued per second lately, whatever their priority: at a counter
    # shared with the target's service, those of the services it prefers are called first.
    arrival_per_s: Mapping[str, float] = field(default_factory=dict)


def today_rates(tickets: Iterable[Ticket], now: datetime | None) -> TodayRates:
    called: dict[str, int] = {}
    gone: dict[str, int] = {}
    green: dict[str, int] = {}
    costs: list[float] = []
    for t in tickets:
        if t.priority is Priority.GREEN and now and now - t.issued_at <= GREEN_WINDOW:
            green[t.service] = green.get(t.service, 0) + 1
        if t.called_at is None:
            continue
        called[t.service] = called.get(t.service, 0) + 1
        if t.no_show_at is not None:
            gone[t.service] = gone.get(t.service, 0) + 1
            costs.append(max((t.no_show_at - t.called_at).total_seconds(), 0.0))
    window = GREEN_WINDOW.total_seconds()
    return TodayRates(
        {s: gone.get(s, 0) / n for s, n in called.items()},
        sum(costs) / len(costs) if costs else DEFAULT_NO_SHOW_COST_S,
        {s: n / window for s, n in green.items()},
    )


def tally_rates(tally: DayTally, now: datetime | None,
                past: Mapping[str, tuple[int, int]] | None = None) -> TodayRates:
    """:func:`today_rates` from the engine's running tally (no scan of today's tickets). Each
    service's no-show share is today's, with the past days' share (``past``: service -> (gone,
    called)) counting as NO_SHOW_PRIOR calls: the first calls of a day say little."""
    costs = tally.no_show_cost.values()
    green = tally.green_since(now - GREEN_WINDOW) if now else {}
    window = GREEN_WINDOW.total_seconds()
    share: dict[str, float] = {}
    for s in {*tally.called, *(past or {})}:
        gone, called = tally.gone.get(s, 0), tally.called.get(s, 0)
        before_gone, before = (past or {}).get(s, (0, 0))
        weight = NO_SHOW_PRIOR if before else 0.0
        if called + weight:
            share[s] = (gone + weight * before_gone / max(before, 1)) / (called + weight)
    return TodayRates(
        share,
        sum(costs) / len(costs) if costs else DEFAULT_NO_SHOW_COST_S,
        {s: n / window for s, n in green.items()},
    )


@dataclass(frozen=True)
class WaitRange:
    """An estimate and its 80% range, in whole seconds (``low_s <= estimate_s <= high_s``)."""

    estimate_s: int
    low_s: int
    high_s: int


def wait_range(mean_s: float, variance: float) -> WaitRange:
    """The point ``mean_s`` and the 10th-90th percentiles of a lognormal with that mean and
    variance (waits are positive and skewed to the right: a long service can only lengthen one),
    widened as :func:`_told` does."""
    if mean_s <= 0:
        return WaitRange(0, 0, 0)
    sigma = math.sqrt(math.log1p(max(variance, 0.0) / mean_s**2))
    mu = math.log(mean_s) - sigma**2 / 2
    return _told(mean_s, math.exp(mu - Z80 * sigma), math.exp(mu + Z80 * sigma))


def _told(point_s: float, low_s: float, high_s: float) -> WaitRange:
    """The range the customer is told: the model's 10th-90th percentiles, their distance from
    the point stretched WIDEN times in proportion (for what the model leaves out), in whole
    seconds around the point."""
    point = math.ceil(point_s)
    if point_s <= 0:
        return WaitRange(0, 0, 0)
    low = point_s * (low_s / point_s) ** WIDEN if low_s > 0 else 0.0
    high = point_s * (high_s / point_s) ** WIDEN
    return WaitRange(point, min(math.floor(low), point), max(math.ceil(high), point))


class Durations:
    """A service's durations, sorted, with running sums: how many ran longer than some time,
    by how much on average and how spread, in O(log n) (a day's hundreds are read at every
    estimate, for every busy counter)."""

    def __init__(self, durations: Iterable[float]) -> None:
        self.ordered = sorted(durations)
        self._sums = list(accumulate(self.ordered, initial=0.0))
        self._squares = list(accumulate((d * d for d in self.ordered), initial=0.0))

    def __len__(self) -> int:
        return len(self.ordered)

    @property
    def mean(self) -> float:
        return self._sums[-1] / len(self.ordered)

    def longer_than(self, elapsed_s: float) -> tuple[int, float, float]:
        """How many ran longer than ``elapsed_s``, the mean of what they ran beyond it, and its
        sample variance (0 with fewer than two)."""
        i = bisect_right(self.ordered, elapsed_s)
        n = len(self.ordered) - i
        if n == 0:
            return 0, 0.0, 0.0
        total, squares = self._sums[-1] - self._sums[i], self._squares[-1] - self._squares[i]
        variance = max(squares - total * total / n, 0.0) / (n - 1) if n > 1 else 0.0
        return n, total / n - elapsed_s, variance


NO_DURATIONS = Durations(())


def spread(durations: Durations, mean_s: float) -> float:
    """Variance of a service's duration from its recent durations (UNKNOWN_CV before two)."""
    if len(durations) < 2:
        return (UNKNOWN_CV * mean_s) ** 2
    return durations.longer_than(-math.inf)[2]


def residual(durations: Durations, mean_s: float, elapsed_s: float) -> tuple[float, float]:
    """Expected time left of a service that has run ``elapsed_s``, and its variance: from the
    overshoot of the recent durations that were longer (a tenth of the mean when it already ran
    longer than all; with fewer than two longer ones, as uncertain as an unknown service)."""
    n, left, variance = (durations if len(durations) else Durations((mean_s,))).longer_than(elapsed_s)
    if not n:
        left = 0.1 * mean_s
    if n < 2:
        return left, (UNKNOWN_CV * left) ** 2
    return left, variance


class AgingTimes(Sequence[float]):
    """Seconds from ``now`` until each of ``tickets`` (oldest first) reaches the aging limit,
    worked out only for the tickets a projection reaches (usually a few of each queue)."""

    def __init__(self, tickets: Sequence[Ticket], now: datetime | None, limit_s: float) -> None:
        self._tickets, self._now, self._limit_s = tickets, now, limit_s

    def __len__(self) -> int:
        return len(self._tickets)

    @overload
    def __getitem__(self, i: int) -> float: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[float]: ...

    def __getitem__(self, i: int | slice) -> float | Sequence[float]:
        if type(i) is slice:
            return [self[j] for j in range(*i.indices(len(self)))]
        if self._now is None:
            return self._limit_s
        t = self._tickets[i]
        return self._limit_s - (self._now - (t.queue_since or t.issued_at)).total_seconds()


@dataclass(frozen=True)
class QueueView:
    """The waiting tickets of one service, oldest first, as the seconds from now until each
    reaches the aging limit (zero or less: already aged, called before any priority).
    ``aging_in_s`` may hold only the oldest tickets; ``count`` is then the whole queue."""

    aging_in_s: Sequence[float]
    count: int | None = None

    @property
    def size(self) -> int:
        return len(self.aging_in_s) if self.count is None else self.count


@dataclass(frozen=True)
class Pace:
    """What a projection learned when it played MAX_STEPS calls without emptying the target's
    queue: how fast that queue moves. For the same branch with a longer target queue the
    projection would make exactly the same calls, so the wait is ``seconds_per_call x (ahead +
    1)`` for any ``ahead >= min_ahead``, while the queues it emptied (``emptied``: service ->
    size) keep their size. The engine keeps one per service while only tickets are issued."""

    seconds_per_call: float
    min_ahead: int
    emptied: Mapping[str, int]
    variance_per_s: float = 0.0  # the call time's variance grows with it, one service at a time

    def wait(self, ahead: int, green_per_s: float, my_aging_s: float) -> tuple[float, float]:
        """The wait and its variance."""
        def project(a: int) -> tuple[float, float]:
            wait = self.seconds_per_call * (a + 1)
            return wait, self.variance_per_s * wait
        return _with_overtaking(project, ahead, green_per_s, my_aging_s)


def _with_overtaking(project: Callable[[int], tuple[float, float]], ahead: int,
                     green_per_s: float, my_aging_s: float) -> tuple[float, float]:
    """Green tickets issued while this one waits (and has not aged) are called before it. Their
    number is Poisson: each one more or less moves the call by about one call's time."""
    first, variance = project(ahead)
    expected = green_per_s * min(first, max(my_aging_s, 0.0))
    overtaking = round(expected)
    if not overtaking:
        return first, variance
    wait, variance = project(ahead + overtaking)
    per_call = wait / (ahead + overtaking + 1)
    return wait, variance + expected * per_call**2


@runtime_checkable
class RangeEstimator(Protocol):
    """An engine's estimator that also gives the 80% range (as :class:`ProjectedWait` does)."""

    def range(self, engine: QueueEngine, service: str, ahead: int,
              since: datetime | None) -> WaitRange | None: ...


def estimate_range(engine: QueueEngine, service: str, ahead: int,
                   since: datetime | None = None) -> WaitRange | None:
    """The engine's estimate (:meth:`QueueEngine.estimate_wait`) with its 80% range. An
    estimator that gives no range yields the point alone (a range of nothing)."""
    estimator = engine.estimator
    if isinstance(estimator, RangeEstimator):
        return estimator.range(engine, service, ahead, since)
    point = engine.estimate_wait(service, ahead, since)
    return None if point is None else WaitRange(point, point, point)


class ProjectedWait:
    """The engine's wait estimator: the open counters played forward (:func:`projected_wait`)
    from the engine's state.

    It goes by what the branch's past business days taught (``history``, handed in by the
    host's service, which reads it from the store: host/insight/history.py) together with
    today's tickets. It keeps, per service, the :class:`Pace` its last projection found, for the
    engine it was asked about (asked about another engine, it forgets them): on a long queue
    the next estimate is then one multiplication instead of a projection (see
    :meth:`_fresh_pace`)."""

    def __init__(self, history: BranchHistory = NO_HISTORY) -> None:
        self._engine: QueueEngine | None = None
        self._paces: dict[str, tuple[int, datetime, Pace]] = {}  # service -> (shape, found at, Pace)
        self._learnt: tuple[tuple[int, int, int | None], _Learned] | None = None
        self._breaks: dict[int, list[tuple[float, float]]] = {}  # counter -> rota breaks
        self.learn(history)

    def learn(self, history: BranchHistory) -> None:
        """Go by ``history`` from now on (a new business day began: it holds yesterday too)."""
        self.history = history
        self._past = {s: Durations(d) for s, d in history.durations.items()}
        self._paces, self._learnt = {}, None

    def wait(self, engine: QueueEngine, service: str, ahead: int,
             since: datetime | None) -> int | None:
        found = self.range(engine, service, ahead, since)
        return None if found is None else found.estimate_s

    def range(self, engine: QueueEngine, service: str, ahead: int,
              since: datetime | None) -> WaitRange | None:
        """:meth:`wait` with its 80% range."""
        if engine is not self._engine:
            self._engine, self._paces, self._learnt = engine, {}, None
            self._breaks = {c.number: [(_seconds(a), _seconds(b)) for a, b in c.break_spans()]
                            for c in engine.config.counters}
        now = engine.known_now()
        limit = engine.aging_limit.total_seconds()
        my_aging = limit if since is None or now is None else limit - (now - since).total_seconds()
        rates = tally_rates(engine.tally, now, self.history.no_show)
        learned = self._learned(engine, now)
        if now is not None:
            rates = replace(rates, arrival_per_s=self._arrivals(engine, now))
        pace = self._fresh_pace(engine, service, ahead, now)
        if pace is not None:
            return wait_range(*pace.wait(ahead, rates.green_per_s.get(service, 0.0), my_aging))
        counters = []
        clock_s = _clock_s(now, engine) if now is not None else None
        for c in engine.counters.values():
            away = (next_break(self._breaks[c.number], clock_s, c.paused)
                    if clock_s is not None else None)
            if c.paused and away is None:
                continue  # paused, and not on a break of the rota: closed
            counters.append(CounterView(
                c.services,
                engine.tickets[c.current].service if c.current else None,
                (now - (engine.tickets[c.current].called_at or now)).total_seconds()
                if c.current and now else 0.0,
                away,
                learned.factor.get(c.number, 1.0),
            ))
        # The projection looks at most MAX_STEPS tickets into each queue: only that many oldest
        # are read, from the already ordered buckets, and each only when the projection gets there.
        queues = {key: QueueView(AgingTimes(q.oldest_first(MAX_STEPS), now, limit), count=len(q))
                  for key, q in engine.queues.items()}
        projected = projected_wait(service, ahead, queues, counters, learned.mean,
                                   learned.durations, rates, limit, my_aging_s=my_aging)
        if projected is None:
            return None
        told, found = projected
        if found is not None and now is not None:
            self._paces[service] = (engine.shape, now, found)
        return told

    def _learned(self, engine: QueueEngine, now: datetime | None) -> _Learned:
        """Per service, the mean and the durations an estimate goes by, and per counter how
        slow it is (docs/insight.md, "Learning the branch").

        A counter's factor comes from the past days (from today's services while there are
        none). A service's mean at an average counter is today's (each duration divided by its
        counter's factor), with the past days' mean for this hour counting as HISTORY_WEIGHT
        services; without past days, today's once there are TODAY_ENOUGH, else the engine's
        recent ones. Its spread is read from today's durations once there are TODAY_ENOUGH,
        else from the past days', else the recent ones. Twenty durations leave their mean
        uncertain by a tenth (CV 0.5), which on a queue of fifty moves the estimate by minutes.
        Today's come from the engine's tickets, so a restart that replays the day learns the
        same; worked out again only when something other than a new ticket happened."""
        hour = now.astimezone(engine.tz).hour if now is not None else None
        key = (id(engine.tickets), engine.shape, hour)
        if self._learnt is not None and self._learnt[0] == key:
            return self._learnt[1]
        done = [(t.service, t.counter, (t.finished_at - t.called_at).total_seconds())
                for t in engine.tickets.values()
                if t.status is TicketStatus.DONE and t.called_at is not None
                and t.finished_at is not None and t.service in engine.stats]
        history = self.history
        factor = dict(history.counter_factor)
        if not factor and done:  # no past days yet: today's own counters' pace
            factor = dict(learn(Served(s, c, 0, d) for s, c, d in done).counter_factor)
        today: dict[str, list[float]] = {s: [] for s in engine.stats}
        for service, counter, duration in done:
            today[service].append(duration / factor.get(counter or 0, 1.0))
        mean: dict[str, float] = {}
        durations: dict[str, Durations] = {}
        for s, mine in today.items():
            past = history.mean_s(s, hour)
            recent = engine.stats[s].recent
            if past is not None:
                mean[s] = (sum(mine) + HISTORY_WEIGHT * past) / (len(mine) + HISTORY_WEIGHT)
            elif len(mine) >= TODAY_ENOUGH:
                mean[s] = sum(mine) / len(mine)
            else:
                mean[s] = sum(recent) / len(recent) if recent else engine.mean_service_time(s)
            before = self._past.get(s, NO_DURATIONS)
            durations[s] = (Durations(mine) if len(mine) >= TODAY_ENOUGH
                            else before if len(before) >= TODAY_ENOUGH else Durations(recent))
        learned = _Learned(mean, durations, factor)
        self._learnt = (key, learned)
        return learned

    def _arrivals(self, engine: QueueEngine, now: datetime) -> dict[str, float]:
        """Tickets per second of each service: today's of the last ARRIVAL_WINDOW, with the
        past days' rate for this hour counting as as long again (a pension day's rush shows
        in today's, a quiet half hour does not empty the hall of VIPs to come)."""
        since = now - ARRIVAL_WINDOW
        counts: dict[str, int] = {}
        for t in reversed(engine.tickets.values()):  # in issue order, the newest last
            if t.issued_at < since:
                break
            counts[t.service] = counts.get(t.service, 0) + 1
        window = ARRIVAL_WINDOW.total_seconds()
        hour = now.astimezone(engine.tz).hour
        past = self.history.arrivals_per_h
        out = {}
        for s in engine.stats:
            before = past.get((s, hour))
            if before is None:
                out[s] = counts.get(s, 0) / window
            else:
                out[s] = (counts.get(s, 0) + before / 3600 * window) / (2 * window)
        return out

    def _fresh_pace(self, engine: QueueEngine, service: str, ahead: int,
                    now: datetime | None) -> Pace | None:
        """The :class:`Pace` of ``service`` if nothing but new tickets happened in ``engine``
        since it was found, less than PACE_FRESH ago: then a long queue's estimate is one
        multiplication instead of a projection (on a busy day the one for every ticket issued).
        Within that second the counters' elapsed service times it assumed go stale, by less
        than the estimate's own rounding."""
        memo = self._paces.get(service)
        if memo is None or now is None:
            return None
        shape, found_at, pace = memo
        if (shape != engine.shape or now - found_at >= PACE_FRESH or ahead < pace.min_ahead
                or any(len(engine.queues[s]) != n for s, n in pace.emptied.items())):
            return None
        return pace


def _seconds(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second


def _clock_s(now: datetime, engine: QueueEngine) -> float:
    """Seconds after midnight in the branch's time zone (the rota's clock)."""
    return _seconds(now.astimezone(engine.tz).time()) + now.microsecond / 1e6


def projected_wait(
    target: str,
    ahead: int,
    queues: Mapping[str, QueueView],
    counters: Sequence[CounterView],
    service_s: Mapping[str, float],
    recent: Mapping[str, Durations],
    rates: TodayRates,
    aging_limit_s: float,
    my_aging_s: float | None = None,
) -> tuple[WaitRange, Pace | None] | None:
    """Seconds until the ticket of ``target`` with ``ahead`` tickets before it is called, with
    its 80% range, and the :class:`Pace` found on the way when the target's queue is long; None
    when no open counter serves ``target``.

    Other services' queues count because they compete for shared counters; ``service_s`` is
    the recent mean service time per service and ``recent`` the durations it comes from.
    ``my_aging_s``: when the ticket itself reaches the aging limit (default: read from its place
    in the queue, or a full limit for a ticket not yet issued).
    """
    if not any(target in c.services for c in counters):
        return None
    mine = queues[target].aging_in_s if target in queues else ()
    if my_aging_s is None:
        my_aging_s = mine[ahead] if ahead < len(mine) else aging_limit_s
    branch = _Branch(queues, counters, service_s, recent, rates, aging_limit_s, my_aging_s)

    calls: list[_Call] = []

    def project(a: int) -> tuple[float, float]:
        call = _project(target, a, branch)
        calls.append(call)
        return call.wait_s, call.variance

    wait, variance = _with_overtaking(project, ahead, rates.green_per_s.get(target, 0.0),
                                      my_aging_s)
    shape = calls[-1].shape
    if len(calls) == 1 and shape is not None:  # a short queue that no green ticket overtakes
        return shape, calls[0].pace
    return wait_range(wait, variance), calls[0].pace


@dataclass(frozen=True)
class _Learned:
    """What an estimate goes by: per service the mean duration at an average counter and the
    durations its spread is read from, per counter its factor (host/insight/history.py)."""

    mean: dict[str, float]
    durations: dict[str, Durations]
    factor: dict[int, float]


@dataclass(frozen=True)
class _Branch:
    """Everything a projection reads besides the ticket being estimated."""

    queues: Mapping[str, QueueView]
    counters: Sequence[CounterView]
    service_s: Mapping[str, float]
    recent: Mapping[str, Durations]
    rates: TodayRates
    aging_limit_s: float
    my_aging: float


@dataclass(frozen=True)
class _Call:
    """Where a projection found the ticket called: the mean and variance of the call time, the
    Pace on a long queue, and on a short one the range from the order statistics."""

    wait_s: float
    variance: float
    pace: Pace | None = None
    shape: WaitRange | None = None


def _project(target: str, ahead: int, branch: _Branch) -> _Call:
    """Play the open counters forward until one calls the ticket being estimated (or, past
    MAX_STEPS calls, extrapolate at the pace so far).

    The hot loop of every ticket issue: plain locals and per-service dictionaries, no closures.
    """
    rates, limit, my_aging = branch.rates, branch.aging_limit_s, branch.my_aging
    counters = branch.counters
    # Per counter speed (usually a few distinct ones): what a ticket of each service costs
    # there, and the variance of that (a no-show or a service: a mixture).
    by_speed: dict[float, tuple[dict[str, float], dict[str, float]]] = {}
    for speed in {c.speed for c in counters}:
        cost: dict[str, float] = {}
        cost_var: dict[str, float] = {}
        for s, base in branch.service_s.items():
            gone = rates.no_show_share.get(s, 0.0)
            mean = base * speed
            cost[s] = (1 - gone) * mean + gone * rates.no_show_cost_s
            second = ((1 - gone) * (spread(branch.recent.get(s, NO_DURATIONS), base) * speed**2
                                    + mean**2)
                      + gone * rates.no_show_cost_s**2)
            cost_var[s] = max(second - cost[s] ** 2, 0.0)
        by_speed[speed] = cost, cost_var
    costs = [by_speed[c.speed] for c in counters]
    remaining = {s: q.size for s, q in branch.queues.items()}
    remaining[target] = ahead
    ages = {s: q.aging_in_s for s, q in branch.queues.items()}
    known = {s: len(a) for s, a in ages.items()}
    taken = dict.fromkeys(remaining, 0)
    # When the next ticket of each service reaches the aging limit (aged tickets go first).
    head = {s: ages[s][0] if known.get(s) else limit for s in remaining}

    starts = [_frees_in(c, branch) for c in counters]
    var = [v for _, v in starts]  # of each counter's free time, as it is played forward
    sharing = [i for i, c in enumerate(counters) if target in c.services]
    # The free times (mean, variance) each counter serving the target is projected to have.
    paths: dict[int, list[tuple[float, float]]] = {i: [starts[i]] for i in sharing}

    def call_variance() -> float:
        return sum(var[j] for j in sharing) / len(sharing) ** 2

    away = [c.away for c in counters]
    # Later tickets of the other services, one every 1/rate seconds: a shared counter calls
    # those it prefers before the target's; a counter with nothing to do waits for the next.
    arrivals = {s: r for s, r in rates.arrival_per_s.items() if s != target and r > 0
                and s in remaining}
    arrived = dict.fromkeys(arrivals, 0)
    size = dict(remaining)  # the queues now: a service's later tickets are taken after them
    for s in arrivals:
        if not size[s]:
            head[s] = _later_aging(0, arrivals[s], limit)
    free = [(at, i) for i, (at, _) in enumerate(starts)]
    heapq.heapify(free)
    steps = 0
    target_calls = 0
    while free:
        at, i = heapq.heappop(free)
        rota = away[i]
        if rota is not None and at >= rota[0]:  # its teller's break: back at its end
            back = max(at, rota[1])
            away[i] = None
            if back > at:
                var[i] = 0.0  # back at a known time
            if i in paths:
                paths[i][-1] = (back, var[i])  # that free time was not one for a customer
            heapq.heappush(free, (back, i))
            continue
        for s, rate in arrivals.items():
            due = int(rate * at + 1e-9)  # one due at ``at`` exactly has come
            if due > arrived[s]:
                remaining[s] += due - arrived[s]
                arrived[s] = due
        choice = _pick(counters[i].services, remaining, head, at, target, my_aging)
        if choice == "":
            before = sum(1 for j in sharing for m, _ in paths[j] if (m, j) < (at, i))
            shape = None
            if before < SHORT_RANK * len(sharing):
                shape = _order_range([paths[j] for j in sharing], before + 1,
                                     [(costs[j][0][target], costs[j][1][target])
                                      for j in sharing])
            return _Call(at, call_variance(), None, shape)
        if choice is None:  # nothing this counter takes now, and it does not serve the target
            later = [(arrived[s] + 1) / arrivals[s] for s in counters[i].services if s in arrivals]
            if later:
                heapq.heappush(free, (max(min(later), at), i))
            continue
        remaining[choice] -= 1
        n = taken[choice] = taken[choice] + 1
        head[choice] = (ages[choice][n] if n < known.get(choice, 0)
                        else _later_aging(n - size[choice], arrivals.get(choice), limit))
        if choice == target:
            target_calls += 1
        steps += 1
        cost, cost_var = costs[i]
        var[i] += cost_var[choice]
        if i in paths:
            paths[i].append((at + cost[choice], var[i]))
        if steps >= MAX_STEPS and target_calls:
            per_s = call_variance() / at if at > 0 else 0.0
            pace = None
            if remaining[target] > 0:
                emptied = {s: branch.queues[s].size if s in branch.queues else 0
                           for s, left in remaining.items() if left == 0}
                pace = Pace(at / target_calls, ahead, emptied, per_s)
            wait = at + (remaining[target] + 1) * at / target_calls
            return _Call(wait, per_s * wait, pace)
        heapq.heappush(free, (at + cost[choice], i))
    raise AssertionError("a counter serving the target always reaches it")


def _later_aging(later: int, rate: float | None, limit: float) -> float:
    """When the ``later``-th ticket issued from now on (0: the first; below 0: one waiting
    now whose age was not read) reaches the aging limit, at one every 1/``rate`` seconds."""
    if later < 0 or not rate:
        return limit
    return limit + (later + 1) / rate


def _lognormal_cdf(mean: float, variance: float) -> Callable[[float], float]:
    """P(X <= t) for a lognormal X of that mean and variance (a step at the mean without one)."""
    if variance <= 0 or mean <= 0:
        return lambda t: 1.0 if t >= mean else 0.0
    sigma = math.sqrt(math.log1p(variance / mean**2))
    mu = math.log(mean) - sigma**2 / 2
    scale = 1 / (sigma * math.sqrt(2))
    return lambda t: 0.5 * (1 + math.erf((math.log(t) - mu) * scale)) if t > 0 else 0.0


def _order_range(paths: Sequence[Sequence[tuple[float, float]]], rank: int,
                 steps: Sequence[tuple[float, float]]) -> WaitRange:
    """The wait until the ``rank``-th time one of the counters sharing the queue is free.

    Counter j is free for the n-th time at ``paths[j][n]`` (mean, variance: a lognormal), or,
    past its projected path, one ``steps[j]`` (a service there) later each time. The projection
    alone takes the first counter to free as the one whose *expected* free time is earliest;
    but the earliest of three uncertain free times comes well before the earliest expected one,
    which is what a customer next in line waits for. So: P(wait <= t) = P(at least ``rank``
    free events by t), counted per counter and added up across them, on a grid; the range is
    read off that curve.
    """
    cdfs: list[list[Callable[[float], float]]] = []
    top = 0.0
    ahead: list[tuple[float, float]] = []
    for path, step in zip(paths, steps, strict=True):
        events = list(path[:rank])
        while len(events) < rank:
            m, v = events[-1]
            events.append((m + step[0], v + step[1]))
        ahead += events
        cdfs.append([_lognormal_cdf(m, v) for m, v in events])
        m, v = events[-1]
        top = max(top, m + 4 * math.sqrt(v))
    if all(v <= 0 for _, v in ahead):  # nothing uncertain (idle counters): no curve to read
        at = sorted(m for m, _ in ahead)[rank - 1]
        return _told(at, at, at)
    grid = [top * k / (GRID - 1) for k in range(GRID)]
    curve = []
    for t in grid:
        counts = [1.0] + [0.0] * rank  # P(so many free events by t), capped at rank
        for counter in cdfs:
            at_least = [1.0] + [f(t) for f in counter]  # P(N_j(t) >= n), n = 0..rank
            mine = [at_least[n] - (at_least[n + 1] if n < rank else 0.0) for n in range(rank + 1)]
            merged = [0.0] * (rank + 1)
            for a, pa in enumerate(counts):
                if pa:
                    for b, pb in enumerate(mine):
                        merged[min(a + b, rank)] += pa * pb
            counts = merged
        curve.append(counts[rank])

    def quantile(q: float) -> float:
        if curve[0] >= q:
            return grid[0]  # a counter free now (or about to be, whatever happens)
        for k in range(1, GRID):
            if curve[k] >= q:
                lo, hi = curve[k - 1], curve[k]
                return grid[k - 1] + (grid[k] - grid[k - 1]) * ((q - lo) / (hi - lo) if hi > lo else 1.0)
        return grid[-1]

    # The point is the curve's mean, as for a long queue: told waits that do not lean either way.
    mean = sum((1 - (curve[k] + curve[k + 1]) / 2) * (grid[k + 1] - grid[k])
               for k in range(GRID - 1))
    return _told(mean, quantile(0.1), quantile(0.9))


def _frees_in(counter: CounterView, branch: _Branch) -> tuple[float, float]:
    """Seconds until ``counter`` is free, and the variance of that: now when idle (or serving a
    service without a mean)."""
    serving = counter.serving
    if serving is None or serving not in branch.service_s:
        return 0.0, 0.0
    f = counter.speed  # its durations are an average counter's, f times as long
    left, variance = residual(branch.recent.get(serving, NO_DURATIONS), branch.service_s[serving],
                              counter.elapsed_s / f)
    return left * f, variance * f * f


def _pick(services: Sequence[str], remaining: Mapping[str, int], head: Mapping[str, float],
          at: float, target: str, my_aging: float) -> str | None:
    """What a counter that frees at ``at`` takes: "" for the ticket being estimated, a service
    for the next ticket of that service, None for nothing. Aged tickets first (oldest first),
    then the counter's services in order of preference (docs/architecture.md §4)."""
    best: tuple[float, str] | None = None
    first: str | None = None
    for service in services:
        if remaining.get(service, 0) > 0:
            aging = head[service]
            if aging <= at and (best is None or (aging, service) < best):
                best = (aging, service)
            if first is None:
                first = service
        elif service == target and first is None:
            first = ""
    if target in services and remaining.get(target, 0) == 0 and my_aging <= at and (
            best is None or (my_aging, "") < best):
        return ""
    if best is not None:
        return best[1]
    return first
