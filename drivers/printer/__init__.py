"""ESC/POS ticket printer driver (python-escpos) and its virtual twin.

Public API: :class:`TicketPrinter` built from a :class:`PrinterConfig`; content dataclasses
:class:`TicketContent`, :class:`GuidanceSlip`; :class:`PrinterStatus`; the :class:`PrinterError`
family. The virtual printer lives in :mod:`drivers.printer.virtual` (imported on demand).
"""

from drivers.printer.config import PrinterConfig
from drivers.printer.content import GuidanceSlip, Priority, TicketContent
from drivers.printer.driver import TicketPrinter
from drivers.printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterConfigError,
    PrinterError,
    PrinterFault,
    PrinterOffline,
)
from drivers.printer.status import PrinterStatus

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
