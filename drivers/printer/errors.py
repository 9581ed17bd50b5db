"""Exceptions of the ticket printer driver.

Two layers, two families: :class:`TransportError` is raised by the byte link (open, write, read) and
never leaves the package; :class:`PrinterError` and its subclasses are what callers see. A caller
that catches :class:`PrinterError` knows the ticket was *not* printed and must not be handed out.
"""

from __future__ import annotations


class TransportError(Exception):
    """The link to the printer failed (not found, unplugged, write or read error)."""


class PrinterError(Exception):
    """The printer could not print; the message says why in words a technician understands."""


class PrinterConfigError(PrinterError, ValueError):
    """The printer configuration is invalid."""


class PaperOut(PrinterError):
    """The paper roll is empty (or the printer stopped at the paper end)."""


class CoverOpen(PrinterError):
    """The printer cover is open."""


class PrinterOffline(PrinterError):
    """The printer does not answer, or the link to it is down."""


class PrinterFault(PrinterError):
    """The printer reports an error (cutter jam, head overheating, mechanical error)."""
