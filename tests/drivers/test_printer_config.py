"""Printer configuration: bad settings are refused at start-up with a message naming the key."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from branchq.drivers.printer import PrinterConfig, PrinterConfigError, PrinterOffline, TicketPrinter
from branchq.drivers.printer.config import escpos_profiles
from branchq.drivers.printer.transport import NetworkTransport, UsbTransport, make_transport
from branchq.drivers.printer.virtual_printer import VirtualPrinter
from tests.drivers.printer_helpers import SERVICE_ZH, TICKET

SERIAL = {"kind": "serial", "path": "/dev/ttyUSB0"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"backend": {"kind": "usb", "vendor_id": "0416", "product_id": "5011", "timeout_ms": 0}},
         "backend.usb.timeout_ms: Input should be greater than 0"),
        ({"backend": {**SERIAL, "baudrate": 9601}}, "backend.serial.baudrate"),
        ({"backend": {"kind": "lpt"}}, "does not match any of the expected tags"),
        ({"backend": SERIAL, "papr_width_mm": 58}, "papr_width_mm: unknown key (check the spelling)"),
        ({"backend": SERIAL, "paper_width_mm": 76}, "paper_width_mm"),
        ({"backend": SERIAL, "profile": "TM-T99"}, "unknown python-escpos profile 'TM-T99'"),
        ({"backend": SERIAL, "profile": "POS-5890", "has_cutter": False},
         "profile 'POS-5890' is for 57.5 mm paper but paper_width_mm is 80"),
        ({"backend": SERIAL, "profile": "POS-5890", "paper_width_mm": 58},
         "declares no cutter"),
        ({"backend": SERIAL, "font_path": "/nonexistent.ttc"}, "cannot load font"),
        ({"backend": SERIAL, "chinese_mode": "utf8"}, "chinese_mode"),
    ],
)
def test_invalid_config_is_refused_with_a_clear_message(data: dict[str, Any], message: str
                                                        ) -> None:
    with pytest.raises(PrinterConfigError, match="invalid printer config") as caught:
        PrinterConfig.from_mapping(data)
    assert message in str(caught.value)


def test_profiles_checked_at_start_are_the_ones_python_escpos_prints_with() -> None:
    # The config reads capabilities.json itself (fast); the encoder's Dummy uses escpos's own load.
    from escpos.capabilities import CAPABILITIES

    assert escpos_profiles() == CAPABILITIES["profiles"]
    assert "TM-T88V" in escpos_profiles()


def test_usb_ids_are_read_as_lsusb_prints_them_and_the_timeout_is_never_zero() -> None:
    cfg = PrinterConfig.from_mapping(
        {"backend": {"kind": "usb", "vendor_id": "0416", "product_id": "0x5011"}})
    assert (cfg.backend.vendor_id, cfg.backend.product_id) == (0x0416, 0x5011)
    assert cfg.backend.timeout_ms > 0
    assert isinstance(make_transport(cfg.backend), UsbTransport)


@pytest.mark.parametrize(("width_mm", "profile", "dots"),
                         [(58, "POS-5890", 384), (80, "TM-T20II", 576), (80, "TM-T88V", 512)])
def test_print_width_follows_paper_and_profile(width_mm: int, profile: str, dots: int) -> None:
    cfg = PrinterConfig.from_mapping({"backend": SERIAL, "paper_width_mm": width_mm,
                                      "profile": profile, "has_cutter": width_mm == 80})
    assert cfg.width_dots == dots


def test_serial_time_on_the_wire_counts_start_parity_and_stop_bits() -> None:
    cfg = PrinterConfig.from_mapping({"backend": {**SERIAL, "parity": "E"}})
    assert cfg.wire_seconds(960) == pytest.approx(960 * 11 / 9600)


@pytest.fixture
def network_printer() -> Iterator[tuple[int, VirtualPrinter]]:
    """A virtual printer behind a TCP port, like an Ethernet printer on port 9100."""
    virtual = VirtualPrinter()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            while data := conn.recv(4096):
                if reply := virtual.feed(data):
                    conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], virtual
    server.close()
    thread.join(timeout=2)


def test_network_backend_prints_and_reads_status(network_printer: tuple[int, VirtualPrinter]
                                                 ) -> None:
    port, virtual = network_printer
    cfg = PrinterConfig.from_mapping({"backend": {"kind": "network", "host": "127.0.0.1",
                                                  "port": port, "timeout_s": 2},
                                      "chinese_mode": "text", "status_timeout_s": 0.3})
    printer = TicketPrinter(cfg)
    assert isinstance(printer._transport, NetworkTransport)
    assert printer.print_ticket(TICKET).ok
    printer.close()
    assert "A023" in virtual.text_lines and SERVICE_ZH in virtual.text_lines


def test_network_printer_that_is_not_there_is_offline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    cfg = PrinterConfig.from_mapping({"backend": {"kind": "network", "host": "127.0.0.1",
                                                  "port": port, "timeout_s": 1}})
    printer = TicketPrinter(cfg)
    assert printer.status().offline
    with pytest.raises(PrinterOffline):
        printer.print_ticket(TICKET)
