"""`branchq maint db ...` and `day close` in a subprocess, against a real host's database."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pytest

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.maint.maint_helpers import maint, maint_json
from tests.pg import PgServer


def _host_with_tickets(url: str, tmp_path: Path) -> HostProcess:
    store = Store(url, DEMO_BRANCH)
    store.migrate()
    store.close()  # no connection of ours may hold the database during a restore
    host = HostProcess(url, tmp_path / "host.log").start()
    with host.client(host.token(Role.MANAGER)) as client:
        for service in ("cash", "cash", "noncash"):
            client.post("/api/v1/tickets", json={"service": service}).raise_for_status()
    return host


def test_sqlite_backup_while_running_then_damage_and_restore(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    env = {"BRANCHQ_DB_URL": url}
    host = _host_with_tickets(url, tmp_path)
    try:
        code, report = maint_json("db", "backup", "--out", str(tmp_path), env=env)
        assert code == 0, report
        backup = Path(report["findings"][0]["file"])
        code, report = maint_json("db", "check", env=env)
        assert code == 0 and report["tickets"] == 3, report
    finally:
        host.kill()
    with closing(sqlite3.connect(tmp_path / "branchq.db")) as conn, conn:
        conn.execute("DELETE FROM events WHERE seq = 2")
    result = maint("db", "check", env=env)
    assert result.returncode == 1
    assert "Event log: event 2 of branch demo is missing (the log must be gap-free)" in result.stdout

    declined = maint("db", "restore", str(backup), env=env, stdin="n\n")
    assert declined.returncode == 1 and "Aborted" in declined.stderr
    assert not list(tmp_path.glob("branchq-before-restore-*"))

    code, report = maint_json("db", "restore", str(backup), "--yes", env=env)
    assert code == 0, report
    assert Path(report["findings"][0]["saved"]).is_file(), "the damaged data is kept"
    code, report = maint_json("db", "check", env=env)
    assert code == 0 and report["events"] == 4


def test_check_without_database_is_a_usage_error(tmp_path: Path) -> None:
    result = maint("db", "check", env={"BRANCHQ_DB_URL": ""}, cwd=tmp_path)
    assert result.returncode == 2
    assert "no database given" in result.stderr


def test_day_close_writes_the_work_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    host = _host_with_tickets(url, tmp_path)
    host.kill()
    code, report = maint_json("day", "close", "--out", str(tmp_path / "logs"),
                              env={"BRANCHQ_DB_URL": url})
    assert code == 0, report
    assert Path(report["report"]).is_file() and report["tickets"] == {"waiting": 3}
    said = {f["subject"]: f["message"] for f in report["findings"]}
    assert said["Tickets"].startswith("Tickets: still open: 3 waiting")
    assert said["Numbering"].startswith("Numbering: restarts at 001")


@pytest.mark.postgres
def test_postgres_backup_check_restore(tmp_path: Path, pg_server: PgServer) -> None:
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name)
    # The technician's tools take a region's multi-host URL (libpq's syntax, not SQLAlchemy's),
    # here the one server listed twice.
    where = f"127.0.0.1:{pg_server.port}"
    env = {"BRANCHQ_DB_URL": f"postgresql://postgres:secret@{where},{where}/{name}"
                             "?target_session_attrs=read-write"}
    host = _host_with_tickets(url, tmp_path)
    try:
        code, report = maint_json("db", "backup", "--out", str(tmp_path / "b.pgdump"), env=env)
        assert code == 0, report
    finally:
        host.kill()
    code, report = maint_json("db", "check", env=env)
    assert code == 0 and report["events"] == 4, report
    assert "secret" not in str(report)  # the password never reaches the output
    code, report = maint_json("db", "restore", str(tmp_path / "b.pgdump"), "--yes", env=env)
    assert code == 0, report
    code, report = maint_json("db", "check", env=env)
    assert code == 0 and report["tickets"] == 3, report


def test_backup_out_names_a_folder_by_trailing_slash_or_existing_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    Store(url, DEMO_BRANCH).migrate()
    env = {"BRANCHQ_DB_URL": url}
    code, report = maint_json("db", "backup", "--out", f"{tmp_path / 'new' / 'deeper'}/", env=env)
    assert code == 0, report
    made = Path(report["findings"][0]["file"])
    assert made.parent == tmp_path / "new" / "deeper" and made.name.startswith("branchq-")
    code, report = maint_json("db", "backup", "--out", str(tmp_path / "new"), env=env)
    assert code == 0 and Path(report["findings"][0]["file"]).parent == tmp_path / "new", report
    code, report = maint_json("db", "backup", "--out", str(tmp_path / "new" / "b.db"), env=env)
    assert code == 0 and (tmp_path / "new" / "b.db").is_file(), report
    result = maint("db", "backup", "--out", str(tmp_path / "missing" / "b.db"), env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (f"Backup: the folder {tmp_path / 'missing'} for {tmp_path / 'missing' / 'b.db'} does "
            f"not exist — create it (`mkdir -p {tmp_path / 'missing'}`), or end --out with /"
            ) in result.stdout
    assert not (tmp_path / "missing").exists()
