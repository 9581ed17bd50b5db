"""ESC/POS ticket printer driver (python-escpos) and its virtual twin.

Public API: :class:`TicketPrinter` built from a :class:`PrinterConfig`; content dataclasses
:class:`TicketContent`, :class:`GuidanceSlip`; :class:`PrinterStatus`; the :class:`PrinterError`
family. The virtual printer lives in :mod:`branchq.drivers.printer.virtual` (imported on demand).
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
