"""Calibration in libinput's form: a 3x2 matrix on normalized (0..1) touch coordinates.

``x' = a*x + b*y + c`` and ``y' = d*x + e*y + f``, with the touch panel's raw range mapped to
0..1 before and the screen's 0..1 mapped to pixels after, so one matrix fits any resolution and is
the same six numbers a technician would put in ``LIBINPUT_CALIBRATION_MATRIX``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import CalibrationError

Point = tuple[float, float]
Matrix = tuple[float, float, float, float, float, float]

# libinput's documented matrices for a clockwise rotation of the panel relative to the screen.
_ROTATIONS: dict[int, tuple[float, ...]] = {
    0: (1, 0, 0, 0, 1, 0),
    90: (0, -1, 1, 1, 0, 0),
    180: (-1, 0, 1, 0, -1, 1),
    270: (0, 1, 0, -1, 0, 1),
}


def _then(first: Sequence[float], second: Sequence[float]) -> Matrix:
    """The affine matrix applying ``first``, then ``second`` (both ``a, b, c, d, e, f``)."""
    a, b, c, d, e, f = first
    p, q, r, s, t, u = second
    return (p * a + q * d, p * b + q * e, p * c + q * f + r,
            s * a + t * d, s * b + t * e, s * c + t * f + u)


@dataclass(frozen=True)
class Calibration:
    """A 3x2 affine matrix ``(a, b, c, d, e, f)`` applied to normalized coordinates."""

    matrix: Matrix = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

    @classmethod
    def from_matrix(cls, values: Sequence[float]) -> Calibration:
        if len(values) != 6:
            raise CalibrationError(f"a calibration matrix has 6 numbers, got {len(values)}")
        try:
            a, b, c, d, e, f = (float(v) for v in values)
        except (TypeError, ValueError) as err:
            raise CalibrationError(f"calibration matrix must be numbers: {values!r}") from err
        if abs(a * e - b * d) < 1e-9:
            raise CalibrationError("calibration matrix is singular: it maps the panel to a line")
        return cls((a, b, c, d, e, f))

    @classmethod
    def from_transform(
        cls,
        *,
        swap_axes: bool = False,
        invert_x: bool = False,
        invert_y: bool = False,
        rotate: int = 0,
    ) -> Calibration:
        """Swap first, then invert, then rotate clockwise by 0/90/180/270 degrees."""
        if rotate not in _ROTATIONS:
            raise CalibrationError(f"rotate must be 0, 90, 180 or 270, not {rotate}")
        m: Sequence[float] = cls().matrix
        if swap_axes:
            m = _then(m, (0, 1, 0, 1, 0, 0))
        if invert_x:
            m = _then(m, (-1, 0, 1, 0, 1, 0))
        if invert_y:
            m = _then(m, (1, 0, 0, 0, -1, 1))
        return cls.from_matrix(_then(m, _ROTATIONS[rotate]))

    @classmethod
    def from_taps(cls, targets: Sequence[Point], measured: Sequence[Point]) -> Calibration:
        """Least-squares matrix from 3+ pairs: where the crosshair was, where the touch landed.

        Both in normalized coordinates (see ``ScreenMapper.normalize_*`` to get them from pixels and
        raw panel units). More than three well-spread taps average out a shaky finger.
        """
        if len(targets) != len(measured):
            raise CalibrationError("need as many measured taps as targets")
        if len(targets) < 3:
            raise CalibrationError(f"need at least 3 taps to calibrate, got {len(targets)}")
        import numpy as np  # the technician's calibration only, not every kiosk start

        src = np.column_stack([np.asarray(measured, dtype=float), np.ones(len(measured))])
        dst = np.asarray(targets, dtype=float)
        if np.linalg.matrix_rank(src) < 3:
            raise CalibrationError("calibration taps are on one line: tap three corners")
        solution, *_ = np.linalg.lstsq(src, dst, rcond=None)
        return cls.from_matrix(solution.T.ravel().tolist())

    def apply(self, x: float, y: float) -> Point:
        a, b, c, d, e, f = self.matrix
        return a * x + b * y + c, d * x + e * y + f
