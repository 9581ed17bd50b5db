"""Key events of a keyboard wedge to lines of text.

What a scan or a swipe types is sensitive (a card number), so this object never logs, repr()s or
raises with its buffer, and clears it as soon as a line is handed over or discarded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from evdev import InputEvent, ecodes

from .keymap import ALT, CTRL, ENTER, KEYPAD, KEYPAD_DIGITS, SHIFT, US_KEYS, alt_code_char

log = logging.getLogger(__name__)


class KeystrokeDecoder:
    """Shift, Ctrl, Caps Lock and ALT+keypad codes; Enter ends a line.

    A partial line is dropped when more than ``timeout_s`` (event clock) passes between two keys,
    or when it grows past ``max_length`` (a stuck key, a keyboard wrongly configured as reader).
    After SYN_DROPPED the partial line is dropped and the held keys are re-read with
    ``held_keys`` (a real device's EVIOCGKEY) or, without it, assumed released.
    """

    def __init__(
        self,
        timeout_s: float = 0.5,
        max_length: int = 512,
        held_keys: Callable[[], set[int]] | None = None,
    ) -> None:
        self._held_keys = held_keys
        self._timeout_s = timeout_s
        self._max_length = max_length
        self._buffer: list[str] = []
        self._alt_digits = ""
        self._held: set[int] = set()
        self._caps = False
        self._last_key: float | None = None
        self._dropping = False

    def __repr__(self) -> str:
        return f"<KeystrokeDecoder holding {len(self._buffer)} characters>"

    def feed(self, event: InputEvent) -> str | None:
        """A finished line when this event is its Enter, else None."""
        if event.type == ecodes.EV_SYN:
            if event.code == ecodes.SYN_DROPPED:
                self._dropping = True
                self.discard("events were lost (SYN_DROPPED)")
                self._held.clear()
            elif event.code == ecodes.SYN_REPORT and self._dropping:
                self._dropping = False
                if self._held_keys is not None:
                    self._held = set(self._held_keys())
            return None
        if event.type != ecodes.EV_KEY or self._dropping:
            return None
        now = event.timestamp()
        self.tick(now)
        code, value = event.code, event.value
        if value == 0:
            self._held.discard(code)
            if code in ALT and not self._held & ALT:
                self._finish_alt_code()
            return None
        if value != 1:
            return None  # autorepeat: a scanner never holds a key that long
        self._held.add(code)
        self._last_key = now
        return self._key_down(code)

    def tick(self, now: float) -> None:
        """Drop a partial line whose last key is older than the timeout."""
        if self._last_key is not None and now - self._last_key > self._timeout_s:
            self._last_key = None
            if self._buffer or self._alt_digits:
                self.discard("partial read timed out")

    def discard(self, reason: str) -> None:
        if self._buffer or self._alt_digits:
            log.warning("card reader: partial read of %d characters dropped: %s",
                        len(self._buffer), reason)
        self._buffer.clear()
        self._alt_digits = ""

    def _key_down(self, code: int) -> str | None:
        if code in ENTER:
            if not self._buffer:
                return None
            line = "".join(self._buffer)
            self._buffer.clear()
            return line
        if code == ecodes.KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if self._held & ALT:
            if code in KEYPAD_DIGITS:
                self._alt_digits += KEYPAD_DIGITS[code]
            return None
        char = self._char(code)
        if char is not None:
            self._append(char)
        return None

    def _char(self, code: int) -> str | None:
        if code in KEYPAD:
            return KEYPAD[code]
        if code not in US_KEYS:
            return None
        plain, shifted = US_KEYS[code]
        if self._held & CTRL:
            # Ctrl+letter is a control character (Ctrl+J = line feed), as on a terminal
            return chr(ord(plain.upper()) - 64) if plain.isalpha() else None
        shift = bool(self._held & SHIFT)
        if plain.isalpha() and self._caps:
            shift = not shift
        return shifted if shift else plain

    def _finish_alt_code(self) -> None:
        char = alt_code_char(self._alt_digits)
        self._alt_digits = ""
        if char is not None:
            self._append(char)

    def _append(self, char: str) -> None:
        if len(self._buffer) >= self._max_length:
            self.discard(f"longer than {self._max_length} characters")
            return
        self._buffer.append(char)
