"""ESC/POS ticket printer driver (python-escpos) and its virtual twin.

Public API: :class:`TicketPrinter` built from a :class:`PrinterConfig`; content dataclasses
:class:`TicketContent`, :class:`GuidanceSlip`; :class:`PrinterStatus`; the :class:`PrinterError`
family. The virtual twin is imported on demand: :mod:`branchq.drivers.printer.virtual_printer`
(the printer, decoding ESC/POS) and :mod:`branchq.drivers.printer.virtual_port` (serving it on a
pty, as a USB-serial adapter would appear).
"""

from branchq.drivers.printer.config import PrinterConfig
from branchq.drivers.printer.content import GuidanceSlip, Priority, TicketContent
from branchq.drivers.printer.driver import TicketPrinter
from branchq.drivers.printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterConfigError,
    PrinterError,
    PrinterFault,
    PrinterOffline,
)
from branchq.drivers.printer.status import PrinterStatus

__all__ = [
    "CoverOpen",
    "GuidanceSlip",
    "PaperOut",
    "PrinterConfig",
    "PrinterConfigError",
    "PrinterError",
    "PrinterFault",
    "PrinterOffline",
    "PrinterStatus",
    "Priority",
    "TicketContent",
    "TicketPrinter",
]
