"""Appointments and remote tickets through a real host (uvicorn on 127.0.0.1, SQLite) whose clock
the test moves: book, check in by code, called at the slot; early and late arrivals; wrong codes;
remote tickets confirmed and not (docs/web.md, "Appointments and remote tickets").

One host serves the module; each test takes the next day of its clock, so tests never share a
day's queue or bookings.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from branchq.host.auth import Role
from tests.host.inprocess import InProcessHost

TZ = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2026, 12, 9)


class Clock:
    """The host's clock: moves only when told, always forward."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set_local(self, day: date, hhmm: str) -> None:
        hours, minutes = (int(p) for p in hhmm.split(":"))
        at = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=TZ).astimezone(UTC)
        with self._lock:
            assert at >= self.now, "the clock only goes forward"
            self.now = at

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


@dataclass
class Branch:
    host: InProcessHost
    clock: Clock
    booking: httpx.Client
    kiosk: httpx.Client
    manager: httpx.Client
    next_day: date = FIRST_DAY

    def new_day(self) -> date:
        day = self.next_day
        self.next_day += timedelta(days=1)
        self.clock.set_local(day, "08:00")
        return day


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Branch]:
    path = tmp_path_factory.mktemp("appointments") / "branchq.db"
    shutil.copyfile(migrated_sqlite, path)
    clock = Clock()
    host = InProcessHost(f"sqlite:///{path}", clock=clock).start()
    clients = [host.client(host.token(role)) for role in (Role.BOOKING, Role.KIOSK, Role.MANAGER)]
    yield Branch(host, clock, *clients)
    for client in clients:
        client.close()
    host.stop()


@pytest.fixture
def day(branch: Branch) -> date:
    return branch.new_day()


def at(day: date, hhmm: str) -> str:
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=TZ).isoformat()


def book(b: Branch, day: date, hhmm: str, key: str, service: str = "wealth") -> httpx.Response:
    return b.booking.post("/api/v1/appointments", json={
        "service": service, "slot_start": at(day, hhmm), "idempotency_key": key})


def check_in(b: Branch, code: str) -> httpx.Response:
    return b.kiosk.post("/api/v1/appointments/check-in", json={"code": code})


def walk_in(b: Branch, service: str = "wealth", priority: str = "normal") -> str:
    r = b.manager.post("/api/v1/tickets", json={"service": service, "priority": priority})
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def call_next(b: Branch, counter: int = 6) -> str | None:
    r = b.manager.post(f"/api/v1/counters/{counter}/call-next")
    assert r.status_code in (200, 204), r.text
    if r.status_code == 204:  # nobody to call
        return None
    ticket = r.json()["ticket"]
    return None if ticket is None else str(ticket["number"])


def test_booked_and_checked_in_on_time_is_called_after_green_and_before_walk_ins(
        branch: Branch, day: date) -> None:
    b = branch
    slots = b.booking.get("/api/v1/appointments/slots", params={"service": "wealth", "day": str(day)})
    assert slots.status_code == 200
    ten = next(s for s in slots.json()["slots"] if s["start"] == at(day, "10:00"))
    assert (ten["capacity"], ten["free"], ten["bookable"]) == (2, 2, True)

    first = book(b, day, "10:00", f"visit-{day}-1")
    assert first.status_code == 201, first.text
    booked = first.json()
    assert len(booked["code"]) == 6 and booked["code"].isdigit()
    assert booked["qr"] == "BQA:" + booked["code"]
    assert (booked["status"], booked["slot_end"]) == ("booked", at(day, "10:15"))
    again = book(b, day, "10:00", f"visit-{day}-1")
    assert (again.status_code, again.json()) == (200, booked)  # the same key: the same booking
    slots = b.booking.get("/api/v1/appointments/slots", params={"service": "wealth", "day": str(day)})
    assert next(s for s in slots.json()["slots"] if s["start"] == at(day, "10:00"))["free"] == 1

    b.clock.set_local(day, "09:50")
    walker = walk_in(b)
    b.clock.set_local(day, "10:00")
    senior = walk_in(b, priority="green")
    b.clock.set_local(day, "10:02")
    r = check_in(b, booked["qr"])  # the QR scanned at the kiosk
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["appointment"] == {"id": booked["id"], "slot_start": at(day, "10:00"),
                                     "arrival": "on_time"}
    assert ticket["message_en"].startswith("Welcome") and ticket["message_zh"]
    assert call_next(b) == senior
    assert call_next(b) == ticket["number"]
    assert call_next(b) == walker
    listed = b.manager.get("/api/v1/appointments", params={"day": str(day)}).json()
    assert [(a["id"], a["status"], a["arrival"], a["code"]) for a in listed] == [
        (booked["id"], "checked_in", "on_time", None)]  # the lobby's view: no codes
    again = check_in(b, booked["code"])
    assert (again.status_code, again.json()["error"]) == (409, "conflict")


