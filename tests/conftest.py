"""Fixtures shared by the whole suite: a private PostgreSQL server, started once if needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg import PgServer, start_private_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = start_private_server()
    if server is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    yield server
    server.destroy()
