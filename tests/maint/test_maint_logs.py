"""`branchq maint logs` in a subprocess, with and without journalctl."""

from __future__ import annotations

import os
from pathlib import Path

from tests.maint.maint_helpers import maint, maint_json

JOURNAL = """\
2024-05-01T09:00:01+0800 pi branchq-kiosk[412]: INFO branchq.kiosk.flow: ticket A001 printed
2024-05-01T09:00:05+0800 pi branchq-kiosk[412]: WARNING branchq.drivers.printer.driver: not ready: paper out
2024-05-01T09:00:06+0800 pi branchq-host[300]: INFO branchq.host: ticket A002 issued
2024-05-01T09:01:00+0800 pi systemd[1]: branchq-kiosk.service: Watchdog timeout (limit 30s)!
"""


def test_without_journalctl(tmp_path: Path) -> None:
    result = maint("logs", env={"PATH": str(tmp_path)})
    assert result.returncode == 1
    assert "Logs: journalctl not found: this system has no systemd journal" in result.stdout


def test_errors_filter_and_arguments(tmp_path: Path) -> None:
    (tmp_path / "journal.txt").write_text(JOURNAL)
    fake = tmp_path / "journalctl"
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat {tmp_path}/journal.txt\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    code, report = maint_json("logs", "--errors", "--since", "today", "--unit", "kiosk", env=env)
    assert code == 0
    assert [line.split(" ", 3)[3] for line in report["lines"]] == [
        "WARNING branchq.drivers.printer.driver: not ready: paper out",
        "branchq-kiosk.service: Watchdog timeout (limit 30s)!",
    ]
    assert (tmp_path / "args").read_text().split() == [
        "--no-pager", "--output=short-iso", "--since=today", "--unit=branchq-kiosk"]
    code, report = maint_json("logs", "--grep", "a002", env=env)
    assert len(report["lines"]) == 1 and "A002" in report["lines"][0]
