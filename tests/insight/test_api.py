"""Insight and opinion-book endpoints against the real host (SQLite): roles, shapes, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from branchq.host.auth import Role
from branchq.host.config import load_config
from branchq.host.storage import Store
from branchq.host.storage.opinions import OpinionBook
from tests.host.hostproc import DEMO_BRANCH, HostProcess

PHONE = "139 1234 5678"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp = tmp_path_factory.mktemp("insight-api")
    url = f"sqlite:///{tmp / 'b.db'}"
    store = Store(url, DEMO_BRANCH)
    store.migrate()
    yesterday = datetime.now(UTC) - timedelta(days=1, hours=1)
    OpinionBook(store, load_config(None).branch.tz).add("Nobody called me back", PHONE, yesterday,
                                                       "manager:lobby")
    store.close()
    proc = HostProcess(url, tmp / "host.log").start()
    yield proc
    proc.kill()


def test_opinion_book_roles_reply_and_overdue(host: HostProcess) -> None:
    manager, teller = host.token(Role.MANAGER), host.token(Role.TELLER, counter=1)
    with host.client(teller) as c:
        assert c.get("/api/v1/opinions").status_code == 403  # phones: managers and admins only
        assert c.post("/api/v1/opinions", json={"text": "x"}).status_code == 403
    with host.client(manager) as c:
        r = c.post("/api/v1/opinions", json={"text": "More seats please", "phone": "13800138000"})
        assert r.status_code == 201, r.text
        fresh = r.json()
        assert fresh["phone"] == "13800138000" and not fresh["overdue"]
        assert fresh["reply_due"] == fresh["business_day"]
        assert c.post("/api/v1/opinions", json={"text": "", "phone": "x"}).status_code == 422
        assert c.post("/api/v1/opinions", json={"text": "ok", "phone": "call me"}).status_code == 422
        overdue = c.get("/api/v1/opinions", params={"overdue": "true"}).json()
        if not overdue:  # yesterday was in the previous month
            month = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m")
            overdue = c.get("/api/v1/opinions", params={"overdue": "true", "month": month}).json()
        assert [o["text"] for o in overdue] == ["Nobody called me back"]
        r = c.post(f"/api/v1/opinions/{fresh['id']}/reply", json={"reply": "Called back, thanks"})
        assert r.status_code == 200 and r.json()["replied_at"]
        assert c.post("/api/v1/opinions/9999/reply", json={"reply": "x"}).status_code == 404
        summary = c.get("/api/v1/opinions/summary").json()
        assert summary["replied_same_day"] >= 1
        assert c.get("/api/v1/opinions", params={"month": "2026-13"}).status_code == 422
    assert PHONE not in host.log_path.read_text() and "13800138000" not in host.log_path.read_text()


def test_reports_and_staffing(host: HostProcess, tmp_path: Path) -> None:
    manager, kiosk = host.token(Role.MANAGER), host.token(Role.KIOSK)
    with host.client(kiosk) as c:
        for service in ("cash", "cash", "noncash"):
            assert c.post("/api/v1/tickets", json={"service": service}).status_code == 201
        assert c.get("/api/v1/staffing").status_code == 403
    today = datetime.now(load_config(None).branch.tz).date().isoformat()
    with host.client(manager) as c:
        advice = {a["service"]: a for a in c.get("/api/v1/staffing").json()}
        assert advice["cash"]["recent_per_h"] == 4.0 and advice["cash"]["message"]
        assert c.get("/api/v1/staffing", params={"target": 2}).status_code == 422
        day = c.get("/api/v1/reports/day", params={"date": today}).json()
        assert day["services"]["cash"]["issued"] == 2 and day["tickets"] == 3
        r = c.get("/api/v1/reports/day.csv", params={"date": today})
        assert r.headers["content-type"].startswith("text/csv") and "cash" in r.text
        r = c.get("/api/v1/reports/day/chart.png", params={"date": today})
        assert r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"
        assert c.get("/api/v1/reports/month", params={"month": today[:7]}).json()["tickets"] == 3
        for bad in ("2026-02-30", "yesterday", ""):
            r = c.get("/api/v1/reports/day", params={"date": bad})
            assert r.status_code == 422 and r.json()["error"] in ("invalid_request", "error")
        assert c.get("/api/v1/reports/month").status_code == 422
