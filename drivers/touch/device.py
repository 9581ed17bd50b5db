"""What a touch device is (from its capabilities or a capture) and how to find the real one."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from enum import Enum

import evdev
from evdev import InputDevice, ecodes

from ..evdev_records import AbsRange, Capture
from .config import TouchConfig
from .errors import TouchDeviceError, UnsupportedTouchDevice

log = logging.getLogger(__name__)


class Protocol(Enum):
    MULTITOUCH_B = "multitouch type B"
    SINGLE = "single-touch"


@dataclass(frozen=True)
class TouchDescription:
    """The capabilities the decoder needs: axes with their ranges, keys, input properties."""

    name: str
    absinfo: dict[int, AbsRange]
    keys: frozenset[int] = field(default_factory=frozenset)
    props: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def from_capture(cls, capture: Capture) -> TouchDescription:
        return cls(capture.name, dict(capture.absinfo), frozenset(capture.keys),
                   frozenset(capture.props))

    @classmethod
    def from_device(cls, device: InputDevice[str]) -> TouchDescription:
        caps = device.capabilities(absinfo=False)
        absinfo: dict[int, AbsRange] = {}
        for code in caps.get(ecodes.EV_ABS, []):
            info = device.absinfo(code)
            absinfo[code] = AbsRange(info.min, info.max, info.value, info.resolution)
        return cls(device.name, absinfo, frozenset(caps.get(ecodes.EV_KEY, [])),
                   frozenset(device.input_props()))

    def protocol(self, config: TouchConfig) -> Protocol:
        """The protocol to decode, or UnsupportedTouchDevice with what to do about it."""
        has_mt = ecodes.ABS_MT_POSITION_X in self.absinfo
        has_slots = ecodes.ABS_MT_SLOT in self.absinfo
        if config.protocol == "multitouch" or (config.protocol == "auto" and has_mt):
            if not has_slots:
                raise UnsupportedTouchDevice(
                    f"{self.name!r} uses multitouch protocol A (no ABS_MT_SLOT, frames end with"
                    " SYN_MT_REPORT), which this driver does not decode; set protocol = \"single\""
                    " to use its single-touch ABS_X/ABS_Y axes instead"
                )
            return Protocol.MULTITOUCH_B
        missing = [
            name for name in (config.x_axis, config.y_axis) if config.code(name) not in self.absinfo
        ]
        if config.code(config.touch_key) not in self.keys:
            missing.append(config.touch_key)
        if missing:
            raise UnsupportedTouchDevice(
                f"{self.name!r} has no {', '.join(missing)}: not a touch screen, or set"
                " x_axis/y_axis/touch_key to the codes it really sends (see evtest)"
            )
        return Protocol.SINGLE

    def axis_ranges(self, config: TouchConfig) -> tuple[AbsRange, AbsRange]:
        """Raw ranges of the x and y axes used for this protocol, config overrides applied."""
        if self.protocol(config) is Protocol.MULTITOUCH_B:
            codes = (ecodes.ABS_MT_POSITION_X, ecodes.ABS_MT_POSITION_Y)
        else:
            codes = (config.code(config.x_axis), config.code(config.y_axis))
        ranges = []
        for code, override in zip(codes, (config.x_range, config.y_range), strict=True):
            info = self.absinfo[code]
            if override is not None:
                info = AbsRange(override[0], override[1])
            if info.maximum <= info.minimum:
                raise UnsupportedTouchDevice(
                    f"{self.name!r}: axis {ecodes.ABS[code]} has an empty range"
                    f" {info.minimum}..{info.maximum}; set x_range/y_range in the config"
                )
            ranges.append(info)
        return ranges[0], ranges[1]


def looks_like_touchscreen(desc: TouchDescription) -> bool:
    """Absolute positions plus a touch contact, and not a touchpad (INPUT_PROP_POINTER).

    INPUT_PROP_DIRECT is preferred but not required: the ads7846 resistive driver does not set it.
    """
    if ecodes.INPUT_PROP_POINTER in desc.props:
        return False
    if ecodes.ABS_MT_POSITION_X in desc.absinfo:
        return True
    return {ecodes.ABS_X, ecodes.ABS_Y} <= desc.absinfo.keys() and ecodes.BTN_TOUCH in desc.keys


def find_touch_device(config: TouchConfig) -> InputDevice[str]:
    """The configured node (udev's stable name) if it exists, else the best capable device."""
    try:
        if os.path.exists(config.device):
            return InputDevice(config.device)
        candidates = []
        for path in evdev.list_devices():
            device = InputDevice(path)
            desc = TouchDescription.from_device(device)
            if looks_like_touchscreen(desc):
                candidates.append((ecodes.INPUT_PROP_DIRECT not in desc.props, path, device))
            else:
                device.close()
    except OSError as err:
        raise TouchDeviceError(
            f"cannot open input devices: {err} (is the service user in group 'input'?)"
        ) from err
    if not candidates:
        raise TouchDeviceError(
            f"no touch screen: {config.device} does not exist and no input device has touch"
            " capabilities (see udev/README.md)"
        )
    candidates.sort(key=lambda c: (c[0], c[1]))
    for _, _, other in candidates[1:]:
        other.close()
    chosen = candidates[0][2]
    log.info("touch screen found by capabilities: %s (%s)", chosen.path, chosen.name)
    return chosen
