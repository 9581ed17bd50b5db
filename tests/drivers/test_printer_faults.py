"""Faults a technician meets: no paper, open cover, a silent or unplugged printer."""

from __future__ import annotations

import time

import pytest

from branchq.drivers.printer import CoverOpen, PaperOut, PrinterFault, PrinterOffline
from branchq.drivers.printer.escpos_stream import Command
from branchq.drivers.printer.virtual_printer import VirtualPrinter
from tests.drivers.printer_helpers import TICKET, serial_printer


@pytest.mark.parametrize(("fault", "error"), [("paper_out", PaperOut), ("cover_open", CoverOpen),
                                              ("error", PrinterFault)])
def test_a_fault_refuses_the_ticket_and_nothing_is_printed(fault: str, error: type) -> None:
    virtual = VirtualPrinter()
    setattr(virtual, fault, True)
    with serial_printer(virtual) as (printer, _), pytest.raises(error, match="not printed"):
        printer.print_ticket(TICKET)
    assert virtual.text_lines == [] and virtual.images == [] and virtual.cuts == 0
    assert virtual.recover() == b""  # nothing was even sent: nothing is held to print later


def test_silent_printer_refuses_the_ticket_quickly() -> None:
    virtual = VirtualPrinter()
    virtual.silent = True
    with serial_printer(virtual, status_timeout_s=0.2) as (printer, _):
        started = time.monotonic()
        with pytest.raises(PrinterOffline, match="does not answer"):
            printer.print_ticket(TICKET)
    assert time.monotonic() - started < 1.0
    assert virtual.text_lines == []


class _RollEndsAtCut(VirtualPrinter):
    """The roll runs out while the ticket is printed: the status *after* printing is bad."""

    def _cut(self, command: Command) -> None:
        super()._cut(command)
        self.paper_out = True


def test_paper_running_out_during_the_ticket_is_reported_after_printing() -> None:
    with serial_printer(_RollEndsAtCut(), chinese_mode="text", print_timeout_s=0.3) as (printer, _):
        with pytest.raises(PaperOut, match="may be incomplete"):
            printer.print_ticket(TICKET)


def test_near_end_prints_and_warns() -> None:
    virtual = VirtualPrinter()
    virtual.paper_near_end = True
    with serial_printer(virtual, chinese_mode="text") as (printer, _):
        status = printer.print_ticket(TICKET)
    assert status.ok and status.paper_near_end
    assert "A023" in virtual.text_lines


def test_reconnects_after_the_serial_adapter_is_unplugged_and_plugged_back() -> None:
    with serial_printer(chinese_mode="text") as (printer, port):
        assert printer.status().ok
        port.unplug()
        gone = printer.status()
        assert gone.offline and not gone.ok
        with pytest.raises(PrinterOffline):
            printer.print_ticket(TICKET)
        port.replug()  # a new tty behind the same path, as udev's /dev/branchq/printer
        assert printer.status().ok
        printer.print_ticket(TICKET)
    assert "A023" in port.printer.text_lines


def test_status_bytes_caused_by_image_data_do_not_confuse_the_next_status() -> None:
    # Raster rows that contain DLE EOT 1 and DLE EOT 4: the printer answers them mid-print.
    rows = (b"\x10\x04\x01\x00" + b"\x10\x04\x04\x00") * 12
    image = b"\x1dv0\x00\x08\x00\x0c\x00" + rows
    virtual = VirtualPrinter()
    virtual.paper_near_end = True  # so the stray replies differ from a healthy answer
    with serial_printer(virtual) as (printer, port):
        printer._transport.open()
        printer._transport.write(b"\x1b@" + image)
        status = printer.status()
    assert status.ok and status.paper_near_end
    assert virtual.images and virtual.images[0].size == (64, 12)
