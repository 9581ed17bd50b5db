"""The kiosk's start does not wait for libraries it needs only later (issue 14: a slow start on
the Pi), and a library that is missing is still named when it is needed.

Each check runs in a fresh interpreter: ``sys.modules`` of this test process holds whatever other
tests imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from tests.pg import free_port

#: Loaded later or never by the kiosk: python-escpos's capability database (a YAML parse) and its
#: printer classes (with qrcode) at the first status check or print, numpy for an RGB565 screen
#: or a calibration, pymodbus when the keypad bus opens, httpx (and the rich console it imports)
#: at the first call to the host; the host's web framework and ORM never.
LATER = ("escpos.capabilities", "escpos.printer", "yaml", "qrcode", "numpy", "pymodbus",
         "httpx", "rich", "fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic")


def _loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=60)
    return set(json.loads(result.stdout.splitlines()[-1]))


def _among_later(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in LATER))


def test_importing_the_kiosk_and_reading_its_config_loads_no_later_library() -> None:
    loaded = _loaded_after(
        "import branchq.kiosk.app, branchq.kiosk.cli, branchq.kiosk.devices\n"
        "from branchq.kiosk.config import load_kiosk_config\n"
        "load_kiosk_config(None)  # the bundled example: printer profile and font checked")
    assert "branchq.kiosk.app" in loaded and "branchq.drivers.printer.driver" in loaded
    assert _among_later(loaded) == []


def test_the_later_libraries_load_when_their_device_is_used() -> None:
    """The other half of the property: each one still arrives, at the moment it is needed."""
    loaded = _loaded_after(
        "from branchq.kiosk.config import load_kiosk_config\n"
        "from branchq.drivers.printer.driver import TicketPrinter\n"
        "from branchq.drivers.printer.layout import Line\n"
        "from branchq.drivers.framebuffer.pixels import to_pixels\n"
        "from branchq.kiosk.hostlink import HostLink, HostUnreachable\n"
        "from PIL import Image\n"
        "import asyncio\n"
        "config = load_kiosk_config(None)\n"
        "TicketPrinter(config.printer).build([Line('A001')])\n"
        "to_pixels(Image.new('RGB', (2, 2)), 16)\n"
        f"link = HostLink('http://127.0.0.1:{free_port()}', 'bq_token', 2)\n"
        "try:\n"
        "    asyncio.run(link.branch())\n"
        "except HostUnreachable:\n"
        "    pass")
    assert {"escpos.printer", "escpos.capabilities", "qrcode", "numpy", "httpx"} <= loaded
    assert "pymodbus" not in loaded


def test_a_missing_printer_library_is_named_at_start(tmp_path: Path) -> None:
    """Without python-escpos the kiosk does not start half-working: the printer section's check
    needs its profiles, and the message says which install is missing."""
    token = tmp_path / "kiosk.token"
    token.write_text("bq_not-a-real-token")
    command = [BRANCHQ_COMMAND[0], "-c",
               f"import sys; sys.modules['escpos'] = None; {BRANCHQ_COMMAND[2]}"]
    result = subprocess.run(
        [*command, "kiosk", "run", "--simulate", "--host-url", f"http://127.0.0.1:{free_port()}",
         "--state-dir", str(tmp_path / "state"), "--token-file", str(token),
         "--preview-port", str(free_port())],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "this command needs escpos" in result.stderr
    assert "pip install 'branchq[kiosk]'" in result.stderr
