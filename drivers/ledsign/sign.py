"""What the kiosk asks of the LED call display: calls, the hall board, clear, test pattern.

This layer turns calls into Write TEXT packets (``protocol``) and hands them to a transport. It
knows which sign shows what (config roles), never why a ticket is called.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, replace
from typing import Protocol

from . import protocol
from .config import SignAddress, SignConfig
from .errors import SignMessageError, SignRejectedError
from .transport import SerialTransport

log = logging.getLogger(__name__)

TEST_PATTERN = "8888888888888888"


class Transport(Protocol):
    """The seam between encoder and wire (a recording fake in golden-byte tests)."""

    def write(self, data: bytes) -> None: ...

    def read(self, size: int) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Call:
    """A ticket called to a counter; ``recall`` makes it blink."""

    ticket: str
    counter: int
    recall: bool = False


class LedSign:
    """All signs on one serial line.

    ``show_call`` updates the counter's own sign and the hall board, which lists the most recent
    calls, newest first, one per line (a recalled ticket moves back to the top and blinks).
    """

    def __init__(self, config: SignConfig, transport: Transport | None = None) -> None:
        self._config = config
        self._transport = transport if transport is not None else SerialTransport(config)
        board_lines = max((s.lines for s in config.hall_signs()), default=1)
        self._recent: deque[Call] = deque(maxlen=board_lines)

    @property
    def recent_calls(self) -> tuple[Call, ...]:
        return tuple(self._recent)

    def show_call(self, ticket: str, counter: int, *, recall: bool = False) -> None:
        """Show ``ticket -> counter`` on that counter's sign and at the top of the hall board.

        A recall blinks (flash mode on the counter sign, flash codes around its board line)
        until the next call. Every sign is tried even if one does not acknowledge; the first
        rejection is raised afterwards.
        """
        self._check_ticket(ticket)
        call = Call(ticket=ticket, counter=counter, recall=recall)
        board = [replace(c, recall=False) for c in self._recent if c.ticket != ticket]
        messages = self._board_messages([call, *board])
        sign = self._config.counter_sign(counter)
        if sign is not None:
            mode = protocol.Mode.FLASH if recall else protocol.Mode.HOLD
            messages.insert(0, self._frame(sign.address, self.format_call(sign, call), mode))
        # The board's intended content, even if a sign fails: the next call shows it whole.
        self._recent.clear()
        self._recent.extend([call, *board][: self._recent.maxlen])
        self._send_each(messages)

    def clear(self, address: str | None = None) -> None:
        """Blank one sign, or every sign (broadcast) when ``address`` is None."""
        if address is None:
            self._recent.clear()
        self._send_each([self._frame(address or protocol.BROADCAST, b"", protocol.Mode.HOLD)])

    def test_pattern(self, address: str | None = None) -> None:
        """Light every segment row: a line of 8s with the sign's address, so a technician can
        tell which sign answers to which address."""
        messages = []
        for sign in self._config.signs:
            if address in (None, sign.address):
                line = f"{sign.address} {TEST_PATTERN}".encode("ascii")
                text = bytes([protocol.CR]).join([line] * sign.lines)
                messages.append(self._frame(sign.address, text, protocol.Mode.FLASH))
        self._send_each(messages)

    def close(self) -> None:
        self._transport.close()

    def format_call(self, sign: SignAddress, call: Call) -> bytes:
        """The call text for ``sign``: the Chinese template on CJK signs, else English/ASCII."""
        templates = self._config.templates
        if sign.cjk:
            text = templates.chinese.format(ticket=call.ticket, counter=call.counter)
            return _encode(text, sign.cjk_encoding)
        text = templates.english.format(ticket=call.ticket, counter=call.counter)
        return _encode(text, "ascii")

    def _board_line(self, sign: SignAddress, call: Call) -> bytes:
        line = self.format_call(sign, call)
        return protocol.FLASH_ON + line + protocol.FLASH_OFF if call.recall else line

    @staticmethod
    def _check_ticket(ticket: str) -> None:
        if not ticket or not ticket.isascii() or not ticket.isprintable():
            raise SignMessageError(f"ticket number must be printable ASCII, got {ticket!r}")

    def _board_messages(self, calls: list[Call]) -> list[tuple[str, bytes]]:
        messages = []
        for sign in self._config.hall_signs():
            rows = [self._board_line(sign, c) for c in calls[: sign.lines]]
            text = bytes([protocol.CR]).join(rows)
            messages.append(self._frame(sign.address, text, protocol.Mode.HOLD))
        return messages

    def _frame(self, address: str, text: bytes, mode: protocol.Mode) -> tuple[str, bytes]:
        """(address, packet); encoding errors surface before anything is sent."""
        try:
            packet = protocol.encode_write_text(
                text, address=address, label=self._config.label, mode=mode
            )
        except protocol.EncodingError as err:
            raise SignMessageError(str(err)) from err
        return address, packet

    def _send_each(self, messages: list[tuple[str, bytes]]) -> None:
        """Send every packet; a lost port raises at once, a rejection after the others."""
        rejected: list[SignRejectedError] = []
        for address, packet in messages:
            try:
                self._send(address, packet)
            except SignRejectedError as err:
                rejected.append(err)
        if rejected:
            raise rejected[0]

    def _send(self, address: str, packet: bytes) -> None:
        """Write one packet; with ACK/NAK on, a NAK or silence is retried once (line noise)."""
        self._transport.write(packet)
        if not self._expects_reply(address):
            return
        reply = self._transport.read(2)
        if reply[:1] == bytes([protocol.ACK]):
            return
        log.warning("sign %s answered %r; sending again", address, reply)
        self._transport.write(packet)
        reply = self._transport.read(2)
        if reply[:1] != bytes([protocol.ACK]):
            raise SignRejectedError(f"sign {address} did not acknowledge (reply {reply!r})")

    def _expects_reply(self, address: str) -> bool:
        """Only an addressed sign answers: replies to a broadcast would collide on the line."""
        return self._config.ack and address != protocol.BROADCAST


def _encode(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as err:
        raise SignMessageError(f"{text!r} cannot be shown on a {encoding} sign") from err

