"""Real-time status: bytes from real printers and from the virtual one, decoded by named bits."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchq.drivers.printer import PrinterFault, TicketPrinter
from branchq.drivers.printer.status import (
    Fault,
    StatusQuery,
    decode_status,
    is_status_byte,
    pick_status_byte,
)
from branchq.drivers.printer.virtual_printer import VirtualPrinter
from tests.drivers.printer_helpers import TICKET, config, fixture_exchange, serial_printer

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


# The real Epson reply 0x16 (fixtures) with the offline bit set as well: 0x1E.
REAL_OFFLINE = fixture_exchange("dle-eot-1.epson-serial.node-escpos288.hex")[1][0] | 0x08


@pytest.mark.parametrize(
    ("replies", "fault", "words"),
    [
        ({1: REAL_OFFLINE, 2: 0x52, 3: 0x1A, 4: 0x12}, Fault.CUTTER_OR_HEAD, "auto-cutter error"),
        ({1: REAL_OFFLINE, 2: 0x52, 3: 0x32, 4: 0x12}, Fault.CUTTER_OR_HEAD, "unrecoverable"),
        ({1: REAL_OFFLINE, 2: 0x52, 3: 0x52, 4: 0x12}, Fault.CUTTER_OR_HEAD, "head overheated"),
        ({1: REAL_OFFLINE, 2: 0x52, 3: None, 4: 0x12}, Fault.CUTTER_OR_HEAD, "printer error"),
        ({1: REAL_OFFLINE, 2: 0x76, 4: 0x72}, Fault.COVER_OPEN, "cover is open"),
        ({1: REAL_OFFLINE, 2: 0x72, 4: 0x72}, Fault.PAPER_OUT, "paper roll is empty"),
        ({1: REAL_OFFLINE, 2: 0x12, 4: 0x12}, Fault.OFFLINE, "reports offline"),
        ({1: None}, Fault.NOT_ANSWERING, "does not answer"),
        ({1: 0x16, 2: None}, Fault.NOT_ANSWERING, "did not answer every status request"),
    ],
)
def test_a_fault_is_named_by_its_most_specific_bit_not_by_offline(replies: dict, fault: Fault,
                                                                   words: str) -> None:
    """A printer with its cover open or a cutter error also says "offline" in DLE EOT 1; the
    customer and the technician must hear the cause, not "the printer does not answer"."""
    status = decode_status(replies)
    assert status.fault is fault and not status.ok
    assert words in status.description.lower()
    if fault is not Fault.NOT_ANSWERING:
        assert "does not answer" not in status.description


def test_a_healthy_status_has_no_fault() -> None:
    assert decode_status(HEALTHY).fault is None
    assert decode_status({1: 0x16, 2: 0x12, 4: 0x1E}).fault is None  # near end is a warning


def test_a_cutter_error_through_the_serial_port_asks_dle_eot_3_and_names_it() -> None:
    virtual = VirtualPrinter()
    virtual.error = True
    with serial_printer(virtual) as (printer, _):
        status = printer.status()
        with pytest.raises(PrinterFault, match="(?i)auto-cutter error") as raised:
            printer.print_ticket(TICKET)
    assert status.replies[StatusQuery.ERROR_CAUSE] == 0x1A
    assert status.fault is Fault.CUTTER_OR_HEAD and raised.value.fault is Fault.CUTTER_OR_HEAD


def test_a_healthy_printer_is_not_asked_dle_eot_3() -> None:
    with serial_printer() as (printer, _):
        status = printer.status()
    assert StatusQuery.ERROR_CAUSE not in status.replies and status.ok
