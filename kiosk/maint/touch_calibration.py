"""Touch calibration: crosses drawn on the framebuffer, taps read through the touch driver, the
matrix computed by the touch package and written into the kiosk config (old file kept).

Taps are read with an identity calibration, so what comes back is the panel's own view; the new
matrix is the least-squares fit from those raw positions to the crosses
(:meth:`branchq.drivers.touch.mapping.ScreenMapper.calibrate`). Five targets, four near the corners and
one in the middle, so a shaky tap shows as a large residual and the result is refused.
"""

from __future__ import annotations

import math
import shutil
import stat
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from branchq.drivers.platform.files import atomic_write
from branchq.kiosk.maint.health import UNIT, under_systemd
from branchq.kiosk.maint.report import Finding, Level, Report, Stop, console, json_line
from branchq.kiosk.maint.toml_text import replace_keys
from branchq.kiosk.maint.touch import next_gestures, open_touch

if TYPE_CHECKING:
    from PIL import Image

    from branchq.drivers.evdev_records import EventSource
    from branchq.drivers.framebuffer import Framebuffer
    from branchq.drivers.touch import Calibration, TouchScreen
    from branchq.kiosk.config import KioskConfig

Point = tuple[float, float]
#: Where the crosses are, as fractions of the screen (inset so a finger can reach them).
TARGETS = ((0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9), (0.5, 0.5))
#: Keys the matrix replaces (the config refuses a matrix together with any of them).
_REPLACED = ("matrix", "swap_axes", "invert_x", "invert_y", "rotate")
AGAIN = "then run `branchq maint touch calibrate` again"


def targets(width: int, height: int) -> list[Point]:
    return [(round(fx * (width - 1)), round(fy * (height - 1))) for fx, fy in TARGETS]


