"""Issue 13's reproduction against the real host: poison requests get a 422, their neighbours
are stored, and the host starts again on the same database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from branchq.host.auth import Role
from branchq.host.engine import Event
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess


def test_offline_ticket_without_time_zone_or_in_year_1_is_refused_and_harmless(
    db_url: str, tmp_path: Path,
) -> None:
    host = HostProcess(db_url, tmp_path / "host.log").start()  # killed and started again below
    token = host.token(Role.KIOSK)
    with host.client(token) as kiosk:
        lease = kiosk.post("/api/v1/leases", json={"kiosk": "entrance", "service": "cash",
                                                   "count": 5})
        assert lease.status_code == 201, lease.text
        now = datetime.now(UTC)
        offline = {"kiosk": "entrance", "service": "cash", "priority": "normal"}
        poison = [
            {**offline, "number": 500, "client_ref": "entrance-naive",
             "issued_at": now.replace(tzinfo=None).isoformat()},
            {**offline, "number": 501, "client_ref": "entrance-year1",
             "issued_at": "0001-01-01T00:00:00+14:00"},
            {**offline, "number": 501, "client_ref": "entrance-year1z",
             "issued_at": "0001-01-01T00:00:00"},
        ]
        good_offline = {**offline, "number": 502, "client_ref": "entrance-good",
                        "issued_at": now.isoformat()}

        def post(body: dict[str, object]) -> httpx.Response:
            with host.client(token) as c:  # one connection each: they arrive together
                path = "/api/v1/tickets/offline" if "issued_at" in body else "/api/v1/tickets"
                return c.post(path, json=body)

        bodies = [{"service": "cash"}] * 6 + poison + [good_offline] + [{"service": "noncash"}] * 4
        with ThreadPoolExecutor(len(bodies)) as pool:
            answers = list(pool.map(post, bodies))
    refused = answers[6:9]
    assert [r.status_code for r in refused] == [422, 422, 422], [r.text for r in refused]
    assert all(r.json()["error"] == "invalid_request" for r in refused)
    stored = answers[:6] + answers[9:]
    assert [r.status_code for r in stored] == [201] * len(stored), [r.text for r in stored]
    numbers = sorted(r.json()["number"] for r in stored)
    assert numbers == ["A001", "A002", "A003", "A004", "A005", "A006", "A502",
                       "B001", "B002", "B003", "B004"]

    host.kill()
    host.start()  # replays the log of that day: nothing to trip over
    called = []
    with host.client(host.token(Role.TELLER, counter=5)) as teller:  # serves cash and noncash
        while (r := teller.post("/api/v1/counters/5/call-next")).status_code == 200:
            called.append(r.json()["ticket"]["number"])
        assert r.status_code == 204, r.text
    host.kill()
    assert sorted(called) == numbers


def test_a_log_that_does_not_replay_stops_the_start_with_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    host = HostProcess(url, tmp_path / "host.log").start()
    with host.client(host.token(Role.KIOSK)) as kiosk:
        assert kiosk.post("/api/v1/tickets", json={"service": "cash"}).status_code == 201
    host.kill()
    store = Store(url, DEMO_BRANCH)
    with store.write_transaction() as tx:  # a call of a ticket that was never stored
        tx.append(tx.prepare([Event("ticket_called", datetime.now(UTC), "teller:t",
                                    "ghost-0000000001", 1,
                                    {"label": "A009", "service": "cash", "priority": "normal"})],
                             {}))
        seq = tx.last_seq
    store.close()
    with pytest.raises(RuntimeError, match="host exited early"):
        host.start()
    log = (tmp_path / "host.log").read_text()
    assert f"cannot start: event {seq} (ticket_called) does not replay: KeyError" in log
    assert "branchq maint db repair" in log
    assert "Traceback" not in log
