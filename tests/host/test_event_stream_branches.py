"""Two branch services in one process each stream their own events: an event's ``seq`` numbers it
within its own log only, so what one stream encoded must never be sent for the other's event of
the same number (a cache keyed by ``seq`` alone once did that: a test saw another host's events)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from websockets.sync.client import connect

from branchq.host.auth import Role
from tests.host.hostproc import HostAccess
from tests.host.inprocess import InProcessHost


def _kinds(host: HostAccess) -> list[str]:
    """Every event of the host's log as a display receives it (``after=0``), in order."""
    headers = {"Authorization": f"Bearer {host.token(Role.DISPLAY)}"}
    kinds = []
    with connect(f"ws://127.0.0.1:{host.port}/api/v1/events", additional_headers=headers) as ws:
        try:
            while True:
                kinds.append(json.loads(ws.recv(timeout=1))["kind"])
        except TimeoutError:
            return kinds


def test_each_branch_service_streams_its_own_events(migrated_sqlite: Path, tmp_path: Path) -> None:
    urls = []
    for name in ("a", "b"):
        shutil.copyfile(migrated_sqlite, tmp_path / f"{name}.db")
        urls.append(f"sqlite:///{tmp_path / name}.db")
    first, second = InProcessHost(urls[0]).start(), InProcessHost(urls[1]).start()
    try:
        with first.client(first.token(Role.KIOSK)) as kiosk:
            assert kiosk.post("/api/v1/tickets", json={"service": "cash"}).status_code == 201
        with second.client(second.token(Role.MANAGER)) as manager:
            assert manager.post("/api/v1/notices", json={"text_zh": "通知",
                                                         "text_en": "Notice"}).status_code == 201
        assert "ticket_issued" in _kinds(first)  # encoded now, for the first branch's seq numbers
        second_kinds = _kinds(second)
        assert "notice_posted" in second_kinds and "ticket_issued" not in second_kinds
    finally:
        first.stop()
        second.stop()
