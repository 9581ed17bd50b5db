"""``branchq maint devices``: what is plugged in, and which config entry each device satisfies.

Lists serial ports (pyserial), USB printers (sysfs: interface class 7, known models named),
input devices with their touch/keyboard capabilities (evdev) and framebuffers (sysfs); then each
device entry of the kiosk config with the device found for it, or a fault when none is there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from branchq.kiosk.maint.options import json_option, kiosk_config_option, load_kiosk
from branchq.kiosk.maint.report import Level, Report, reporting

if TYPE_CHECKING:
    from branchq.kiosk.config import KioskConfig

USB_ROOT = Path("/sys/bus/usb/devices")
GRAPHICS_ROOT = Path("/sys/class/graphics")
_PRINTER_CLASS = "07"
#: USB ids seen at branches (the udev rules in udev/99-branchq.rules name the same ones).
KNOWN_USB = {
    (0x04B8, 0x0202): "Epson TM-T20 / TM-T88 receipt printer",
    (0x0416, 0x5011): "POS58 58 mm receipt printer (Winbond controller)",
    (0x0403, 0x6001): "FTDI FT232R USB-serial adapter",
    (0x1A86, 0x7523): "CH340 USB-serial adapter",
    (0x067B, 0x2303): "Prolific PL2303 USB-serial adapter",
    (0x10C4, 0xEA60): "Silicon Labs CP210x USB-serial adapter",
    (0x0801, 0x0001): "MagTek magstripe card reader",
}
USB_VENDORS = {0x04B8: "Seiko Epson", 0x0416: "Winbond", 0x0519: "Star Micronics",
               0x1504: "Bixolon", 0x0DD4: "Custom", 0x05F9: "Datalogic"}


@dataclass(frozen=True)
class UsbDevice:
    vendor_id: int
    product_id: int
    name: str
    is_printer: bool

    @property
    def usb_id(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"


def usb_devices(root: Path = USB_ROOT) -> list[UsbDevice]:
    """USB devices from sysfs, named from our table, else from what the device says."""
    found = []
    for folder in sorted(root.glob("*")) if root.is_dir() else []:
        try:
            vendor = int((folder / "idVendor").read_text().strip(), 16)
            product = int((folder / "idProduct").read_text().strip(), 16)
        except (OSError, ValueError):
            continue  # an interface, not a device
        classes = {p.read_text().strip() for p in folder.glob("*:*/bInterfaceClass")}
        spoken = " ".join(_read(folder / f) for f in ("manufacturer", "product")).strip()
        name = KNOWN_USB.get((vendor, product)) or spoken or USB_VENDORS.get(vendor, "unknown")
        found.append(UsbDevice(vendor, product, name, _PRINTER_CLASS in classes))
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def serial_ports() -> list[tuple[str, str]]:
    from serial.tools import list_ports

    out = []
    for port in list_ports.comports():
        known = KNOWN_USB.get((port.vid, port.pid)) if port.vid is not None else None
        out.append((port.device, known or port.description or ""))
    return out


def input_devices() -> list[tuple[str, str, str]] | str:
    """(path, name, capabilities) per input device, or why they cannot be listed."""
    import evdev
    from evdev import ecodes

    from branchq.drivers.touch.device import TouchDescription, looks_like_touchscreen

    rows = []
    try:
        paths = evdev.list_devices()
    except OSError as err:
        return str(err)
    for path in paths:
        try:
            device = evdev.InputDevice(path)
        except OSError as err:
            rows.append((path, "?", f"cannot open: {err.strerror} (group input?)"))
            continue
        try:  # python-evdev 2's InputDevice is not a context manager
            description = TouchDescription.from_device(device)
            keys = set(device.capabilities().get(ecodes.EV_KEY, []))
            kinds = []
            if looks_like_touchscreen(description):
                kinds.append("touch screen")
            if {ecodes.KEY_A, ecodes.KEY_ENTER} <= keys:
                kinds.append("keyboard (card reader / scanner?)")
            rows.append((path, device.name, ", ".join(kinds) or "other"))
        finally:
            device.close()
    return rows


def framebuffers(root: Path = GRAPHICS_ROOT) -> list[tuple[str, str]]:
    out = []
    for folder in sorted(root.glob("fb*")) if root.is_dir() else []:
        size = _read(folder / "virtual_size").replace(",", "x")
        out.append((f"/dev/{folder.name}", f"{size} {_read(folder / 'bits_per_pixel')} bpp"))
    return out


def _resolved(path: str) -> str:
    real = os.path.realpath(path)
    return path if real == path else f"{path} -> {real}"


def config_entries(kiosk: KioskConfig, usb: list[UsbDevice]) -> list[tuple[str, str, str | None]]:
    """(config entry, what it asks for, the device found or None)."""
    from branchq.drivers.printer.config import FileBackend, SerialBackend, UsbBackend

    entries: list[tuple[str, str, str | None]] = []

    def by_path(entry: str, path: str) -> None:
        entries.append((entry, path, _resolved(path) if os.path.exists(path) else None))

    backend = kiosk.printer.backend
    if isinstance(backend, SerialBackend | FileBackend):
        by_path("[printer] backend.path", backend.path)
    elif isinstance(backend, UsbBackend):
        wanted = (backend.vendor_id, backend.product_id)
        match = next((d for d in usb if (d.vendor_id, d.product_id) == wanted), None)
        entries.append(("[printer] backend (usb)", f"{wanted[0]:04x}:{wanted[1]:04x}",
                        f"{match.usb_id} {match.name}" if match else None))
    else:
        entries.append(("[printer] backend (network)", f"{backend.host}:{backend.port}",
                        "network: try `branchq maint printer status`"))
    by_path("[touch] device", kiosk.touch.device)
    by_path("[screen] framebuffer", str(kiosk.screen.framebuffer))
    if kiosk.ledsign:
        by_path("[ledsign] port", kiosk.ledsign.port)
    if kiosk.keypads:
        by_path("[keypads] port", kiosk.keypads.port)
    if kiosk.cardreader:
        by_path("[cardreader] device", kiosk.cardreader.device)
    return entries


_WHAT_TO_DO = {
    "[printer]": "check the printer's USB cable and power",
    "[touch]": "check the screen's USB touch cable (or ribbon) and the udev rule for "
               "/dev/input/branchq-touch",
    "[screen]": "check the display cable and that the display is enabled in /boot/config.txt",
    "[ledsign]": "check the sign line's USB-serial adapter is plugged in",
    "[keypads]": "check the keypads' USB-RS485 adapter is plugged in (same USB port as before)",
    "[cardreader]": "check the card reader's USB cable",
}


def _add_entries(report: Report, kiosk: KioskConfig, usb: list[UsbDevice]) -> None:
    table = report.table("Config entries", ["Entry", "Wants", "Found"])
    for entry, wanted, found in config_entries(kiosk, usb):
        table.rows.append([entry, wanted, found or "NO DEVICE"])
        if found is None:
            section = entry.split()[0]
            report.add(entry, Level.FAULT, f"no device at {wanted}",
                       f"{_WHAT_TO_DO[section]}; udev names are in udev/99-branchq.rules "
                       "(`ls -l /dev/branchq/`), then run `branchq maint devices`", entry=entry)
    if not report.faults:
        report.add("Devices", Level.OK, "every device in the kiosk config is present")


@click.command()
@kiosk_config_option
@json_option
def devices(kiosk_config: str, as_json: bool) -> None:
    """List serial ports, USB printers, input devices and framebuffers, and match them with the
    device entries of the kiosk config.

    \b
    Example:
      branchq maint devices
    """
    with reporting("Devices", as_json) as report:
        usb = usb_devices()
        ports = report.table("Serial ports", ["Port", "Device"])
        ports.rows.extend([p, d] for p, d in serial_ports())
        printers = report.table("USB printers", ["USB id", "Model"])
        printers.rows.extend([d.usb_id, d.name] for d in usb if d.is_printer)
        inputs = report.table("Input devices", ["Path", "Name", "Kind"])
        listed = input_devices()
        if isinstance(listed, str):
            report.add("Input devices", Level.WARNING, f"cannot list: {listed}",
                       "run as a user in group input (or with sudo)")
        else:
            inputs.rows.extend(list(row) for row in listed)
        screens = report.table("Framebuffers", ["Device", "Mode"])
        screens.rows.extend(list(row) for row in framebuffers())
        _add_entries(report, load_kiosk(kiosk_config), usb)
