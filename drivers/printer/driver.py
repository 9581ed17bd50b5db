"""The ticket printer as the kiosk sees it: status, print a ticket, print a guidance slip.

A slip counts as printed only if the printer was ready before the bytes went out *and* is still
ready after; otherwise a :class:`PrinterError` subclass says why, so the kiosk never hands out a
number that did not print. Any link error closes the transport; the next call opens it again, so
an unplugged and re-plugged printer works without restarting the process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from branchq.drivers.printer.config import PrinterConfig
from branchq.drivers.printer.content import GuidanceSlip, TicketContent
from branchq.drivers.printer.encoder import TicketEncoder
from branchq.drivers.printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterOffline,
    TransportError,
)
from branchq.drivers.printer.layout import Element, guidance_slip_layout, ticket_layout
from branchq.drivers.printer.status import (
    TRANSMIT_PAPER_STATUS,
    UNVERIFIED,
    Fault,
    PrinterStatus,
    StatusQuery,
    decode_status,
    is_paper_sensor_byte,
    is_status_byte,
    pick_status_byte,
    reports_error,
)
from branchq.drivers.printer.transport import Transport, make_transport

log = logging.getLogger(__name__)

#: Bytes already waiting are collected for this long before a status request (stale replies).
_DRAIN_S = 0.02


class TicketPrinter:
    """One ESC/POS ticket printer. Thread-safe: calls are serialised."""

    def __init__(self, config: PrinterConfig, transport: Transport | None = None) -> None:
        self.config = config
        self._transport = transport or make_transport(config.backend)
        self._encoder = TicketEncoder(config)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._transport.close()

    def status(self) -> PrinterStatus:
        """Ask the printer (``DLE EOT 1``, ``2``, ``4``); silence within the timeout = offline."""
        with self._lock:
            return self._status()

    def print_ticket(self, ticket: TicketContent) -> PrinterStatus:
        """Print a counter ticket; returns the status after printing (may say paper near end)."""
        return self._print(ticket_layout(ticket, self.config.width_dots), f"ticket {ticket.number}")

    def print_guidance_slip(self, slip: GuidanceSlip) -> PrinterStatus:
        """Print a self-service guidance slip (no number)."""
        return self._print(guidance_slip_layout(slip), "guidance slip")

    def build(self, elements: Sequence[Element]) -> bytes:
        """The exact bytes that would be sent for ``elements`` (for tests and the benchmark)."""
        return self._encoder.encode(elements)

    def _print(self, elements: Sequence[Element], what: str) -> PrinterStatus:
        data = self._encoder.encode(elements)
        with self._lock:
            _raise_for(self._status(), f"{what} not printed")
            try:
                self._transport.open()
                self._transport.write(data)
            except TransportError as err:
                raise PrinterOffline(f"{what} may be incomplete: link lost while printing "
                                     f"({err})") from err
            confirmed = self._wait_printed(len(data))
            after = self._status()
            _raise_for(after, f"{what} may be incomplete")
            if not confirmed:
                raise PrinterOffline(f"{what} may be incomplete: the printer did not confirm "
                                     "printing it (GS r)")
        log.info("printed %s (%d bytes)%s", what, len(data),
                 ": paper near end" if after.paper_near_end else "")
        return after

    def _status(self) -> PrinterStatus:
        if not self._transport.can_read:
            return UNVERIFIED
        try:
            self._transport.open()
            self._drain()
            replies: dict[int, int | None] = {}
            for query in (StatusQuery.PRINTER, StatusQuery.OFFLINE_CAUSE, StatusQuery.PAPER):
                replies[query] = self._ask(query)
                if replies[query] is None:
                    break  # a silent printer: do not wait three timeouts
            if reports_error(replies.get(StatusQuery.OFFLINE_CAUSE)):
                # Which error (cutter, head...): asked only then, so a printer without
                # DLE EOT 3 is never slowed down or misread when healthy.
                replies[StatusQuery.ERROR_CAUSE] = self._ask(StatusQuery.ERROR_CAUSE)
        except TransportError as err:
            log.warning("printer link error: %s", err)
            return decode_status({})
        status = decode_status(replies)
        if not status.ok:
            log.warning("printer not ready: %s", status.description)
        return status

    def _wait_printed(self, nbytes: int) -> bool:
        """Send ``GS r 1`` and wait for its reply, which comes only once all before it printed.

        Real-time status (``DLE EOT``) is answered on receipt, ahead of buffered print data, so on
        its own it cannot tell that the paper ran out *while* this ticket was being printed.
        """
        if not (self.config.confirm_printed and self._transport.can_read):
            return True
        timeout = self.config.print_timeout_s + self.config.wire_seconds(nbytes)
        deadline = time.monotonic() + timeout
        try:
            self._transport.write(TRANSMIT_PAPER_STATUS)
            while (remaining := deadline - time.monotonic()) > 0:
                if any(is_paper_sensor_byte(b) for b in self._transport.read(remaining)):
                    return True
        except TransportError as err:
            log.warning("printer link error while waiting for the print: %s", err)
            return False
        log.warning("printer did not confirm printing within %.1f s", timeout)
        return False

    def _drain(self) -> None:
        """Discard bytes that arrived unasked (late replies to DLE EOT inside image data).

        Bounded by the status timeout, so a line that never stops chattering cannot hang us.
        """
        deadline = time.monotonic() + self.config.status_timeout_s
        while time.monotonic() < deadline and (stale := self._transport.read(_DRAIN_S)):
            log.debug("discarded %d unsolicited bytes: %s", len(stale), stale.hex(" "))

    def _ask(self, query: StatusQuery) -> int | None:
        self._transport.write(query.command)
        deadline = time.monotonic() + self.config.status_timeout_s
        received = b""
        while not any(is_status_byte(b) for b in received):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("no reply to DLE EOT %d within %.2f s%s", query,
                            self.config.status_timeout_s,
                            f" (only noise: {received.hex(' ')})" if received else "")
                return None
            received += self._transport.read(remaining)
        received += self._transport.read(0)  # take any reply queued right behind it
        return pick_status_byte(received)


def _raise_for(status: PrinterStatus, what: str) -> None:
    """Raise the error matching the most specific problem in ``status``."""
    if status.ok or status.fault is None:
        return
    raise _ERRORS[status.fault](f"{what}: {status.description}", status.fault)


_ERRORS: dict[Fault, type[PrinterError]] = {
    Fault.COVER_OPEN: CoverOpen, Fault.PAPER_OUT: PaperOut, Fault.CUTTER_OR_HEAD: PrinterFault,
    Fault.OFFLINE: PrinterOffline, Fault.NOT_ANSWERING: PrinterOffline,
}
