"""Real-time status (``DLE EOT n``) replies decoded into a :class:`PrinterStatus`.

Each reply is one byte. Bits 1 and 4 are always 1 and bits 0 and 7 always 0 (Epson ESC/POS
reference, ``DLE EOT``); the remaining bits are the named flags below, and some models set other
bits too (real Epson printers answer ``DLE EOT 1`` with 0x16: bit 2 is the drawer-kick pin). So we
test named bits only, and use the fixed bits to tell a status byte from other traffic on the line.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

_FIXED_ONES = 0x12  # bits 1 and 4
_FIXED_ZEROS = 0x81  # bits 0 and 7

# DLE EOT 1: printer status
_OFFLINE = 0x08
# DLE EOT 2: offline cause
_COVER_OPEN = 0x04
_STOPPED_AT_PAPER_END = 0x20
_ERROR = 0x40
# DLE EOT 3: error cause (asked only when DLE EOT 2 reports an error)
_AUTOCUTTER_ERROR = 0x08
_UNRECOVERABLE_ERROR = 0x20
_AUTO_RECOVERABLE_ERROR = 0x40  # print head too hot: resumes by itself once it has cooled
# DLE EOT 4: roll paper sensor
_NEAR_END = 0x0C
_PAPER_END = 0x60


class StatusQuery(enum.IntEnum):
    """The ``n`` of ``DLE EOT n`` (10 04 n)."""

    PRINTER = 1
    OFFLINE_CAUSE = 2
    ERROR_CAUSE = 3
    PAPER = 4

    @property
    def command(self) -> bytes:
        return bytes((0x10, 0x04, self.value))


class Fault(enum.Enum):
    """Why the printer cannot print, named by the most specific bit it reported.

    Order matters: a printer with its cover open or an error also reports "offline" in
    ``DLE EOT 1``, so offline is only the answer when nothing more specific is known.
    """

    COVER_OPEN = "cover_open"
    PAPER_OUT = "paper_out"
    CUTTER_OR_HEAD = "cutter_or_head"  # auto-cutter error, unrecoverable or head-temperature error
    OFFLINE = "offline"  # answers, reports offline, gives no cause (feed button held, recovering)
    NOT_ANSWERING = "not_answering"  # silence, or not every status request answered


def reports_error(offline_cause: int | None) -> bool:
    """True if a ``DLE EOT 2`` reply has its error bit set (then ``DLE EOT 3`` says which)."""
    return offline_cause is not None and bool(offline_cause & _ERROR)


def is_status_byte(value: int) -> bool:
    """True if ``value`` has the fixed bits of a ``DLE EOT`` reply."""
    return value & _FIXED_ONES == _FIXED_ONES and value & _FIXED_ZEROS == 0


#: ``GS r 1``: transmit paper sensor status, executed in order after the data before it.
TRANSMIT_PAPER_STATUS = b"\x1dr\x01"


def is_paper_sensor_byte(value: int) -> bool:
    """True if ``value`` can be a ``GS r 1`` reply (bits 4 and 7 clear, unlike ``DLE EOT``)."""
    return value & 0x90 == 0


def pick_status_byte(data: bytes) -> int | None:
    """The status reply in ``data``, or ``None`` if no byte there can be one.

    The *last* candidate wins: the printer answers in order, so earlier candidates are late
    answers to ``DLE EOT`` sequences that happened to occur inside image or QR data.
    """
    for value in reversed(data):
        if is_status_byte(value):
            return value
    return None


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said, in flags and in words.

    ``verified`` is false when the link cannot carry replies (a write-only device file): the flags
    then say "ok" only because nothing is known.
    """

    ok: bool
    paper_near_end: bool
    paper_out: bool
    cover_open: bool
    offline: bool
    error: bool
    description: str
    verified: bool = True
    replies: Mapping[int, int | None] = field(default_factory=dict)
    fault: Fault | None = None


def decode_status(replies: Mapping[int, int | None]) -> PrinterStatus:
    """Combine the replies to ``DLE EOT 1/2/3/4`` (``None`` = no valid reply) into a status.

    No reply to ``DLE EOT 1`` means offline: silence is never "paper OK". ``DLE EOT 3`` is
    optional: it only says *which* error ``DLE EOT 2`` reported.
    """
    printer = replies.get(StatusQuery.PRINTER)
    cause = replies.get(StatusQuery.OFFLINE_CAUSE)
    error_cause = replies.get(StatusQuery.ERROR_CAUSE)
    paper = replies.get(StatusQuery.PAPER)
    responding = printer is not None
    paper_out = bool(
        (paper is not None and paper & _PAPER_END)
        or (cause is not None and cause & _STOPPED_AT_PAPER_END)
    )
    near_end = bool(paper is not None and paper & _NEAR_END) and not paper_out
    cover_open = bool(cause is not None and cause & _COVER_OPEN)
    error_bits = (error_cause or 0) & (_AUTOCUTTER_ERROR | _UNRECOVERABLE_ERROR
                                       | _AUTO_RECOVERABLE_ERROR)
    error = reports_error(cause) or bool(error_bits)
    offline = not responding or bool(printer is not None and printer & _OFFLINE)
    problems = []
    if not responding:
        problems.append("the printer does not answer: check power, cable and that it is switched on")
    if paper_out:
        problems.append("paper roll is empty: load a new roll")
    if cover_open:
        problems.append("cover is open: close the printer cover")
    if error_bits & _AUTOCUTTER_ERROR:
        problems.append("auto-cutter error: open the cover, clear the paper jammed at the cutter, "
                        "close the cover")
    if error_bits & _UNRECOVERABLE_ERROR:
        problems.append("unrecoverable printer error (head or mechanism): switch the printer off "
                        "and on; call for service if it persists")
    if error_bits & _AUTO_RECOVERABLE_ERROR:
        problems.append("print head overheated: the printer resumes by itself once it has cooled")
    if error and not error_bits:
        problems.append("printer error (cutter jam or head overheated): open and close the cover, "
                        "clear any jam, or power-cycle the printer")
    if responding and offline and not (paper_out or cover_open or error):
        problems.append("printer reports offline (feed button held or recovering)")
    incomplete = responding and (cause is None or paper is None)
    if incomplete:
        problems.append("printer did not answer every status request: check the cable")
    if near_end:
        problems.append("paper is running low: prepare a new roll")
    ok = responding and not (paper_out or cover_open or error or offline or incomplete)
    fault = None
    if not ok:
        specific = ((Fault.COVER_OPEN, cover_open), (Fault.PAPER_OUT, paper_out),
                    (Fault.CUTTER_OR_HEAD, error))
        fallback = Fault.OFFLINE if responding and not incomplete else Fault.NOT_ANSWERING
        fault = next((f for f, reported in specific if reported), fallback)
    return PrinterStatus(
        ok=ok,
        paper_near_end=near_end,
        paper_out=paper_out,
        cover_open=cover_open,
        offline=offline or incomplete,
        error=error,
        description=_sentence("; ".join(problems)) if problems else "Ready",
        replies=dict(replies),
        fault=fault,
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


UNVERIFIED = PrinterStatus(
    ok=True,
    paper_near_end=False,
    paper_out=False,
    cover_open=False,
    offline=False,
    error=False,
    description="Status unknown: this link is write-only, the printer cannot be asked",
    verified=False,
)
