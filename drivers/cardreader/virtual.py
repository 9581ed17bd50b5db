"""Virtual keyboard-wedge scanner / magstripe reader: types into a pipe as the kernel would.

Each key is a down and an up event, each followed by SYN_REPORT, as packed records. Timestamps
follow a virtual clock (no sleeping). Faults: a pause mid-read, a lost Enter, SYN_DROPPED,
garbage bytes, a reader that vanishes.
"""

from __future__ import annotations

import time

from evdev import InputEvent, ecodes

from ..evdev_records import EventPipe, PipeEventSource
from .keymap import US_CHARS


class VirtualScanner:
    def __init__(self, start: float | None = None, key_gap_s: float = 0.003) -> None:
        self._pipe = EventPipe()
        self._now = time.time() if start is None else start
        self._gap = key_gap_s

    def source(self) -> PipeEventSource:
        return self._pipe.source()

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def type_text(self, text: str, enter: bool = True) -> None:
        """Type ``text`` as US keystrokes (shift where needed), then Enter."""
        events: list[InputEvent] = []
        for char in text:
            code, shift = US_CHARS[char]
            if shift:
                events += self._key(ecodes.KEY_LEFTSHIFT, 1)
            events += self._key(code, 1) + self._key(code, 0)
            if shift:
                events += self._key(ecodes.KEY_LEFTSHIFT, 0)
        if enter:
            events += self._key(ecodes.KEY_ENTER, 1) + self._key(ecodes.KEY_ENTER, 0)
        self._pipe.send(events)

    def type_alt_codes(self, text: str, enter: bool = True) -> None:
        """Type each character as ALT + keypad decimal code (like the Datalogic GFS4400)."""
        events = self._key(ecodes.KEY_NUMLOCK, 1) + self._key(ecodes.KEY_NUMLOCK, 0)
        for char in text:
            events += self._key(ecodes.KEY_LEFTALT, 1)
            for digit in f"0{ord(char):03d}":
                code = getattr(ecodes, f"KEY_KP{digit}")
                events += self._key(code, 1) + self._key(code, 0)
            events += self._key(ecodes.KEY_LEFTALT, 0)
        if enter:
            events += self._key(ecodes.KEY_KPENTER, 1) + self._key(ecodes.KEY_KPENTER, 0)
        self._pipe.send(events)

    def swipe(self, pan: str, expiry: str = "2912", service: str = "101") -> None:
        """A magstripe swipe typing track 1 and track 2, as many readers do."""
        track1 = f"%B{pan}^CARDHOLDER/TEST^{expiry}{service}0000000000?"
        track2 = f";{pan}={expiry}{service}0000000000?"
        self.type_text(track1 + track2)

    def syn_dropped(self) -> None:
        self._pipe.send([self._event(ecodes.EV_SYN, ecodes.SYN_DROPPED, 0)])

    def send_raw(self, data: bytes) -> None:
        self._pipe.write_raw(data)

    def vanish(self) -> None:
        self._pipe.close()

    def _key(self, code: int, value: int) -> list[InputEvent]:
        events = [
            self._event(ecodes.EV_KEY, code, value),
            self._event(ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
        ]
        self._now += self._gap
        return events

    def _event(self, etype: int, code: int, value: int) -> InputEvent:
        sec = int(self._now)
        return InputEvent(sec, int((self._now - sec) * 1_000_000), etype, code, value)
