"""Virtual touch panel: writes the events a real panel's kernel driver would, into a pipe.

The driver reads the other end as packed ``struct input_event`` records, exactly as it reads
``/dev/input/eventN``. Timestamps follow a virtual clock that advances by the durations asked for
(no sleeping), so a long press is instant in tests. Faults: SYN_DROPPED, garbage bytes, a
truncated record, a panel that vanishes.
"""

from __future__ import annotations

import time

from evdev import InputEvent, ecodes

from ..evdev_records import AbsRange, EventPipe, PipeEventSource
from .device import TouchDescription

#: The official Raspberry Pi 7" display under KMS (edt-ft5x06 "generic ft5x06 (00)").
RPI7_FT5X06 = TouchDescription(
    name="generic ft5x06 (00)",
    absinfo={
        ecodes.ABS_X: AbsRange(0, 799),
        ecodes.ABS_Y: AbsRange(0, 479),
        ecodes.ABS_MT_SLOT: AbsRange(0, 9),
        ecodes.ABS_MT_POSITION_X: AbsRange(0, 799),
        ecodes.ABS_MT_POSITION_Y: AbsRange(0, 479),
        ecodes.ABS_MT_TRACKING_ID: AbsRange(0, 65535),
    },
    keys=frozenset({ecodes.BTN_TOUCH}),
    props=frozenset({ecodes.INPUT_PROP_DIRECT}),
)

#: A resistive ADS7846 panel (single-touch, 12-bit, pressure).
ADS7846 = TouchDescription(
    name="ADS7846 Touchscreen",
    absinfo={
        ecodes.ABS_X: AbsRange(0, 4095),
        ecodes.ABS_Y: AbsRange(0, 4095),
        ecodes.ABS_PRESSURE: AbsRange(0, 255),
    },
    keys=frozenset({ecodes.BTN_TOUCH}),
)


class VirtualTouchscreen:
    """Fingers on a virtual panel, in raw panel units. Multitouch if the description has slots."""

    def __init__(self, description: TouchDescription = RPI7_FT5X06, start: float | None = None):
        self.description = description
        self.multitouch = ecodes.ABS_MT_SLOT in description.absinfo
        self._pipe = EventPipe()
        self._now = time.time() if start is None else start
        self._slot = 0
        self._tracking_id = 0
        self._fingers: dict[int, tuple[int, int]] = {}

    def source(self) -> PipeEventSource:
        """The driver's end of the pipe."""
        return self._pipe.source()

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def down(self, x: int, y: int, finger: int = 0) -> None:
        if self.multitouch:
            self._tracking_id += 1
            body = self._select(finger) + [
                self._ev(ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, self._tracking_id),
                self._ev(ecodes.EV_ABS, ecodes.ABS_MT_POSITION_X, x),
                self._ev(ecodes.EV_ABS, ecodes.ABS_MT_POSITION_Y, y),
            ]
        else:
            body = [
                self._ev(ecodes.EV_ABS, ecodes.ABS_X, x),
                self._ev(ecodes.EV_ABS, ecodes.ABS_Y, y),
            ]
        if not self._fingers:
            body.append(self._ev(ecodes.EV_KEY, ecodes.BTN_TOUCH, 1))
        self._fingers[finger] = (x, y)
        self._frame(body)

    def move(self, x: int, y: int, finger: int = 0) -> None:
        old_x, old_y = self._fingers[finger]
        codes = (
            (ecodes.ABS_MT_POSITION_X, ecodes.ABS_MT_POSITION_Y)
            if self.multitouch
            else (ecodes.ABS_X, ecodes.ABS_Y)
        )
        body = self._select(finger) if self.multitouch else []
        # the kernel sends only the axes that changed
        body += [
            self._ev(ecodes.EV_ABS, code, new)
            for code, new, old in zip(codes, (x, y), (old_x, old_y), strict=True)
            if new != old
        ]
        self._fingers[finger] = (x, y)
        self._frame(body)

    def up(self, finger: int = 0) -> None:
        del self._fingers[finger]
        body = []
        if self.multitouch:
            body = self._select(finger) + [self._ev(ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, -1)]
        if not self._fingers:
            body.append(self._ev(ecodes.EV_KEY, ecodes.BTN_TOUCH, 0))
        self._frame(body)

    def tap(self, x: int, y: int, hold_s: float = 0.08, finger: int = 0) -> None:
        self.down(x, y, finger)
        self.advance(hold_s)
        self.up(finger)
        self.advance(0.5)

    def syn_dropped(self) -> None:
        """The kernel's buffer overflowed: SYN_DROPPED, then (later) a normal SYN_REPORT."""
        self._pipe.send([self._ev(ecodes.EV_SYN, ecodes.SYN_DROPPED, 0)])

    def send_raw(self, data: bytes) -> None:
        """Fault injection: arbitrary bytes (garbage, half a record)."""
        self._pipe.write_raw(data)

    def vanish(self) -> None:
        """The panel is unplugged: the driver's reads hit end of file."""
        self._pipe.close()

    def _select(self, finger: int) -> list[InputEvent]:
        if finger == self._slot:
            return []
        self._slot = finger
        return [self._ev(ecodes.EV_ABS, ecodes.ABS_MT_SLOT, finger)]

    def _frame(self, body: list[InputEvent]) -> None:
        self._pipe.send(body + [self._ev(ecodes.EV_SYN, ecodes.SYN_REPORT, 0)])
        self.advance(0.012)

    def _ev(self, etype: int, code: int, value: int) -> InputEvent:
        sec = int(self._now)
        return InputEvent(sec, int((self._now - sec) * 1_000_000), etype, code, value)
