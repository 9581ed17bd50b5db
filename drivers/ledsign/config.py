"""Typed, validated configuration of the LED call display line (one serial port, many signs)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any, Self

from pydantic import Field, model_validator

from ..platform.config import StrictModel
from .errors import SignConfigError

ALLOWED_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400)


class Role(Enum):
    """What a sign on the line is for."""

    HALL = "hall"  # the main board in the hall: several recent calls
    COUNTER = "counter"  # a small sign above one counter


class SignAddress(StrictModel):
    """One sign on the line.

    ``lines`` is how many text lines the sign shows (a hall board with FILL shows that many calls).
    ``cjk`` marks a sign with a Chinese font: only such a sign gets the Chinese template, encoded
    as ``cjk_encoding``. Alpha signs have no CJK font, so the default is the ASCII template.
    """

    address: str
    role: Role
    counter: int | None = None
    lines: int = 1
    cjk: bool = False
    cjk_encoding: str = "gb2312"


class Templates(StrictModel):
    """Call texts. ``{ticket}`` and ``{counter}`` are filled in."""

    english: str = "{ticket} -> {counter}"
    chinese: str = "请{ticket}号到{counter}号窗口"


class SignConfig(StrictModel):
    """The serial line to the signs and the signs on it.

    Defaults follow the protocol: 9600 baud, 7 data bits, even parity, 1 stop bit. Some signs and
    RS-232/485 converters are set to 8N1: set ``bytesize=8, parity="N"``. A CJK sign needs 8 data
    bits (GB2312 bytes are >= 0x80).
    ``ack`` waits for the sign's ACK/NAK after each addressed packet (only when the signs have
    ACK/NAK enabled); ``ack_timeout`` is in seconds. ``write_timeout`` bounds a blocked write.
    """

    port: str
    signs: tuple[SignAddress, ...]
    baudrate: int = 9600
    bytesize: int = 7
    parity: str = "E"
    stopbits: int = 1
    write_timeout: float = 2.0
    ack: bool = False
    ack_timeout: float = 0.5
    label: str = "A"
    templates: Templates = Field(default_factory=Templates)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = list(self._problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _problems(self) -> Iterator[str]:
        if not self.port:
            yield "port is empty"
        if self.baudrate not in ALLOWED_BAUDS:
            yield f"baudrate {self.baudrate} not one of {ALLOWED_BAUDS}"
        if self.bytesize not in (7, 8):
            yield f"bytesize must be 7 or 8, got {self.bytesize}"
        if self.parity not in ("N", "E", "O"):
            yield f"parity must be N, E or O, got {self.parity!r}"
        if self.stopbits not in (1, 2):
            yield f"stopbits must be 1 or 2, got {self.stopbits}"
        if not 0 < self.write_timeout <= 30 or not 0 < self.ack_timeout <= 10:
            yield "timeouts must be > 0 s (write <= 30 s, ack <= 10 s)"
        if len(self.label) != 1 or not " " <= self.label <= "~" or self.label == "?":
            yield f"label must be one printable character other than '?', got {self.label!r}"
        if not self.signs:
            yield "no signs configured"
        seen: set[str] = set()
        for sign in self.signs:
            yield from _sign_problems(sign, self.bytesize)
            if sign.address.upper() in seen:
                yield f"address {sign.address} listed twice"
            seen.add(sign.address.upper())
        yield from _template_problems(self.templates)
        counters = [s.counter for s in self.signs if s.role is Role.COUNTER]
        if len(counters) != len(set(counters)):
            yield "two counter signs for the same counter"

    def hall_signs(self) -> tuple[SignAddress, ...]:
        return tuple(s for s in self.signs if s.role is Role.HALL)

    def counter_sign(self, counter: int) -> SignAddress | None:
        return next((s for s in self.signs if s.counter == counter), None)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> SignConfig:
        """Build from a parsed TOML/JSON table; unknown keys are rejected."""
        return cls.from_section(raw, SignConfigError, "LED sign config")


def _sign_problems(sign: SignAddress, bytesize: int) -> Iterator[str]:
    name = f"sign {sign.address!r}"
    addr = sign.address
    if len(addr) != 2 or any(c not in "0123456789ABCDEFabcdef" for c in addr) or addr == "00":
        yield f"{name}: address must be 2 hex digits 01..FF (00 is broadcast)"
    if sign.role is Role.COUNTER and (sign.counter is None or sign.counter < 1):
        yield f"{name}: a counter sign needs counter >= 1"
    if sign.role is Role.HALL and sign.counter is not None:
        yield f"{name}: a hall sign has no counter"
    if not 1 <= sign.lines <= 8:
        yield f"{name}: lines must be 1..8"
    if sign.cjk:
        if bytesize != 8:
            yield f"{name}: a CJK sign needs 8 data bits (bytesize=8)"
        try:
            "号".encode(sign.cjk_encoding)
        except (LookupError, UnicodeEncodeError):
            yield f"{name}: encoding {sign.cjk_encoding!r} cannot encode Chinese"


def _template_problems(templates: Templates) -> Iterator[str]:
    try:
        english = templates.english.format(ticket="A001", counter=1)
        templates.chinese.format(ticket="A001", counter=1)
    except (KeyError, IndexError, ValueError) as err:
        yield f"call template placeholders are {{ticket}} and {{counter}}: {err!r}"
        return
    if not english.isascii() or not english.isprintable():
        yield "the English template must be printable ASCII (Alpha signs have no other font)"
