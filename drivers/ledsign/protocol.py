"""Alpha Sign Communications Protocol: the bytes, the frame encoder and a stream decoder.

Facts (Adaptive Micro Systems doc 9708-8061; the manual itself was not readable here, so each value
below was checked against two independent implementations, ``alphasignpy`` and msparks'
``alphasign``, and against the fixtures in ``tests/fixtures/alpha/``):

* A packet is ``NUL x5, SOH, type code, 2-char address, STX, command, data, ETX, 4 hex checksum,
  EOT``. The checksum is the 16-bit sum of every byte from STX to ETX inclusive, as four upper-case
  ASCII hex digits (manual's worked example: STX "AAHELLO" ETX -> "01FB"). ETX + checksum are
  optional: a packet may end its command with EOT directly.
* Display positions: 0x20 middle line, 0x22 top line, 0x26 bottom line, 0x30 fill. The
  ``DisplayPosition`` enum of newer alphasignpy calls ``&`` (0x26) "fill"; the manual-derived
  tables (alphasignpy's own ``command/write_text.py``, msparks' ``positions.py``) say 0x26 is the
  bottom line and 0x30 is fill. We follow the latter.
* Replies: ACK 0x06 or NAK 0x15 followed by the serial error status register byte (bit 6 always
  set, bit 4 checksum error, bit 5 illegal command). Signs answer only when ACK/NAK is enabled on
  them; no wire capture of a reply exists in the fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

NUL = 0x00
SOH = 0x01
STX = 0x02
ETX = 0x03
EOT = 0x04
ESC = 0x1B
ACK = 0x06
NAK = 0x15
CR = 0x0D  # "new line" inside a TEXT file

PREAMBLE = bytes(5)  # 5 x NUL: lets the sign autobaud
TYPE_ALL_SIGNS = "Z"
BROADCAST = "00"
CMD_WRITE_TEXT = "A"

# Text control codes (embedded inside the message)
FLASH_ON = b"\x071"
FLASH_OFF = b"\x070"

# Serial error status register bits (sent after ACK/NAK)
STATUS_BASE = 0x40
STATUS_CHECKSUM_ERROR = 0x10
STATUS_ILLEGAL_COMMAND = 0x20


class Position(Enum):
    """Vertical position of a TEXT file on the sign."""

    MIDDLE_LINE = 0x20
    TOP_LINE = 0x22
    BOTTOM_LINE = 0x26
    FILL = 0x30


class Mode(Enum):
    """Display modes branchq uses (the protocol has many more)."""

    ROTATE = "a"
    HOLD = "b"
    FLASH = "c"


class EncodingError(ValueError):
    """A message or field cannot be put on the wire as given."""


def checksum(block: bytes) -> bytes:
    """Four upper-case hex digits of the 16-bit sum of ``block`` (STX .. ETX inclusive)."""
    return f"{sum(block) & 0xFFFF:04X}".encode("ascii")


def _check_address(address: str) -> None:
    if len(address) != 2 or any(c not in "0123456789ABCDEFabcdef" for c in address):
        raise EncodingError(f"sign address must be 2 hex digits, got {address!r}")


def _check_text(text: bytes) -> None:
    """Framing bytes inside the text would end or corrupt the packet on the sign."""
    framing = {NUL, SOH, STX, ETX, EOT}
    bad = sorted({b for b in text if b in framing})
    if bad:
        raise EncodingError(f"text contains framing bytes {[hex(b) for b in bad]}")


def encode_write_text(
    text: bytes,
    *,
    address: str = BROADCAST,
    label: str = "A",
    position: Position = Position.FILL,
    mode: Mode = Mode.HOLD,
    type_code: str = TYPE_ALL_SIGNS,
) -> bytes:
    """One complete Write TEXT packet with checksum, ready for the serial line."""
    _check_address(address)
    _check_text(text)
    if len(label) != 1 or not 0x20 <= ord(label) <= 0x7E or label == "?":
        raise EncodingError(f"file label must be one printable character except '?', got {label!r}")
    if len(type_code) != 1:
        raise EncodingError(f"type code must be one character, got {type_code!r}")
    body = (
        bytes([STX])
        + (CMD_WRITE_TEXT + label).encode("ascii")
        + bytes([ESC, position.value])
        + mode.value.encode("ascii")
        + text
        + bytes([ETX])
    )
    header = PREAMBLE + bytes([SOH]) + (type_code + address.upper()).encode("ascii")
    return header + body + checksum(body) + bytes([EOT])


@dataclass(frozen=True)
class Command:
    """One STX-delimited command of a received packet."""

    code: str
    data: bytes
    checksum_ok: bool | None  # None: the command carried no checksum


@dataclass(frozen=True)
class Packet:
    """A packet as a sign sees it."""

    type_code: str
    address: str
    commands: tuple[Command, ...]


@dataclass(frozen=True)
class DecodeError:
    """Bytes the decoder had to drop, and why (garbage, truncated or malformed packet)."""

    reason: str
    data: bytes


@dataclass(frozen=True)
class TextFile:
    """The fields of a Write TEXT command."""

    label: str
    position: int
    mode: str
    text: bytes


def parse_write_text(data: bytes) -> TextFile:
    """Split a Write TEXT command's data (after the ``A``) into its fields."""
    if len(data) < 4 or data[1] != ESC:
        raise EncodingError(f"not a Write TEXT body: {data[:8]!r}")
    return TextFile(
        label=chr(data[0]), position=data[2], mode=chr(data[3]), text=bytes(data[4:])
    )


