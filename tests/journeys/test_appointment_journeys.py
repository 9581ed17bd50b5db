"""Customers who booked (issue 16): an appointment checked in at the kiosk with its typed code or
its scanned QR code, on time, early and late; a wrong code typed ten times; a number taken in the
bank's app confirmed at the kiosk; and a check-in while the host is down, reported once.

The host runs in this process (:class:`~tests.host.inprocess.InProcessHost`: the real app, uvicorn
and SQLite on a real port) so that its clock can be moved to a slot's start: the kiosk, the
printer, the touch screen and the card reader are the real kiosk process with its virtual twins,
the hall, lobby and consoles the real pages in Chromium. Time only moves forward, a slot or two
per journey, within the branch's business day.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from branchq.host.auth import Role
from tests.host.inprocess import InProcessHost
from tests.journeys.conftest import start_kiosk
from tests.journeys.surfaces import CONFIG, FIRST_COUNTER, NUMBER, TICKET_END, Journey, Taken
from tests.journeys.test_customer_journeys import call
from tests.kiosk.conftest import Branch

pytestmark = pytest.mark.slow

TZ = CONFIG.branch.tz
SLOT = timedelta(minutes=CONFIG.appointments.slot_minutes)
GRACE = timedelta(seconds=CONFIG.appointments.grace_late_s)


class HostClock:
    """The host's clock: real time plus an offset that only grows. Late in the branch's evening
    it starts at noon of the same day, so that a module's journeys never cross midnight."""

    def __init__(self) -> None:
        now = datetime.now(TZ)
        self.offset = now.replace(hour=12, minute=0) - now if now.hour >= 20 else timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move_to(self, at: datetime) -> None:
        self.offset = max(self.offset, at - datetime.now(UTC))


