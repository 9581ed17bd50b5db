"""The udev rules parse cleanly (udevadm) and follow the system-service permission model."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "udev" / "99-branchq.rules"
DEVPATHS = ["/devices/virtual/mem/null", "/devices/virtual/mem/zero"]
UNSHARE = shutil.which("unshare")
UDEVADM = shutil.which("udevadm")


def udevadm_problems(rules_dir: Path) -> list[str]:
    """Run ``udevadm test`` with ``rules_dir`` as /etc/udev/rules.d; return its complaints.

    ``udevadm test`` (systemd 252 has no ``udevadm verify``) APPLIES what the rules say to the
    device it simulates (permissions, symlinks, /run/udev). So it runs in a private mount
    namespace with throw-away /dev and /run and a read-only /sys: the host is never touched.
    """
    devpath = next((p for p in DEVPATHS if Path("/sys" + p).exists()), None)
    if devpath is None:
        pytest.skip("no /sys/devices/virtual/mem device to simulate an event on")
    script = (
        "set -e; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /dev;"
        " mount -o remount,bind,ro /sys 2>/dev/null || mount --bind -o ro /sys /sys;"
        f" mount --bind '{rules_dir}' /etc/udev/rules.d;"
        f" exec udevadm test --action=add {devpath}"
    )
    result = subprocess.run(
        [UNSHARE, "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True, text=True, timeout=60, check=False,
    )
    output = result.stdout + result.stderr
    if "Operation not permitted" in output or "Permission denied" in output.split("\n", 1)[0]:
        pytest.skip("cannot create a private mount namespace here (needs root / CAP_SYS_ADMIN)")
    name = re.escape(RULES.name)
    assert f"Reading rules file: /etc/udev/rules.d/{RULES.name}" in output, output[-2000:]
    return [line for line in output.splitlines() if re.match(rf"^\S*{name}:\d+ ", line)]


needs_udevadm = pytest.mark.skipif(
    UDEVADM is None or UNSHARE is None or os.geteuid() != 0,
    reason="udevadm test needs the udev package, unshare (util-linux) and root"
    " (apt-get install udev; .ci/run installs it)",
)


@needs_udevadm
def test_udevadm_accepts_the_rules(tmp_path: Path) -> None:
    shutil.copy(RULES, tmp_path / RULES.name)
    assert udevadm_problems(tmp_path) == []


@needs_udevadm
def test_udevadm_check_catches_a_broken_rule(tmp_path: Path) -> None:
    """The check itself works: a misspelt key is reported."""
    broken = RULES.read_text() + '\nSUBSYSTEM=="tty", SYMLNK+="branchq/typo", GROUP="dialout"\n'
    (tmp_path / RULES.name).write_text(broken)
    problems = udevadm_problems(tmp_path)
    assert problems and "SYMLNK" in problems[0]


def rule_lines() -> list[tuple[int, str]]:
    return [
        (number, line)
        for number, line in enumerate(RULES.read_text().splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_every_named_device_gets_a_group_and_mode() -> None:
    for number, line in rule_lines():
        if "SYMLINK" in line:
            assert re.search(r'GROUP="(dialout|lp|input|video)"', line), f"line {number}: no GROUP"
            assert re.search(r'MODE="0660"', line), f"line {number}: no MODE"


def test_no_rule_relies_on_uaccess() -> None:
    assert all("uaccess" not in line for _, line in rule_lines())


def test_every_stable_name_is_provided() -> None:
    links = {m for _, line in rule_lines() for m in re.findall(r'SYMLINK\+="([^"]+)"', line)}
    assert links == {
        "branchq/printer",
        "branchq/ledsign",
        "branchq/keypads",
        "input/branchq-touch",
        "input/branchq-cardreader",
    }


def test_each_device_rule_is_documented_with_how_to_find_its_ids() -> None:
    text = RULES.read_text()
    for section in ("ticket printer", "LED call sign", "caller keypads", "touch screen",
                    "card reader"):
        start = text.index(section)
        block = text[start : text.find("# ------", start + 1)]
        assert "udevadm info" in block, section