def _parse_block(block: bytes) -> Command:
    """``block`` runs from STX up to (not including) the next STX or EOT."""
    etx = block.find(ETX)
    if etx < 0:
        body, ok = block[1:], None
    else:
        received = block[etx + 1 :]
        if len(received) != 4:
            raise EncodingError(f"checksum must be 4 hex digits, got {received!r}")
        ok = received.upper() == checksum(block[: etx + 1])
        body = block[1:etx]
    if not body:
        raise EncodingError("command code missing")
    return Command(code=chr(body[0]), data=bytes(body[1:]), checksum_ok=ok)


def _parse_packet(raw: bytes) -> Packet:
    """``raw`` runs from SOH up to (not including) EOT."""
    if len(raw) < 5 or raw[4] != STX:
        raise EncodingError("header must be SOH, type code, 2-char address, STX")
    type_code = chr(raw[1])
    address = raw[2:4].decode("ascii", errors="replace")
    starts = [i for i in range(4, len(raw)) if raw[i] == STX]
    ends = starts[1:] + [len(raw)]
    commands = tuple(_parse_block(raw[a:b]) for a, b in zip(starts, ends, strict=True))
    return Packet(type_code=type_code, address=address, commands=commands)


@dataclass
class StreamDecoder:
    """Splits a byte stream into packets, resynchronising on SOH after garbage or truncation.

    Feed bytes as they arrive; each call returns the packets completed so far and the byte runs
    that were dropped. ``max_packet`` bounds the memory an endless packet without EOT can take.
    """

    max_packet: int = 4096
    _buf: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Packet | DecodeError]:
        self._buf += data
        out: list[Packet | DecodeError] = []
        while self._buf:
            soh = self._buf.find(SOH)
            if soh < 0:
                self._drop(len(self._buf), "garbage before SOH", out)
                break
            if soh:
                self._drop(soh, "garbage before SOH", out)
                continue
            eot = self._buf.find(EOT)
            next_soh = self._buf.find(SOH, 1)
            if 0 < next_soh and (eot < 0 or next_soh < eot):
                self._drop(next_soh, "truncated packet (new SOH before EOT)", out)
                continue
            if eot < 0:
                if len(self._buf) > self.max_packet:
                    self._drop(len(self._buf), "packet longer than max_packet", out)
                break
            raw = bytes(self._buf[:eot])
            del self._buf[: eot + 1]
            try:
                out.append(_parse_packet(raw))
            except EncodingError as err:
                out.append(DecodeError(reason=f"malformed packet: {err}", data=raw))
        return out

    def reset(self) -> list[DecodeError]:
        """Forget a partial packet (the sign's serial timeout); returns what was dropped."""
        dropped = [DecodeError("truncated packet (timeout)", bytes(self._buf))] if self._buf else []
        self._buf.clear()
        return dropped

    @property
    def pending(self) -> int:
        return len(self._buf)

    def _drop(self, count: int, reason: str, out: list[Packet | DecodeError]) -> None:
        chunk = bytes(self._buf[:count])
        del self._buf[:count]
        if chunk.strip(b"\x00"):
            out.append(DecodeError(reason=reason, data=chunk))
