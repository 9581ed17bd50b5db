"""The kiosk's side of appointments: what a scan is, the offline cache and its digests, the
arrival rule, the local limit on wrong codes, and a check-in settled after an outage."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from branchq.drivers.cardreader import CardRead, CardReader
from branchq.drivers.cardreader.virtual import VirtualScanner
from branchq.host.api.appointments import code_digest as host_digest
from branchq.host.auth import Role
from branchq.kiosk.appointments import (
    AppointmentCache,
    CachedAppointment,
    WrongCodes,
    code_digest,
    scanned_code,
)
from branchq.kiosk.flow import TicketFlow
from branchq.kiosk.hostlink import HostLink
from branchq.kiosk.journal import Journal, PendingTicket
from tests.drivers.printer_helpers import serial_printer
from tests.host.inprocess import InProcessHost

KEY = b"kiosk-test-branch-card-key-32byt"
SLOT = datetime(2026, 12, 8, 10, 15, tzinfo=UTC)


def reads(*typed: str, swipe: str | None = None) -> list[CardRead]:
    """What the card reader driver makes of keystrokes typed by the virtual scanner (evdev
    records through a pipe, as the kernel delivers them)."""
    scanner = VirtualScanner(start=1000.0)
    for text in typed:
        scanner.type_text(text)
    if swipe:
        scanner.swipe(swipe)
    reader, source, out = CardReader(KEY), scanner.source(), []
    for _ in range(10):
        out += reader.poll(source, 0.02)
    return out


def test_only_a_bqa_scan_is_a_code_and_a_vip_card_stays_a_card() -> None:
    got = reads("BQA:318204", "318204", "BQA:31820", "bqa:318204", swipe="4111111111111111")
    assert [r.kind for r in got] == ["text", "text", "text", "text", "card"]
    assert [scanned_code(r.text or "") for r in got] == ["318204", None, None, None, None]
    assert got[-1].digest and "4111111111111111" not in repr(got[-1])


def test_the_offline_digest_is_the_hosts() -> None:
    assert code_digest("day-salt", "318204") == host_digest("day-salt", "318204")


def cache(grace_s: float = 600) -> AppointmentCache:
    booked = CachedAppointment("ap1", "wealth", SLOT, SLOT + timedelta(minutes=15),
                               code_digest("salt", "318204"))
    return AppointmentCache("2026-12-08", "salt", (booked,), 3600, grace_s)


def test_a_typed_code_is_found_by_its_digest_and_judged_as_the_host_judges() -> None:
    c = cache()
    found = c.find("318204")
    assert found is not None and c.find("318205") is None
    assert c.arrival(found, SLOT - timedelta(minutes=5)) == "early"
    assert c.arrival(found, SLOT + timedelta(minutes=10)) == "on_time"  # the grace's last second
    assert c.arrival(found, SLOT + timedelta(minutes=10, seconds=1)) == "late_walk_in"
    assert c.opens_at(found) == (SLOT - timedelta(hours=1)).timestamp()


def test_the_cache_survives_the_journal_whole_and_holds_no_code() -> None:
    c = cache()
    c = AppointmentCache(c.day, c.key, c.appointments, c.early_window_s, c.grace_late_s,
                         frozenset({"ap1"}))
    saved = c.to_journal()
    assert "318204" not in repr(saved)
    assert AppointmentCache.from_journal(saved) == c


def test_wrong_codes_offline_block_the_keypad_for_a_while() -> None:
    now = [0.0]
    limit = WrongCodes(3, 60, 120, clock=lambda: now[0])
    for _ in range(2):
        limit.wrong()
        now[0] += 10
    assert limit.blocked_for() == 0
    now[0] += 60  # the first two have left the window
    limit.wrong()
    limit.wrong()
    assert limit.blocked_for() == 0
    limit.wrong()
    assert limit.blocked_for() == 120
    now[0] += 120
    assert limit.blocked_for() == 0


def test_a_check_in_left_unanswered_is_settled_after_its_offline_ticket(tmp_path: Path) -> None:
    """The kiosk asked the host to check a code in, lost the host before the answer and checked
    the appointment in offline (kiosk/flow.py). Back online, the offline ticket is reported first
    and becomes the appointment's; the unanswered request, retried, is then refused (checked in
    already) and leaves nothing to void: the customer keeps the appointment's place."""
    host = InProcessHost(f"sqlite:///{tmp_path / 'branchq.db'}").start()
    journal = Journal(tmp_path / "journal.json")
    try:
        with host.client(host.token(Role.BOOKING, name="app")) as app:
            now = datetime.now(UTC)
            slot = now.replace(minute=now.minute // 15 * 15, second=0, microsecond=0)
            booked = app.post("/api/v1/appointments", json={
                "service": "wealth", "slot_start": slot.isoformat(), "idempotency_key": "unanswered-1"})
            assert booked.status_code == 201, booked.text
            code, appointment = booked.json()["code"], booked.json()["id"]

        async def settle() -> tuple[int, str]:
            link = HostLink(host.base, host.token(Role.KIOSK, name="entrance kiosk"), 10)
            try:
                with serial_printer() as (printer, _):
                    flow = TicketFlow("entrance", printer, link, journal, 10)
                    await flow.refresh_facts()
                    await flow.top_up_leases()
                    day = flow.facts.today(now) if flow.facts else ""
                    number, prefix = journal.take_offline_number("wealth", day) or (0, "")
                    label = f"{prefix}{number:03d}"
                    journal.add(PendingTicket("entrance-unanswered", "online", "", "normal",
                                              "requested", now.isoformat(), code=code))
                    journal.add(PendingTicket("entrance-offline", "offline", "wealth", "normal",
                                              "printed", now.isoformat(), number=number,
                                              label=label,
                                              appointment_id=appointment, slot="10:15"))
                    return await flow.settle(), label
            finally:
                await link.close()

        unsettled, label = asyncio.run(settle())
        assert unsettled == 0
        with host.client(host.token(Role.MANAGER)) as manager:
            found = manager.get(f"/api/v1/appointments/{appointment}").json()
            tickets = manager.get("/api/v1/tickets").json()
        assert found["status"] == "checked_in"
        assert [(t["number"], t["status"]) for t in tickets] == [(label, "waiting")]
    finally:
        host.stop()
