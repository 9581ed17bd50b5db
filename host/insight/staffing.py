"""Staffing advice: how many counters each service needs so few customers wait past 3 minutes.

The arrival rate is the larger of what the last half hour shows and what history predicts for
the coming hour (the same weekday in recent weeks, and the same day of the month in recent
months: pension and salary days come back on their date). Taking the larger lets the manager
open a window before the hall fills, not after. Counters needed follow from Erlang C.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from branchq.host.config import BranchConfig
from branchq.host.engine import QueueEngine
from branchq.host.engine.events import TICKET_ISSUED
from branchq.host.insight.erlang import p_wait_over, p_wait_over_fractional
from branchq.host.storage import Store
from branchq.host.storage.tables import events as events_table

THRESHOLD_S = 180.0
TARGET = 0.2  # share of customers allowed to wait longer than the threshold
RECENT = timedelta(minutes=30)
HISTORY_WEEKS = 4
HISTORY_MONTHS = 3
MAX_COUNTERS = 20


@dataclass(frozen=True)
class Advice:
    service: str
    name_zh: str
    name_en: str
    arrivals_per_h: float
    recent_per_h: float
    history_per_h: float | None
    mean_service_s: float
    counters_open: float
    p_over_now: float
    p_over_one_more: float
    counters_needed: int
    open_more: int
    message: str
    # Idle counters that could take this queue as a second service (窗口调整), when more are needed.
    idle_counters: list[int]


def _same_hour_windows(now: datetime, config: BranchConfig) -> list[tuple[datetime, datetime]]:
    """The coming hour on the same weekday of past weeks and the same date of past months."""
    tz = config.branch.tz
    local = now.astimezone(tz)
    starts = [local - timedelta(weeks=w) for w in range(1, HISTORY_WEEKS + 1)]
    for m in range(1, HISTORY_MONTHS + 1):
        year, month = divmod(local.month - 1 - m, 12)
        try:
            starts.append(local.replace(year=local.year + year, month=month + 1))
        except ValueError:
            continue  # no 31st that month
    return [(s, s + timedelta(hours=1)) for s in starts]


def history_rates(store: Store, config: BranchConfig, now: datetime) -> dict[str, float]:
    """Tickets per hour expected in the coming hour, per service, averaged over the past windows
    that had any traffic at all (a closed day says nothing about demand)."""
    counts: Counter[str] = Counter()
    windows_with_data = 0
    with store.engine.connect() as conn:
        for start, end in _same_hour_windows(now, config):
            rows = conn.execute(
                select(events_table.c.data).where(
                    events_table.c.branch == store.branch, events_table.c.kind == TICKET_ISSUED,
                    events_table.c.at >= start, events_table.c.at < end)
            ).all()
            if rows:
                windows_with_data += 1
                counts.update(r.data["service"] for r in rows)
    if not windows_with_data:
        return {}
    return {service: n / windows_with_data for service, n in counts.items()}


def advise(engine: QueueEngine, now: datetime, history: Mapping[str, float],
           target: float = TARGET, threshold_s: float = THRESHOLD_S) -> list[Advice]:
    """Advice per counter service from the engine's state (call under the service's read lock)."""
    recent: Counter[str] = Counter(
        t.service for t in engine.tickets.values() if timedelta(0) <= now - t.issued_at <= RECENT
    )
    out = []
    for svc in engine.config.services:
        if svc.kind != "counter":
            continue
        recent_h = recent.get(svc.key, 0) * timedelta(hours=1) / RECENT
        hist_h = history.get(svc.key)
        per_h = max(recent_h, hist_h or 0.0)
        lam = per_h / 3600
        mean_s = engine.mean_service_time(svc.key)
        open_now = engine.open_counters(svc.key)
        needed = next((n for n in range(1, MAX_COUNTERS + 1)
                       if p_wait_over(lam, mean_s, n, threshold_s) <= target), MAX_COUNTERS)
        more = max(math.ceil(needed - open_now), 0)
        out.append(Advice(
            service=svc.key, name_zh=svc.name_zh, name_en=svc.name_en,
            arrivals_per_h=round(per_h, 1), recent_per_h=round(recent_h, 1),
            history_per_h=None if hist_h is None else round(hist_h, 1),
            mean_service_s=round(mean_s, 1), counters_open=open_now,
            p_over_now=round(p_wait_over_fractional(lam, mean_s, open_now, threshold_s), 3),
            p_over_one_more=round(p_wait_over_fractional(lam, mean_s, open_now + 1, threshold_s), 3),
            counters_needed=needed, open_more=more,
            message=_message(svc.name_en, more, target, threshold_s),
            idle_counters=engine.second_service_candidates(svc.key) if more else [],
        ))
    return out


def _message(name: str, more: int, target: float, threshold_s: float) -> str:
    minutes = f"{threshold_s / 60:g} min"
    if more == 0:
        return f"Enough {name} counters open: under {target:.0%} wait over {minutes}"
    counters = "one more counter" if more == 1 else f"{more} more counters"
    return f"Open {counters} for {name} to keep waits over {minutes} under {target:.0%}"
