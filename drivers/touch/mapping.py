"""Raw panel units to screen pixels: absinfo scaling, then the calibration matrix."""

from __future__ import annotations

from ..evdev_records import AbsRange
from .calibration import Calibration, Point

Pixel = tuple[int, int]


class ScreenMapper:
    """Maps raw coordinates to pixels; results are clamped to the screen.

    A panel's raw range often reaches a little past the visible area (bezel, resistive drift):
    clamping puts such a touch on the nearest edge pixel instead of off-screen.
    """

    def __init__(
        self, x_range: AbsRange, y_range: AbsRange, width: int, height: int,
        calibration: Calibration,
    ) -> None:
        self._x, self._y = x_range, y_range
        self.width, self.height = width, height
        self.calibration = calibration

    def normalize_raw(self, raw_x: float, raw_y: float) -> Point:
        return (
            (raw_x - self._x.minimum) / (self._x.maximum - self._x.minimum),
            (raw_y - self._y.minimum) / (self._y.maximum - self._y.minimum),
        )

    def normalize_pixel(self, px: float, py: float) -> Point:
        return px / max(self.width - 1, 1), py / max(self.height - 1, 1)

    def to_pixel(self, raw_x: float, raw_y: float) -> Pixel:
        nx, ny = self.calibration.apply(*self.normalize_raw(raw_x, raw_y))
        nx, ny = min(max(nx, 0.0), 1.0), min(max(ny, 0.0), 1.0)
        return round(nx * (self.width - 1)), round(ny * (self.height - 1))

    def calibrate(self, targets_px: list[Point], measured_raw: list[Point]) -> Calibration:
        """A calibration from crosshair positions (pixels) and the raw touches they produced."""
        return Calibration.from_taps(
            [self.normalize_pixel(*t) for t in targets_px],
            [self.normalize_raw(*m) for m in measured_raw],
        )
