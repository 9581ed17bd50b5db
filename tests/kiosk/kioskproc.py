"""Start the real kiosk process (``branchq kiosk run --simulate``) against a real host.

The kiosk's devices are virtual twins on ptys, a pipe and a file, inside the kiosk process; the
test reaches them through the kiosk's preview API on 127.0.0.1: taps go through the virtual touch
panel and the touch driver, the printer's paper and the LED signs' text are read back from the
twins that decoded the bytes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from tests.pg import free_port


@dataclass
class KioskProcess:
    host_url: str
    token_file: Path
    state_dir: Path
    log_path: Path
    keypad_token_file: Path | None = None
    card_key_file: Path | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)  # e.g. the machine's time zone
    command: tuple[str, ...] = BRANCHQ_COMMAND  # e.g. the `branchq` of another install

    @property
    def preview(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> subprocess.Popen[bytes]:
        """Start the process and return at once (``start`` also waits for its first screen)."""
        args = [*self.command, "kiosk", "run",
                "--simulate", "--host-url", self.host_url, "--state-dir", str(self.state_dir),
                "--token-file", str(self.token_file), "--preview-port", str(self.port)]
        if self.keypad_token_file:
            args += ["--keypad-token-file", str(self.keypad_token_file)]
        if self.card_key_file:
            args += ["--card-key-file", str(self.card_key_file)]
        log = self.log_path.open("ab")
        # Unbuffered: a kiosk killed with SIGKILL still leaves its whole log for the diagnosis.
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env})
        return self.proc

    def start(self, timeout: float = 30) -> KioskProcess:
        self.launch()
        # "starting" until the kiosk has synced with the host and drawn its first frame: a test
        # that went on earlier raced the kiosk's start (its journal and leases half written).
        self.wait_for(lambda s: s["screen"] in ("home", "closed", "out_of_service"), timeout,
                      "kiosk did not show its home screen")
        return self

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = httpx.get(f"{self.preview}/state", timeout=5).json()
        return result

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10,
                 what: str = "condition") -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"kiosk exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                last = self.state()
                if predicate(last):
                    return last
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{what}; last state {last}\n{self.log_path.read_text()[-2000:]}")

    def tap_button(self, key: str, long: bool = False) -> None:
        """Tap the centre of button ``key`` (``long``: a long press) once it is on screen."""
        state = self.wait_for(lambda s: any(b["key"] == key for b in s["buttons"]), 10,
                              f"no button {key!r} on screen")
        x0, y0, x1, y1 = next(b["box"] for b in state["buttons"] if b["key"] == key)
        self.tap((x0 + x1) // 2, (y0 + y1) // 2, long)

    def tap(self, x: int, y: int, long: bool = False) -> None:
        route = "long-press" if long else "tap"
        httpx.post(f"{self.preview}/{route}", json={"x": x, "y": y}, timeout=5).raise_for_status()

    def sim(self, path: str, body: dict[str, Any] | None = None) -> None:
        httpx.post(f"{self.preview}/sim/{path}", json=body, timeout=5).raise_for_status()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
