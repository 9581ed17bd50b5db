"""evdev frames to contacts: multitouch type B slots and single-touch axes.

Both decoders turn a stream of events into one :class:`ContactFrame` per SYN_REPORT: the fingers
down at that moment, each with its raw position. The kernel sends only what changed, so per-slot
state is kept here. Two safety rules, both for a kiosk where a phantom tap prints a ticket:

* a contact is given a position only once a position event arrived *during* it. The official
  7" display's edt-ft5x06 driver sometimes reports tracking IDs and BTN_TOUCH with no positions at
  all (raspberrypi/linux#4749); reusing the slot's old coordinates would turn those into taps. The
  cost: a second touch on exactly the same raw coordinate (which the kernel filters as unchanged)
  is ignored - the debounce would drop most of those anyway.
* after SYN_DROPPED the frame is discarded up to the next SYN_REPORT and every contact is
  cancelled; a finger that was down keeps being ignored until it lifts (its slot is "tainted").
  With a real device the current slot (and for single-touch the key state) is re-read.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Protocol

from evdev import InputDevice, InputEvent, ecodes

log = logging.getLogger(__name__)

RawPoint = tuple[int, int]


@dataclass(frozen=True)
class ContactFrame:
    """The fingers down at one SYN_REPORT: contact id -> raw position (None: no position yet).

    ``reset`` says state was lost (SYN_DROPPED): every gesture in progress must be cancelled.
    """

    time: float
    contacts: dict[int, RawPoint | None]
    reset: bool = False


class DeviceState(Protocol):
    """Live state of a real device, re-read after SYN_DROPPED."""

    def current_slot(self) -> int: ...

    def key_down(self, key: int) -> bool: ...


class InputDeviceState:
    """:class:`DeviceState` of an ``evdev.InputDevice`` (EVIOCGABS / EVIOCGKEY)."""

    def __init__(self, device: InputDevice[str]) -> None:
        self._device = device

    def current_slot(self) -> int:
        return int(self._device.absinfo(ecodes.ABS_MT_SLOT).value)

    def key_down(self, key: int) -> bool:
        return key in self._device.active_keys()


class _FrameDecoder(ABC):
    """SYN handling shared by both decoders: frames, SYN_DROPPED, re-sync."""

    def __init__(self, state: DeviceState | None) -> None:
        self._state = state
        self._dropping = False
        self._next_id = 0

    def feed(self, event: InputEvent) -> ContactFrame | None:
        if event.type == ecodes.EV_SYN:
            if event.code == ecodes.SYN_DROPPED:
                log.warning("touch: SYN_DROPPED, events lost; cancelling touches in progress")
                self._dropping = True
                return None
            if event.code == ecodes.SYN_REPORT:
                if self._dropping:
                    self._dropping = False
                    self._resync()
                    return ContactFrame(event.timestamp(), {}, reset=True)
                return ContactFrame(event.timestamp(), self._end_frame())
            return None
        if not self._dropping:
            self._on_event(event)
        return None

    def _new_contact_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @abstractmethod
    def _on_event(self, event: InputEvent) -> None:
        """Take one non-SYN event into the frame being built."""

    @abstractmethod
    def _end_frame(self) -> dict[int, RawPoint | None]:
        """The contacts of the frame a SYN_REPORT ends (None: touching, no position yet)."""

    @abstractmethod
    def _resync(self) -> None:
        """After SYN_DROPPED: rebuild state from the device, or forget it."""


@dataclass
class _Slot:
    contact: int | None = None  # our contact id while a finger is down
    x: int | None = None
    y: int | None = None
    fresh: bool = False  # a position arrived since the contact started
    moved: bool = False  # a position arrived in the current frame
    tainted: bool = False  # state unknown after SYN_DROPPED: ignore until the finger lifts


class MultiTouchDecoder(_FrameDecoder):
    """Protocol type B: ABS_MT_SLOT selects a slot, ABS_MT_TRACKING_ID -1 frees it."""

    def __init__(self, slots: int, current_slot: int = 0, state: DeviceState | None = None):
        super().__init__(state)
        self._slots = [_Slot() for _ in range(slots)]
        self._current: int | None = current_slot if 0 <= current_slot < slots else 0

    def _on_event(self, event: InputEvent) -> None:
        if event.type != ecodes.EV_ABS:
            return  # BTN_TOUCH and the ABS_X/ABS_Y emulation duplicate what the slots say
        if event.code == ecodes.ABS_MT_SLOT:
            if 0 <= event.value < len(self._slots):
                self._current = event.value
            else:
                log.warning("touch: slot %d beyond the device's %d", event.value, len(self._slots))
                self._current = None
            return
        if self._current is None:
            return
        slot = self._slots[self._current]
        if event.code == ecodes.ABS_MT_TRACKING_ID:
            slot.tainted = False
            if event.value < 0:
                slot.contact = None
            else:
                slot.contact, slot.fresh = self._new_contact_id(), False
        elif event.code == ecodes.ABS_MT_POSITION_X:
            slot.x, slot.moved = event.value, True
        elif event.code == ecodes.ABS_MT_POSITION_Y:
            slot.y, slot.moved = event.value, True

    def _end_frame(self) -> dict[int, RawPoint | None]:
        contacts: dict[int, RawPoint | None] = {}
        for slot in self._slots:
            if slot.contact is None or slot.tainted:
                slot.moved = False
                continue
            slot.fresh |= slot.moved
            slot.moved = False
            known = slot.fresh and slot.x is not None and slot.y is not None
            contacts[slot.contact] = (slot.x, slot.y) if known else None  # type: ignore[assignment]
        return contacts

    def _resync(self) -> None:
        for slot in self._slots:
            slot.tainted, slot.moved = True, False
        if self._state is not None:
            current = self._state.current_slot()
            self._current = current if 0 <= current < len(self._slots) else None


@dataclass
class _Pointer:
    down: bool = False
    contact: int | None = None
    x: int | None = None
    y: int | None = None
    fresh: bool = False
    moved: bool = False
    tainted: bool = False
    other_axes: set[int] = field(default_factory=set)


class SingleTouchDecoder(_FrameDecoder):
    """ABS_X/ABS_Y (or the configured axes) plus BTN_TOUCH (or the configured key)."""

    def __init__(self, x_code: int, y_code: int, key_code: int, state: DeviceState | None = None):
        super().__init__(state)
        self._codes = (x_code, y_code, key_code)
        self._p = _Pointer()
        self._quirk_reported = False

    def _on_event(self, event: InputEvent) -> None:
        x_code, y_code, key_code = self._codes
        p = self._p
        if event.type == ecodes.EV_KEY and event.code == key_code and event.value in (0, 1):
            was_tainted, p.tainted = p.tainted, False
            if event.value and (not p.down or was_tainted):
                p.down, p.contact, p.fresh = True, self._new_contact_id(), False
                p.other_axes.clear()
            elif not event.value:
                if p.down and not p.fresh and not p.moved:
                    self._report_axis_quirk()
                p.down, p.contact = False, None
        elif event.type == ecodes.EV_ABS:
            if event.code == x_code:
                p.x, p.moved = event.value, True
            elif event.code == y_code:
                p.y, p.moved = event.value, True
            elif p.down:
                p.other_axes.add(event.code)

    def _report_axis_quirk(self) -> None:
        """A touch with no position but motion on other axes: the eGalax 0eef:0001 quirk."""
        axes = sorted(self._p.other_axes - {ecodes.ABS_PRESSURE})
        if axes and not self._quirk_reported:
            self._quirk_reported = True
            names = ", ".join(str(ecodes.ABS.get(code, code)) for code in axes)
            log.warning(
                "touch: the panel moved on %s, not on the configured x/y axes; set x_axis/y_axis"
                " in the touch config (known eGalax controller quirk)", names,
            )

    def _end_frame(self) -> dict[int, RawPoint | None]:
        p = self._p
        if not p.down or p.tainted or p.contact is None:
            p.moved = False
            return {}
        p.fresh |= p.moved
        p.moved = False
        known = p.fresh and p.x is not None and p.y is not None
        return {p.contact: (p.x, p.y) if known else None}  # type: ignore[dict-item]

    def _resync(self) -> None:
        p = self._p
        p.tainted, p.moved = True, False
        if self._state is not None and not self._state.key_down(self._codes[2]):
            p.down, p.contact, p.tainted = False, None, False
