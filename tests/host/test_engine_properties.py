"""Property-based checks of the queue rules over random branch days (hypothesis)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchq.host.engine import EngineError, Priority, QueueEngine, TicketStatus
from branchq.host.insight.estimate import ProjectedWait
from tests.host.engine_helpers import Branch

SERVICES = ["cash", "noncash", "vip", "wealth", "atm_small"]
COUNTERS = [1, 2, 3, 4, 5, 6]

step = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(SERVICES), st.sampled_from(list(Priority))),
    st.tuples(st.just("call"), st.sampled_from(COUNTERS)),
    st.tuples(st.sampled_from(["recall", "no_show", "done", "pause", "resume"]),
              st.sampled_from(COUNTERS)),
    st.tuples(st.just("transfer"), st.sampled_from(COUNTERS), st.sampled_from(SERVICES[:4])),
    st.tuples(st.just("rate"), st.sampled_from(COUNTERS), st.integers(1, 3)),
    st.tuples(st.just("reinstate"), st.integers(0, 40)),
    st.tuples(st.just("void"), st.integers(0, 40)),
    st.tuples(st.just("atm"), st.sampled_from(["atm-1", "atm-2"]), st.booleans()),
    st.tuples(st.just("tick"), st.integers(1, 3 * 3600)),
    st.tuples(st.just("kiosk_issue"), st.sampled_from(SERVICES[:4])),
    st.tuples(st.just("printed"), st.integers(0, 40)),
    st.tuples(st.just("lease"), st.sampled_from(SERVICES[:4]), st.integers(1, 5)),
    st.tuples(st.just("offline"), st.sampled_from(SERVICES[:4]), st.integers(498, 520),
              st.integers(0, 600)),
)


def run(steps: list[tuple]) -> tuple[Branch, list[str]]:  # type: ignore[type-arg]
    b = Branch()
    issued: list[str] = []
    for op, *args in steps:
        try:
            if op == "issue":
                before = set(b.engine.tickets)
                b.issue(args[0], args[1])
                issued += [t for t in b.engine.tickets if t not in before]
            elif op == "call":
                b.call(args[0])
            elif op == "reinstate":
                if issued:
                    b.do(op, issued[args[0] % len(issued)])
            elif op == "void":
                if issued:
                    b._record(b.engine.void(issued[args[0] % len(issued)], b.now, "k", "test"))
            elif op == "atm":
                b.do("set_equipment", args[0], args[1], "")
            elif op == "tick":
                b.tick(args[0])
            elif op == "kiosk_issue":
                tid = f"k{len(b.log)}"
                b._record(b.engine.issue(ticket_id=tid, service=args[0], at=b.now, actor="k",
                                         await_print=True))
                issued.append(tid)
            elif op == "printed":
                if issued:
                    b.do("confirm_printed", issued[args[0] % len(issued)])
            elif op == "lease":
                b._record(b.engine.lease("e", args[0], args[1], b.now, "k"))
            elif op == "offline":
                tid = f"o{len(b.log)}"
                b._record(b.engine.accept_offline(
                    ticket_id=tid, kiosk="e", service=args[0], number=args[1],
                    priority=Priority.NORMAL, issued_at=b.now - timedelta(seconds=args[2]),
                    client_ref=f"e-{args[0]}-{args[1]}", at=b.now, actor="k"))
                issued.append(tid)
            else:
                b.do(op, *args)
        except EngineError:
            pass  # refused commands change nothing; that is part of what is checked
    return b, issued


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=120))
def test_no_duplicate_or_skipped_numbers_within_a_business_day(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    b, _ = run(steps)
    per_day: dict[str, list[int]] = {}
    day = ""
    for e in b.log:
        if e.kind == "day_opened":
            day = e.data["day"]
        if e.kind == "ticket_issued":
            per_day.setdefault(f"{day}/{e.data['service']}", []).append(e.data["number"])
    leased: dict[str, set[int]] = {}
    for numbers in per_day.values():
        assert len(numbers) == len(set(numbers))  # never the same number twice in a day
    for e in b.log:
        if e.kind == "numbers_leased":
            key = f"{e.data['day']}/{e.data['service']}"
            leased.setdefault(key, set()).update(range(e.data["first"], e.data["last"] + 1))
    for day_key, numbers in per_day.items():
        # online numbers run 1, 2, 3... with no gap except over numbers leased to a kiosk
        online = [n for n in numbers if n not in leased.get(day_key, set())]
        covered = set(online) | leased.get(day_key, set())
        if online:
            assert set(range(1, max(online) + 1)) <= covered
    labels = Counter((e.data["label"], d) for d, e in _with_day(b))
    assert all(n == 1 for n in labels.values())


def _with_day(b: Branch) -> list[tuple[str, object]]:
    out, day = [], ""
    for e in b.log:
        if e.kind == "day_opened":
            day = e.data["day"]
        elif e.kind == "ticket_issued":
            out.append((day, e))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=120))
def test_replaying_the_event_log_rebuilds_the_same_state(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    b, _ = run(steps)
    replayed = QueueEngine(b.engine.config, ProjectedWait())
    replayed.replay(b.log)
    assert replayed.tickets == b.engine.tickets
    assert replayed.counters == b.engine.counters
    assert replayed.equipment == b.engine.equipment
    assert {k: list(s.recent) for k, s in replayed.stats.items()} == {
        k: list(s.recent) for k, s in b.engine.stats.items()
    }


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Priority)), st.integers(0, 120)), max_size=60),
       st.integers(30, 400))
def test_green_is_always_called_before_normal_at_the_same_counter(
    arrivals: list[tuple[Priority, int]], interval: int
) -> None:
    """Within the aging limit, no normal ticket is called while a green one waits."""
    b = Branch()
    for priority, gap in arrivals:
        b.issue("cash", priority)
        b.tick(gap)
    while True:
        waiting = b.engine.waiting("cash")
        greens = [t for t in waiting if t.priority is Priority.GREEN]
        aged = [t for t in waiting if (b.now - t.issued_at).total_seconds() >= 1200]
        label = b.call(1)
        if label is None:
            break
        called = next(t for t in b.engine.tickets.values() if t.label == label)
        if greens and not aged:
            assert called.priority is Priority.GREEN
        b.tick(interval)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Priority)), st.integers(0, 90)),
                min_size=1, max_size=80),
       st.integers(60, 300))
def test_nobody_starves_when_priority_tickets_keep_coming(
    arrivals: list[tuple[Priority, int]], interval: int
) -> None:
    """Each ticket is called within the aging limit plus one call per ticket issued before it,
    however many green or VIP tickets arrive after it."""
    b = Branch()
    config = b.engine.config
    aging = config.branch.aging_limit_s
    pending = list(arrivals)
    next_call = b.now
    order: list[str] = []
    while pending or b.engine.waiting("cash"):
        if pending and (not b.engine.waiting("cash") or b.now < next_call):
            priority, gap = pending.pop(0)
            order.append(b.issue("cash", priority))
            b.tick(gap)
            continue
        b.now = max(b.now, next_call)
        b.call(5)  # the VIP counter: the hardest case for a normal ticket
        next_call = b.now + timedelta(seconds=interval)
    for position, ticket_id in enumerate(order):
        t = b.engine.tickets[ticket_id]
        assert t.status is not TicketStatus.WAITING
        assert t.called_at is not None
        waited = (t.called_at - t.issued_at).total_seconds()
        assert waited <= aging + (position + 1) * interval + 90 * (position + 1)


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=150))
def test_indexed_queues_agree_with_a_full_scan(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    """The fast path (bucket heads, binary search) gives the same answers as scanning every
    waiting ticket with the call-order key."""
    from branchq.host.engine.ordering import call_key

    b, _ = run(steps)
    engine = b.engine
    waiting = [t for t in engine.tickets.values() if t.status is TicketStatus.WAITING]
    assert sorted(t.id for s in engine.queues for t in engine.queues[s]) == sorted(
        t.id for t in waiting)
    for n, counter in engine.counters.items():
        mine = [t for t in waiting if t.service in counter.services]
        expected = min(mine, key=lambda t: call_key(t, counter, b.now, engine.aging_limit),
                       default=None)
        assert engine.next_for(n, b.now) is expected
    for t in waiting:
        view = next(c for c in engine.counters.values() if t.service in c.services)
        key = call_key(t, view, b.now, engine.aging_limit)
        brute = sum(1 for o in waiting if o.service == t.service
                    and call_key(o, view, b.now, engine.aging_limit) < key)
        assert engine.people_ahead(t, b.now) == brute


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=150))
def test_the_running_tally_equals_counting_todays_tickets(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    from branchq.host.insight.estimate import tally_rates, today_rates

    b, _ = run(steps)
    fast = tally_rates(b.engine.tally, b.now)
    slow = today_rates(b.engine.tickets.values(), b.now)
    assert fast.no_show_share == pytest.approx(slow.no_show_share)
    assert fast.green_per_s == pytest.approx(slow.green_per_s)
    # A no-show that came back and was served counts its first no-show, not a negative time.
    assert fast.no_show_cost_s >= 0
