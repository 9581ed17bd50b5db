"""Calibration: rotations for a portrait mount, swap/invert, matrices from calibration taps."""

from __future__ import annotations

import pytest

from branchq.drivers.evdev_records import AbsRange
from branchq.drivers.touch import (
    Calibration,
    CalibrationError,
    Tap,
    TouchConfig,
    TouchConfigError,
    TouchDescription,
    TouchScreen,
)
from branchq.drivers.touch.mapping import ScreenMapper

from .evdev_helpers import evemu, evtest


def test_portrait_mount_rotates_taps() -> None:
    """The 1280x768 panel turned a quarter clockwise under a 768x1280 portrait screen."""
    desc = TouchDescription.from_capture(evemu("ft5x06-EP0430M09.desc.evemu"))
    screen = TouchScreen(desc, TouchConfig(width=768, height=1280, rotate=90))
    taps = screen.feed_all(evemu("ft5x06-EP0430M09.2-fingers-touch-release.evemu").events)

    def rotated(raw_x: int, raw_y: int) -> Tap:  # libinput's 90 degree matrix: x' = 1 - y, y' = x
        return Tap(round((1 - raw_y / 767) * 767), round(raw_x / 1279 * 1279))

    assert taps == [rotated(401, 410), rotated(934, 416)]


@pytest.mark.parametrize(
    ("rotate", "corner"),
    [(0, (0.0, 0.0)), (90, (1.0, 0.0)), (180, (1.0, 1.0)), (270, (0.0, 1.0))],
)
def test_rotation_moves_the_panel_origin_clockwise(rotate: int, corner: tuple[float, float]) -> None:
    assert Calibration.from_transform(rotate=rotate).apply(0.0, 0.0) == pytest.approx(corner)


def test_swap_then_invert() -> None:
    cal = Calibration.from_transform(swap_axes=True, invert_x=True)
    assert cal.apply(0.25, 0.75) == pytest.approx((0.25, 0.25))


def mhs35_mapper(calibration: Calibration) -> ScreenMapper:
    return ScreenMapper(AbsRange(0, 4095), AbsRange(0, 4095), 480, 320, calibration)


# The MHS35 3.5" resistive panel's four corner taps (raw X grows downwards, raw Y leftwards).
MHS35_CORNERS = {
    (0, 0): (337, 3878),
    (479, 0): (326, 282),
    (0, 319): (3787, 3923),
    (479, 319): (3769, 280),
}


def test_mhs35_corner_taps_match_the_recording() -> None:
    (capture,) = evtest("ads7846-mhs35-corner-taps.evtest.txt")
    xs = [e.value for e in capture.events if e.type == 3 and e.code == 0]
    ys = [e.value for e in capture.events if e.type == 3 and e.code == 1]
    assert list(zip(xs, ys, strict=True)) == list(MHS35_CORNERS.values())


def test_mhs35_swap_and_invert_puts_corners_near_corners() -> None:
    mapper = mhs35_mapper(Calibration.from_transform(swap_axes=True, invert_x=True))
    for (tx, ty), raw in MHS35_CORNERS.items():
        px, py = mapper.to_pixel(*raw)
        assert abs(px - tx) < 40 and abs(py - ty) < 40


def test_from_taps_least_squares_recovers_the_panel() -> None:
    identity = mhs35_mapper(Calibration())
    targets = [(float(x), float(y)) for x, y in MHS35_CORNERS]
    cal = identity.calibrate(targets, [tuple(map(float, r)) for r in MHS35_CORNERS.values()])
    mapper = mhs35_mapper(cal)
    for (tx, ty), raw in MHS35_CORNERS.items():
        px, py = mapper.to_pixel(*raw)
        assert abs(px - tx) <= 6 and abs(py - ty) <= 6  # residual of a slightly skewed panel


def test_from_taps_exact_for_three_points() -> None:
    truth = Calibration.from_transform(rotate=270, invert_y=True)
    measured = [(0.1, 0.1), (0.9, 0.2), (0.3, 0.8)]
    targets = [truth.apply(*m) for m in measured]
    found = Calibration.from_taps(targets, measured)
    assert found.matrix == pytest.approx(truth.matrix, abs=1e-9)


@pytest.mark.parametrize(
    ("targets", "measured", "message"),
    [
        ([(0, 0), (1, 1)], [(0, 0), (1, 1)], "at least 3"),
        ([(0, 0), (0.5, 0.5), (1, 1)], [(0, 0), (0.5, 0.5), (1, 1)], "one line"),
        ([(0, 0)], [(0, 0), (1, 1)], "as many"),
    ],
)
def test_from_taps_refuses_bad_input(targets: list, measured: list, message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        Calibration.from_taps(targets, measured)


@pytest.mark.parametrize(
    "settings",
    [
        {"rotate": 45},
        {"matrix": [1, 0, 0, 0, 0, 0]},
        {"matrix": [1, 0, 0], "rotate": 0},
        {"matrix": [0, 1, 0, 1, 0, 0], "swap_axes": True},
        {"protocol": "A"},
        {"x_axis": "ABS_NOPE"},
        {"x_range": [10, 5]},
        {"long_press": 1},
    ],
)
def test_bad_config_is_rejected_at_start(settings: dict) -> None:
    with pytest.raises(TouchConfigError):
        TouchConfig.from_mapping({"width": 800, "height": 480, **settings})


def test_config_matrix_from_mapping() -> None:
    config = TouchConfig.from_mapping(
        {"width": 800, "height": 480, "matrix": [0, 1, 0, 1, 0, 0], "x_range": [10, 4000]}
    )
    assert config.calibration().apply(0.2, 0.7) == pytest.approx((0.7, 0.2))
    assert config.x_range == (10, 4000)
