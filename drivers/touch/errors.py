"""Exceptions of the touch screen driver, one per layer."""

from __future__ import annotations


class TouchError(Exception):
    """Base class: anything the touch driver raises."""


class TouchConfigError(TouchError, ValueError):
    """The touch configuration is invalid; raised at start-up, never mid-run."""


class CalibrationError(TouchError, ValueError):
    """A calibration cannot be built (too few or collinear taps, a bad matrix)."""


class UnsupportedTouchDevice(TouchError):
    """The input device speaks a protocol this driver does not decode (e.g. multitouch type A)."""


class TouchDeviceError(TouchError):
    """No touch device found, or it could not be opened or read (permissions, unplugged)."""
