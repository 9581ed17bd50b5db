"""Start ``branchq demo`` for a test, in its own process group as in a terminal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from tests.pg import free_port


@dataclass
class Demo:
    """``branchq demo`` in its own process group, as in a terminal (Ctrl+C reaches the group)."""

    folder: Path
    port: int
    kiosk_port: int
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, *extra: str, name: str = "demo") -> Demo:
        self.log = self.folder / f"{name}.log"
        self.proc = subprocess.Popen(
            [*BRANCHQ_COMMAND, "demo", "--port", str(self.port), "--kiosk-port", str(self.kiosk_port),
             *extra],
            cwd=self.folder, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the demo did not start:\n{self.output()}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kiosk_ready(self) -> dict:  # type: ignore[type-arg]
        """The simulated kiosk's state once it is online with its buttons drawn."""
        deadline = time.monotonic() + 40
        state: dict = {}  # type: ignore[type-arg]
        while time.monotonic() < deadline:
            try:
                state = httpx.get(f"http://127.0.0.1:{self.kiosk_port}/state", timeout=2).json()
                if state["host_online"] and state["buttons"]:
                    return state
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the demo's kiosk did not come online:\n{self.output()[-2000:]}")

    def output(self) -> str:
        return self.log.read_text() if self.log else ""

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Ctrl+C (SIGINT to the process group) or SIGTERM to the demo; its exit status."""
        assert self.proc is not None
        if sig == signal.SIGINT:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)

    def tokens(self) -> dict[str, str]:
        return json.loads((self.folder / "var" / "demo" / "tokens.json").read_text())

    def again(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """A second ``branchq demo`` in the same folder, to its end."""
        return subprocess.run([*BRANCHQ_COMMAND, "demo", "--port", str(free_port()), "--kiosk-port",
                               str(free_port()), *extra], cwd=self.folder, capture_output=True,
                              text=True, timeout=60)
