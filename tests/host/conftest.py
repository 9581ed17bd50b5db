"""Host fixtures: the host app on SQLite and on PostgreSQL, each with a fresh database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH
from tests.host.inprocess import InProcessHost
from tests.pg import PgServer


def _db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'branchq.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = _db_url(request.param, tmp_path, request)
    Store(url, DEMO_BRANCH).migrate()  # so tokens can be created before the host starts
    return url


@pytest.fixture
def running_host(db_url: str) -> Iterator[InProcessHost]:
    """The host app in this process, on a real port and a real database (API contract tests)."""
    host = InProcessHost(db_url).start()
    yield host
    host.stop()
