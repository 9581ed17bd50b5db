"""The kiosk's side of appointments without a host: what a scan is, the offline cache and its
digests, the arrival rule, the local limit on wrong codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from branchq.drivers.cardreader import CardRead, CardReader
from branchq.drivers.cardreader.virtual import VirtualScanner
from branchq.host.api.appointments import code_digest as host_digest
from branchq.kiosk.appointments import (
    AppointmentCache,
    CachedAppointment,
    WrongCodes,
    code_digest,
    scanned_code,
)

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
