"""Day and month reports from the event log, the single source of the branch's statistics.

The events of a period are read with SQLAlchemy Core and folded in one pass: a ticket's wait runs
from its issue to its first call (a customer called back after a no-show waited once), a service
time from a call to the ``done`` or transfer that ends it, credited to the counter and to the
teller who made the call. Percentiles are nearest-rank, so every figure is a wait that happened.

Appointments (:func:`appointment_summary`) are counted by their slot's day, from bookings made up
to the booking horizon before it: show rate, punctuality, and the waits of appointments (from the
later of check-in and slot start: an early customer waits for their slot by choice) against
walk-ins'.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import select

from branchq.host.config import BranchConfig
from branchq.host.engine import Event
from branchq.host.engine import events as ev
from branchq.host.engine.appointments import BOOKING_HORIZON
from branchq.host.storage import Store
from branchq.host.storage.tables import events as events_table

LONG_WAIT_S = 180  # docs/architecture.md §1: past three minutes, waiting feels twice as long
RATING_NAMES = {3: "satisfied", 2: "neutral", 1: "unsatisfied"}


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def load_events(store: Store, start: datetime, end: datetime) -> list[Event]:
    """Events of the store's branch with ``start <= at < end``, in log order."""
    query = (
        select(events_table)
        .where(events_table.c.branch == store.branch, events_table.c.at >= start,
               events_table.c.at < end)
        .order_by(events_table.c.seq)
    )
    with store.engine.connect() as conn:
        return [Event(r.kind, r.at, r.actor, r.ticket_id, r.counter, dict(r.data), int(r.seq))
                for r in conn.execute(query)]


def load_bookings(store: Store, start: datetime, end: datetime) -> list[Event]:
    """Bookings and cancellations that may concern slots in ``start..end``: made before ``end``,
    at most the booking horizon before ``start``."""
    kinds = (ev.APPOINTMENT_BOOKED, ev.APPOINTMENT_CANCELLED)
    query = (
        select(events_table)
        .where(events_table.c.branch == store.branch, events_table.c.kind.in_(kinds),
               events_table.c.at >= start - BOOKING_HORIZON, events_table.c.at < end)
        .order_by(events_table.c.seq)
    )
    with store.engine.connect() as conn:
        return [Event(r.kind, r.at, r.actor, r.ticket_id, r.counter, dict(r.data), int(r.seq))
                for r in conn.execute(query)]


# Punctuality bins: minutes from the slot's start to check-in (negative: early), upper bound.
PUNCTUALITY_BINS: list[tuple[str, float]] = [
    ("early_30_plus", -30), ("early_15_30", -15), ("early_5_15", -5), ("early_0_5", 0),
    ("late_0_5", 5), ("late_5_10", 10), ("late_10_plus", math.inf),
]