def test_an_early_arrival_waits_for_the_slot(branch: Branch, day: date) -> None:
    b = branch
    booked = book(b, day, "11:00", f"early-{day}").json()
    b.clock.set_local(day, "09:55")
    too_early = check_in(b, booked["code"])
    assert too_early.status_code == 409 and "10:00" in too_early.json()["detail"]
    b.clock.set_local(day, "10:20")
    r = check_in(b, booked["code"])
    assert r.status_code == 201
    assert r.json()["appointment"]["arrival"] == "early"
    assert "11:00" in r.json()["message_en"] and "11:00" in r.json()["message_zh"]
    b.clock.set_local(day, "10:25")
    walker = walk_in(b)
    b.clock.set_local(day, "10:30")
    assert call_next(b) == walker  # the appointment's ticket is not called before its slot
    b.clock.set_local(day, "10:40")
    assert call_next(b) is None
    b.clock.set_local(day, "11:00")
    assert call_next(b) == r.json()["number"]


def test_a_late_arrival_gets_a_walk_in_ticket(branch: Branch, day: date) -> None:
    b = branch
    booked = book(b, day, "10:00", f"late-{day}").json()
    b.clock.set_local(day, "10:05")
    walker = walk_in(b)
    b.clock.set_local(day, "10:11")  # grace_late_s = 600 of the example branch
    r = check_in(b, booked["code"])
    assert r.status_code == 201
    body = r.json()
    assert body["appointment"]["arrival"] == "late_walk_in"
    assert body["message_zh"] == "您已迟到，已为您改为普通排队"
    assert body["message_en"] == "You are late; you have been given a walk-in ticket"
    assert call_next(b) == walker  # in line by the time it was taken, behind the earlier walk-in
    assert call_next(b) == body["number"]


def test_ten_wrong_codes_are_rate_limited_and_the_right_code_works_after_the_window(
        branch: Branch, day: date) -> None:
    b = branch
    booked = book(b, day, "10:00", f"wrong-{day}").json()
    b.clock.set_local(day, "09:58")
    wrong = f"{(int(booked['code']) + 1) % 1_000_000:06d}"
    answers = [check_in(b, wrong) for _ in range(10)]
    assert [r.status_code for r in answers] == [404] * 5 + [429] * 5
    assert answers[0].json()["error"] == "wrong_code"
    assert "check it" in answers[0].json()["detail"] and "请核对" in answers[0].json()["detail"]
    assert int(answers[5].headers["Retry-After"]) == 300
    assert check_in(b, booked["code"]).status_code == 429  # even the right one, for now
    b.clock.advance(5 * 60)
    r = check_in(b, booked["code"])
    assert r.status_code == 201 and r.json()["appointment"]["arrival"] == "on_time"


