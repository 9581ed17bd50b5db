"""``make demo`` (``branchq demo``) shows a newcomer a working branch: host, web pages and a
simulated kiosk that prints a ticket when its screen is tapped."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.pg import free_port


def test_demo_runs_host_and_simulated_kiosk(tmp_path: Path) -> None:
    port, kiosk_port = free_port(), free_port()
    log = tmp_path / "demo.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from host.cli import main; main()", "demo", "--port", str(port),
         "--kiosk-port", str(kiosk_port)], cwd=tmp_path, stdout=log.open("w"),
        stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 40
        state: dict = {}  # type: ignore[type-arg]
        while time.monotonic() < deadline:
            try:
                state = httpx.get(f"http://127.0.0.1:{kiosk_port}/state", timeout=2).json()
                if state["host_online"] and state["buttons"]:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert state.get("host_online"), log.read_text()[-2000:]
        x0, y0, x1, y1 = next(b["box"] for b in state["buttons"] if b["key"] == "service:cash")
        httpx.post(f"http://127.0.0.1:{kiosk_port}/tap", json={"x": (x0 + x1) // 2, "y": (y0 + y1) // 2})
        for _ in range(100):
            if "A001" in httpx.get(f"http://127.0.0.1:{kiosk_port}/state").json()["paper"]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the demo kiosk printed no ticket")
        printed = log.read_text()
        assert re.search(r"hall display\s+http://127\.0\.0\.1:\d+/hall#token=bq_", printed)
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        assert (tmp_path / "var" / "branchq.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # the simulated kiosk ends with the demo: nothing is left listening on its port
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{kiosk_port}/state", timeout=0.5)
        except httpx.HTTPError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the demo's kiosk outlived the demo")
