"""Host fixtures: the host app on SQLite and on PostgreSQL, each with a fresh database."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH
from tests.host.inprocess import InProcessHost
from tests.pg import PgServer


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated once; each test gets a copy (a migration costs about a second)."""
    path = tmp_path_factory.mktemp("template") / "branchq.db"
    store = Store(f"sqlite:///{path}", DEMO_BRANCH)
    store.migrate()
    store.close()
    return path


@pytest.fixture(scope="session")
def migrated_postgres(pg_server: PgServer) -> str:
    """The name of a PostgreSQL database migrated once, the template of each test's database."""
    store = Store(pg_server.create_database("branchq_template"), DEMO_BRANCH)
    store.migrate()
    store.close()
    return "branchq_template"


def _db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database of ``backend`` (tokens can be made before the host starts)."""
    if backend == "sqlite":
        path = tmp_path / "branchq.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite:///{path}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}",
                                  template=request.getfixturevalue("migrated_postgres"))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _db_url(request.param, tmp_path, request)


@pytest.fixture
def running_host(db_url: str) -> Iterator[InProcessHost]:
    """The host app in this process, on a real port and a real database (API contract tests)."""
    host = InProcessHost(db_url).start()
    yield host
    host.stop()
