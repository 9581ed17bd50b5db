"""`branchq maint devices` in a subprocess; USB naming from a sysfs tree."""

from __future__ import annotations

from pathlib import Path

from branchq.drivers.framebuffer import VirtualFramebuffer
from branchq.drivers.printer.virtual_port import VirtualPrinterPort
from branchq.drivers.printer.virtual_printer import VirtualPrinter
from branchq.kiosk.maint.devices import usb_devices
from tests.maint.maint_helpers import kiosk_toml, maint_json


def test_config_entries_found_and_missing(tmp_path: Path) -> None:
    screen = VirtualFramebuffer(tmp_path / "fb", 800, 480)
    with VirtualPrinterPort(VirtualPrinter(), tmp_path / "printer") as port:
        config = kiosk_toml(tmp_path, printer=port.path, framebuffer=str(screen.device),
                            keypads=str(tmp_path / "keypads"))
        code, report = maint_json("devices", "--kiosk-config", str(config))
    assert code == 1
    found = {row["entry"]: row["found"] for row in report["config_entries"]}
    assert found["[printer] backend.path"].startswith(f"{port.path} -> /dev/pts/")
    assert found["[screen] framebuffer"] == str(screen.device)
    assert found["[keypads] port"] == found["[touch] device"] == "NO DEVICE"
    faults = [f["message"] for f in report["findings"] if f["level"] == "fault"]
    assert len(faults) == 2
    assert faults[1].startswith(f"[keypads] port: no device at {tmp_path / 'keypads'} — check "
                                "the keypads' USB-RS485 adapter is plugged in")


def _usb(root: Path, name: str, ids: tuple[str, str], product: str = "",
         interface_class: str = "ff") -> None:
    folder = root / name
    (folder / f"{name}:1.0").mkdir(parents=True)
    (folder / "idVendor").write_text(ids[0] + "\n")
    (folder / "idProduct").write_text(ids[1] + "\n")
    if product:
        (folder / "product").write_text(product + "\n")
    (folder / f"{name}:1.0" / "bInterfaceClass").write_text(interface_class + "\n")


def test_usb_printers_are_named(tmp_path: Path) -> None:
    _usb(tmp_path, "1-1.2", ("04b8", "0202"), interface_class="07")
    _usb(tmp_path, "1-1.3", ("1fc9", "2016"), "Printer XP-58", interface_class="07")
    _usb(tmp_path, "1-1.4", ("1a86", "7523"))
    devices = {d.usb_id: d for d in usb_devices(tmp_path)}
    assert devices["04b8:0202"].name == "Epson TM-T20 / TM-T88 receipt printer"
    assert devices["1fc9:2016"].name == "Printer XP-58" and devices["1fc9:2016"].is_printer
    assert devices["1a86:7523"].name == "CH340 USB-serial adapter"
    assert not devices["1a86:7523"].is_printer
