"""Double booking is impossible: sixteen booking clients at once, on SQLite and on PostgreSQL
(there through two host processes' services on one database)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from branchq.host.auth import Role
from tests.host.inprocess import InProcessHost

CLIENTS = 16
SLOTS = ["10:00", "10:15", "10:30", "10:45"]
CAPACITY = 2  # wealth, in the example branch


def _book_all(bases: list[str], token: str, day: str) -> list[tuple[str, int, dict]]:  # type: ignore[type-arg]
    """Every client tries every slot, in its own order, all starting at once: (slot, status,
    body) of each answer."""
    answers: list[tuple[str, int, dict]] = []  # type: ignore[type-arg]
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(i: int) -> None:
        order = random.Random(i).sample(SLOTS, len(SLOTS))
        with httpx.Client(base_url=bases[i % len(bases)], timeout=20,
                          headers={"Authorization": f"Bearer {token}"}) as c:
            start.wait()
            for slot in order:
                r = c.post("/api/v1/appointments", json={
                    "service": "wealth", "slot_start": f"{day}T{slot}:00+08:00",
                    "idempotency_key": f"client-{i}-{slot.replace(':', '')}"})
                with lock:
                    answers.append((slot, r.status_code, r.json()))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def _tomorrow() -> str:
    return str(datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1))


def _assert_no_double_booking(answers: list[tuple[str, int, dict]], listed: list[dict]) -> None:  # type: ignore[type-arg]
    assert len(answers) == CLIENTS * len(SLOTS)
    assert Counter(status for _, status, _ in answers) == {
        201: CAPACITY * len(SLOTS), 409: (CLIENTS - CAPACITY) * len(SLOTS)}
    booked = Counter(slot for slot, status, _ in answers if status == 201)
    assert booked == {slot: CAPACITY for slot in SLOTS}
    assert {body["error"] for _, status, body in answers if status == 409} == {"slot_full"}
    codes = [body["code"] for _, status, body in answers if status == 201]
    assert len(set(codes)) == len(codes)
    # What the database holds agrees: the manager's list has each slot's two bookings.
    assert Counter(a["slot_start"][11:16] for a in listed) == booked


def test_sixteen_clients_never_double_book(running_host: InProcessHost) -> None:
    """On PostgreSQL half the clients go through a second host process's service: the
    capacity holds across processes (their write transactions take the branch's lock)."""
    hosts = [running_host]
    if not running_host.db_url.startswith("sqlite"):
        hosts.append(InProcessHost(running_host.db_url).start())
    try:
        day = _tomorrow()
        answers = _book_all([h.base for h in hosts], running_host.token(Role.BOOKING), day)
        with hosts[-1].client(running_host.token(Role.MANAGER)) as c:
            listed = c.get("/api/v1/appointments", params={"day": day}).json()
    finally:
        for extra in hosts[1:]:
            extra.stop()
    _assert_no_double_booking(answers, listed)
