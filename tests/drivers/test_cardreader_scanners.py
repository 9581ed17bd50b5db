"""Recorded scanners replayed through the card reader driver."""

from __future__ import annotations

import os

from evdev import ecodes

from branchq.drivers.cardreader import CardRead, CardReader, CardReaderConfig
from branchq.drivers.evdev_records import (
    PipeEventSource,
    pack_events,
    parse_python_evdev_keys,
    parse_record_hex,
)

from .evdev_helpers import fixture_text, hid_boot_reports_to_events, key

BRANCH_KEY = b"branch-0042-secret-key-material"


def enter_after(events: list, dt: float = 0.005) -> list:
    t = events[-1].timestamp() + dt
    return events + key(t, ecodes.KEY_ENTER, 1) + key(t + 0.001, ecodes.KEY_ENTER, 0)


def test_datalogic_alt_code_scanner_types_digits() -> None:
    """ALT + KP0 KP5 KP2 = '4', ALT + KP0 KP5 KP6 = '8' (the barcode begins 4878...)."""
    events = parse_python_evdev_keys(
        fixture_text("scanner-datalogic-gfs4400-altcodes.python-evdev.txt")
    )
    # the excerpt ends with ALT held: release it, then Enter
    t = events[-1].timestamp() + 0.001
    events += key(t, ecodes.KEY_LEFTALT, 0)
    reads = CardReader(BRANCH_KEY).feed_all(enter_after(events))
    # the asker cut the digits of the 3rd and 4th codes: ALT + "0" types nothing
    assert reads == [CardRead("text", text="48")]


def test_hid_boot_alt_code_scanner_types_sip_4_1() -> None:
    events = hid_boot_reports_to_events(
        fixture_text("scanner-altcode-SIP-4-1.hid-boot-reports.hex")
    )
    assert CardReader(BRANCH_KEY).feed_all(events) == [CardRead("text", text="SIP-4-1")]


def test_qr_scanner_ctrl_j_is_a_line_feed_inside_the_text() -> None:
    events = parse_python_evdev_keys(fixture_text("scanner-2d-qr.so19732978.python-evdev.txt"))
    (read,) = CardReader(BRANCH_KEY).feed_all(enter_after(events))
    # the excerpt lost LEFTSHIFT's release, so the letters after ^J come out in capitals
    assert read == CardRead("text", text="12\nDBBNE")


def test_raw_records_of_keyboard_then_scanner_through_a_pipe() -> None:
    """The keyboard's '0' is 210 s older than the scanner's: it times out, the scan stands."""
    events = parse_record_hex(fixture_text("scanner-vs-keyboard-digit0.input_event64.hex"))
    read_fd, write_fd = os.pipe()
    source = PipeEventSource(read_fd)
    os.write(write_fd, pack_events(enter_after(events)))
    os.close(write_fd)
    reader = CardReader(BRANCH_KEY, CardReaderConfig(timeout_s=0.5))
    assert reader.poll(source, 1.0) == [CardRead("text", text="0")]
    source.close()
