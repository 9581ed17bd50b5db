"""The touch screen driver: any event source -> decoder -> pixels -> taps and long presses."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from evdev import InputDevice, InputEvent, ecodes

from ..evdev_records import DeviceEventSource, EvdevSourceError, EventSource
from .config import TouchConfig
from .contacts import DeviceState, InputDeviceState, MultiTouchDecoder, SingleTouchDecoder
from .device import Protocol, TouchDescription, find_touch_device
from .errors import TouchDeviceError
from .gestures import Gesture, GestureRecognizer
from .mapping import ScreenMapper

log = logging.getLogger(__name__)
wire = logging.getLogger("branchq.wire.touch")


class TouchScreen:
    """Decodes one touch device. Pure with respect to I/O: ``feed`` events, get gestures.

    ``poll(source, timeout)`` reads from an :class:`EventSource` (a real device, a pipe of packed
    records, an iterable) and also fires long presses while nothing arrives. The event clock of the
    source is followed, so recorded captures replay with their own timing.
    """

    def __init__(
        self,
        description: TouchDescription,
        config: TouchConfig,
        state: DeviceState | None = None,
    ) -> None:
        self.description = description
        self.config = config
        self.protocol = description.protocol(config)
        x_range, y_range = description.axis_ranges(config)
        self.mapper = ScreenMapper(x_range, y_range, config.width, config.height,
                                   config.calibration())
        if self.protocol is Protocol.MULTITOUCH_B:
            slot_info = description.absinfo[ecodes.ABS_MT_SLOT]
            self._decoder: MultiTouchDecoder | SingleTouchDecoder = MultiTouchDecoder(
                slot_info.maximum + 1, slot_info.value, state
            )
        else:
            self._decoder = SingleTouchDecoder(
                config.code(config.x_axis), config.code(config.y_axis),
                config.code(config.touch_key), state,
            )
        self._gestures = GestureRecognizer(
            long_press_s=config.long_press_s,
            move_tolerance_px=config.move_tolerance_px,
            debounce_s=config.debounce_s,
            debounce_radius_px=config.debounce_radius_px,
        )
        self._clock_offset: float | None = None  # event clock minus monotonic clock

    @classmethod
    def open(cls, config: TouchConfig) -> tuple[TouchScreen, DeviceEventSource]:
        """Find and open the real device; returns the driver and its event source."""
        device: InputDevice[str] = find_touch_device(config)
        try:
            screen = cls(TouchDescription.from_device(device), config, InputDeviceState(device))
            return screen, DeviceEventSource(device)
        except Exception:
            device.close()
            raise

    def feed(self, event: InputEvent) -> list[Gesture]:
        frame = self._decoder.feed(event)
        if frame is None:
            return []
        self._clock_offset = frame.time - time.monotonic()
        if frame.reset:
            self._gestures.cancel()
            return []
        pixels = {
            cid: None if raw is None else self.mapper.to_pixel(*raw)
            for cid, raw in frame.contacts.items()
        }
        gestures = self._gestures.frame(frame.time, pixels)
        for gesture in gestures:
            wire.debug("touch gesture %s", gesture)
        return gestures

    def feed_all(self, events: Iterable[InputEvent]) -> list[Gesture]:
        return [g for event in events for g in self.feed(event)]

    def tick(self, event_time: float | None = None) -> list[Gesture]:
        """Long presses due now (or at ``event_time`` on the source's clock)."""
        if event_time is None:
            if self._clock_offset is None:
                return []
            event_time = time.monotonic() + self._clock_offset
        return self._gestures.tick(event_time)

    def poll(self, source: EventSource, timeout: float) -> list[Gesture]:
        """Read what arrives within ``timeout`` seconds; TouchDeviceError when it ends."""
        try:
            events = source.read(timeout)
        except EvdevSourceError as err:
            self._gestures.cancel()
            raise TouchDeviceError(f"touch screen: {err}") from err
        return self.feed_all(events) + self.tick()

    def run(
        self, source: EventSource, on_gesture: Callable[[Gesture], None],
        should_stop: Callable[[], bool], poll_s: float = 0.05,
    ) -> None:
        """Loop until ``should_stop()`` or the source ends (TouchDeviceError is raised then)."""
        while not should_stop():
            for gesture in self.poll(source, poll_s):
                on_gesture(gesture)
