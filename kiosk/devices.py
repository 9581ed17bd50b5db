"""The kiosk's devices, opened from config: real hardware, or virtual twins in simulation.

Screen and ticket logic only ever see these driver objects; which chip or pty is behind them is
decided here.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from branchq.drivers.cardreader.reader import CardReader
from branchq.drivers.evdev_records import EventSource
from branchq.drivers.framebuffer import Framebuffer
from branchq.drivers.ledsign.sign import LedSign
from branchq.drivers.printer.driver import TicketPrinter
from branchq.drivers.touch.touchscreen import TouchScreen
from branchq.kiosk.config import KioskConfig

if TYPE_CHECKING:
    # pymodbus is imported when the bus is opened (open_devices), not with the kiosk's modules.
    from branchq.drivers.keypad.bus import KeypadBus

log = logging.getLogger("branchq.kiosk.devices")


@dataclass
class KioskDevices:
    printer: TicketPrinter
    framebuffer: Framebuffer
    touch: TouchScreen
    touch_source: EventSource
    sign: LedSign | None
    keypads: KeypadBus | None
    cardreader: CardReader | None = None
    card_source: EventSource | None = None
    # Simulation only: the virtual twins, for the preview page and the tests' fault injection.
    virtual: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        for closer in (self.printer.close, self.touch_source.close,
                       self.card_source.close if self.card_source else None,
                       self.sign.close if self.sign else None,
                       self.keypads.close if self.keypads else None):
            if closer is None:
                continue
            try:
                closer()
            except Exception:  # closing must not stop the others from closing
                log.exception("closing a device failed")
        for twin in self.virtual.values():
            for name in ("close", "stop"):
                if hasattr(twin, name):
                    try:
                        getattr(twin, name)()
                    except Exception:
                        log.exception("stopping a virtual device failed")
                    break


def open_devices(config: KioskConfig, card_key: bytes | None) -> KioskDevices:
    """Open the real hardware named in the config."""
    from branchq.drivers.keypad.bus import KeypadBus

    touch, source = TouchScreen.open(config.touch)
    reader = card_source = None
    if config.cardreader is not None and card_key is not None:
        reader, card_source = CardReader.open(card_key, config.cardreader)
    return KioskDevices(
        printer=TicketPrinter(config.printer),
        framebuffer=Framebuffer(str(config.screen.framebuffer), str(config.screen.sysfs)),
        touch=touch, touch_source=source,
        sign=LedSign(config.ledsign) if config.ledsign else None,
        keypads=KeypadBus(config.keypads) if config.keypads else None,
        cardreader=reader, card_source=card_source,
    )


def open_virtual_devices(
    config: KioskConfig, workdir: Path | None = None, card_key: bytes | None = None
) -> tuple[KioskDevices, KioskConfig]:
    """Start virtual twins on ptys, a pipe and a file, and open the real drivers on them.

    Returns the devices and the config rewritten to point at the twins (the same driver code
    paths as on the Pi: only the paths differ)."""
    from branchq.drivers.cardreader.virtual import VirtualScanner
    from branchq.drivers.framebuffer.virtual import VirtualFramebuffer
    from branchq.drivers.keypad.bus import KeypadBus
    from branchq.drivers.keypad.virtual import VirtualKeypadBus
    from branchq.drivers.ledsign.virtual import VirtualSign
    from branchq.drivers.printer.virtual_port import VirtualPrinterPort
    from branchq.drivers.printer.virtual_printer import VirtualPrinter
    from branchq.drivers.touch.virtual import RPI7_FT5X06, VirtualTouchscreen

    folder = workdir or Path(tempfile.mkdtemp(prefix="branchq-sim-"))
    folder.mkdir(parents=True, exist_ok=True)
    virtual: dict[str, Any] = {}
    vprinter = VirtualPrinter(paper_width_mm=config.printer.paper_width_mm)
    port = VirtualPrinterPort(vprinter, folder / "printer")
    port.replug()
    virtual["printer"], virtual["printer_port"] = vprinter, port
    backend = config.printer.backend.model_copy(update={"path": port.path}) \
        if config.printer.backend.kind == "serial" else None
    if backend is None:
        from branchq.drivers.printer.config import SerialBackend
        backend = SerialBackend(kind="serial", path=port.path)
    printer_config = config.printer.model_copy(update={"backend": backend})

    screen = config.screen
    vfb = VirtualFramebuffer(folder / "fb", screen.width, screen.height, bits_per_pixel=32)
    virtual["framebuffer"] = vfb

    vtouch = VirtualTouchscreen(RPI7_FT5X06)  # the official 7" display's panel
    virtual["touch"] = vtouch
    touch = TouchScreen(RPI7_FT5X06, config.touch)

    sign = keypads = None
    sign_config = keypad_config = None
    if config.ledsign:
        vsign = VirtualSign(tuple(s.address for s in config.ledsign.signs)).start()
        virtual["ledsign"] = vsign
        sign_config = config.ledsign.replaced(port=vsign.port, bytesize=8, parity="N")
        sign = LedSign(sign_config)
    if config.keypads:
        vkeys = VirtualKeypadBus(tuple(k.unit for k in config.keypads.keypads)).start()
        virtual["keypads"] = vkeys
        keypad_config = config.keypads.replaced(port=vkeys.port, parity="N")
        keypads = KeypadBus(keypad_config)
    scanner = VirtualScanner()
    virtual["cardreader"] = scanner
    devices = KioskDevices(
        printer=TicketPrinter(printer_config), framebuffer=vfb.framebuffer(), touch=touch,
        touch_source=vtouch.source(), sign=sign, keypads=keypads, virtual=virtual,
        cardreader=CardReader(card_key or os.urandom(32), config.cardreader),
        card_source=scanner.source(),
    )
    sim_config = replace(config, printer=printer_config, ledsign=sign_config or config.ledsign,
                         keypads=keypad_config or config.keypads)
    return devices, sim_config
