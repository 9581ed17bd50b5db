"""branchq's caller keypad register map (see ``docs/keypad-registers.md``), per keypad model.

Vendor keypads speak vendor protocols; branchq defines this map so that any keypad (or a small
microcontroller behind real buttons) that implements it works. A model with other addresses is
a new :class:`KeypadModel` in config, not new code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class Key(Enum):
    """What a teller can press."""

    CALL_NEXT = "call_next"
    RECALL = "recall"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    DONE = "done"
    PAUSE_RESUME = "pause_resume"
    SATISFACTION_1 = "satisfaction_1"
    SATISFACTION_2 = "satisfaction_2"
    SATISFACTION_3 = "satisfaction_3"


BRANCHQ_V1_KEY_CODES: Mapping[int, Key] = {
    1: Key.CALL_NEXT,
    2: Key.RECALL,
    3: Key.NO_SHOW,
    4: Key.TRANSFER,
    5: Key.DONE,
    6: Key.PAUSE_RESUME,
    7: Key.SATISFACTION_1,
    8: Key.SATISFACTION_2,
    9: Key.SATISFACTION_3,
}


@dataclass(frozen=True)
class KeypadModel:
    """Register addresses (0-based, as on the wire) of one keypad model.

    Input registers (function 04): ``event_counter`` (+1 per press, wraps 65535 -> 0),
    ``last_key`` (code of the latest press), ``model_id`` and ``firmware`` (major << 8 | minor).
    Holding registers (functions 03/06/16): ``display`` .. ``display + display_registers - 1``,
    the number on the keypad's display, ASCII, two characters per register, high byte first,
    space padded.
    """

    name: str
    event_counter: int = 0
    last_key: int = 1
    model_id: int = 2
    firmware: int = 3
    display: int = 0
    display_registers: int = 4
    expected_model_id: int = 0x4231  # "B1"
    key_codes: Mapping[int, Key] = field(default_factory=lambda: dict(BRANCHQ_V1_KEY_CODES))

    @property
    def poll_span(self) -> tuple[int, int]:
        """(first address, count) of the one read that covers counter and last key."""
        first = min(self.event_counter, self.last_key)
        return first, max(self.event_counter, self.last_key) - first + 1

    def problems(self) -> list[str]:
        addresses = (self.event_counter, self.last_key, self.model_id, self.firmware, self.display)
        out = []
        if any(not 0 <= a <= 0xFFFF for a in addresses):
            out.append(f"model {self.name}: register addresses must be 0..65535")
        if len({self.event_counter, self.last_key, self.model_id, self.firmware}) != 4:
            out.append(f"model {self.name}: input registers must be distinct")
        if self.poll_span[1] > 16:
            out.append(f"model {self.name}: event counter and last key must be within 16 registers")
        if not 1 <= self.display_registers <= 16:
            out.append(f"model {self.name}: display_registers must be 1..16")
        if not self.key_codes or any(not 0 < code <= 0xFFFF for code in self.key_codes):
            out.append(f"model {self.name}: key codes must be 1..65535 (0 means no key)")
        return out

    def key(self, code: int) -> Key | None:
        return self.key_codes.get(code)

    def code(self, key: Key) -> int:
        return next(c for c, k in self.key_codes.items() if k is key)


BRANCHQ_V1 = KeypadModel(name="branchq-v1")
MODELS: Mapping[str, KeypadModel] = {BRANCHQ_V1.name: BRANCHQ_V1}


def encode_display(text: str, registers: int) -> list[int]:
    """ASCII text, space padded, two characters per register, high byte first."""
    raw = text.encode("ascii")  # UnicodeEncodeError is a ValueError
    if len(raw) > 2 * registers or not text.isprintable():
        raise ValueError(f"{text!r} is not printable ASCII of at most {2 * registers} characters")
    raw = raw.ljust(2 * registers)
    return [(raw[i] << 8) | raw[i + 1] for i in range(0, len(raw), 2)]


def decode_display(values: list[int]) -> str:
    raw = b"".join(v.to_bytes(2, "big") for v in values)
    return raw.decode("ascii", "replace").rstrip(" \x00")