def test_a_remote_ticket_confirmed_at_the_kiosk_keeps_its_place(branch: Branch, day: date) -> None:
    b = branch
    b.clock.set_local(day, "09:00")
    r = b.booking.post("/api/v1/tickets/remote",
                       json={"service": "noncash", "idempotency_key": f"remote-{day}-1"})
    assert r.status_code == 201, r.text
    remote = r.json()
    assert remote["confirmed"] is False and len(remote["code"]) == 6
    assert remote["status_url"].endswith("/t/" + remote["id"])
    again = b.booking.post("/api/v1/tickets/remote",
                           json={"service": "noncash", "idempotency_key": f"remote-{day}-1"})
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["code"]) == (remote["id"], remote["code"])
    b.clock.set_local(day, "09:10")
    walker = walk_in(b, "noncash")
    b.clock.set_local(day, "09:30")
    confirmed = b.kiosk.post("/api/v1/tickets/confirm-arrival", json={"code": remote["code"]})
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["number"], confirmed.json()["status"]) == (remote["number"], "waiting")
    assert call_next(b, 3) == remote["number"]  # taken before the walk-in: called before it
    assert call_next(b, 3) == walker


def test_an_unconfirmed_remote_ticket_is_passed_over_then_a_no_show_after_the_grace(
        branch: Branch, day: date) -> None:
    b = branch
    b.clock.set_local(day, "09:00")
    remote = b.booking.post("/api/v1/tickets/remote", json={
        "service": "noncash", "idempotency_key": f"unconfirmed-{day}"}).json()
    later = b.booking.post("/api/v1/tickets/remote", json={
        "service": "noncash", "idempotency_key": f"late-confirm-{day}"}).json()
    b.clock.set_local(day, "09:05")
    first, second = walk_in(b, "noncash"), walk_in(b, "noncash")
    b.clock.set_local(day, "09:10")
    assert call_next(b, 3) == first  # both remote tickets passed over: their turn came
    status = b.host.client().get(f"/api/v1/tickets/{remote['id']}").json()
    assert status["status"] == "waiting"  # passed over, not lost
    b.clock.set_local(day, "09:15")
    confirmed = b.kiosk.post("/api/v1/tickets/confirm-arrival", json={"code": later["code"]})
    assert confirmed.status_code == 200
    assert call_next(b, 3) == later["number"]  # confirmed after its turn: called next
    b.clock.set_local(day, "09:20")  # confirm_grace_s = 600 after the first pass
    assert call_next(b, 3) == second
    gone = b.host.client().get(f"/api/v1/tickets/{remote['id']}").json()
    assert gone["status"] == "no_show"
    late = b.kiosk.post("/api/v1/tickets/confirm-arrival", json={"code": remote["code"]})
    assert late.status_code == 409 and "lobby manager" in late.json()["detail"]
    back = b.manager.post(f"/api/v1/tickets/{remote['id']}/reinstate")
    assert back.status_code == 200 and back.json()["status"] == "waiting"
    assert call_next(b, 3) == remote["number"]


def test_the_remote_cap_keeps_walk_ins_from_being_swamped(branch: Branch, day: date) -> None:
    b = branch
    b.clock.set_local(day, "09:00")
    answers = [b.booking.post("/api/v1/tickets/remote", json={
        "service": "cash", "idempotency_key": f"cap-{day}-{i}"}) for i in range(6)]
    assert [r.status_code for r in answers] == [201] * 5 + [409]
    assert answers[5].json()["error"] == "remote_cap_reached"
    assert "请到网点取号" in answers[5].json()["detail"]
    code = answers[0].json()["code"]
    assert b.kiosk.post("/api/v1/tickets/confirm-arrival", json={"code": code}).status_code == 200
    again = b.booking.post("/api/v1/tickets/remote", json={
        "service": "cash", "idempotency_key": f"cap-{day}-6"})
    assert again.status_code == 201  # one came in: room for another


