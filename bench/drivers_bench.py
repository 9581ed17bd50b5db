"""Driver figures: ticket printer bytes and build time per ticket, and what they cost on the wire.

Run: ``.venv/bin/python bench/drivers_bench.py``. At the end, the framebuffer figures from
``bench/framebuffer_bench.py`` when that file is present.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from branchq.drivers.printer import PrinterConfig, TicketPrinter  # noqa: E402
from branchq.drivers.printer.config import serial_seconds  # noqa: E402
from branchq.drivers.printer.layout import ticket_layout  # noqa: E402
from tests.drivers.printer_helpers import TICKET  # noqa: E402

BAUD_RATES = (9600, 115200)
ROUNDS = 20


def printer_table() -> Table:
    table = Table(title="Ticket printer: one Chinese ticket (number, QR, zh+en lines)")
    table.add_column("mode")
    table.add_column("paper")
    table.add_column("bytes", justify="right")
    table.add_column("build ms", justify="right")
    for baud in BAUD_RATES:
        table.add_column(f"s @ {baud}", justify="right")
    for mode in ("raster", "text"):
        for width in (58, 80):
            config = PrinterConfig.from_mapping({
                "backend": {"kind": "file", "path": "/dev/null", "read_status": False},
                "chinese_mode": mode, "paper_width_mm": width, "has_cutter": width == 80})
            printer = TicketPrinter(config)
            layout = ticket_layout(TICKET, config.width_dots)
            printer.build(layout)  # warm the font cache: the kiosk pays that once
            start = time.perf_counter()
            for _ in range(ROUNDS):
                data = printer.build(layout)
            build_ms = (time.perf_counter() - start) / ROUNDS * 1000
            table.add_row(mode, f"{width} mm", str(len(data)), f"{build_ms:.1f}",
                          *(f"{serial_seconds(len(data), baud):.2f}" for baud in BAUD_RATES))
    return table


def main() -> None:
    Console().print(printer_table())
    framebuffer = Path(__file__).with_name("framebuffer_bench.py")
    if framebuffer.exists():
        spec = importlib.util.spec_from_file_location("framebuffer_bench", framebuffer)
        if spec and spec.loader:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            module.framebuffer_figures()


if __name__ == "__main__":
    main()
