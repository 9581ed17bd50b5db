"""`branchq maint` against a running `branchq demo`, with no flags, from the demo's folder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.demoproc import Demo
from tests.maint.maint_helpers import maint, maint_json
from tests.pg import free_port

#: Nothing points maint anywhere: it must find ./var as the demo does. INFO is asked for, and
#: still no library's INFO line may show.
PLAIN = {"BRANCHQ_DB_URL": "", "BRANCHQ_KIOSK_CONFIG": "", "BRANCHQ_CONFIG": "",
         "BRANCHQ_LOG": "INFO"}


@pytest.fixture(name="demo", scope="module")
def demo_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    demo = Demo(tmp_path_factory.mktemp("demo"), free_port(), free_port()).start()
    demo.kiosk_ready()
    yield demo
    assert demo.stop() == 0


def _quiet(result_output: str) -> None:
    assert "INFO" not in result_output and "Traceback" not in result_output, result_output


def test_health_finds_the_demos_kiosk(demo: Demo) -> None:
    # The kiosk takes its leases just after its first frame; health says to wait, so wait.
    deadline = time.monotonic() + 20
    result = maint("health", env=PLAIN, cwd=demo.folder)
    while "Offline numbers: leased for every service" not in result.stdout and time.monotonic() < deadline:
        time.sleep(0.5)
        result = maint("health", env=PLAIN, cwd=demo.folder)
    _quiet(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout
    assert f"OK Host: reachable at {demo.base} (database ok)" in result.stdout
    assert "OK Kiosk heartbeat: last one" in result.stdout
    assert "OK Offline numbers: leased for every service" in result.stdout


def test_db_check_and_backup_find_the_demos_database(demo: Demo) -> None:
    code, report = maint_json("db", "check", env=PLAIN, cwd=demo.folder)
    assert code == 0 and report["events"] > 0, report
    code, report = maint_json("db", "backup", "--out", "backups/", env=PLAIN, cwd=demo.folder)
    assert code == 0, report
    assert Path(report["findings"][0]["file"]).parent == demo.folder / "backups"


def test_printer_of_the_simulated_kiosk(demo: Demo) -> None:
    for args in ([], ["--port", "var/kiosk/sim/printer"]):
        result = maint("printer", "status", *args, env=PLAIN, cwd=demo.folder)
        _quiet(result.stdout + result.stderr)
        assert result.returncode == 0 and "OK Printer: ready" in result.stdout, result.stdout
    verbose = maint("-v", "printer", "status", env=PLAIN, cwd=demo.folder)
    assert "Serial printer enabled" in verbose.stderr, "--verbose shows the libraries' lines"


def test_config_check_checks_the_demos_kiosk_config(demo: Demo) -> None:
    result = maint("config", "check", env=PLAIN, cwd=demo.folder)
    assert result.returncode == 0, result.stdout
    assert "var/demo/kiosk.toml: kiosk config valid" in result.stdout