def target_image(kiosk: KioskConfig, target: Point | None, step: str, lines: tuple[str, str]
                 ) -> Image.Image:
    """A black screen with a white cross at ``target`` and the instruction in zh and en."""
    from PIL import Image, ImageDraw, ImageFont

    size = (kiosk.screen.width, kiosk.screen.height)
    image = Image.new("RGB", size, "black")
    draw = ImageDraw.Draw(image)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype(str(kiosk.screen.font_path), max(18, size[1] // 20))
    except OSError:
        font = ImageFont.load_default()
    middle = (size[0] // 2, size[1] // 2 if target is None or target[1] > size[1] // 3
              else size[1] * 2 // 3)
    for offset, text in zip((-30, 10), lines, strict=True):
        draw.text((middle[0], middle[1] + offset), text, fill="white", font=font, anchor="mm")
    draw.text((middle[0], middle[1] + 50), step, fill="gray", font=font, anchor="mm")
    if target is not None:
        x, y = target
        arm = max(20, size[0] // 30)
        draw.line((x - arm, y, x + arm, y), fill="white", width=3)
        draw.line((x, y - arm, x, y + arm), fill="white", width=3)
        draw.ellipse((x - 8, y - 8, x + 8, y + 8), outline="red", width=3)
    return image


def _framebuffer(kiosk: KioskConfig, device: str | None, sysfs: str | None) -> Framebuffer:
    from branchq.drivers.framebuffer import Framebuffer, FramebufferError

    try:
        return Framebuffer(device or kiosk.screen.framebuffer, sysfs or kiosk.screen.sysfs)
    except FramebufferError as err:
        raise Stop(Finding("Screen", Level.FAULT, f"framebuffer not usable: {err}",
                           "check [screen] framebuffer and sysfs in the kiosk config and the "
                           "display cable; run `branchq maint devices`")) from err


def _show(fb: Framebuffer, image: Image.Image) -> None:
    from branchq.drivers.framebuffer import FramebufferError

    try:
        fb.show(image)
    except FramebufferError as err:
        raise Stop(Finding("Screen", Level.FAULT, f"cannot draw: {err}",
                           "check [screen] width/height match the display and that the user is "
                           "in group video")) from err


def _kiosk_running() -> bool:
    if not under_systemd() or shutil.which("systemctl") is None:
        return False
    state = subprocess.run(["systemctl", "is-active", UNIT], capture_output=True, text=True,
                           timeout=10, check=False).stdout.strip()
    return state == "active"


def _wait_tap(screen: TouchScreen, source: EventSource, timeout: float, number: int) -> Point:
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        gestures = next_gestures(screen, source, min(remaining, 0.2))
        if gestures:
            return float(gestures[-1].x), float(gestures[-1].y)
    raise Stop(Finding("Touch calibration", Level.FAULT,
                       f"no tap on cross {number} within {timeout:g} s; config unchanged",
                       f"tap the centre of each cross with a fingertip, {AGAIN}"))


def _to_raw(screen: TouchScreen, config_size: tuple[int, int], pixel: Point) -> Point:
    """Undo the identity mapping: the panel position that gave ``pixel``."""
    x_range, y_range = screen.description.axis_ranges(screen.config)
    width, height = config_size
    return (x_range.minimum + pixel[0] / (width - 1) * (x_range.maximum - x_range.minimum),
            y_range.minimum + pixel[1] / (height - 1) * (y_range.maximum - y_range.minimum))


def residuals(screen: TouchScreen, calibration: Calibration, crosses: list[Point],
              raws: list[Point]) -> list[float]:
    """How far each tap lands from its cross with the new matrix (pixels)."""
    from branchq.drivers.touch.mapping import ScreenMapper

    x_range, y_range = screen.description.axis_ranges(screen.config)
    mapper = ScreenMapper(x_range, y_range, screen.config.width, screen.config.height, calibration)
    return [math.dist(mapper.to_pixel(*raw), cross) for raw, cross in zip(raws, crosses, strict=True)]


def write_matrix(path: Path, matrix: tuple[float, ...]) -> Path:
    """Put ``matrix`` into [touch] of the kiosk config at ``path``; the old file -> ``.bak``.

    The new text is validated as a whole kiosk config before anything is written, and replaces
    the file atomically, so the kiosk never finds a half-written or invalid config.
    """
    from branchq.kiosk.config import KioskConfigError, parse_kiosk_config

    text = path.read_text(encoding="utf-8")
    numbers = ", ".join(f"{v:.6g}" for v in matrix)
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    new_text = replace_keys(text, "touch", _REPLACED,
                            [f"matrix = [{numbers}]  # branchq maint touch calibrate, {stamp}"])
    try:
        parse_kiosk_config(new_text, str(path))
    except KioskConfigError as err:
        raise Stop(Finding("Touch calibration", Level.FAULT,
                           f"the new config would not load ({err}); config unchanged",
                           AGAIN)) from err
    backup = path.with_name(path.name + ".bak")
    shutil.copy2(path, backup)
    atomic_write(path, new_text.encode("utf-8"), mode=stat.S_IMODE(path.stat().st_mode))
    return backup


def run_calibration(report: Report, kiosk: KioskConfig, config_path: str, device: str | None,
                    panel: str, framebuffer: str | None, fb_sysfs: str | None, timeout: float,
                    tolerance: float, as_json: bool) -> None:
    if _kiosk_running():
        raise Stop(Finding("Touch calibration", Level.FAULT,
                           "the kiosk service is running and uses the same screen",
                           f"stop it first: `sudo systemctl stop {UNIT}`, {AGAIN}"))
    fb = _framebuffer(kiosk, framebuffer, fb_sysfs)
    identity = kiosk.touch.replaced(matrix=None, swap_axes=False, invert_x=False,
                                    invert_y=False, rotate=0)
    screen, source = open_touch(identity, device, panel)
    size = (kiosk.screen.width, kiosk.screen.height)
    crosses = targets(*size)
    out = console()
    raws: list[Point] = []
    try:
        for number, cross in enumerate(crosses, 1):
            step = f"{number} / {len(crosses)}"
            _show(fb, target_image(kiosk, cross, step, ("请点击十字中心",
                                                        "Tap the centre of the cross")))
            next_gestures(screen, source, 0)  # a touch from before the cross was shown
            if as_json:
                json_line({"event": "target", "number": number, "x": cross[0], "y": cross[1]})
            else:
                out.print(f"Cross {step}: tap the centre of the cross at x={cross[0]:g} "
                          f"y={cross[1]:g}", soft_wrap=True)
                out.file.flush()
            raws.append(_to_raw(screen, size, _wait_tap(screen, source, timeout, number)))
    finally:
        source.close()
    calibration = screen.mapper.calibrate(crosses, raws)
    errors = residuals(screen, calibration, crosses, raws)
    report.data["matrix"] = list(calibration.matrix)
    report.data["residuals_px"] = [round(e, 1) for e in errors]
    if max(errors) > tolerance:
        _show(fb, target_image(kiosk, None, "", ("校准失败，请重试", "Calibration failed: try again")))
        raise Stop(Finding("Touch calibration", Level.FAULT,
                           f"a tap landed {max(errors):.0f} px from its cross (limit "
                           f"{tolerance:g} px); config unchanged",
                           f"tap each cross precisely with a fingertip, {AGAIN}"))
    backup = write_matrix(Path(config_path), calibration.matrix)
    _show(fb, target_image(kiosk, None, "", ("校准完成", "Calibration saved")))
    report.add("Touch calibration", Level.OK,
               f"matrix saved to {config_path} (worst tap {max(errors):.1f} px off); the old "
               f"file is {backup}",
               f"start the kiosk: `sudo systemctl start {UNIT}`, then check with "
               "`branchq maint touch monitor`", backup=str(backup))
