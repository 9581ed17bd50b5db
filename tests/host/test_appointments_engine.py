"""The appointment and remote-ticket rules of the pure engine: slots inside opening hours and not
on holidays, the call order of checked-in appointments, replay, and the configuration's checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from branchq.host.config import ConfigError, example_config_text, parse_config
from branchq.host.engine import InvalidState, Priority, QueueEngine, UnknownService
from branchq.host.engine.appointments import BadRequest, SlotFull, WrongCode
from branchq.host.insight.estimate import ProjectedWait
from tests.host.engine_helpers import Branch

# Wednesday 9 December 2026, 08:00 in Shanghai; the 25th is a holiday, Sundays closed.
MORNING = datetime(2026, 12, 9, 0, 0, tzinfo=UTC)
HOURS = """opens_at = "09:00"
closes_at = "17:00"
open_days = [1, 2, 3, 4, 5, 6]
holidays = ["2026-12-25"]
"""
CONFIG = parse_config(example_config_text().replace(
    '# opens_at = "09:00"\n', HOURS, 1), "test branch")


def local(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes,
                    tzinfo=CONFIG.branch.tz).astimezone(UTC)


class Bank(Branch):
    """The engine driver of the other engine tests, with bookings."""

    def __init__(self) -> None:
        super().__init__(CONFIG)
        self.now = MORNING
        self.codes = 0

    def book(self, day: date, hhmm: str, service: str = "wealth", ref: str | None = None) -> str:
        self.codes += 1
        appointment_id = f"appt-{self.codes:04d}"
        self._record(self.engine.book_appointment(
            appointment_id=appointment_id, service=service, slot_start=local(day, hhmm),
            code=f"{self.codes:06d}", salt="s" * 32, client_ref=ref, at=self.now, actor="booking:app"))
        return appointment_id

    def check_in(self, code: str) -> str:
        self._ids += 1
        ticket_id = f"ticket-{self._ids:05d}"
        self._record(self.engine.check_in(code=code, ticket_id=ticket_id, at=self.now,
                                          actor="kiosk:k", client_ref=None, await_print=False,
                                          at_kiosk=True))
        return ticket_id

    def at(self, day: date, hhmm: str) -> None:
        self.now = local(day, hhmm)


DAY = date(2026, 12, 9)


def test_slots_follow_opening_hours_and_holidays() -> None:
    b = Bank()
    slots = b.engine.appointment_slots("wealth", DAY, b.now)
    assert (slots[0].start, slots[-1].end, len(slots)) == (
        local(DAY, "09:00"), local(DAY, "17:00"), 32)
    assert all(s.capacity == 2 and s.bookable for s in slots)
    assert b.engine.appointment_slots("wealth", date(2026, 12, 25), b.now) == []  # holiday
    assert b.engine.appointment_slots("wealth", date(2026, 12, 13), b.now) == []  # Sunday
    with pytest.raises(UnknownService):
        b.engine.appointment_slots("cash", DAY, b.now)  # takes no bookings
    refusals: list[tuple[date, str, str]] = [
        (date(2026, 12, 25), "10:00", "closed on 2026-12-25"),
        (date(2026, 12, 13), "10:00", "closed on 2026-12-13"),
        (DAY, "08:45", "no such slot"),
        (DAY, "16:50", "no such slot"),
        (DAY, "17:00", "no such slot"),
        (DAY, "10:10", "no such slot"),
        (DAY + timedelta(days=91), "10:00", "90 days ahead"),
    ]
    for day, hhmm, why in refusals:
        with pytest.raises(BadRequest, match=why):
            b.book(day, hhmm)
    b.at(DAY, "10:15")
    with pytest.raises(BadRequest, match="over"):
        b.book(DAY, "10:00")
    b.book(DAY, "10:15")  # the slot under way may still be booked
    assert b.engine.config.branch.is_open(local(date(2026, 12, 25), "10:00")) is False


def test_capacity_codes_and_idempotency() -> None:
    b = Bank()
    first = b.book(DAY, "10:00", ref="ref-1")
    assert b.engine.book_appointment(
        appointment_id="other", service="wealth", slot_start=local(DAY, "10:00"), code="999999",
        salt="x", client_ref="ref-1", at=b.now, actor="booking:app") == []  # a retry
    b.book(DAY, "10:00")
    with pytest.raises(SlotFull):
        b.book(DAY, "10:00")
    with pytest.raises(InvalidState, match="code is already in use"):
        b.engine.book_appointment(appointment_id="dup", service="wealth",
                                  slot_start=local(DAY, "11:00"), code="000001", salt="x",
                                  client_ref=None, at=b.now, actor="booking:app")
    b.do("cancel_appointment", first)
    assert b.engine.appointment_slots("wealth", DAY, b.now)[4].taken == 1
    assert b.do("cancel_appointment", first) == []  # twice: nothing new
    b.book(DAY, "10:00")  # the freed place
    assert b.engine.appointments.salts == {DAY: "s" * 32}  # the day's first booking's salt


def test_checked_in_appointments_are_called_at_their_slot_after_green() -> None:
    b = Bank()
    b.book(DAY, "10:00")  # code 000001
    b.book(DAY, "10:30")  # code 000002
    b.at(DAY, "09:25")
    with pytest.raises(WrongCode):
        b.check_in("123456")
    with pytest.raises(InvalidState, match="opens at 09:30"):
        b.check_in("000002")  # more than early_window_s before its slot
    b.at(DAY, "09:30")
    early = b.check_in("000002")
    on_time = b.check_in("000001")
    assert b.engine.appointments.by_id["appt-0002"].arrival == "early"
    walker = b.issue("wealth")
    b.at(DAY, "09:40")
    assert b.call(6) == b.label(walker)  # neither slot has begun
    b.do("done", 6)
    assert b.call(6) is None
    b.at(DAY, "10:00")
    green = b.issue("wealth", Priority.GREEN)
    late_walker = b.issue("wealth")
    assert b.call(6) == b.label(green)
    assert b.call(6) == b.label(on_time)
    assert b.call(6) == b.label(late_walker)  # 10:30 not yet
    b.at(DAY, "10:30")
    assert b.call(6) == b.label(early)
    with pytest.raises(InvalidState, match="checked in"):
        b.check_in("000002")
    replayed = QueueEngine(CONFIG, ProjectedWait())
    replayed.replay(b.log)
    assert _state(replayed) == _state(b.engine)


def test_a_remote_ticket_waits_outside_the_queue_until_confirmed() -> None:
    b = Bank()
    b.at(DAY, "09:00")
    b._record(b.engine.issue_remote(ticket_id="remote-1", service="noncash", code="424242",
                                    client_ref="r1", at=b.now, actor="booking:app"))
    walker = b.issue("noncash")
    ticket = b.engine.tickets["remote-1"]
    assert b.engine.people_ahead(b.engine.tickets[walker], b.now) == 0  # not counted ahead
    assert b.engine.people_ahead(ticket, b.now) == 0  # its own place, kept
    b.tick(60)
    assert b.call(3) == b.label(walker)
    assert ticket.skipped_at == b.now and ticket.status.value == "waiting"
    b.do("done", 3)
    b.tick(599)
    assert b.do("expire_unconfirmed") == []
    b.tick(1)
    assert [e.kind for e in b.do("expire_unconfirmed")] == ["ticket_no_show"]
    with pytest.raises(InvalidState, match="lobby manager"):
        b.do("confirm_arrival", "424242")
    b.do("reinstate", "remote-1")
    assert b.call(3) == ticket.label
    replayed = QueueEngine(CONFIG, ProjectedWait())
    replayed.replay(b.log)
    assert _state(replayed) == _state(b.engine)


def _state(engine: QueueEngine) -> dict[str, Any]:
    return {
        "tickets": {k: (t.status, t.slot_start, t.confirmed, t.skipped_at, t.front_since)
                    for k, t in engine.tickets.items()},
        "appointments": {k: (a.status, a.arrival, a.ticket_id)
                         for k, a in engine.appointments.by_id.items()},
        "queues": {k: [t.id for t in q] for k, q in engine.queues.items()},
        "pending": sorted(engine.remote_pending),
    }


@pytest.mark.parametrize(("edit", "message"), [
    ('key = "wealth"\ncapacity = 2', 'key = "atm_small"\ncapacity = 2'),
    ('key = "wealth"\ncapacity = 2', 'key = "wealth"\ncapacity = 0'),
    ("slot_minutes = 15", "slot_minutes = 7"),
    ("cap_per_service = 5", "cap_per_service = -1"),
])
def test_the_configuration_is_checked_at_start(edit: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(example_config_text().replace(edit, message), "branch.toml")
    assert "appointments" in str(err.value) or "remote_tickets" in str(err.value)


def test_holidays_must_be_dates() -> None:
    with pytest.raises(ConfigError, match="holidays"):
        parse_config(example_config_text().replace(
            '# opens_at = "09:00"\n', 'holidays = ["Christmas"]\n', 1), "branch.toml")
