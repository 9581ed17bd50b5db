"""Scale-out on PostgreSQL: events reach every WebSocket subscriber whichever host process (or
uvicorn worker) made them; numbering stays unique across them."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.pg import PgServer, free_port


def test_an_event_made_on_one_host_reaches_subscribers_of_another(
    pg_server: PgServer, tmp_path: Path
) -> None:
    url = pg_server.create_database("fanout")
    a = HostProcess(url, tmp_path / "a.log").start()
    b = HostProcess(url, tmp_path / "b.log").start()
    try:
        display = a.token(Role.DISPLAY)
        ws_url = b.base.replace("http", "ws") + "/api/v1/events"
        with connect(ws_url, subprotocols=["branchq", display]) as ws:
            with a.client(a.token(Role.KIOSK)) as kiosk:
                t0 = time.monotonic()
                assert kiosk.post("/api/v1/tickets", json={"service": "cash"}).status_code == 201
            seen = [json.loads(ws.recv(timeout=5)) for _ in range(2)]
            elapsed = time.monotonic() - t0
        assert [e["kind"] for e in seen] == ["day_opened", "ticket_issued"]
        assert elapsed < 1.0, elapsed
        with b.client(b.token(Role.KIOSK)) as kiosk:  # and b numbers after a's ticket
            assert kiosk.post("/api/v1/tickets", json={"service": "cash"}).json()["number"] == "A002"
    finally:
        a.kill()
        b.kill()


def test_several_workers_refuse_sqlite_and_serve_postgres(pg_server: PgServer, tmp_path: Path) -> None:
    cmd = [*BRANCHQ_COMMAND, "host", "run", "--demo-branch"]
    refused = subprocess.run(cmd + ["--workers", "2", "--db", f"sqlite:///{tmp_path}/x.db"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "PostgreSQL" in refused.stderr
    url = pg_server.create_database("workers")
    port = free_port()
    proc = subprocess.Popen(cmd + ["--workers", "2", "--db", url, "--port", str(port)],
                            stdout=(tmp_path / "w.log").open("w"), stderr=subprocess.STDOUT)
    try:
        host = HostProcess(url, tmp_path / "unused.log", port=port)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{host.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = host.token(Role.KIOSK)
        numbers = set()
        with httpx.Client(base_url=host.base, headers={"Authorization": f"Bearer {token}"}) as c:
            for _ in range(40):  # new connections: spread over both workers
                r = c.post("/api/v1/tickets", json={"service": "cash"},
                           headers={"Connection": "close"})
                numbers.add(r.json()["number"])
        assert len(numbers) == 40
    finally:
        proc.terminate()
        proc.wait(timeout=20)
