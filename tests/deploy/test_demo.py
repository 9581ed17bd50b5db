"""``make demo`` (``branchq demo``) shows a newcomer a working branch: host, web pages and a
simulated kiosk that prints a ticket when its screen is tapped. Started twice it shows the running
demo; Ctrl+C ends it quietly; a restart keeps its links, ``--reset`` makes new ones."""

from __future__ import annotations

import re
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from tests.deploy.demoproc import Demo
from tests.pg import free_port


def _role(base: str, token: str) -> int:
    return httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"},
                     timeout=10).status_code


def _gone(url: str) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=0.5)
        except httpx.HTTPError:
            return True
        time.sleep(0.2)
    return False


def test_demo_runs_host_and_simulated_kiosk_and_stops_quietly_on_ctrl_c(tmp_path: Path) -> None:
    demo = Demo(tmp_path, free_port(), free_port()).start()
    kiosk = f"http://127.0.0.1:{demo.kiosk_port}"
    state = demo.kiosk_ready()
    x0, y0, x1, y1 = next(b["box"] for b in state["buttons"] if b["key"] == "service:cash")
    httpx.post(f"{kiosk}/tap", json={"x": (x0 + x1) // 2, "y": (y0 + y1) // 2})
    for _ in range(100):
        if "A001" in httpx.get(f"{kiosk}/state").json()["paper"]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the demo kiosk printed no ticket")
    printed = demo.output()
    assert re.search(r"hall display\s+http://127\.0\.0\.1:\d+/hall#token=bq_", printed)
    assert httpx.get(f"{demo.base}/docs").status_code == 200
    assert (tmp_path / "var" / "branchq.db").exists()
    # a hall screen is listening when Ctrl+C comes: its stream is closed, nothing is cancelled
    with connect(f"ws://127.0.0.1:{demo.port}/api/v1/events",
                 subprotocols=["branchq", demo.tokens()["display"]]) as screen:  # type: ignore[list-item]
        screen.recv(timeout=10)
        assert demo.stop(signal.SIGINT) == 0, demo.output()[-3000:]
    said = demo.output()
    assert "Traceback" not in said and "CancelledError" not in said, said[-3000:]
    assert "graceful shutdown exceeded" not in said, "shutdown waited for the open event stream"
    assert _gone(f"{kiosk}/state"), "the demo's kiosk outlived the demo"


def test_second_start_shows_the_running_demo_and_restarts_keep_the_links(tmp_path: Path) -> None:
    demo = Demo(tmp_path, free_port(), free_port()).start("--no-kiosk")
    try:
        first = demo.tokens()
        kiosk_file = tmp_path / "var" / "demo" / "kiosk.token"
        assert stat.S_IMODE(kiosk_file.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "var" / "demo" / "tokens.json").stat().st_mode) == 0o600
        second = demo.again()
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout and "nothing was changed" in second.stdout
        # the running demo's links (its ports, its credentials), not new ones
        assert f"{demo.base}/hall#token={first['display']}" in second.stdout
        assert "Traceback" not in second.stderr
        assert demo.tokens() == first and kiosk_file.read_text() == first["kiosk"]
        listed = subprocess.run([*BRANCHQ_COMMAND, "host", "token", "list"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60).stdout
        assert listed.count("active") == 6, listed
        assert _role(demo.base, first["display"]) == 200
        refused = demo.again("--reset")
        assert refused.returncode == 1 and "stop it" in refused.stderr, refused.stderr
        assert demo.tokens() == first
    finally:
        assert demo.stop(signal.SIGTERM) == 0
    assert "Traceback" not in demo.output()
    assert not (tmp_path / "var" / "demo" / "demo.json").exists()

    demo.start("--no-kiosk", name="restart")
    try:
        assert f"/hall#token={first['display']}" in demo.output(), "the links changed"
        assert _role(demo.base, first["display"]) == 200
    finally:
        assert demo.stop() == 0

    demo.start("--no-kiosk", "--reset", name="reset")
    try:
        new = demo.tokens()
        assert set(new.values()).isdisjoint(first.values())
        assert f"/hall#token={new['display']}" in demo.output()
        assert _role(demo.base, first["manager"]) == 401, "an old credential still works"
        assert _role(demo.base, new["manager"]) == 200
    finally:
        assert demo.stop() == 0


def test_busy_port_refused_before_anything_is_touched(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([*BRANCHQ_COMMAND, "demo", "--port", str(port), "--kiosk-port",
                                 str(free_port())], cwd=tmp_path, capture_output=True, text=True,
                                timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) <= 2
    assert not (tmp_path / "var" / "branchq.db").exists()
    assert not (tmp_path / "var" / "demo" / "tokens.json").exists()
