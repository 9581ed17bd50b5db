"""Where things go on a ticket or a guidance slip, independent of how the bytes are made.

The layout is a list of elements; :mod:`branchq.drivers.printer.encoder` turns it into ESC/POS for the
configured Chinese mode. Keeping the two apart lets the raster and text modes print the same slip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from branchq.drivers.printer.content import GuidanceSlip, Priority, TicketContent

#: Font A is 12 dots wide: columns of normal-size text across the paper.
DOTS_PER_COLUMN = 12
#: ``GS !`` accepts multipliers 1..8.
MAX_SCALE = 8


@dataclass(frozen=True)
class Line:
    """A line of text; ``scale`` multiplies width and height (``GS !``); wrapped if too long."""

    text: str
    scale: int = 1
    bold: bool = False
    align: str = "center"
    # The called number: in raster mode drawn from the TrueType font (smooth at any size)
    # rather than the printer's bitmap font blown up by GS !.
    display: bool = False


@dataclass(frozen=True)
class QrCode:
    """A QR code printed by the printer itself (``GS ( k``), ``module`` dots per module."""

    data: str
    module: int = 6


@dataclass(frozen=True)
class Rule:
    """A full-width separator line."""


Element = Line | QrCode | Rule

_PRIORITY_LINES = {
    Priority.GREEN_CHANNEL: (Line("绿色通道 优先办理", 2, True), Line("Green channel - priority")),
    Priority.VIP: (Line("贵宾 VIP", 2, True), Line("VIP customer")),
}


def number_scale(number: str, width_dots: int) -> int:
    """The largest ``GS !`` multiplier at which the ticket number still fits on one line."""
    columns = width_dots // DOTS_PER_COLUMN
    return max(1, min(MAX_SCALE, columns // max(1, len(number))))


def _time_line(issued_at: datetime) -> Line:
    return Line(issued_at.strftime("%Y-%m-%d %H:%M:%S"))


def _wait_lines(ticket: TicketContent) -> list[Line]:
    return [Line(text) for text in (ticket.wait_zh, ticket.wait_en) if text]


def _appointment_lines(ticket: TicketContent) -> list[Line]:
    if not ticket.appointment:
        return []
    return [Line(f"预约 {ticket.appointment}", 2, True), Line(f"Appointment {ticket.appointment}")]


def ticket_layout(ticket: TicketContent, width_dots: int) -> list[Element]:
    """A counter ticket: branch, service, big number, priority, appointment, queue, time, QR,
    footer."""
    elements: list[Element] = [
        Line(ticket.branch_name, bold=True),
        Rule(),
        Line(ticket.service_name_zh, 2, True),
        Line(ticket.service_name_en),
        Line(ticket.number, number_scale(ticket.number, width_dots), True, display=True),
        *_PRIORITY_LINES.get(ticket.priority, ()),
        *_appointment_lines(ticket),
        *_wait_lines(ticket),
        _time_line(ticket.issued_at),
    ]
    if ticket.status_url:
        elements += [QrCode(ticket.status_url), Line("扫码查看排队进度"),
                     Line("Scan to follow your place in the queue")]
    if ticket.footer:
        elements += [Rule(), Line(ticket.footer)]
    return elements


def guidance_slip_layout(slip: GuidanceSlip) -> list[Element]:
    """A self-service slip: no number, just where to go and what can be done there."""
    elements: list[Element] = [
        Line(slip.branch_name, bold=True),
        Rule(),
        Line(slip.title_zh, 2, True),
        Line(slip.title_en, bold=True),
        *(Line(text, align="left") for text in slip.lines),
        _time_line(slip.issued_at),
    ]
    if slip.footer:
        elements += [Rule(), Line(slip.footer)]
    return elements
