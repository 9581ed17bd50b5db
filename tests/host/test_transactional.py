"""One command that fails leaves no trace; the rest of its group-commit batch is stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from branchq.host.config import load_config
from branchq.host.engine import Event, InvalidState, NotFound, Priority, QueueEngine, ReplayError
from branchq.host.service import BranchService, Command, CommandFailed
from branchq.host.storage import StorageRefused, Store
from tests.host.engine_helpers import OPENING
from tests.host.service_helpers import assert_memory_equals_database, run_batch

CONFIG = load_config(None)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(OPENING)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'branchq.db'}"


def start(db: str, clock: Clock) -> BranchService:
    service = BranchService(CONFIG, Store(db, CONFIG.branch.id), clock=clock)
    service.start()
    return service


@pytest.fixture
def service(db: str, clock: Clock) -> Iterator[BranchService]:
    s = start(db, clock)
    yield s
    s.stop()
    s.store.close()


def issue(ticket_id: str, service: str = "cash") -> Command:
    return lambda e, now: e.issue(ticket_id=ticket_id, service=service, at=now, actor="kiosk:t")


def labels(outcome: object) -> list[str]:
    assert isinstance(outcome, list), outcome
    return [e.data["label"] for e in outcome if e.kind == "ticket_issued"]


def restarted(db: str, clock: Clock) -> QueueEngine:
    again = BranchService(CONFIG, Store(db, CONFIG.branch.id), clock=clock)
    again.load()  # replays the whole log: raises if anything in it does not apply
    again.store.close()
    return again.engine


def test_a_command_that_raises_half_way_leaves_no_trace_and_its_neighbours_commit(
    service: BranchService, db: str, clock: Clock
) -> None:
    def issue_then_crash(e: QueueEngine, now: datetime) -> list[Event]:
        e.issue(ticket_id="poison-000001", service="cash", at=now, actor="kiosk:t")
        raise ZeroDivisionError("a bug after the ticket was issued in memory")

    def ghost_call(e: QueueEngine, now: datetime) -> list[Event]:
        # An event about a ticket that does not exist fails inside the engine's handler.
        return e._emit(Event("ticket_called", now, "teller:t", "no-such-ticket", 1, {}))

    def naive_offline(e: QueueEngine, now: datetime) -> list[Event]:
        return e.accept_offline(ticket_id="offline-0001", kiosk="entrance", service="cash",
                                number=500, priority=Priority.NORMAL,
                                issued_at=datetime(2026, 11, 13, 9, 0), client_ref="entrance-x1",
                                at=now, actor="kiosk:t")

    outcomes = run_batch(service, [
        issue("first-000001"), issue_then_crash, issue("second-00001"), ghost_call,
        naive_offline, lambda e, now: e.call_ticket(1, "nobody-00001", now, "teller:t"),
        issue("third-000001"),
    ])
    assert labels(outcomes[0]) == ["A001"]
    assert isinstance(outcomes[1], CommandFailed)
    assert labels(outcomes[2]) == ["A002"]  # the crashed command's A002 was never kept
    assert isinstance(outcomes[3], CommandFailed)
    assert isinstance(outcomes[4], InvalidState) and "time zone" in str(outcomes[4])
    assert isinstance(outcomes[5], NotFound)
    assert labels(outcomes[6]) == ["A003"]
    with service._lock:
        assert "poison-000001" not in service.engine.tickets
    assert_memory_equals_database(service)
    follow = run_batch(service, [lambda e, now: e.call_next(1, now, "teller:t")])[0]
    assert isinstance(follow, list) and follow[-1].ticket_id == "first-000001"
    assert_memory_equals_database(service)
    assert sorted(restarted(db, clock).tickets) == ["first-000001", "second-00001", "third-000001"]


def test_data_the_database_refuses_fails_alone(service: BranchService, db: str,
                                               clock: Clock) -> None:
    def unstorable(e: QueueEngine, now: datetime) -> list[Event]:
        return e._emit(Event("notice_posted", now, "manager:t",
                             data={"id": "n1", "text_zh": "x", "text_en": {1, 2}}))

    outcomes = run_batch(service, [issue("first-000001"), unstorable, issue("second-00001")])
    assert labels(outcomes[0]) == ["A001"]
    assert isinstance(outcomes[1], StorageRefused)
    assert labels(outcomes[2]) == ["A002"]
    assert service.storage_fault() is None  # the data was at fault, not the database
    with service._lock:
        assert service.engine.notices == {}
    assert_memory_equals_database(service)
    assert sorted(restarted(db, clock).tickets) == ["first-000001", "second-00001"]


def test_a_clock_stepped_back_over_midnight_keeps_the_new_day(service: BranchService, db: str,
                                                               clock: Clock) -> None:
    tz = CONFIG.branch.tz
    before_midnight = datetime(2026, 11, 13, 23, 59, 50, tzinfo=tz)
    clock.now = before_midnight
    assert labels(run_batch(service, [issue("eve-0000001"), issue("eve-0000002")])[1]) == ["A002"]
    clock.now = before_midnight + timedelta(seconds=15)  # 00:00:05, the next day
    assert labels(run_batch(service, [issue("morning-001")])[0]) == ["A001"]
    clock.now = before_midnight + timedelta(seconds=8)  # NTP steps the clock back: 23:59:58
    outcomes = run_batch(service, [issue("stepped-001"), issue("stepped-002")])
    assert [labels(o) for o in outcomes] == [["A002"], ["A003"]]
    with service._lock:
        assert service.engine.day == before_midnight.date() + timedelta(days=1)
        assert service.engine.tickets["stepped-001"].business_day == service.engine.day
    row = service.store.ticket_row("stepped-002")
    assert row is not None and row["business_day"] == before_midnight.date() + timedelta(days=1)
    assert_memory_equals_database(service)
    assert len(restarted(db, clock).tickets) == 3


def test_a_stored_event_that_does_not_replay_is_named_by_its_seq(db: str, clock: Clock) -> None:
    service = start(db, clock)
    run_batch(service, [issue("first-000001"), issue("second-00001")])
    service.stop()
    store = service.store
    with store.write_transaction() as tx:  # what a ghost call wrote before the fix
        tx.append(tx.prepare([Event("ticket_called", clock.now, "teller:t", "ghost-000001", 1,
                                    {"label": "A009", "service": "cash", "priority": "normal"})],
                             {}))
    store.close()
    with pytest.raises(ReplayError) as caught:
        restarted(db, clock)
    assert caught.value.seq == 4 and caught.value.kind == "ticket_called"
    assert "event 4 (ticket_called) does not replay" in str(caught.value)
