"""Security fixtures: the real host on SQLite (enough for access rules and request limits)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess


def start_host(tmp_path: Path) -> HostProcess:
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    Store(url, DEMO_BRANCH).migrate()  # so tokens can be created before the host starts
    return HostProcess(url, tmp_path / "host.log").start()


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostProcess]:
    """A fresh host per test: rate-limit counters live in the host process."""
    running = start_host(tmp_path)
    yield running
    running.kill()
