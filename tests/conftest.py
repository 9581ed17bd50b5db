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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Figures that tests measured (``record_property("figure", text)``, e.g. the failover's time
    to recover), printed after the run: under xdist a worker's own print is not shown."""
    for report in terminalreporter.getreports("passed"):
        for name, value in report.user_properties:
            if name == "figure":
                terminalreporter.write_line(str(value))
