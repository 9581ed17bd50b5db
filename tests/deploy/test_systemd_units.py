"""The systemd units an installer drops on the Pi and the server: ``systemd-analyze verify``
must exit 0 *and* print nothing (it exits 0 on unknown keys and only warns)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"


def _verify(unit: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # The unit's ExecStart names the installed path; point it at this checkout's branchq so
    # that verify's "is the command executable" check runs against a real file.
    branchq = Path(sys.executable).with_name("branchq")
    text = unit.read_text().replace("/opt/branchq/bin/branchq", str(branchq))
    copy = tmp_path / unit.name
    copy.write_text(text)
    return subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("name", ["branchq-host.service", "branchq-kiosk.service"])
def test_unit_verifies_without_a_warning(name: str, tmp_path: Path) -> None:
    result = _verify(UNITS / name, tmp_path)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and output == "", output


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_the_check_itself_catches_a_bad_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad" / "branchq-kiosk.service"
    bad.parent.mkdir()
    bad.write_text((UNITS / "branchq-kiosk.service").read_text().replace(
        "WatchdogSec=20", "WatchdogSecs=20"))
    result = _verify(bad, tmp_path)
    assert "WatchdogSecs" in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["branchq-host.service", "branchq-kiosk.service"])
def test_unit_has_the_required_settings(name: str) -> None:
    text = (UNITS / name).read_text()
    for setting in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "User=branchq",
                    "ProtectSystem=strict"):
        assert setting in text, setting
    if "kiosk" in name:
        assert "DevicePolicy=closed" in text and "DeviceAllow=" in text
        assert "SupplementaryGroups=dialout lp input video" in text
