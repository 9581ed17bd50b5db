"""Typed, validated configuration of the touch screen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from evdev import ecodes
from pydantic import model_validator

from ..platform.config import StrictModel
from .calibration import Calibration
from .errors import CalibrationError, TouchConfigError

PROTOCOLS = ("auto", "multitouch", "single")


class TouchConfig(StrictModel):
    """How to read the panel and map it onto the screen.

    ``width``/``height``: the screen in pixels, as the kiosk draws it (portrait: the narrow side
    is ``width``). ``protocol``: ``auto`` picks multitouch type B when the device has slots, else
    single-touch; ``single`` forces the ABS_X/ABS_Y + BTN_TOUCH axes (use it for a protocol-A
    panel, which also sends them). ``x_axis``/``y_axis``/``touch_key`` name the single-touch
    codes: some eGalax controllers send coordinates on ABS_Z/ABS_RX, eGTouchD's virtual device
    uses BTN_LEFT. ``x_range``/``y_range`` override a device's absinfo when it lies.
    ``matrix`` (libinput 3x2) replaces ``swap_axes``/``invert_*``/``rotate``. Times in seconds,
    distances in screen pixels.
    """

    width: int
    height: int
    device: str = "/dev/input/branchq-touch"
    protocol: str = "auto"
    x_axis: str = "ABS_X"
    y_axis: str = "ABS_Y"
    touch_key: str = "BTN_TOUCH"
    x_range: tuple[int, int] | None = None
    y_range: tuple[int, int] | None = None
    swap_axes: bool = False
    invert_x: bool = False
    invert_y: bool = False
    rotate: int = 0
    matrix: tuple[float, ...] | None = None
    long_press_s: float = 0.8
    move_tolerance_px: float = 24.0
    debounce_s: float = 0.2
    debounce_radius_px: float = 24.0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"screen size must be positive, got {self.width}x{self.height}")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, not {self.protocol!r}")
        for name, prefix in (("x_axis", "ABS_"), ("y_axis", "ABS_"), ("touch_key", "BTN_")):
            value = getattr(self, name)
            if not value.startswith(prefix) or getattr(ecodes, value, None) is None:
                raise ValueError(f"{name}: {value!r} is not an evdev {prefix}* code")
        for name in ("x_range", "y_range"):
            value = getattr(self, name)
            if value is not None and value[0] >= value[1]:
                raise ValueError(f"{name} must be (min, max) with min < max, got {value!r}")
        for name in ("long_press_s", "move_tolerance_px", "debounce_s", "debounce_radius_px"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.matrix is not None and (
            self.swap_axes or self.invert_x or self.invert_y or self.rotate
        ):
            raise ValueError("give either matrix or swap_axes/invert/rotate, not both")
        try:
            self.calibration()
        except CalibrationError as err:
            raise ValueError(str(err)) from err
        return self

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TouchConfig:
        """Build from a config section; unknown keys are rejected (typos must not pass silently)."""
        return cls.from_section(data, TouchConfigError, "touch settings")

    def calibration(self) -> Calibration:
        if self.matrix is not None:
            return Calibration.from_matrix(self.matrix)
        return Calibration.from_transform(
            swap_axes=self.swap_axes,
            invert_x=self.invert_x,
            invert_y=self.invert_y,
            rotate=self.rotate,
        )

    def code(self, name: str) -> int:
        """The evdev code of a configured axis or key name (validated above)."""
        return int(getattr(ecodes, name))
