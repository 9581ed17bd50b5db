"""READY=1 and WATCHDOG=1 reach systemd's notify socket (a datagram socket we stand in for)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from tests.pg import free_port


def test_host_notifies_ready_and_pings_the_watchdog(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}
    proc = subprocess.Popen(
        [*BRANCHQ_COMMAND, "host", "run", "--demo-branch", "--db",
         f"sqlite:///{tmp_path / 'b.db'}", "--port", str(free_port())],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        messages = [sock.recv(1024).decode() for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        sock.close()
    assert messages[0].startswith("READY=1")
    # WATCHDOG_PID is not set, so any pid may ping; two pings within the timeout
    assert messages[1:] == ["WATCHDOG=1", "WATCHDOG=1"]


def test_kiosk_notifies_ready_and_pings_the_watchdog_even_offline(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    (tmp_path / "kiosk.token").write_text("bq_not-a-real-token")
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}
    proc = subprocess.Popen(
        [*BRANCHQ_COMMAND, "kiosk", "run", "--simulate",
         "--host-url", f"http://127.0.0.1:{free_port()}", "--state-dir", str(tmp_path / "state"),
         "--token-file", str(tmp_path / "kiosk.token"), "--preview-port", str(free_port())],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        messages = [sock.recv(1024).decode() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        sock.close()
    assert messages[0].startswith("READY=1") and messages[1] == "WATCHDOG=1"
