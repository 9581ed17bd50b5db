"""Real-time status: bytes from real printers and from the virtual one, decoded by named bits."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer import TicketPrinter
from drivers.printer.status import StatusQuery, decode_status, is_status_byte, pick_status_byte
from drivers.printer.virtual_printer import VirtualPrinter
from tests.drivers.printer_helpers import config, fixture_exchange, serial_printer

HEALTHY = {1: 0x12, 2: 0x12, 4: 0x12}


def test_real_epson_reply_0x16_to_dle_eot_1_means_online() -> None:
    for name in ("dle-eot-1.epson-serial.node-escpos288.hex",
                 "pos-handshake.epson-tm.escpos-netprinter1.hex"):
        sent, reply = fixture_exchange(name)
        assert sent.endswith(StatusQuery.PRINTER.command)
        assert reply == b"\x16"
        status = decode_status({**HEALTHY, 1: reply[0]})
        assert status.ok and not status.offline and not status.cover_open


def test_real_paper_removed_reply_0x72_to_dle_eot_4_means_paper_out() -> None:
    _, reply = fixture_exchange("dle-eot-paper-removed.python-escpos143.hex")
    status = decode_status({**HEALTHY, 4: reply[0]})
    assert status.paper_out and not status.ok
    assert not status.paper_near_end  # paper end wins over near end
    assert "paper roll is empty" in status.description.lower()


@pytest.mark.parametrize(
    ("replies", "flag", "words"),
    [
        ({1: 0x1E, 2: 0x16, 4: 0x12}, "cover_open", "cover is open"),
        ({1: 0x1E, 2: 0x32, 4: 0x12}, "paper_out", "paper roll is empty"),
        ({1: 0x1E, 2: 0x52, 4: 0x12}, "error", "printer error"),
        ({1: 0x1A, 2: 0x12, 4: 0x12}, "offline", "reports offline"),
        ({1: None}, "offline", "does not answer"),
        ({1: 0x16, 2: None}, "offline", "did not answer every status request"),
    ],
)
def test_each_fault_is_decoded_from_its_named_bit(replies: dict, flag: str, words: str) -> None:
    status = decode_status(replies)
    assert getattr(status, flag) and not status.ok
    assert words in status.description.lower()


def test_paper_near_end_is_a_warning_not_a_failure() -> None:
    status = decode_status({1: 0x16, 2: 0x12, 4: 0x1E})
    assert status.ok and status.paper_near_end
    assert "running low" in status.description


def test_status_bytes_are_told_from_noise_by_the_fixed_bits() -> None:
    assert is_status_byte(0x12) and is_status_byte(0x16) and is_status_byte(0x72)
    assert not is_status_byte(0x00) and not is_status_byte(0xFF) and not is_status_byte(0x13)
    # the last candidate wins: earlier ones are late replies to DLE EOT inside image data
    assert pick_status_byte(b"\x00\xff\x16\x0a\x72\x81") == 0x72
    assert pick_status_byte(b"\x00\xff\x0a") is None


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([1, 2, 3, 4]), st.none() | st.integers(0, 255)))
def test_decoding_any_replies_never_crashes(replies: dict) -> None:
    status = decode_status(replies)
    assert status.description
    assert status.ok == (not (status.offline or status.paper_out or status.cover_open
                              or status.error))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_picking_a_status_byte_from_any_bytes_never_crashes(data: bytes) -> None:
    value = pick_status_byte(data)
    assert value is None or (value in data and is_status_byte(value))


@pytest.mark.parametrize("fault", ["paper_out", "cover_open", "error", "paper_near_end"])
def test_virtual_printer_answers_with_bits_the_decoder_reads(fault: str) -> None:
    printer = VirtualPrinter()
    setattr(printer, fault, True)
    replies = {n: printer.feed(StatusQuery(n).command)[0] for n in (1, 2, 4)}
    assert all(is_status_byte(v) for v in replies.values())
    assert getattr(decode_status(replies), fault)


def test_healthy_virtual_printer_answers_like_a_real_epson() -> None:
    assert VirtualPrinter().feed(b"\x1b@\x1b=\x01\x10\x04\x01") == b"\x16"


@pytest.mark.parametrize("fault", ["paper_out", "cover_open", "error"])
def test_status_through_the_serial_port_reports_each_fault(fault: str) -> None:
    virtual = VirtualPrinter()
    setattr(virtual, fault, True)
    with serial_printer(virtual) as (printer, _):
        status = printer.status()
    assert getattr(status, fault) and not status.ok


def test_silent_printer_is_offline_within_the_timeout() -> None:
    virtual = VirtualPrinter()
    virtual.silent = True
    with serial_printer(virtual, status_timeout_s=0.2) as (printer, _):
        started = time.monotonic()
        status = printer.status()
        elapsed = time.monotonic() - started
    assert status.offline and not status.ok
    assert "does not answer" in status.description
    assert elapsed < 0.6  # one timeout, not one per query


def test_unsolicited_bytes_before_a_status_request_are_tolerated() -> None:
    with serial_printer() as (printer, port):
        port.inject(b"\x00\xff\x7e\x72\x16")  # noise and stale status-looking bytes
        time.sleep(0.05)
        status = printer.status()
    assert status.ok, status.description


class _ChatteringLine:
    """A transport on which noise never stops (a wrong baud rate looks like this)."""

    can_read = True
    description = "chattering line"
    is_open = True

    def open(self) -> None: ...

    def close(self) -> None: ...

    def write(self, data: bytes) -> None: ...

    def read(self, timeout_s: float) -> bytes:
        time.sleep(min(timeout_s, 0.002))
        return b"\x00\xff"


def test_a_line_that_never_stops_chattering_does_not_hang_the_status() -> None:
    printer = TicketPrinter(config("/dev/null", status_timeout_s=0.2), transport=_ChatteringLine())
    started = time.monotonic()
    status = printer.status()
    assert status.offline and not status.ok
    assert time.monotonic() - started < 1.0
