"""``branchq maint touch monitor|calibrate``: the touch screen, through the touch driver.

``--device`` takes an event node (``/dev/input/event2``) or a FIFO/pipe of packed
``struct input_event`` records (a replayed capture, the simulator, tests); for a FIFO,
``--panel`` names the panel whose axes it carries, since a pipe has no capabilities to ask for.
"""

from __future__ import annotations

import os
import stat
import time
from typing import TYPE_CHECKING

import click

from branchq.kiosk.maint.options import json_option, kiosk_config_option, load_kiosk
from branchq.kiosk.maint.report import Finding, Level, Report, Stop, console, json_line, plural, reporting

if TYPE_CHECKING:
    from branchq.drivers.evdev_records import EventSource
    from branchq.drivers.touch import Gesture, TouchConfig, TouchScreen

AGAIN = "then run `branchq maint touch monitor`"


@click.group()
def touch() -> None:
    """Touch screen: live touch coordinates; calibration.

    \b
    Examples:
      branchq maint touch monitor --count 5
      sudo systemctl stop branchq-kiosk && branchq maint touch calibrate
    """


def _panels() -> dict[str, object]:
    from branchq.drivers.touch.virtual import ADS7846, RPI7_FT5X06

    return {"rpi7": RPI7_FT5X06, "ads7846": ADS7846}


device_option = click.option(
    "--device", help="Event node or FIFO of input_event records, instead of the configured one.")
panel_option = click.option(
    "--panel", type=click.Choice(["rpi7", "ads7846"]), default="rpi7", show_default=True,
    help="For a FIFO --device: the panel it carries (Raspberry Pi 7\" display, ADS7846).")


def open_touch(config: TouchConfig, device: str | None, panel: str) -> tuple[TouchScreen,
                                                                              EventSource]:
    """The driver and its event source for ``device`` (default: the configured one)."""
    from branchq.drivers.evdev_records import PipeEventSource
    from branchq.drivers.touch import TouchError, TouchScreen

    path = device or config.device
    try:
        if os.path.exists(path) and stat.S_ISFIFO(os.stat(path).st_mode):
            screen = TouchScreen(_panels()[panel], config)  # type: ignore[arg-type]
            return screen, PipeEventSource(os.open(path, os.O_RDONLY))
        return TouchScreen.open(config.replaced(device=path))
    except (TouchError, OSError) as err:
        raise Stop(Finding(
            "Touch screen", Level.FAULT, f"cannot be read: {err}",
            "check the screen's USB (or ribbon) cable and that the kiosk user is in group "
            f"input; run `branchq maint devices` to see the input devices, {AGAIN}")) from err


def next_gestures(screen: TouchScreen, source: EventSource, timeout: float) -> list[Gesture]:
    """Gestures within ``timeout``; a vanished device becomes a finding."""
    from branchq.drivers.touch import TouchDeviceError

    try:
        return screen.poll(source, timeout)
    except TouchDeviceError as err:
        raise Stop(Finding("Touch screen", Level.FAULT, f"stopped sending: {err}",
                           f"check its cable, {AGAIN}")) from err


def _monitor(report: Report, screen: TouchScreen, source: EventSource, count: int | None,
             seconds: float | None, as_json: bool) -> None:
    from branchq.drivers.touch import LongPress
    out = console()
    where = f"{screen.description.name} ({screen.protocol.value})"
    if as_json:
        json_line({"event": "listening", "device": screen.description.name})
    else:
        out.print(f"Listening to {where}: touch the screen (Ctrl-C to stop)", soft_wrap=True)
        out.file.flush()
    touches = report.table("Touches", ["Gesture", "X", "Y"])
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while (count is None or len(touches.rows) < count) and (
                deadline is None or time.monotonic() < deadline):
            for gesture in next_gestures(screen, source, 0.1):
                kind = "long press" if isinstance(gesture, LongPress) else "tap"
                touches.rows.append([kind, str(gesture.x), str(gesture.y)])
                if as_json:
                    json_line({"event": kind.replace(" ", "_"), "x": gesture.x, "y": gesture.y})
                else:
                    out.print(f"{kind} at x={gesture.x} y={gesture.y}")
                    out.file.flush()
    except KeyboardInterrupt:
        pass
    report.add("Touch screen", Level.OK if touches.rows else Level.INFO,
               f"{plural(len(touches.rows), 'touch', 'touches')} read from {where}",
               "" if touches.rows else "no touch came: if you touched the screen, check its "
               "cable and run `branchq maint devices`")


@touch.command()
@click.option("--count", type=click.IntRange(1), help="Stop after this many touches.")
@click.option("--seconds", type=click.FloatRange(0, min_open=True),
              help="Stop after this many seconds.")
@kiosk_config_option
@device_option
@panel_option
@json_option
def monitor(count: int | None, seconds: float | None, kiosk_config: str, device: str | None,
            panel: str, as_json: bool) -> None:
    """Show taps and long presses live, in screen pixels after calibration.

    Touch the four corners: the numbers should be close to 0 and the screen size.

    \b
    Example:
      branchq maint touch monitor --seconds 30
    """
    with reporting("Touch monitor", as_json, compact=True) as report:
        kiosk = load_kiosk(kiosk_config)
        screen, source = open_touch(kiosk.touch, device, panel)
        try:
            _monitor(report, screen, source, count, seconds, as_json)
        finally:
            source.close()


@touch.command()
@kiosk_config_option
@device_option
@panel_option
@click.option("--framebuffer", help="Framebuffer device to draw the targets on "
                                    "(default: [screen] framebuffer).")
@click.option("--fb-sysfs", help="Its sysfs folder (default: [screen] sysfs).")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(1, 600),
              help="Seconds to wait for each tap.")
@click.option("--tolerance", default=20.0, show_default=True, type=click.FloatRange(1, 200),
              help="Largest distance (pixels) a tap may land from its target after calibration.")
@json_option
def calibrate(kiosk_config: str, device: str | None, panel: str, framebuffer: str | None,
              fb_sysfs: str | None, timeout: float, tolerance: float, as_json: bool) -> None:
    """Tap five crosses on the screen; the matrix goes into the kiosk config ([touch] matrix),
    the old file is kept as kiosk.toml.bak. Stop the kiosk service first.

    \b
    Example:
      sudo systemctl stop branchq-kiosk
      branchq maint touch calibrate
      sudo systemctl start branchq-kiosk
    """
    from branchq.kiosk.maint.touch_calibration import run_calibration

    with reporting("Touch calibration", as_json) as report:
        kiosk = load_kiosk(kiosk_config)
        run_calibration(report, kiosk, kiosk_config, device, panel, framebuffer, fb_sysfs,
                        timeout, tolerance, as_json)
