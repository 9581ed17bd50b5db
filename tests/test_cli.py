"""The console entry point as a person meets it: help, failures in words, a quiet stop."""

from __future__ import annotations

import importlib
import signal
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from websockets.sync.client import connect

from branchq.drivers.platform.cli import BRANCHQ_COMMAND, LAZY_GROUPS
from branchq.host.auth import Role
from branchq.host.storage import Store
from branchq.kiosk.maint.cli import COMMANDS
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.pg import free_port

#: What listing the commands must not import (each adds tenths of a second to `branchq --help`).
HEAVY = ("fastapi", "sqlalchemy", "uvicorn", "PIL", "numpy", "escpos", "pydantic", "httpx",
         "branchq.host.auth", "branchq.kiosk.config", "branchq.drivers.printer")


def branchq(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BRANCHQ_COMMAND, *args], capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def test_branchq_help_lists_groups_with_examples() -> None:
    out = branchq("--help").stdout
    assert "Examples:" in out
    for name in LAZY_GROUPS:
        assert name in out


@pytest.mark.parametrize("args", [["--help"], ["maint", "--help"]])
def test_help_imports_no_heavy_module(args: list[str]) -> None:
    """`branchq --help` stays fast: listing the commands imports none of them."""
    probe = ("import sys\nfrom branchq.drivers.platform.cli import main\n"
             "sys.argv = ['branchq', *sys.argv[1:]]\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('MODULES', *sorted(sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True,
                            timeout=60, check=True)
    loaded = result.stdout.split("MODULES", 1)[1].split()
    assert "Commands:" in result.stdout
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]
    assert not heavy, heavy


@pytest.mark.parametrize("group", [LAZY_GROUPS, COMMANDS])
def test_listed_help_is_each_commands_own(group: dict) -> None:  # type: ignore[type-arg]
    for name, entry in group.items():
        module, attr = entry.target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        assert command.get_short_help_str(limit=500) == entry.short_help, name


def _busy_port() -> tuple[socket.socket, int]:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    return busy, busy.getsockname()[1]


@pytest.mark.parametrize(("args", "code", "said"), [
    # a database folder that does not exist: the path and the cause, and what to do
    (["host", "token", "list", "--db", "sqlite:///nowhere/b.db"], 1,
     ["nowhere/b.db", "folder nowhere does not exist", "mkdir -p nowhere"]),
    (["host", "run", "--demo-branch", "--db", "sqlite:///nowhere/b.db"], 1,
     ["nowhere/b.db", "mkdir -p nowhere"]),
    (["host", "token", "list", "--db", "sqlite:////tmp"], 1, ["/tmp is a folder"]),
    (["host", "token", "list", "--db", "mysql://x@localhost/x"], 1,
     ["SQLite or PostgreSQL", "--db sqlite:///PATH"]),
    (["host", "token", "list", "--db", "postgresql://x@127.0.0.1:1/x"], 1,
     ["127.0.0.1", "Connection refused", "database server is running"]),
    (["host", "run", "--config", "missing.toml"], 1,
     ["missing.toml: cannot read", "host/example-branch.toml"]),
    (["host", "token", "revoke", "99"], 1, ["no active token with id 99", "token list"]),
    (["host", "run"], 2, ["no branch config", "--config", "--demo-branch"]),
    (["host", "run", "--demo-branch", "--host", "192.0.2.1"], 1,
     ["cannot listen on 192.0.2.1:8000", "--host 0.0.0.0"]),
    (["maint", "db", "backup"], 2, ["no database given", "./var/branchq.db"]),
])
def test_failures_end_in_words_without_traceback(tmp_path: Path, args: list[str], code: int,
                                                 said: list[str]) -> None:
    result = branchq(*args, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    message = [line for line in result.stderr.splitlines()
               if line and not line.startswith(("Usage:", "Try ", "WARNING:"))]
    assert len(message) <= 2, result.stderr
    for words in said:
        assert words in result.stderr, result.stderr


def test_port_in_use_is_named(tmp_path: Path) -> None:
    busy, port = _busy_port()
    with busy:
        result = branchq("host", "run", "--demo-branch", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "another program listens there" in result.stderr and "--port" in result.stderr


def test_unforeseen_failure_is_two_lines_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "demo").write_text("a file where the demo keeps its folder")
    plain = branchq("demo", "--no-kiosk", "--port", str(free_port()), cwd=tmp_path)
    assert plain.returncode == 1
    assert plain.stderr.splitlines()[0].startswith("branchq: error: File exists:")
    assert str(tmp_path / "var" / "demo") in plain.stderr
    assert len(plain.stderr.splitlines()) == 2 and "Traceback" not in plain.stderr
    debug = branchq("--debug", "demo", "--no-kiosk", "--port", str(free_port()), cwd=tmp_path)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "FileExistsError" in debug.stderr


def test_host_run_with_the_demo_branch_warns_and_stops_with_status_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    Store(url, DEMO_BRANCH).migrate()
    host = HostProcess(url, tmp_path / "host.log").start()
    assert host.proc is not None
    try:
        with connect(f"ws://127.0.0.1:{host.port}/api/v1/events",
                     subprotocols=["branchq", host.token(Role.DISPLAY)]):  # type: ignore[list-item]
            host.proc.send_signal(signal.SIGINT)
            assert host.proc.wait(timeout=30) == 0
    finally:
        host.kill()
    log = (tmp_path / "host.log").read_text()
    assert 'WARNING: serving the bundled example branch "Example Bank' in log
    assert "Traceback" not in log and "graceful shutdown exceeded" not in log, log
