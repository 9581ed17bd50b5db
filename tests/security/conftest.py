"""Security fixtures: the real host on SQLite (enough for access rules and request limits)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess


def start_host(folder: Path) -> HostProcess:
    url = f"sqlite:///{folder / 'branchq.db'}"
    Store(url, DEMO_BRANCH).migrate()  # so tokens can be created before the host starts
    return HostProcess(url, folder / "host.log").start()


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """One host per test module (a start costs seconds); tests that count requests against a
    rate limit start their own."""
    running = start_host(tmp_path_factory.mktemp("host"))
    yield running
    running.kill()