def slot_of(at: datetime) -> datetime:
    """The start of the slot ``at`` falls in (branch time)."""
    local = at.astimezone(TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + SLOT * ((local - midnight) // SLOT)


@pytest.fixture(scope="module")
def clock() -> HostClock:
    return HostClock()


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory, clock: HostClock) -> Iterator[Branch]:
    tmp = tmp_path_factory.mktemp("booked")
    host = InProcessHost(f"sqlite:///{tmp / 'branchq.db'}", clock=clock).start()
    b = start_kiosk(host, tmp)
    yield b
    b.kiosk.kill()
    b.host.stop()  # type: ignore[attr-defined]  # the in-process host


@pytest.fixture(scope="module")
def app(branch: Branch) -> Iterator[httpx.Client]:
    """The bank's app backend, with its own credential (role ``booking``)."""
    with branch.host.client(branch.host.token(Role.BOOKING, name="mobile app")) as client:
        yield client


def book(app: httpx.Client, service: str, slot_start: datetime) -> dict[str, Any]:
    answer = app.post("/api/v1/appointments", json={
        "service": service, "slot_start": slot_start.isoformat(),
        "idempotency_key": secrets.token_hex(8)})
    assert answer.status_code == 201, answer.text
    booked: dict[str, Any] = answer.json()
    assert booked["qr"] == f"BQA:{booked['code']}"
    return booked


def code_keys(code: str) -> list[str]:
    """The taps of a customer with a code: the home screen's button, the digits, OK."""
    return ["appointment", *(f"digit:{d}" for d in code), "confirm"]


def appointment_of(journey: Journey, booked: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = journey.manager.get(f"/api/v1/appointments/{booked['id']}").json()
    return found


def slot_words(booked: dict[str, Any]) -> str:
    return f"{datetime.fromisoformat(booked['slot_start']).astimezone(TZ):%H:%M}"


def shown(texts: list[str]) -> str:
    """The screen's words as read (a sentence may be wrapped over lines)."""
    return " ".join(texts)


def ticket_out(journey: Journey, what: str) -> Taken:
    """The ticket screen and the whole ticket on paper (its last line is under the QR code)."""
    state = journey.kiosk.wait_for(lambda s: s["screen"] == "ticket" and TICKET_END in s["paper"],
                                   15, f"no ticket: {what}")
    [number] = [line for line in state["paper"] if NUMBER.fullmatch(line)]
    journey.ticket_screen = state
    return Taken(journey.ticket(number), "en", state["texts"], state["paper"])


def checked_in(journey: Journey, taken: Taken, booked: dict[str, Any], arrival: str) -> None:
    """The host holds the appointment checked in, with this ticket, as the customer arrived."""
    found = appointment_of(journey, booked)
    assert (found["status"], found["arrival"]) == ("checked_in", arrival), found
    assert taken.ticket["service"] == booked["service"]


def test_a_check_in_while_the_host_is_down_is_reported_once(journey: Journey, app: httpx.Client,
                                                           clock: HostClock) -> None:
    branch, kiosk = journey.branch, journey.kiosk
    booked = book(app, "wealth", slot_of(datetime.now(UTC)))  # the slot the customer comes in
    journal = kiosk.state_dir / "journal.json"
    # The kiosk keeps today's appointments (digests of their codes) with its branch facts.
    kiosk.wait_for(lambda _: booked["id"] in journal.read_text(encoding="utf-8"), 15,
                   "the appointment never reached the kiosk's cache")
    assert booked["code"] not in json.dumps(json.loads(journal.read_text())["appointments"])
    host: InProcessHost = branch.host  # type: ignore[assignment]
    host.stop()
    # Restarted while the host is down, the kiosk has the appointments from its journal.
    kiosk = journey.kiosk = branch.restart_kiosk(kiosk.card_key_file)
    kiosk.wait_for(lambda s: not s["host_online"], 15, "the kiosk did not notice the host gone")
    kiosk.sim("paper/tear")
    state = journey.kiosk_home("en")
    for key in code_keys(booked["code"]):
        journey.tap(state, key)
    state = kiosk.wait_for(lambda s: s["screen"] == "ticket" and any(
        NUMBER.fullmatch(line) for line in s["paper"]), 20, "no ticket offline")
    [number] = [line for line in state["paper"] if NUMBER.fullmatch(line)]
    assert number[0] == "C" and int(number[1:]) >= 500  # wealth's leased numbers (A500+)
    journey.snap_kiosk("offline-check-in", paper=True)
    late = datetime.now(UTC) - datetime.fromisoformat(booked["slot_start"]) > GRACE
    assert ("Appointment " + slot_words(booked) in state["paper"]) != late
    journey.done_at_kiosk()
    # The same code again, still offline: checked in already, no second ticket.
    for key in code_keys(booked["code"]):
        journey.tap(kiosk.state(), key)
    again = kiosk.wait_for(lambda s: "You are already checked in" in s["texts"], 10,
                           "a second check-in")
    journey.tap(again, "home")
    branch.host = InProcessHost(host.db_url, port=host.port, clock=clock).start()
    kiosk.wait_for(lambda s: s["unsettled"] == 0 and s["host_online"], 30, "not reported")
    taken = Taken(journey.ticket(number), "en", [], state["paper"])
    checked_in(journey, taken, booked, "late_walk_in" if late else "on_time")
    assert [t["number"] for t in journey.tickets()] == [number]  # once


def test_a_customer_types_their_code_on_time_and_is_called_at_the_slot(
        journey: Journey, app: httpx.Client, clock: HostClock) -> None:
    slot = slot_of(clock()) + SLOT
    booked = book(app, "wealth", slot)
    clock.move_to(slot + timedelta(seconds=30))
    taken = journey.tap_for_ticket(code_keys(booked["code"]), "zh")
    assert f"Appointment {slot_words(booked)}" in taken.paper
    assert f"预约 {slot_words(booked)}" in shown(taken.screen_texts), taken.screen_texts
    checked_in(journey, taken, booked, "on_time")
    journey.expect_waiting(taken.ticket, taken, state="appointment waiting")
    journey.done_at_kiosk()
    call(journey, FIRST_COUNTER["wealth"])
    journey.expect_called(taken.ticket, FIRST_COUNTER["wealth"])


def test_a_scanned_qr_code_checks_in_from_any_screen_and_a_vip_card_stays_a_card(
        journey: Journey, app: httpx.Client, clock: HostClock) -> None:
    kiosk = journey.kiosk
    slot = slot_of(clock()) + SLOT
    booked = book(app, "wealth", slot)
    clock.move_to(slot + timedelta(seconds=30))
    kiosk.sim("scan", {"text": booked["code"]})  # digits alone: not a code, nothing happens
    kiosk.sim("paper/tear")
    journey.kiosk_home("en")
    kiosk.tap_button("green")  # the customer is on another screen
    kiosk.wait_for(lambda s: s["screen"] == "green_confirm")
    kiosk.sim("scan", {"text": booked["qr"]})
    taken = ticket_out(journey, "the scan checked nothing in")
    assert f"Appointment {slot_words(booked)}" in taken.paper
    journey.snap_kiosk("scanned", paper=True)
    checked_in(journey, taken, booked, "on_time")
    assert len(journey.tickets()) == 1
    journey.done_at_kiosk()
    call(journey, FIRST_COUNTER["wealth"])
    journey.expect_called(taken.ticket, FIRST_COUNTER["wealth"])


def test_an_early_customer_waits_for_the_slot_and_is_called_then(
        journey: Journey, app: httpx.Client, clock: HostClock) -> None:
    slot = slot_of(clock()) + 2 * SLOT  # more than one slot ahead: surely early
    booked = book(app, "noncash", slot)
    taken = journey.tap_for_ticket(code_keys(booked["code"]), "en")
    assert "You are early" in shown(taken.screen_texts), taken.screen_texts
    assert f"Appointment {slot_words(booked)}" in taken.paper
    checked_in(journey, taken, booked, "early")
    journey.done_at_kiosk()
    counter = FIRST_COUNTER["noncash"]
    with journey.host.client(journey.host.token(Role.TELLER, counter)) as teller:
        assert teller.post(f"/api/v1/counters/{counter}/call-next").status_code != 200
        assert journey.fresh(taken.ticket)["status"] == "waiting"  # not before its slot
        clock.move_to(slot + timedelta(seconds=1))
        call(journey, counter)
    journey.expect_called(taken.ticket, counter)


def test_a_late_customer_gets_a_walk_in_ticket_and_is_told_so(
        journey: Journey, app: httpx.Client, clock: HostClock) -> None:
    slot = slot_of(clock()) + SLOT
    booked = book(app, "wealth", slot)
    clock.move_to(slot + GRACE + timedelta(seconds=30))
    taken = journey.tap_for_ticket(code_keys(booked["code"]), "en")
    assert "You are late" in shown(taken.screen_texts), taken.screen_texts
    assert not any(line.startswith("Appointment") for line in taken.paper)  # a walk-in's ticket
    checked_in(journey, taken, booked, "late_walk_in")
    journey.expect_waiting(taken.ticket, taken, state="late walk-in")
    journey.done_at_kiosk()
    call(journey, FIRST_COUNTER["wealth"])
    journey.expect_called(taken.ticket, FIRST_COUNTER["wealth"])


def test_a_wrong_code_ten_times_is_told_kindly_then_to_wait(journey: Journey,
                                                            clock: HostClock) -> None:
    kiosk = journey.kiosk
    state = journey.kiosk_home("en")
    seen = []
    for attempt in range(10):
        code = f"{attempt:06d}"  # the host draws codes at random: these ten are nobody's
        # After a wrong code the keypad stays: the customer types again.
        for key in code_keys(code)[1 if state["screen"] == "code" else 0:-1]:
            journey.tap(state, key)
        field = " ".join(code)
        typed = kiosk.wait_for(lambda s, field=field: field in s["texts"], 10,  # type: ignore[misc]
                               f"{code} not shown")
        journey.tap(typed, "confirm")
        # The answer: the field empty again with the kind words under it, or a message.
        state = kiosk.wait_for(lambda s: s["screen"] == "message" or (
            "_ _ _ _ _ _" in s["texts"] and "Code not found: please check the 6 digits and try "
            "again" in shown(s["texts"])), 10, f"no answer to code {attempt + 1}")
        seen.append(state["screen"])
        if state["screen"] == "message":
            assert "Please try again later" in state["texts"], state["texts"]
            journey.tap(state, "home")
            state = kiosk.wait_for(lambda s: s["screen"] == "home", 10, "Home did not go home")
    journey.snap_kiosk("too-many-codes")
    assert seen[:5] == ["code"] * 5 and set(seen[5:]) == {"message"}, seen
    assert journey.tickets() == []
    clock.move_to(clock() + timedelta(minutes=5))  # the host's window passes


def test_a_number_taken_in_the_app_is_confirmed_at_the_kiosk_and_called(
        journey: Journey, app: httpx.Client) -> None:
    answer = app.post("/api/v1/tickets/remote", json={
        "service": "cash", "idempotency_key": secrets.token_hex(8)})
    assert answer.status_code == 201, answer.text
    remote = answer.json()
    journey.kiosk.sim("paper/tear")
    state = journey.kiosk_home("en")
    for key in code_keys(remote["code"]):
        journey.tap(state, key)
    taken = ticket_out(journey, "the remote ticket was not confirmed")
    assert taken.ticket["number"] == remote["number"]
    assert "Your number is in the queue" in shown(taken.screen_texts), taken.screen_texts
    assert journey.fresh(taken.ticket)["status"] == "waiting"
    journey.done_at_kiosk()
    call(journey, FIRST_COUNTER["cash"])
    journey.expect_called(taken.ticket, FIRST_COUNTER["cash"])
