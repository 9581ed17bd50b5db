"""Shared pieces for the ticket printer tests: sample content, configs, fixture bytes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from branchq.drivers.printer import PrinterConfig, Priority, TicketContent, TicketPrinter
from branchq.drivers.printer.virtual_port import VirtualPrinterPort
from branchq.drivers.printer.virtual_printer import VirtualPrinter
from tests.device_fixtures import fixture_dir

FIXTURES = fixture_dir("escpos")

SERVICE_ZH = "现金业务"

TICKET = TicketContent(
    branch_name="中国银行 北京西单支行",
    service_name_zh=SERVICE_ZH,
    service_name_en="Cash deposit / withdrawal",
    number="A023",
    issued_at=datetime(2024, 5, 13, 9, 12, 5),
    status_url="https://q.example.cn/t/A023?b=xidan",
    priority=Priority.GREEN_CHANNEL,
    wait_zh="前面 5 人，约 12 分钟",  # the host's wording (host/insight/wait_text.py)
    wait_en="5 people ahead, about 12 min",
    footer="请妥善保管号票，过号请重新取号",
)


def config(path: str, **overrides: Any) -> PrinterConfig:
    """A serial-printer config for ``path`` with a short status timeout (tests must be quick)."""
    data: dict[str, Any] = {"backend": {"kind": "serial", "path": path}, "status_timeout_s": 0.3}
    data.update(overrides)
    return PrinterConfig.from_mapping(data)


@contextmanager
def serial_printer(virtual: VirtualPrinter | None = None, **overrides: Any
                   ) -> Iterator[tuple[TicketPrinter, VirtualPrinterPort]]:
    """A driver talking over a real pty to a virtual printer."""
    with VirtualPrinterPort(virtual or VirtualPrinter(overrides.get("paper_width_mm", 80))) as port:
        printer = TicketPrinter(config(port.path, **overrides))
        try:
            yield printer, port
        finally:
            printer.close()


def fixture_exchange(name: str) -> tuple[bytes, bytes]:
    """(host -> printer, printer -> host) bytes of a ``.hex`` fixture (``>`` and ``<`` lines)."""
    sent, received = b"", b""
    for line in (FIXTURES / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line[:1] in (">", "<"):
            data = bytes.fromhex(re.sub(r"\s+", "", line[1:]))
            if line[0] == ">":
                sent += data
            else:
                received += data
    return sent, received
