"""Storage faults against the real host: each is named to the caller and on /healthz, nothing
acknowledged is lost, and the host recovers by itself once the fault is gone (no restart).

SQLite: a full disk (a tiny tmpfs), a read-only database file, the database folder deleted
while the host runs. PostgreSQL: the database switched to read-only transactions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.pg import PgServer


def poll(probe: Callable[[], Any], timeout: float = 30) -> Any:
    """The first truthy result of ``probe``, called until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def health(host: HostProcess) -> tuple[int, dict[str, Any]]:
    r = httpx.get(f"{host.base}/healthz", timeout=5)
    return r.status_code, r.json()


class Kiosk:
    """Issues tickets and remembers every one the host acknowledged (201)."""

    def __init__(self, host: HostProcess) -> None:
        self.host = host
        self.token = host.token(Role.KIOSK)
        self.acked: dict[str, str] = {}  # ticket id -> number

    def issue(self) -> httpx.Response:
        with self.host.client(self.token) as c:
            r = c.post("/api/v1/tickets", json={"service": "cash"})
        if r.status_code == 201:
            self.acked[r.json()["id"]] = r.json()["number"]
        return r

    def lost_after_restart(self) -> list[str]:
        """Kill the host hard, start it again, and list acknowledged tickets it lost."""
        self.host.kill()
        self.host.start()
        with self.host.client() as c:
            return [tid for tid, number in self.acked.items()
                    if c.get(f"/api/v1/tickets/{tid}").json().get("number") != number]


def migrate(url: str) -> None:
    store = Store(url, DEMO_BRANCH)
    store.migrate()
    store.close()


