"""Exceptions of the ticket printer driver.

Two layers, two families: :class:`TransportError` is raised by the byte link (open, write, read) and
never leaves the package; :class:`PrinterError` and its subclasses are what callers see. A caller
that catches :class:`PrinterError` knows the ticket was *not* printed and must not be handed out.
"""

from __future__ import annotations

from branchq.drivers.printer.status import Fault


class TransportError(Exception):
    """The link to the printer failed (not found, unplugged, write or read error)."""


class PrinterError(Exception):
    """The printer could not print; the message says why in words a technician understands.

    ``fault`` names the cause for the customer's screen (the kiosk's message catalogue); the
    message itself is for the log and the technician.
    """

    default_fault: Fault | None = None

    def __init__(self, message: str, fault: Fault | None = None) -> None:
        super().__init__(message)
        self.fault = fault or self.default_fault


class PrinterConfigError(PrinterError, ValueError):
    """The printer configuration is invalid."""


class PaperOut(PrinterError):
    """The paper roll is empty (or the printer stopped at the paper end)."""

    default_fault = Fault.PAPER_OUT


class CoverOpen(PrinterError):
    """The printer cover is open."""

    default_fault = Fault.COVER_OPEN


class PrinterOffline(PrinterError):
    """The printer does not answer, or the link to it is down."""

    default_fault = Fault.NOT_ANSWERING


class PrinterFault(PrinterError):
    """The printer reports an error (cutter jam, head overheating, mechanical error)."""

    default_fault = Fault.CUTTER_OR_HEAD
