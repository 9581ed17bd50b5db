"""Contacts in screen pixels to gestures: taps and long presses.

One gesture per completed touch at most: a finger that stays still becomes one LongPress (never
repeated taps); a finger that wanders beyond the move tolerance is a drag and gives nothing; a
touch without any position (a spurious contact) gives nothing; a new touch within the debounce time
and radius of the last release is a bounce of the same press and gives nothing.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

log = logging.getLogger(__name__)

Pixel = tuple[int, int]


@dataclass(frozen=True)
class Tap:
    x: int
    y: int


@dataclass(frozen=True)
class LongPress:
    x: int
    y: int


Gesture = Tap | LongPress


@dataclass
class _Touch:
    start_time: float
    start: Pixel | None = None
    last: Pixel | None = None
    dragged: bool = False
    long_pressed: bool = False
    bounce: bool = False


class GestureRecognizer:
    """Feed it one frame of contacts at a time (pixel positions); it returns finished gestures.

    All times are the event clock (seconds); ``tick`` lets a long press fire while the finger
    rests and the panel sends nothing.
    """

    def __init__(
        self,
        *,
        long_press_s: float = 0.8,
        move_tolerance_px: float = 24.0,
        debounce_s: float = 0.2,
        debounce_radius_px: float = 24.0,
    ) -> None:
        self._long_press_s = long_press_s
        self._move_tolerance = move_tolerance_px
        self._debounce_s = debounce_s
        self._debounce_radius = debounce_radius_px
        self._touches: dict[int, _Touch] = {}
        self._last_release: tuple[float, Pixel] | None = None

    def cancel(self) -> None:
        """Forget every touch in progress without a gesture (state was lost)."""
        self._touches.clear()

    def frame(self, time: float, contacts: dict[int, Pixel | None]) -> list[Gesture]:
        gestures = self.tick(time)
        for contact_id in [cid for cid in self._touches if cid not in contacts]:
            gesture = self._release(time, self._touches.pop(contact_id))
            if gesture is not None:
                gestures.append(gesture)
        for contact_id, pos in contacts.items():
            touch = self._touches.setdefault(contact_id, _Touch(time))
            if pos is not None:
                self._moved(time, touch, pos)
        return gestures

    def tick(self, time: float) -> list[Gesture]:
        """Long presses due at ``time``."""
        due: list[Gesture] = []
        for touch in self._touches.values():
            if (
                touch.last is not None
                and not (touch.dragged or touch.long_pressed or touch.bounce)
                and time - touch.start_time >= self._long_press_s
            ):
                touch.long_pressed = True
                due.append(LongPress(*touch.last))
        return due

    def _moved(self, time: float, touch: _Touch, pos: Pixel) -> None:
        if touch.start is None:
            touch.start = pos
            touch.bounce = self._is_bounce(time, pos)
            if touch.bounce:
                log.debug("touch: second press within the debounce time at the same spot; ignored")
        elif math.dist(touch.start, pos) > self._move_tolerance:
            touch.dragged = True
        touch.last = pos

    def _is_bounce(self, time: float, pos: Pixel) -> bool:
        if self._last_release is None:
            return False
        released_at, where = self._last_release
        return (
            time - released_at < self._debounce_s
            and math.dist(where, pos) <= self._debounce_radius
        )

    def _release(self, time: float, touch: _Touch) -> Gesture | None:
        if touch.last is None:
            log.info("touch: contact without any position ignored (spurious touch)")
            return None
        self._last_release = (time, touch.last)
        if touch.bounce or touch.long_pressed:
            return None
        if touch.dragged:
            log.debug("touch: drag ignored")
            return None
        return Tap(*touch.last)
