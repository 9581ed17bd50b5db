"""Start the real host (``branchq host run``: uvicorn on 127.0.0.1, a free port) for a test."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from branchq.host.auth import Role, create_token
from branchq.host.config import load_config
from branchq.host.storage import Store
from tests.pg import free_port

DEMO_BRANCH = load_config(None).branch.id


class HostAccess:
    """What a test does with a running host, however it runs: its address, credentials made in
    its database (hashed at rest, as ``branchq host token create`` does), an HTTP client."""

    db_url: str
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self, role: Role, counter: int | None = None, name: str = "",
              counters: tuple[int, ...] = ()) -> str:
        store = Store(self.db_url, DEMO_BRANCH)
        try:
            return create_token(store, role, name or f"test {role.value}", counter, counters)
        finally:
            store.close()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=10)


@dataclass
class HostProcess(HostAccess):
    db_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    config_path: str | None = None
    env: dict[str, str] = field(default_factory=dict)  # e.g. limits for a load test
    prefix: list[str] = field(default_factory=list)  # a command to run the host under
    command: tuple[str, ...] = BRANCHQ_COMMAND  # e.g. the `branchq` of another install
    run_args: list[str] | None = None  # instead of --config/--demo-branch, e.g. a region's

    def start(self, timeout: float = 30, healthy: bool = True) -> HostProcess:
        """Start and wait until ``/healthz`` answers 200 (any answer unless ``healthy``)."""
        args = [*self.prefix, *self.command, "host", "run",
                "--db", self.db_url, "--port", str(self.port)]
        if self.run_args is not None:
            args += self.run_args
        else:
            args += ["--config", self.config_path] if self.config_path else ["--demo-branch"]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "BRANCHQ_LOG": "INFO", **self.env})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"host exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=0.5).status_code == 200 or not healthy:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"host did not start:\n{self.log_path.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)


# A load test plays many kiosks with one credential: lift the per-kiosk ticket rate limit.
LOAD_TEST_ENV = {"BRANCHQ_KIOSK_TICKETS_PER_MINUTE": "0"}