def _need_root(what: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"{what} needs root (mount); .ci/run runs the suite as root")


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    _need_root("a full disk")
    folder = Path(tempfile.mkdtemp(prefix="branchq-disk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)
    shutil.rmtree(folder, ignore_errors=True)


def fill(folder: Path) -> Path:
    """Write a file until the file system is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 65536):
            pass
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(fd)
    return filler


def test_sqlite_disk_full_is_507_named_on_healthz_and_clears_by_itself(
    tiny_disk: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tiny_disk / 'branchq.db'}"
    migrate(url)
    host = HostProcess(url, tmp_path / "host.log").start()
    try:
        kiosk = Kiosk(host)
        manager = host.token(Role.MANAGER)
        assert all(kiosk.issue().status_code == 201 for _ in range(5))
        filler = fill(tiny_disk)
        statuses: list[httpx.Response] = []

        def until_full() -> httpx.Response | None:
            statuses.append(kiosk.issue())  # the WAL still has room for a few
            return statuses[-1] if statuses[-1].status_code == 507 else None

        full = poll(until_full, timeout=60)
        assert full is not None, [r.status_code for r in statuses]
        assert {r.status_code for r in statuses} <= {201, 507}
        assert full.json()["error"] == "storage_full"
        assert "The disk is full" in full.json()["detail"] and "磁盘已满" in full.json()["detail"]
        assert full.headers["Retry-After"] == "5"
        # The host probes the database while a fault is known; a probe that still finds room in
        # the write-ahead log clears the fault until the next write fails, as the kiosk's next
        # try shows: a kiosk keeps trying, and /healthz names the fault it meets.
        def seen_full() -> tuple[int, dict[str, Any]] | None:
            answer = health(host)
            if answer[1]["database"] == "full":
                return answer
            assert kiosk.issue().status_code in (201, 507)
            return None

        status, body = poll(seen_full, timeout=10) or health(host)
        assert (status, body["database"]) == (503, "full"), body
        with host.client(manager) as lobby:  # reads still work, from memory
            assert lobby.get("/api/v1/queues").status_code == 200

        filler.unlink()
        assert poll(lambda: health(host)[0] == 200), health(host)  # no restart
        assert kiosk.issue().status_code == 201
        assert kiosk.lost_after_restart() == []
    finally:
        host.kill()


# Root ignores file permissions; without these two capabilities it obeys them like any user.
AS_ROOT_WITHOUT_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder outside pytest's private temporary tree, which this test may delete."""
    made = Path(tempfile.mkdtemp(prefix="branchq-faults-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_sqlite_read_only_file_refuses_writes_with_503_and_recovers_when_writable(
    folder: Path, tmp_path: Path
) -> None:
    db = folder / "branchq.db"
    url = f"sqlite:///{db}"
    migrate(url)
    host = HostProcess(url, tmp_path / "host.log",
                       prefix=AS_ROOT_WITHOUT_DAC if os.geteuid() == 0 else [])
    host.start()
    try:
        kiosk = Kiosk(host)
        assert all(kiosk.issue().status_code == 201 for _ in range(3))
        host.kill()
        db.chmod(0o444)
        host.start(healthy=False)  # it starts, serving what it has, and says why it is red
        status, body = health(host)
        assert (status, body["database"]) == (503, "read_only"), body
        refused = kiosk.issue()
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "storage_read_only"
        assert "read-only" in refused.json()["detail"]
        with host.client(kiosk.token) as c:
            first = next(iter(kiosk.acked))
            assert c.get(f"/api/v1/tickets/{first}").status_code == 200

        db.chmod(0o644)
        assert poll(lambda: health(host)[0] == 200), health(host)  # no restart
        again = kiosk.issue()
        assert again.status_code == 201 and again.json()["number"] == "A004"
        assert kiosk.lost_after_restart() == []
    finally:
        host.kill()


def test_sqlite_database_folder_deleted_refuses_writes_and_writes_it_back_when_the_folder_returns(
    folder: Path, tmp_path: Path
) -> None:
    folder = folder / "var"
    folder.mkdir()
    url = f"sqlite:///{folder / 'branchq.db'}"
    migrate(url)
    host = HostProcess(url, tmp_path / "host.log")
    try:
        host.start()
        kiosk = Kiosk(host)
        assert all(kiosk.issue().status_code == 201 for _ in range(5))
        shutil.rmtree(folder)
        status, body = health(host)
        assert (status, body["database"]) == (503, "missing"), body
        refused = [kiosk.issue() for _ in range(3)]
        assert [r.status_code for r in refused] == [503] * 3, [r.text for r in refused]
        assert refused[0].json()["error"] == "storage_missing"
        assert len(kiosk.acked) == 5  # nothing acknowledged into the deleted file

        folder.mkdir()  # the technician puts the folder back
        assert poll(lambda: health(host)[0] == 200), health(host)  # no restart
        assert (folder / "branchq.db").is_file()
        again = kiosk.issue()
        assert again.status_code == 201 and again.json()["number"] == "A006"
        assert kiosk.lost_after_restart() == []
    finally:
        host.kill()


@pytest.mark.postgres
def test_postgres_read_only_database_refuses_writes_with_503_and_recovers(
    pg_server: PgServer, tmp_path: Path
) -> None:
    import psycopg

    url = pg_server.create_database("readonly")
    migrate(url)
    host = HostProcess(url, tmp_path / "host.log").start()

    def admin(sql: str) -> None:
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            conn.execute(sql)

    try:
        kiosk = Kiosk(host)
        assert all(kiosk.issue().status_code == 201 for _ in range(3))
        admin("ALTER DATABASE readonly SET default_transaction_read_only = on")
        admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE datname = 'readonly' AND pid <> pg_backend_pid()")
        refused = poll(lambda: (r := kiosk.issue()).status_code == 503 and r)
        assert refused and refused.json()["error"] == "storage_read_only", refused
        status, body = health(host)
        assert (status, body["database"]) == (503, "read_only"), body

        admin("ALTER DATABASE readonly RESET default_transaction_read_only")
        assert poll(lambda: health(host)[0] == 200), health(host)  # no restart
        assert kiosk.issue().status_code == 201
        assert kiosk.lost_after_restart() == []
    finally:
        host.kill()
