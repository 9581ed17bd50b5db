"""`branchq maint touch ...` in a subprocess, reading a virtual panel's event pipe and drawing
on a virtual framebuffer (the same driver code paths as /dev/input/eventN and /dev/fb0)."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

from branchq.drivers.framebuffer import VirtualFramebuffer
from branchq.drivers.touch import TouchConfig, TouchScreen
from branchq.drivers.touch.virtual import RPI7_FT5X06, VirtualTouchscreen
from tests.maint.maint_helpers import ENTRY, REPO, kiosk_toml


def _start(args: list[str], panel: VirtualTouchscreen) -> subprocess.Popen[str]:
    """The command reads the panel's pipe, inherited as /dev/fd/N (a FIFO, like a replay)."""
    fd = panel._pipe.read_fd  # the twin's read end: the path the driver would open
    return subprocess.Popen([*ENTRY, "touch", *args, "--device", f"/dev/fd/{fd}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            pass_fds=(fd,), env={**os.environ, "COLUMNS": "200"})


def _panel_position(x: float, y: float) -> tuple[int, int]:
    """A panel glued on slightly shifted and shrunk: raw units are off from the pixels."""
    return round(0.9 * x + 40), round(0.95 * y + 10)


def _calibrate(tmp_path: Path, shaky: bool) -> tuple[subprocess.Popen[str], str, Path]:
    config = kiosk_toml(tmp_path)
    screen = VirtualFramebuffer(tmp_path / "fb", 800, 480)
    panel = VirtualTouchscreen()
    process = _start(["calibrate", "--kiosk-config", str(config), "--framebuffer",
                      str(screen.device), "--fb-sysfs", str(screen.sysfs), "--timeout", "10"],
                     panel)
    assert process.stdout is not None
    for number in range(5):
        line = process.stdout.readline()
        match = re.search(r"x=(\d+) y=(\d+)", line)
        assert match, line + process.stderr.read() if process.stderr else line
        x, y = int(match[1]), int(match[2])
        assert screen.snapshot().getpixel((x, y)) == (255, 255, 255), "the cross is drawn there"
        off = 60 if shaky and number == 4 else 0
        panel.tap(*_panel_position(x + off, y))
    out, _ = process.communicate(timeout=20)
    return process, out, config


def test_calibrate_writes_the_matrix_and_keeps_a_backup(tmp_path: Path) -> None:
    original = kiosk_toml(tmp_path).read_text()
    process, out, config = _calibrate(tmp_path, shaky=False)
    assert process.returncode == 0, out
    assert "Touch calibration: matrix saved to" in out
    assert (tmp_path / "kiosk.toml.bak").read_text() == original
    touch = tomllib.loads(config.read_text())["touch"]
    assert "rotate" not in touch
    screen = TouchScreen(RPI7_FT5X06, TouchConfig.from_mapping({"width": 800, "height": 480,
                                                                  **touch}))
    for target in ((100, 100), (700, 400), (400, 240)):
        mapped = screen.mapper.to_pixel(*_panel_position(*target))
        assert abs(mapped[0] - target[0]) <= 2 and abs(mapped[1] - target[1]) <= 2


def test_shaky_taps_leave_the_config_alone(tmp_path: Path) -> None:
    original = kiosk_toml(tmp_path).read_text()
    process, out, config = _calibrate(tmp_path, shaky=True)
    assert process.returncode == 1
    assert "config unchanged" in out
    assert config.read_text() == original
    assert not (tmp_path / "kiosk.toml.bak").exists()


def test_monitor_shows_calibrated_taps(tmp_path: Path) -> None:
    config = kiosk_toml(tmp_path, extra_touch="invert_x = true")
    panel = VirtualTouchscreen()
    process = _start(["monitor", "--count", "1", "--seconds", "20", "--kiosk-config",
                      str(config)], panel)
    assert process.stdout is not None
    assert "Listening to generic ft5x06 (00)" in process.stdout.readline()
    panel.tap(100, 50)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0, out
    assert "tap at x=699 y=50" in out
