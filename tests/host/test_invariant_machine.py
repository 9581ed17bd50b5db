"""The invariant of the writer: after every batch, memory equals a replay of the database.

A hypothesis state machine drives the real BranchService (writer thread, group commit, SQLite or
PostgreSQL) with batches that mix valid commands and poison: times without a time zone or out
of range, huge numbers, unknown ids, a command that crashes after changing the engine, an event
about a ticket that does not exist, data the database refuses, the clock jumping both ways, a
database error injected in the middle of a batch, and restarts. Every command must get an
answer of the kind its poison calls for, and nothing acknowledged may go missing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy.exc import OperationalError

from branchq.host.config import load_config
from branchq.host.engine import EngineError, Event, Priority, QueueEngine
from branchq.host.service import BranchService, Command, CommandFailed
from branchq.host.storage import StorageError, StorageRefused, Store, WriteTransaction
from tests.host.engine_helpers import OPENING
from tests.host.service_helpers import Outcome, assert_memory_equals_database, run_batch
from tests.pg import PgServer

CONFIG = load_config(None)
SERVICES = ["cash", "noncash", "vip", "wealth", "atm_small"]
COUNTERS = [1, 2, 3, 4, 5, 6]


class InjectingStore(Store):
    """A store whose next write transaction that stores events fails after its rows were
    written, before the commit: what a lost connection or an I/O error does mid-batch."""

    fail_next = False

    @contextmanager
    def write_transaction(self) -> Iterator[WriteTransaction]:
        with super().write_transaction() as tx:
            first = tx.last_seq
            yield tx
            if self.fail_next and tx.last_seq != first:
                self.fail_next = False
                INJECTED.append(tx.last_seq - first)
                raise OperationalError("COMMIT", {}, OSError(5, "injected disk I/O error"))


SEEN: set[str] = set()  # poison kinds that met the writer, over all examples of a run
INJECTED: list[int] = []  # events in each batch an injected error threw away


# What a command must get back: ``ok`` (its events, or a refusal by the queue rules, as a valid
# command may be refused), ``rule`` (a refusal by the queue rules), ``bug`` (CommandFailed) or
# ``refused`` (StorageRefused).
Expect = str


@dataclass(frozen=True)
class Step:
    name: str
    expect: Expect
    make: Callable[[Machine], Command]


def _ticket(m: Machine, i: int) -> str:
    return m.acked[i % len(m.acked)] if m.acked else "no-such-ticket-0"


def _appointment(e: QueueEngine, i: int) -> str:
    known = sorted(e.appointments.by_id)
    return known[i % len(known)] if known else "no-such-appointment"


def _valid_steps() -> st.SearchStrategy[Step]:
    def issue(service: str, priority: Priority, await_print: bool) -> Step:
        def make(m: Machine) -> Command:
            tid = m.new_id()
            return lambda e, now: e.issue(ticket_id=tid, service=service, at=now, actor="k",
                                          priority=priority, await_print=await_print)
        return Step("issue", "ok", make)

    def counter_op(op: str, counter: int) -> Step:
        return Step(op, "ok", lambda m: lambda e, now: getattr(e, op)(counter, now, "t"))

    def ticket_op(op: str, i: int) -> Step:
        def make(m: Machine) -> Command:
            tid = _ticket(m, i)
            if op == "void":
                return lambda e, now: e.void(tid, now, "k", "paper out")
            return lambda e, now: getattr(e, op)(tid, now, "k")
        return Step(op, "ok", make)

    def lease(service: str, count: int) -> Step:
        return Step("lease", "ok",
                    lambda m: lambda e, now: e.lease("e", service, count, now, "k"))

    def offline(service: str, number: int, ago: int) -> Step:
        def make(m: Machine) -> Command:
            tid = m.new_id()
            return lambda e, now: e.accept_offline(
                ticket_id=tid, kiosk="e", service=service, number=number,
                priority=Priority.NORMAL, issued_at=now - timedelta(seconds=ago),
                client_ref=f"e-{service}-{number}", at=now, actor="k")
        return Step("offline", "ok", make)

    def book(service: str, quarters: int, code: int) -> Step:
        """A booking ``quarters`` slots from now's quarter hour (past, today or later)."""
        def make(m: Machine) -> Command:
            aid = m.new_id()
            slot = m.now.replace(minute=m.now.minute // 15 * 15, second=0, microsecond=0)
            return lambda e, now: e.book_appointment(
                appointment_id=aid, service=service, slot_start=slot + timedelta(minutes=15 * quarters),
                code=f"{code:06d}", salt="0" * 32, client_ref=None, at=now, actor="b")
        return Step("book", "ok", make)

    def check_in(code: int, await_print: bool) -> Step:
        def make(m: Machine) -> Command:
            tid = m.new_id()
            return lambda e, now: e.check_in(code=f"{code:06d}", ticket_id=tid, at=now, actor="k",
                                             client_ref=None, await_print=await_print,
                                             at_kiosk=True)
        return Step("check_in", "ok", make)

    def remote(service: str, code: int) -> Step:
        def make(m: Machine) -> Command:
            tid = m.new_id()
            return lambda e, now: e.issue_remote(ticket_id=tid, service=service, code=f"{code:06d}",
                                                 client_ref=None, at=now, actor="b")
        return Step("remote", "ok", make)

    codes = st.integers(0, 5)  # few codes: check-ins and confirmations find bookings
    return st.one_of(
        st.builds(book, st.sampled_from(["wealth", "noncash"]), st.integers(-2, 8), codes),
        st.builds(check_in, codes, st.booleans()),
        st.builds(remote, st.sampled_from(SERVICES[:4]), codes),
        st.builds(lambda c: Step("confirm_arrival", "ok", lambda m: lambda e, now: e.confirm_arrival(
            f"{c:06d}", now, "k")), codes),
        st.builds(lambda i: Step("cancel", "ok", lambda m: lambda e, now: e.cancel_appointment(
            _appointment(e, i), now, "b")), st.integers(0, 20)),
        st.just(Step("expire_unconfirmed", "ok",
                     lambda m: lambda e, now: e.expire_unconfirmed(now, "host:timer"))),
        st.builds(issue, st.sampled_from(SERVICES), st.sampled_from(list(Priority)), st.booleans()),
        st.builds(counter_op, st.sampled_from(["call_next", "recall", "no_show", "done",
                                               "pause", "resume"]), st.sampled_from(COUNTERS)),
        st.builds(lambda c, s: Step("transfer", "ok", lambda m: lambda e, now: e.transfer(
            c, s, now, "t")), st.sampled_from(COUNTERS), st.sampled_from(SERVICES[:4])),
        st.builds(lambda c, i: Step("call_ticket", "ok", lambda m: lambda e, now: e.call_ticket(
            c, _ticket(m, i), now, "t")), st.sampled_from(COUNTERS), st.integers(0, 50)),
        st.builds(ticket_op, st.sampled_from(["reinstate", "void", "confirm_printed"]),
                  st.integers(0, 50)),
        st.builds(lease, st.sampled_from(SERVICES[:4]), st.integers(1, 5)),
        st.builds(offline, st.sampled_from(SERVICES[:4]), st.integers(498, 512),
                  st.integers(0, 600)),
        st.builds(lambda a, on: Step("equipment", "ok", lambda m: lambda e, now: e.set_equipment(
            a, on, "", now, "m")), st.sampled_from(["atm-1", "atm-2"]), st.booleans()),
        st.builds(lambda c, s: Step("rate", "ok", lambda m: lambda e, now: e.rate(
            c, s, now, "t")), st.sampled_from(COUNTERS), st.integers(1, 3)),
    )


def _issue_then_crash(m: Machine) -> Command:
    tid = m.new_id()

    def command(e: QueueEngine, now: datetime) -> list[Event]:
        e.issue(ticket_id=tid, service="cash", at=now, actor="k")
        raise RuntimeError("a bug after the engine changed")
    return command


def _offline_at(issued_at: datetime) -> Callable[[Machine], Command]:
    def make(m: Machine) -> Command:
        tid = m.new_id()
        return lambda e, now: e.accept_offline(
            ticket_id=tid, kiosk="e", service="cash", number=500, priority=Priority.NORMAL,
            issued_at=issued_at, client_ref=f"poison-{tid}", at=now, actor="k")
    return make


POISON_KINDS: list[Step] = [
    Step("offline issued_at without time zone", "rule",
         _offline_at(OPENING.replace(tzinfo=None))),
    Step("offline issued_at in year 1", "rule",
         _offline_at(datetime(1, 1, 1, tzinfo=UTC) + timedelta(hours=1))),
    Step("offline issued_at in year 9999", "rule",
         _offline_at(datetime(9999, 12, 31, 23, tzinfo=UTC))),
    Step("offline number 10**15", "rule", lambda m: lambda e, now: e.accept_offline(
        ticket_id=m.new_id(), kiosk="e", service="cash", number=10**15, priority=Priority.NORMAL,
        issued_at=now, client_ref="poison-huge", at=now, actor="k")),
    Step("issue at a time without time zone", "bug", lambda m: lambda e, now: e.issue(
        ticket_id=m.new_id(), service="cash", at=now.replace(tzinfo=None), actor="k")),
    Step("call at counter 2**70", "rule",
         lambda m: lambda e, now: e.call_next(2**70, now, "t")),
    Step("rating 10**9", "rule", lambda m: lambda e, now: e.rate(1, 10**9, now, "t")),
    Step("unknown service", "rule", lambda m: lambda e, now: e.issue(
        ticket_id=m.new_id(), service="nope", at=now, actor="k")),
    Step("void an unknown ticket", "rule",
         lambda m: lambda e, now: e.void("no-such-ticket-1", now, "k", "x")),
    Step("call an unknown ticket", "rule",
         lambda m: lambda e, now: e.call_ticket(1, "no-such-ticket-2", now, "t")),
    Step("event about a ticket that does not exist", "bug", lambda m: lambda e, now: e._emit(
        Event("ticket_called", now, "t", "no-such-ticket-3", 1, {}))),
    Step("crash after issuing in memory", "bug", _issue_then_crash),
    Step("book a naive slot time", "rule", lambda m: lambda e, now: e.book_appointment(
        appointment_id=m.new_id(), service="wealth", slot_start=now.replace(tzinfo=None),
        code="123456", salt="0" * 32, client_ref=None, at=now, actor="b")),
    Step("book a service without appointments", "rule", lambda m: lambda e, now: e.book_appointment(
        appointment_id=m.new_id(), service="cash", slot_start=now, code="123456", salt="0" * 32,
        client_ref=None, at=now, actor="b")),
    Step("check in an unknown code", "rule", lambda m: lambda e, now: e.check_in(
        code="999999", ticket_id=m.new_id(), at=now, actor="k", client_ref=None,
        await_print=False, at_kiosk=True)),
    Step("confirm an unknown remote code", "rule",
         lambda m: lambda e, now: e.confirm_arrival("999998", now, "k")),
    Step("data the database cannot store", "refused", lambda m: lambda e, now: e._emit(
        Event("notice_posted", now, "m", data={"id": "n", "text_zh": "x", "text_en": {1}}))),
    Step("event with a counter beyond BIGINT", "refused", lambda m: lambda e, now: e._emit(
        Event("guidance_given", now, "k", counter=2**70, data={"service": "atm_small"}))),
]

step = st.one_of(_valid_steps(), st.sampled_from(POISON_KINDS))


class Machine(RuleBasedStateMachine):
    url = ""  # set per test

    def __init__(self) -> None:
        super().__init__()
        self.now = OPENING
        self.branch = f"b{uuid.uuid4().hex[:12]}"
        self.acked: list[str] = []
        self.ids = 0
        self.service = self._start()

    def _start(self) -> BranchService:
        service = BranchService(CONFIG, InjectingStore(self.url, self.branch), clock=lambda: self.now)

        async def start() -> None:  # PostgreSQL: start() notes the loop of its subscribers
            service.start()
        asyncio.run(start())
        return service

    def new_id(self) -> str:
        self.ids += 1
        return f"{self.branch}-{self.ids:06d}"

    @rule(steps=st.lists(step, min_size=1, max_size=8),
          inject=st.integers(0, 4).map(lambda n: n == 0))
    def batch(self, steps: list[Step], inject: bool) -> None:
        store = self.service.store
        assert isinstance(store, InjectingStore)
        store.fail_next = inject
        outcomes = run_batch(self.service, [s.make(self) for s in steps])
        store.fail_next = False
        for s, outcome in zip(steps, outcomes, strict=True):
            self._judge(s, outcome, inject)

    def _judge(self, s: Step, outcome: Outcome, injected: bool) -> None:
        if s.expect != "ok":
            SEEN.add(s.name)
        if injected and type(outcome) is StorageError:
            return  # its batch did not commit: the caller hears so, nothing is kept
        if isinstance(outcome, list):
            assert s.expect == "ok", (s.name, outcome)
            self.acked += [e.ticket_id for e in outcome if e.kind == "ticket_issued" and e.ticket_id]
        elif s.expect in ("ok", "rule"):
            assert isinstance(outcome, EngineError), (s.name, outcome)
        elif s.expect == "bug":
            assert isinstance(outcome, CommandFailed), (s.name, outcome)
        else:
            assert isinstance(outcome, StorageRefused), (s.name, outcome)

    @rule(seconds=st.integers(-2 * 86400, 2 * 86400))
    def clock_jump(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(seconds=st.integers(1, 900))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule()
    def restart(self) -> None:
        self.service.stop()
        self.service.store.close()
        self.service = self._start()  # replays the whole log: raises if anything is off

    @invariant()
    def memory_equals_database(self) -> None:
        assert_memory_equals_database(self.service)
        for ticket_id in self.acked:  # nothing acknowledged is ever lost
            assert self.service.store.ticket_row(ticket_id) is not None, ticket_id

    def teardown(self) -> None:
        self.service.stop()
        self.service.store.close()


def _run(url: str, examples: int) -> None:
    Machine.url = url
    run_state_machine_as_test(Machine, settings=settings(
        max_examples=examples, stateful_step_count=10, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))


def test_memory_equals_the_database_after_every_batch_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    Store(url, "setup").migrate()
    SEEN.clear()
    INJECTED.clear()
    _run(url, 200)
    assert len(SEEN) >= len(POISON_KINDS) // 2  # poison met the writer, of many kinds
    assert any(INJECTED)  # and database errors threw away batches that held events


def test_every_poison_kind_in_one_batch_between_valid_commands(tmp_path: Path) -> None:
    """The same machine, one deterministic batch: every kind of poison at once."""
    Machine.url = f"sqlite:///{tmp_path / 'branchq.db'}"
    Store(Machine.url, "setup").migrate()
    SEEN.clear()
    valid = Step("issue", "ok", lambda m: (lambda tid: lambda e, now: e.issue(
        ticket_id=tid, service="cash", at=now, actor="k"))(m.new_id()))
    machine = Machine()
    try:
        machine.batch(steps=[valid, *POISON_KINDS, valid], inject=False)
        machine.memory_equals_database()
        assert len(machine.acked) == 2  # both neighbours were stored
        assert SEEN == {p.name for p in POISON_KINDS}
        machine.restart()
        machine.memory_equals_database()
    finally:
        machine.teardown()


@pytest.mark.postgres
def test_memory_equals_the_database_after_every_batch_postgres(pg_server: PgServer) -> None:
    url = pg_server.create_database("invariant")
    Store(url, "setup").migrate()
    _run(url, 40)
