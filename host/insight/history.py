"""What the branch's last business days teach the wait estimate (docs/insight.md, "Learning the
branch").

Per service, how long a service takes at an average counter, in each hour of the day; per
counter, how much slower or faster than that its tellers work (a factor, pooled over the
services it gives, so that a counter that serves a service rarely is still known); per
service, the share of called customers who were gone, and how many tickets an hour brings.
All of it comes from the stored tickets of the last HISTORY_DAYS business days before today
(``tickets``: service, counter, when issued, called and finished, how it ended), read when the
host starts and again when a new business day begins. Nothing else is stored: the ticket rows
are the record, so a restart learns exactly what it knew, and a repaired log (``branchq maint
db repair``) is learned as it now stands.

:func:`learn` is pure (the tests feed it plain rows); :func:`load_history` is the one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sqlalchemy import select

from branchq.host.storage import Store
from branchq.host.storage.tables import tickets

HISTORY_DAYS = 20  # business days learned from
# Shrinkage: an hour's mean counts as this many services of the whole day's mean, a counter's
# factor as this many services at the branch's pace (1.0), so thin data moves them little.
HOUR_PRIOR = 100
COUNTER_PRIOR = 30


@dataclass(frozen=True)
class Served:
    """One finished service of a past day: at which counter, in which hour (branch time), how
    long it took."""

    service: str
    counter: int | None
    hour: int
    duration_s: float


@dataclass(frozen=True)
class BranchHistory:
    """What the past days say. ``durations``: per service, every duration of those days at an
    average counter (each divided by its counter's factor); ``hour_mean``: per (service, hour)
    that mean, shrunk towards the service's; ``counter_factor``: per counter, its durations
    over the branch's for the same services; ``no_show``: per service, (gone, called);
    ``arrivals_per_h``: per (service, hour), the tickets issued in that hour on an average day."""

    days: tuple[date, ...] = ()
    durations: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    hour_mean: Mapping[tuple[str, int], float] = field(default_factory=dict)
    counter_factor: Mapping[int, float] = field(default_factory=dict)
    no_show: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    arrivals_per_h: Mapping[tuple[str, int], float] = field(default_factory=dict)

    def mean_s(self, service: str, hour: int | None) -> float | None:
        """The mean duration of ``service`` at an average counter in ``hour`` (None: unknown)."""
        if hour is not None and (service, hour) in self.hour_mean:
            return self.hour_mean[(service, hour)]
        known = self.durations.get(service)
        return sum(known) / len(known) if known else None

    def factor(self, counter: int) -> float:
        return self.counter_factor.get(counter, 1.0)


NO_HISTORY = BranchHistory()


def learn(served: Iterable[Served], no_show: Mapping[str, tuple[int, int]] | None = None,
          days: tuple[date, ...] = (),
          arrivals_per_h: Mapping[tuple[str, int], float] | None = None) -> BranchHistory:
    """The history of these services: the counters' factors first (each duration over its
    service's mean), then the durations at an average counter and the hours' means."""
    rows = [s for s in served if s.duration_s > 0]
    by_service: dict[str, list[float]] = {}
    for s in rows:
        by_service.setdefault(s.service, []).append(s.duration_s)
    raw_mean = {k: sum(v) / len(v) for k, v in by_service.items()}
    ratios: dict[int, list[float]] = {}
    for s in rows:
        if s.counter is not None:
            ratios.setdefault(s.counter, []).append(s.duration_s / raw_mean[s.service])
    factor = {c: (sum(r) + COUNTER_PRIOR) / (len(r) + COUNTER_PRIOR) for c, r in ratios.items()}
    normal: dict[str, list[float]] = {}
    hours: dict[tuple[str, int], list[float]] = {}
    for s in rows:
        d = s.duration_s / factor.get(s.counter, 1.0) if s.counter is not None else s.duration_s
        normal.setdefault(s.service, []).append(d)
        hours.setdefault((s.service, s.hour), []).append(d)
    mean = {k: sum(v) / len(v) for k, v in normal.items()}
    hour_mean = {(k, h): (sum(v) + HOUR_PRIOR * mean[k]) / (len(v) + HOUR_PRIOR)
                 for (k, h), v in hours.items()}
    return BranchHistory(days, {k: tuple(v) for k, v in normal.items()}, hour_mean, factor,
                         dict(no_show or {}), dict(arrivals_per_h or {}))


def load_history(store: Store, tz: tzinfo, today: date, days: int = HISTORY_DAYS) -> BranchHistory:
    """The history of the last ``days`` business days before ``today`` from the stored tickets
    (blocking: the host's start-up and its writer thread, once a day)."""
    with store.engine.connect() as conn:
        past = [d for (d,) in conn.execute(
            select(tickets.c.business_day).distinct()
            .where(tickets.c.branch == store.branch, tickets.c.business_day < today)
            .order_by(tickets.c.business_day.desc()).limit(days))]
        if not past:
            return NO_HISTORY
        found = conn.execute(
            select(tickets.c.service, tickets.c.counter, tickets.c.status, tickets.c.issued_at,
                   tickets.c.called_at, tickets.c.finished_at)
            .where(tickets.c.branch == store.branch, tickets.c.business_day >= min(past),
                   tickets.c.business_day < today)).all()
    served: list[Served] = []
    called: dict[str, list[int]] = {}
    issued: dict[tuple[str, int], int] = {}
    for service, counter, status, issued_at, called_at, finished_at in found:
        if status != "voided":
            hour = (service, _hour(issued_at, tz))
            issued[hour] = issued.get(hour, 0) + 1
        if called_at is None:
            continue
        tally = called.setdefault(service, [0, 0])
        tally[1] += 1
        if status == "no_show":
            tally[0] += 1
        elif status == "done" and finished_at is not None:
            served.append(Served(service, counter, _hour(called_at, tz),
                                 (finished_at - called_at).total_seconds()))
    return learn(served, {k: (gone, n) for k, (gone, n) in called.items()},
                 tuple(sorted(past)), {k: n / len(past) for k, n in issued.items()})


def _hour(at: datetime, tz: tzinfo) -> int:
    return at.astimezone(tz).hour
