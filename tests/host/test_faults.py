"""Faults the host must ride out without a restart: PostgreSQL going away under load."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.pg import PgServer


def test_postgres_restart_under_load_host_recovers_by_itself(
    pg_server: PgServer, tmp_path: Path
) -> None:
    url = pg_server.create_database("restart")
    host = HostProcess(url, tmp_path / "host.log").start()
    try:
        token = host.token(Role.KIOSK)
        manager = host.token(Role.MANAGER)
        unused = host.token(Role.DISPLAY)  # never presented before the outage: not cached
        with host.client(token) as kiosk, host.client(manager) as lobby:
            before = [kiosk.post("/api/v1/tickets", json={"service": "cash"}).json()
                      for _ in range(5)]
            assert lobby.get("/api/v1/queues").status_code == 200
            pg_server.stop("fast")
            during = kiosk.post("/api/v1/tickets", json={"service": "cash"})
            assert during.status_code == 503, during.text  # a clear "retry", never a 500
            assert during.json()["error"] == "storage_unavailable"
            assert lobby.get("/api/v1/queues").status_code == 200  # served from memory
            with host.client(unused) as stranger:
                assert stranger.get("/api/v1/queues").status_code == 503
            assert httpx.get(f"{host.base}/healthz").status_code == 503
            pg_server.start()
            deadline = time.monotonic() + 30
            while True:
                r = kiosk.post("/api/v1/tickets", json={"service": "cash"})
                if r.status_code == 201 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert r.status_code == 201, r.text
            assert r.json()["number"] == "A006"  # nothing lost, nothing reused
            for t in before:
                assert kiosk.get(f"/api/v1/tickets/{t['id']}").json()["number"] == t["number"]
    finally:
        host.kill()
