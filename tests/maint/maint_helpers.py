"""Run ``branchq maint`` as a real subprocess, and write kiosk configs pointing at virtual devices."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from branchq.drivers.platform.cli import BRANCHQ_COMMAND

REPO = Path(__file__).resolve().parents[2]
ENTRY = [*BRANCHQ_COMMAND, "maint"]


def maint(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
          stdin: str | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """``branchq maint ARGS`` in a fresh process; wide output so sentences stay on one line."""
    full_env = {**os.environ, "COLUMNS": "200", "BRANCHQ_LOG": "WARNING", **(env or {})}
    return subprocess.run([*ENTRY, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=cwd, input=stdin)


def maint_json(*args: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    result = maint(*args, "--json", **kwargs)
    try:
        return result.returncode, json.loads(result.stdout)
    except json.JSONDecodeError as err:
        raise AssertionError(f"not JSON:\n{result.stdout}\n{result.stderr}") from err


def kiosk_toml(
    tmp_path: Path,
    *,
    printer: str = "/nonexistent/printer",
    ledsign: str | None = None,
    keypads: str | None = None,
    touch: str = "/nonexistent/touch",
    framebuffer: str = "/nonexistent/fb0",
    host_url: str = "http://127.0.0.1:9",
    sign_ack: bool = True,
    extra_touch: str = "rotate = 0",
) -> Path:
    """A kiosk.toml like the example one, its devices at the given paths, state in tmp_path."""
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    token = tmp_path / "kiosk.token"
    if not token.exists():
        token.write_text("bq_not-a-real-token\n")
    text = f"""# test kiosk
[kiosk]
id = "entrance"
host_url = "{host_url}"
token_file = "{token}"
state_dir = "{state}"
heartbeat_s = 10
offline_lease_size = 50

[screen]
width = 800
height = 480
framebuffer = "{framebuffer}"

[touch]
device = "{touch}"
{extra_touch}

[printer]
paper_width_mm = 80
has_cutter = true
chinese_mode = "raster"
status_timeout_s = 0.3
backend = {{ kind = "serial", path = "{printer}", baudrate = 115200 }}
"""
    if ledsign is not None:
        text += f"""
[ledsign]
port = "{ledsign}"
bytesize = 8
parity = "N"
ack = {str(sign_ack).lower()}
ack_timeout = 0.3
signs = [
  {{ address = "01", role = "hall", lines = 2 }},
  {{ address = "11", role = "counter", counter = 1 }},
]
"""
    if keypads is not None:
        text += f"""
[keypads]
port = "{keypads}"
parity = "N"
timeout = 0.1
offline_after = 1
keypads = [
  {{ unit = 1, counter = 1 }},
  {{ unit = 2, counter = 2 }},
]
"""
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    return path
