"""`branchq maint keypad ...` in a subprocess against virtual Modbus keypads on a pty."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.drivers.keypad import Key, VirtualKeypadBus
from tests.maint.maint_helpers import ENTRY, REPO, kiosk_toml, maint, maint_json


@pytest.fixture(name="bus")
def bus_fixture(tmp_path: Path) -> Iterator[VirtualKeypadBus]:
    # The config expects units 1 and 2; the keypad of counter 2 was set to address 3 by mistake.
    with VirtualKeypadBus((1, 3), link=tmp_path / "keypads") as bus:
        yield bus


def test_scan_finds_the_keypad_at_the_wrong_address(tmp_path: Path, bus: VirtualKeypadBus) -> None:
    config = str(kiosk_toml(tmp_path, keypads=bus.port))
    code, report = maint_json("keypad", "scan", "--units", "1-4", "--kiosk-config", config)
    assert code == 1
    rows = {row["unit"]: row["answers"] for row in report["keypad_bus"]}
    assert rows == {"1": "yes", "2": "no", "3": "yes"}
    missing = next(f for f in report["findings"] if f["level"] == "fault")
    assert missing["message"].startswith("Keypad unit 2 (counter 2): not answering — check the "
                                         "keypad's cable")
    assert "unit 3 answers but is not in the config" in missing["message"]


def test_missing_bus_adapter(tmp_path: Path) -> None:
    config = str(kiosk_toml(tmp_path, keypads=str(tmp_path / "gone")))
    result = maint("keypad", "scan", "--kiosk-config", config)
    assert result.returncode == 1
    assert "Keypads: bus port" in result.stdout and "does not exist" in result.stdout


def test_monitor_shows_presses_live(tmp_path: Path, bus: VirtualKeypadBus) -> None:
    config = str(kiosk_toml(tmp_path, keypads=bus.port))
    process = subprocess.Popen(
        [*ENTRY, "keypad", "monitor", "--count", "2", "--seconds", "20", "--kiosk-config", config],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "COLUMNS": "200"})
    try:
        assert process.stdout is not None
        assert "Listening on" in process.stdout.readline()
        bus.press(1, Key.CALL_NEXT)
        assert process.stdout.readline().strip() == "counter 1 (unit 1): call next"
        bus.press(1, Key.DONE)
        out, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert "counter 1 (unit 1): done" in out
    # the keypad of counter 2 is missing: the monitor says so and exits 1
    assert process.returncode == 1
    assert "Keypad unit 2 (counter 2): not answering" in out
