"""Every endpoint against every role and no credential: who is let in, who gets 401 or 403.

The endpoints are read from the application itself, so a new endpoint without a row in
``MATRIX`` (or a row left for an endpoint that is gone) fails the test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from branchq.host.app import create_app
from branchq.host.auth import Role
from branchq.host.config import load_config
from tests.host.hostproc import HostProcess
from tests.security.matrix import CREDENTIALS, MATRIX, PUBLIC

QUERIES = {
    "/api/v1/reports/day": "?date=2026-01-05",
    "/api/v1/reports/day.csv": "?date=2026-01-05",
    "/api/v1/reports/day/chart.png": "?date=2026-01-05",
    "/api/v1/reports/month": "?month=2026-01",
    "/api/v1/voice/call": "?number=A001&counter=1",
}
DIGEST = "0" * 64


def _bodies(ticket_id: str) -> dict[str, object]:
    """A valid body per endpoint, so an admitted caller gets past validation (a teller of
    another counter must be refused for the counter, not for a malformed body)."""
    now = datetime.now(UTC).isoformat()
    return {
        "POST /api/v1/leases": {"kiosk": "entrance", "service": "cash", "count": 2},
        "POST /api/v1/tickets/offline": {"kiosk": "entrance", "service": "cash", "number": 1,
                                          "issued_at": now, "client_ref": "matrix-offline-1"},
        "POST /api/v1/devices/heartbeat": {"kiosk": "entrance", "devices": []},
        "POST /api/v1/vip-cards/check": {"digest": DIGEST},
        "POST /api/v1/tickets": {"service": "cash"},
        "POST /api/v1/tickets/{ticket_id}/void": {"reason": "matrix"},
        "POST /api/v1/counters/{n}/call": {"ticket_id": ticket_id},
        "POST /api/v1/counters/{n}/transfer": {"service": "noncash"},
        "POST /api/v1/counters/{n}/rating": {"score": 3},
        "PUT /api/v1/equipment/{equipment_id}": {"status": "in_service", "note": ""},
        "POST /api/v1/notices": {"text_zh": "通知", "text_en": "Notice"},
        "POST /api/v1/vip-cards": {"digest": DIGEST},
        "POST /api/v1/opinions": {"text": "Quick service"},
        "POST /api/v1/opinions/{opinion_id}/reply": {"reply": "Thank you"},
    }


def discovered_endpoints(db_path: Path) -> set[str]:
    """``METHOD /path`` of every route the host serves (``WS`` for WebSockets)."""
    return endpoints_of(create_app(load_config(None), f"sqlite:///{db_path}"))


def endpoints_of(app: FastAPI) -> set[str]:
    """``METHOD /path`` of every route of ``app`` (a branch host's, or a region host's)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            found.add(f"GET {context.path}/{{path}}")
        elif context.methods is None:
            found.add(f"WS {context.path}")
        else:
            found |= {f"{m} {context.path}" for m in context.methods - {"HEAD"}}
    return found


def _tokens(host: HostProcess) -> dict[str, str]:
    return {name: host.token(role, counter, name=name, counters=counters)
            for name, (role, counter, counters) in CREDENTIALS.items()}


def _fixtures(host: HostProcess, manager: str) -> dict[str, str]:
    """Real ids for the path parameters: a ticket, a notice, an opinion, an equipment item."""
    with host.client(manager) as c:
        ticket = c.post("/api/v1/tickets", json={"service": "cash"}).json()["id"]
        notice = c.post("/api/v1/notices", json={"text_zh": "甲", "text_en": "A"}).json()["id"]
        opinion = c.post("/api/v1/opinions", json={"text": "Fine"}).json()["id"]
        equipment = c.get("/api/v1/equipment").json()[0]["id"]
    return {"{ticket_id}": ticket, "{notice_id}": notice, "{opinion_id}": str(opinion),
            "{equipment_id}": equipment, "{n}": "1", "{digest}": DIGEST, "{path}": "style.css"}


def _ws_status(host: HostProcess, token: str | None) -> int:
    """200 when the event stream sends an event, 401 or 403 when it closes for the credential
    (4401: none or unknown; 4403: a role that may not follow it)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"ws://127.0.0.1:{host.port}/api/v1/events"
    with connect(url, additional_headers=headers, open_timeout=5) as ws:
        try:
            ws.recv(timeout=5)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            return {4401: 401, 4403: 403}.get(code or 0, 500)
    return 200


def test_matrix_covers_every_endpoint(tmp_path: Path) -> None:
    found = discovered_endpoints(tmp_path / "routes.db")
    assert not found - MATRIX.keys(), "endpoints without a row in the role matrix"
    assert not MATRIX.keys() - found, "rows for endpoints the host no longer serves"


def test_every_endpoint_against_every_role(host: HostProcess) -> None:
    tokens = _tokens(host)
    ids = _fixtures(host, tokens["manager"])
    bodies = _bodies(ids["{ticket_id}"])
    clients = {name: host.client(token) for name, token in tokens.items()}
    clients["none"] = host.client()
    wrong: list[str] = []
    try:
        for endpoint, allowed in MATRIX.items():
            method, template = endpoint.split(" ")
            path = template
            for placeholder, value in ids.items():
                path = path.replace(placeholder, value)
            path += QUERIES.get(template, "")
            for caller, client in clients.items():
                if method == "WS":
                    status = _ws_status(host, tokens.get(caller))
                else:
                    status = client.request(method, path, json=bodies.get(endpoint)).status_code
                if caller == "none":
                    expected = "public" if allowed is PUBLIC else 401
                else:
                    expected = "allowed" if allowed is PUBLIC or caller in allowed else 403
                admitted = status not in (401, 403)
                if status >= 500 or (expected in ("public", "allowed") and not admitted) or (
                        isinstance(expected, int) and status != expected):
                    wrong.append(f"{endpoint} as {caller}: {status}, expected {expected}")
    finally:
        for client in clients.values():
            client.close()
    assert not wrong, "\n".join(wrong)


def test_no_credential_and_forged_tokens_are_told_apart_from_wrong_roles(
        host: HostProcess) -> None:
    """401 names the missing credential (with ``WWW-Authenticate``), 403 the role: a client
    knows whether to log in again or to ask for another credential."""
    display = host.token(Role.DISPLAY)
    for token in (None, "bq_" + "A" * 43, "not-a-branchq-token"):
        r = httpx.post(f"{host.base}/api/v1/notices", json={"text_zh": "甲", "text_en": "A"},
                       headers={"Authorization": f"Bearer {token}"} if token else {})
        assert (r.status_code, r.json()["error"]) == (401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"
    with host.client(display) as c:
        r = c.post("/api/v1/notices", json={"text_zh": "甲", "text_en": "A"})
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    assert "display" in r.json()["detail"]
