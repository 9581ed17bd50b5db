"""Several branches on one PostgreSQL database: each branch's credentials see only its own data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.sync.client import connect

from branchq.host.auth import Role, create_token
from branchq.host.config import example_config_text
from branchq.host.storage import Store
from tests.host.hostproc import HostProcess
from tests.pg import PgServer


def test_two_branches_share_a_database_and_nothing_else(pg_server: PgServer, tmp_path: Path) -> None:
    url = pg_server.create_database("tenants")
    north_config = tmp_path / "north.toml"
    north_config.write_text(example_config_text().replace('id = "demo"', 'id = "north"'))
    demo = HostProcess(url, tmp_path / "demo.log").start()
    north = HostProcess(url, tmp_path / "north.log", config_path=str(north_config)).start()
    try:
        store = Store(url, "north")
        north_kiosk = create_token(store, Role.KIOSK, "north kiosk", None)
        north_display = create_token(store, Role.DISPLAY, "north hall", None)
        store.close()
        demo_kiosk = demo.token(Role.KIOSK)
        with demo.client(demo_kiosk) as k:
            demo_ticket = k.post("/api/v1/tickets", json={"service": "cash"}).json()
        with north.client(north_kiosk) as k:
            north_ticket = k.post("/api/v1/tickets", json={"service": "cash"}).json()
        assert demo_ticket["number"] == north_ticket["number"] == "A001"  # numbering per branch
        with north.client(demo_kiosk) as stranger:  # another branch's credential
            assert stranger.post("/api/v1/tickets", json={"service": "cash"}).status_code == 401
        with north.client() as anonymous:
            assert anonymous.get(f"/api/v1/tickets/{demo_ticket['id']}").status_code == 404
        ws_url = north.base.replace("http", "ws") + "/api/v1/events"
        with connect(ws_url, subprotocols=["branchq", north_display]) as ws:
            events = [json.loads(ws.recv(timeout=5)) for _ in range(2)]
            with pytest.raises(TimeoutError):
                ws.recv(timeout=1)  # the demo branch's events never reach the north hall
        assert [e["data"].get("label") for e in events] == [None, "A001"]
        with north.client(north_display) as hall:
            queues = {q["service"]: q["waiting"] for q in hall.get("/api/v1/queues").json()}
        assert queues["cash"] == 1
    finally:
        demo.kill()
        north.kill()