def test_booking_refusals_cancel_and_who_sees_what(branch: Branch, day: date) -> None:
    b = branch
    assert book(b, day, "10:07", f"grid-{day}").status_code == 422  # not on the 15-minute grid
    assert book(b, day, "10:00", f"cash-{day}", service="cash").json()["error"] == "unknown_service"
    naive = b.booking.post("/api/v1/appointments", json={
        "service": "wealth", "slot_start": f"{day}T10:00:00", "idempotency_key": f"naive-{day}"})
    assert naive.status_code == 422
    b.clock.set_local(day, "10:20")
    past = book(b, day, "10:00", f"past-{day}")
    assert (past.status_code, past.json()["detail"]) == (422, "that slot is over")
    one = book(b, day, "11:00", f"full-{day}-1", service="noncash")  # capacity 1
    full = book(b, day, "11:00", f"full-{day}-2", service="noncash")
    assert (one.status_code, full.status_code, full.json()["error"]) == (201, 409, "slot_full")
    cancelled = b.booking.delete(f"/api/v1/appointments/{one.json()['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert book(b, day, "11:00", f"full-{day}-3", service="noncash").status_code == 201
    r = check_in(b, one.json()["code"])
    assert (r.status_code, r.json()["detail"]) == (409, "this appointment is cancelled")
    other = b.host.client(b.host.token(Role.BOOKING, name="another app"))
    with other:
        assert other.get(f"/api/v1/appointments/{one.json()['id']}").status_code == 404
        assert other.delete(f"/api/v1/appointments/{one.json()['id']}").status_code == 404
        assert other.get("/api/v1/appointments", params={"day": str(day)}).json() == []
        assert other.get("/api/v1/queues").status_code == 403  # the app sees nothing else


def test_the_kiosk_cache_holds_todays_codes_only_as_digests(branch: Branch, day: date) -> None:
    b = branch
    today = book(b, day, "10:00", f"cache-{day}-1").json()
    cancelled = book(b, day, "10:15", f"cache-{day}-2").json()
    b.booking.delete(f"/api/v1/appointments/{cancelled['id']}")
    tomorrow = book(b, day + timedelta(days=1), "10:00", f"cache-{day}-3").json()
    cache = b.kiosk.get("/api/v1/appointments/kiosk-cache").json()
    assert cache["day"] == cache["key_id"] == str(day) and len(cache["salt"]) == 32
    assert (cache["early_window_s"], cache["grace_late_s"]) == (3600, 600)
    assert [a["id"] for a in cache["appointments"]] == [today["id"]]
    entry = cache["appointments"][0]
    expected = hmac.new(cache["salt"].encode(), today["code"].encode(), hashlib.sha256).hexdigest()
    assert entry["code_digest"] == expected
    assert today["code"] not in str(cache) and tomorrow["id"] not in str(cache)
    assert b.kiosk.get("/api/v1/appointments/kiosk-cache").json()["salt"] == cache["salt"]


def test_an_offline_check_in_marks_the_appointment_once(branch: Branch, day: date) -> None:
    b = branch
    booked = book(b, day, "10:00", f"offline-{day}").json()
    b.clock.set_local(day, "09:50")
    lease = b.kiosk.post("/api/v1/leases", json={"kiosk": "entrance", "service": "wealth",
                                                 "count": 3}).json()
    issued_at = b.clock().isoformat()
    first = b.kiosk.post("/api/v1/tickets/offline", json={
        "kiosk": "entrance", "service": "wealth", "number": lease["first"],
        "issued_at": issued_at, "client_ref": f"off-{day}-1", "appointment_id": booked["id"]})
    assert first.status_code == 201, first.text
    second = b.kiosk.post("/api/v1/tickets/offline", json={
        "kiosk": "entrance", "service": "wealth", "number": lease["first"] + 1,
        "issued_at": issued_at, "client_ref": f"off-{day}-2", "appointment_id": booked["id"]})
    assert second.status_code == 201
    shown = b.manager.get(f"/api/v1/appointments/{booked['id']}").json()
    assert (shown["status"], shown["arrival"]) == ("checked_in", "early")
    b.clock.set_local(day, "09:55")
    walker = walk_in(b)
    b.clock.set_local(day, "10:00")
    assert call_next(b) == first.json()["number"]  # the appointment's, at its slot
    assert call_next(b) == second.json()["number"]  # an ordinary ticket, issued before the walk-in
    assert call_next(b) == walker


def test_the_day_report_has_show_rate_punctuality_and_waits_against_walk_ins(
        branch: Branch, day: date) -> None:
    b = branch
    early, late, _missed = (book(b, day, hhmm, f"report-{day}-{i}").json()
                            for i, hhmm in enumerate(["10:00", "10:00", "10:30"]))
    cancelled = book(b, day, "11:00", f"report-{day}-3").json()
    book(b, day, "11:30", f"report-{day}-4")  # still to come when the report is read
    b.booking.delete(f"/api/v1/appointments/{cancelled['id']}")
    b.clock.set_local(day, "09:50")
    check_in(b, early["code"])  # 10 minutes early
    b.clock.set_local(day, "09:55")
    walker = walk_in(b)
    b.clock.set_local(day, "10:05")
    call_next(b)  # the early one, waiting from its slot: 5 minutes
    b.clock.set_local(day, "10:06")
    assert call_next(b) == walker  # 11 minutes
    b.clock.set_local(day, "10:12")
    check_in(b, late["code"])  # 12 minutes late: a walk-in
    b.clock.set_local(day, "10:20")
    call_next(b)  # 8 minutes
    b.clock.set_local(day, "11:00")
    report = b.manager.get("/api/v1/reports/day", params={"date": str(day)})
    assert report.status_code == 200
    a = report.json()["appointments"]
    assert {k: a[k] for k in ("booked", "cancelled", "checked_in", "early", "on_time",
                              "late_walk_in", "missed", "to_come")} == {
        "booked": 4, "cancelled": 1, "checked_in": 2, "early": 1, "on_time": 0,
        "late_walk_in": 1, "missed": 1, "to_come": 1}
    assert a["show_rate"] == pytest.approx(2 / 3)
    assert (a["punctuality"]["minutes_p10"], a["punctuality"]["minutes_p90"]) == (-10.0, 12.0)
    assert {k: v for k, v in a["punctuality"]["bins"].items() if v} == {
        "early_5_15": 1, "late_10_plus": 1}
    assert (a["waits"]["appointments"]["waited"], a["waits"]["appointments"]["wait_mean_s"]) == (1, 300)
    assert (a["waits"]["walk_ins"]["waited"], a["waits"]["walk_ins"]["wait_max_s"]) == (2, 660)
    csv = b.manager.get("/api/v1/reports/day.csv", params={"date": str(day)}).text
    assert f"{day},4,1,2,1,0,1,1,0.667,-10,300,480" in csv


def test_a_failed_print_books_the_appointment_again(branch: Branch, day: date) -> None:
    b = branch
    booked = book(b, day, "10:00", f"print-{day}").json()
    b.clock.set_local(day, "09:59")
    first = b.kiosk.post("/api/v1/appointments/check-in",
                         json={"code": booked["code"], "await_print": True})
    assert first.status_code == 201 and first.json()["status"] == "printing"
    void = b.kiosk.post(f"/api/v1/tickets/{first.json()['id']}/void", json={"reason": "paper out"})
    assert void.status_code == 200 and void.json()["status"] == "voided"
    assert b.manager.get(f"/api/v1/appointments/{booked['id']}").json()["status"] == "booked"
    again = b.kiosk.post("/api/v1/appointments/check-in",
                         json={"code": booked["code"], "await_print": True,
                               "client_ref": f"print-again-{day}"})
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    retried = b.kiosk.post("/api/v1/appointments/check-in",
                           json={"code": booked["code"], "await_print": True,
                                 "client_ref": f"print-again-{day}"})
    assert (retried.status_code, retried.json()["id"]) == (201, again.json()["id"])  # a retry
    printed = b.kiosk.post(f"/api/v1/tickets/{again.json()['id']}/printed")
    assert printed.status_code == 200 and printed.json()["status"] == "waiting"
    b.clock.set_local(day, "10:00")
    assert call_next(b) == again.json()["number"]
    report = b.manager.get("/api/v1/reports/day", params={"date": str(day)}).json()
    assert report["appointments"]["checked_in"] == 1
