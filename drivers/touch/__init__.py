"""Touch screen driver (evdev): multitouch type B and single-touch panels to taps and long presses.

``TouchScreen.open(config)`` finds the device (udev name ``/dev/input/branchq-touch`` or by
capabilities); ``TouchScreen(description, config)`` with any event source works the same on a pipe
of packed records or a replayed capture. ``virtual.VirtualTouchscreen`` is the twin.
"""

from .calibration import Calibration
from .config import TouchConfig
from .device import Protocol, TouchDescription, find_touch_device
from .errors import (
    CalibrationError,
    TouchConfigError,
    TouchDeviceError,
    TouchError,
    UnsupportedTouchDevice,
)
from .gestures import Gesture, LongPress, Tap
from .touchscreen import TouchScreen

__all__ = [
    "Calibration",
    "CalibrationError",
    "Gesture",
    "LongPress",
    "Protocol",
    "Tap",
    "TouchConfig",
    "TouchConfigError",
    "TouchDescription",
    "TouchDeviceError",
    "TouchError",
    "TouchScreen",
    "UnsupportedTouchDevice",
    "find_touch_device",
]
