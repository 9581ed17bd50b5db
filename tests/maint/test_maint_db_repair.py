"""`branchq maint db check` names an event that stops the host's start; `db repair`
quarantines it and keeps the rest of the log (SQLite and PostgreSQL, real host)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from branchq.host.auth import Role
from branchq.host.engine import Event
from branchq.host.storage import Store
from branchq.host.storage.tables import quarantined_events
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.maint.maint_helpers import maint_json


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'branchq.db'}"
    server = request.getfixturevalue("pg_server")
    return str(server.create_database(f"r_{uuid.uuid4().hex[:12]}"))


def _append(url: str, events: list[Event]) -> list[int]:
    """Write events straight into the log, as a faulty writer once did; their seqs."""
    store = Store(url, DEMO_BRANCH)
    try:
        with store.write_transaction() as tx:
            return [e.seq for e in tx.append(tx.prepare(events, {}))]
    finally:
        store.close()


def test_check_names_the_bad_event_and_repair_quarantines_it_keeping_the_rest(
    url: str, tmp_path: Path
) -> None:
    store = Store(url, DEMO_BRANCH)
    store.migrate()
    store.close()
    host = HostProcess(url, tmp_path / "host.log").start()
    with host.client(host.token(Role.KIOSK)) as kiosk:
        issued = [kiosk.post("/api/v1/tickets", json={"service": "cash"}).json()["id"]
                  for _ in range(3)]
    manager = host.token(Role.MANAGER)
    host.kill()
    now = datetime.now(UTC)
    ghost = {"label": "A009", "service": "cash", "priority": "normal"}
    bad, after_bad, notice = _append(url, [
        Event("ticket_called", now, "teller:1", "ghost-0000000001", 1, ghost),
        Event("ticket_done", now, "teller:1", "ghost-0000000001", 1, ghost),
        Event("notice_posted", now, "manager:1",
              data={"id": "n1", "text_zh": "暂停服务", "text_en": "Paused"}),
    ])
    env = {"BRANCHQ_DB_URL": url}

    code, report = maint_json("db", "check", env=env)
    assert code == 1, report
    replay = next(f for f in report["findings"] if f["subject"] == "Replay")
    assert replay["level"] == "fault" and replay["seq"] == bad
    assert f"event {bad} (ticket_called) does not replay: KeyError" in replay["summary"]
    assert "branchq maint db repair" in replay["action"]

    code, report = maint_json("db", "repair", "--yes", "--out", str(tmp_path), env=env)
    assert code == 0, report
    moved = [f["seq"] for f in report["findings"] if f["subject"] == "Event log"]
    assert moved == [bad, after_bad]  # the ghost's call, then what followed from it
    done = report["findings"][-1]
    assert done["quarantined"] == 2 and Path(done["saved"]).exists()

    code, report = maint_json("db", "check", env=env)
    assert code == 0, report  # gap-free: the quarantined seqs are accounted for
    store = Store(url, DEMO_BRANCH)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(select(quarantined_events.c.seq, quarantined_events.c.reason)
                                ).all()
    finally:
        store.close()
    assert [r.seq for r in rows] == [bad, after_bad]
    assert "KeyError" in rows[0].reason

    host.start()  # starts again, with everything else kept
    with host.client(manager) as lobby:
        assert lobby.get("/healthz").json()["last_seq"] == notice
        assert [n["id"] for n in lobby.get("/api/v1/notices").json()] == ["n1"]
        for ticket_id in issued:
            assert lobby.get(f"/api/v1/tickets/{ticket_id}").status_code == 200
        assert lobby.post("/api/v1/tickets", json={"service": "cash"}).json()["number"] == "A004"
    host.kill()