def appointment_summary(bookings: list[Event], events: list[Event], start: datetime,
                        end: datetime, grace_s: int, now: datetime) -> dict[str, Any]:
    """The appointments whose slot starts in ``start..end``: how many came (show rate: of
    those whose check-in closed by ``now``), how punctual they were, and how long appointments
    and walk-ins waited for their call in the period."""
    slots: dict[str, datetime] = {}
    for e in bookings:
        if e.kind == ev.APPOINTMENT_BOOKED:
            slot = datetime.fromisoformat(e.data["slot_start"])
            if start <= slot < end:
                slots[e.data["id"]] = slot
        elif e.kind == ev.APPOINTMENT_CANCELLED:
            slots.pop(e.data["id"], None)
    cancelled = sum(1 for e in bookings if e.kind == ev.APPOINTMENT_CANCELLED
                    and start <= datetime.fromisoformat(e.data["slot_start"]) < end)
    issued: dict[str, tuple[datetime, dict[str, Any]]] = {}
    waits: dict[str, list[float]] = {"appointments": [], "walk_ins": []}
    called: set[str] = set()
    checked_in: dict[str, tuple[str, str, float]] = {}  # ticket -> (appointment, arrival, minutes)
    for e in events:
        tid = e.ticket_id or ""
        if e.kind == ev.TICKET_ISSUED:
            at = datetime.fromisoformat(e.data["issued_at"]) if "issued_at" in e.data else e.at
            issued[tid] = (at, e.data)
        elif e.kind == ev.APPOINTMENT_CHECKED_IN and e.data["id"] in slots:
            at = issued[tid][0] if tid in issued else e.at
            checked_in[tid] = (e.data["id"], e.data["arrival"],
                               (at - slots[e.data["id"]]).total_seconds() / 60)
        elif e.kind == ev.TICKET_VOIDED:
            checked_in.pop(tid, None)  # its print failed: the appointment was booked again
        elif e.kind == ev.TICKET_CALLED and tid in issued and tid not in called:
            called.add(tid)
            at, data = issued[tid]
            if "slot_start" in data:
                since = max(at, datetime.fromisoformat(data["slot_start"]))
                waits["appointments"].append((e.at - since).total_seconds())
            elif data.get("channel") != "remote":
                waits["walk_ins"].append((e.at - at).total_seconds())
    came_in = {appointment for appointment, _, _ in checked_in.values()}
    arrivals = Counter(arrival for _, arrival, _ in checked_in.values())
    minutes = [m for _, _, m in checked_in.values()]
    closed = [a for a, slot in slots.items() if slot + timedelta(seconds=grace_s) <= now]
    missed = sum(1 for a in closed if a not in came_in)
    came = sum(1 for a in closed if a in came_in)
    bins = {name: 0 for name, _ in PUNCTUALITY_BINS}
    for m in minutes:
        bins[next(name for name, upper in PUNCTUALITY_BINS if m <= upper)] += 1
    return {
        "booked": len(slots),
        "cancelled": cancelled,
        "checked_in": len(came_in),
        "early": arrivals["early"], "on_time": arrivals["on_time"],
        "late_walk_in": arrivals["late_walk_in"],
        "missed": missed,
        "to_come": len(slots) - len(came_in) - missed,
        "show_rate": came / (came + missed) if came + missed else None,
        "punctuality": {
            "minutes_p10": _round(percentile(minutes, 10)),
            "minutes_p50": _round(percentile(minutes, 50)),
            "minutes_p90": _round(percentile(minutes, 90)),
            "bins": bins,
        },
        "waits": {group: _waits(values) for group, values in waits.items()},
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


@dataclass
class _Tally:
    """Running totals of a period, filled by :func:`fold`."""

    tz: tzinfo
    issued: Counter[str] = field(default_factory=Counter)
    by_hour: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    waits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    waits_by_hour: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    no_shows: Counter[str] = field(default_factory=Counter)
    served: Counter[str] = field(default_factory=Counter)
    transfers: Counter[str] = field(default_factory=Counter)
    green: Counter[str] = field(default_factory=Counter)
    vip: Counter[str] = field(default_factory=Counter)
    guidance: Counter[str] = field(default_factory=Counter)
    service_by_counter: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    service_by_teller: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ratings: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    ratings_by_counter: dict[int, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    equipment: list[Event] = field(default_factory=list)


def fold(events: list[Event], tz: tzinfo) -> _Tally:
    tally = _Tally(tz)
    issued: dict[str, tuple[str, datetime]] = {}
    calls: dict[str, tuple[int, str, datetime]] = {}  # ticket -> (counter, teller, called at)
    waited: set[str] = set()
    for e in events:
        tid = e.ticket_id or ""
        service = e.data.get("service", "")
        if e.kind == ev.TICKET_ISSUED:
            issued[tid] = (service, e.at)
            tally.issued[service] += 1
            tally.by_hour[e.at.astimezone(tz).hour][service] += 1
            if e.data.get("priority") == "green":
                tally.green[service] += 1
            elif e.data.get("priority") == "vip" or service == "vip":
                tally.vip[service] += 1
        elif e.kind == ev.GUIDANCE_GIVEN:
            tally.guidance[service] += 1
        elif e.kind == ev.TICKET_CALLED:
            calls[tid] = (e.counter or 0, e.actor, e.at)
            if tid in issued and tid not in waited:
                waited.add(tid)
                svc, at = issued[tid]
                wait = (e.at - at).total_seconds()
                tally.waits[svc].append(wait)
                tally.waits_by_hour[at.astimezone(tz).hour].append(wait)
        elif e.kind in (ev.TICKET_DONE, ev.TICKET_TRANSFERRED):
            if e.kind == ev.TICKET_TRANSFERRED:
                tally.transfers[service] += 1
            else:
                tally.served[service] += 1
            call = calls.pop(tid, None)
            if call is not None:
                seconds = (e.at - call[2]).total_seconds()
                tally.service_by_counter[call[0]].append(seconds)
                tally.service_by_teller[call[1]].append(seconds)
        elif e.kind == ev.TICKET_NO_SHOW:
            tally.no_shows[service] += 1
            calls.pop(tid, None)
        elif e.kind == ev.TICKET_RATED:
            tally.ratings[service][e.data["score"]] += 1
            tally.ratings_by_counter[e.counter or 0][e.data["score"]] += 1
        elif e.kind in (ev.EQUIPMENT_CHANGED, ev.DEVICE_STATUS):
            tally.equipment.append(e)
    return tally


def _waits(values: list[float]) -> dict[str, Any]:
    return {
        "waited": len(values),
        "wait_mean_s": round(sum(values) / len(values), 1) if values else None,
        "wait_max_s": max(values, default=None),
        "wait_p50_s": percentile(values, 50),
        "wait_p90_s": percentile(values, 90),
        "over_3min_share": (sum(v > LONG_WAIT_S for v in values) / len(values)) if values else None,
    }


def _satisfaction(counts: Counter[int]) -> dict[str, Any]:
    rated = sum(counts.values())
    out: dict[str, Any] = {name: counts.get(score, 0) for score, name in RATING_NAMES.items()}
    out["rated"] = rated
    out["satisfied_share"] = counts.get(3, 0) / rated if rated else None
    return out


def _service_times(values: dict[Any, list[float]]) -> dict[str, dict[str, Any]]:
    return {
        str(key): {"served": len(v), "mean_service_s": round(sum(v) / len(v), 1)}
        for key, v in sorted(values.items(), key=lambda kv: str(kv[0]))
    }


def summarize(tally: _Tally, config: BranchConfig) -> dict[str, Any]:
    """The report body shared by day and month reports (JSON-safe)."""
    services = [s.key for s in config.services if s.kind == "counter"]
    all_waits = [w for ws in tally.waits.values() for w in ws]
    by_service = {}
    for key in services:
        by_service[key] = {
            "issued": tally.issued.get(key, 0),
            **_waits(tally.waits.get(key, [])),
            "no_shows": tally.no_shows.get(key, 0),
            "served": tally.served.get(key, 0),
            "transfers_out": tally.transfers.get(key, 0),
            "green": tally.green.get(key, 0),
            "vip": tally.vip.get(key, 0),
            "satisfaction": _satisfaction(tally.ratings.get(key, Counter())),
        }
    ratings: Counter[int] = Counter()
    for counts in tally.ratings.values():
        ratings.update(counts)
    hours = []
    for hour in sorted(set(tally.by_hour) | set(tally.waits_by_hour)):
        hours.append({
            "hour": hour,
            "tickets": {k: tally.by_hour[hour].get(k, 0) for k in services},
            **_waits(tally.waits_by_hour.get(hour, [])),
        })
    counters = _service_times(tally.service_by_counter)
    for number, counts in tally.ratings_by_counter.items():
        counters.setdefault(str(number), {"served": 0, "mean_service_s": None})
        counters[str(number)]["satisfaction"] = _satisfaction(counts)
    return {
        "tickets": sum(tally.issued.values()),
        **_waits(all_waits),
        "no_shows": sum(tally.no_shows.values()),
        "served": sum(tally.served.values()),
        "transfers": sum(tally.transfers.values()),
        "green": sum(tally.green.values()),
        "vip": sum(tally.vip.values()),
        "self_service_guidance": sum(tally.guidance.values()),
        "satisfaction": _satisfaction(ratings),
        "services": by_service,
        "hours": hours,
        "counters": counters,
        "tellers": _service_times(tally.service_by_teller),
    }


def day_report(store: Store, config: BranchConfig, day: date,
               now: datetime | None = None) -> dict[str, Any]:
    """``now``: when the report is made (default: the wall clock), for the appointments whose
    check-in has closed."""
    tz = config.branch.tz
    start, end = day_bounds(day, tz)
    events = load_events(store, start, end)
    tally = fold(events, tz)
    appointments = appointment_summary(load_bookings(store, start, end), events, start, end,
                                       config.appointments.grace_late_s, now or datetime.now(tz))
    return {"branch": store.branch, "day": day.isoformat(), **summarize(tally, config),
            "appointments": appointments}


def month_report(store: Store, config: BranchConfig, month: date,
                 now: datetime | None = None) -> dict[str, Any]:
    """``month`` is any date in the month. Totals for the month and one summary row per day."""
    tz = config.branch.tz
    first = month.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    start, _ = day_bounds(first, tz)
    end, _ = day_bounds(after, tz)
    events = load_events(store, start, end)
    per_day: dict[date, list[Event]] = defaultdict(list)
    for e in events:
        per_day[e.at.astimezone(tz).date()].append(e)
    days = []
    for day in sorted(per_day):
        s = summarize(fold(per_day[day], tz), config)
        days.append({
            "day": day.isoformat(), "tickets": s["tickets"], "wait_p50_s": s["wait_p50_s"],
            "wait_p90_s": s["wait_p90_s"], "over_3min_share": s["over_3min_share"],
            "no_shows": s["no_shows"], "satisfied_share": s["satisfaction"]["satisfied_share"],
        })
    body = summarize(fold(events, tz), config)
    body["appointments"] = appointment_summary(load_bookings(store, start, end), events, start, end,
                                               config.appointments.grace_late_s,
                                               now or datetime.now(tz))
    return {"branch": store.branch, "month": first.strftime("%Y-%m"), **body, "days": days}


def day_csv(report: dict[str, Any]) -> str:
    """One row per service and hour (tickets, waits), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", "hour", "service", "tickets"])
    for row in report["hours"]:
        for service, n in row["tickets"].items():
            writer.writerow([report["day"], row["hour"], service, n])
    writer.writerow([])
    writer.writerow(["day", "service", "issued", "wait_p50_s", "wait_p90_s", "over_3min_share",
                     "no_shows", "transfers_out", "green", "vip", "satisfied", "neutral",
                     "unsatisfied"])
    for service, s in report["services"].items():
        sat = s["satisfaction"]
        writer.writerow([report["day"], service, s["issued"], _num(s["wait_p50_s"]),
                         _num(s["wait_p90_s"]), _num(s["over_3min_share"]), s["no_shows"],
                         s["transfers_out"], s["green"], s["vip"], sat["satisfied"],
                         sat["neutral"], sat["unsatisfied"]])
    writer.writerow([])
    writer.writerow(["day", "counter_or_teller", "served", "mean_service_s"])
    for group in ("counters", "tellers"):
        for name, row in report[group].items():
            writer.writerow([report["day"], name, row["served"], _num(row["mean_service_s"])])
    a = report["appointments"]
    writer.writerow([])
    writer.writerow(["day", "appointments_booked", "cancelled", "checked_in", "early", "on_time",
                     "late_walk_in", "missed", "show_rate", "punctuality_p50_min",
                     "appointment_wait_p50_s", "walk_in_wait_p50_s"])
    writer.writerow([report["day"], a["booked"], a["cancelled"], a["checked_in"], a["early"],
                     a["on_time"], a["late_walk_in"], a["missed"], _num(a["show_rate"]),
                     _num(a["punctuality"]["minutes_p50"]),
                     _num(a["waits"]["appointments"]["wait_p50_s"]),
                     _num(a["waits"]["walk_ins"]["wait_p50_s"])])
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")
