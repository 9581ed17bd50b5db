"""What must never leave the host: token values, personal data, guessable ticket ids."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import httpx
from websockets.sync.client import connect

from branchq.host.auth import Role, hash_token
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess

PAGES = ("/hall", "/counter", "/lobby", "/t/AAAAAAAAAAAAAAAAAAAAAA")
STATIC = ("/static/hall.js", "/static/style.css", "/static/common.js")
STATUS_FIELDS = {"id", "route", "number", "service", "service_name_zh", "service_name_en",
                 "priority", "status", "people_ahead", "estimated_wait_s", "wait", "issued_at",
                 "called_at", "counter", "recalls", "rating", "status_url",
                 "notify_ahead"}  # a branch setting ([nudge] ahead), for the page's nudge


def _database_bytes(host: HostProcess) -> bytes:
    db = Path(host.db_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))  # with -wal, -shm


def test_the_database_and_the_log_hold_no_token_value(host: HostProcess) -> None:
    tokens = [host.token(Role.KIOSK), host.token(Role.MANAGER), host.token(Role.TELLER, 1),
              host.token(Role.KEYPAD_GATEWAY, counters=(3, 4)), host.token(Role.DISPLAY)]
    for token in tokens:  # each one used, so it also went through the verifier's cache
        with host.client(token) as c:
            me = c.get("/api/v1/me")
            assert me.status_code == 200
            assert token not in me.text and hash_token(token) not in me.text
    stored = _database_bytes(host)
    log = host.log_path.read_bytes()
    for token in tokens:
        secret = token.removeprefix("bq_").encode()
        assert secret not in stored and secret not in log
        assert hash_token(token).encode() in stored  # what is stored instead


def test_me_tells_the_caller_its_role_name_and_counters(host: HostProcess) -> None:
    cases = [
        (host.token(Role.TELLER, 3, name="Wang at 3"),
         {"role": "teller", "name": "Wang at 3", "counter": 3, "counters": [3]}),
        (host.token(Role.KEYPAD_GATEWAY, name="keypads", counters=(1, 2)),
         {"role": "keypad-gateway", "name": "keypads", "counter": None, "counters": [1, 2]}),
        (host.token(Role.MANAGER, name="Li"),
         {"role": "manager", "name": "Li", "counter": None, "counters": [1, 2, 3, 4, 5, 6]}),
        (host.token(Role.DISPLAY, name="hall TV"),
         {"role": "display", "name": "hall TV", "counter": None, "counters": []}),
    ]
    for token, expected in cases:
        with host.client(token) as c:
            assert c.get("/api/v1/me").json() == expected
    assert httpx.get(f"{host.base}/api/v1/me").status_code == 401


def test_status_page_ids_are_128_random_bits_and_answers_carry_no_history(
        host: HostProcess) -> None:
    kiosk = host.token(Role.KIOSK, name="Entrance kiosk")
    teller = host.token(Role.TELLER, 1, name="Teller Zhang")
    with host.client(kiosk) as c:
        tickets = [c.post("/api/v1/tickets", json={"service": "cash"}).json() for _ in range(30)]
    ids = [t["id"] for t in tickets]
    assert len(set(ids)) == len(ids)
    for ticket_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", ticket_id)
        assert len(base64.urlsafe_b64decode(ticket_id + "==")) == 16
    with host.client(teller) as c:
        assert c.post("/api/v1/counters/1/call-next").status_code == 200
        assert c.post("/api/v1/counters/1/rating", json={"score": 3}).status_code == 200
    with httpx.Client(base_url=host.base) as anonymous:
        r = anonymous.get(f"/api/v1/tickets/{ids[0]}")
    status = r.json()
    assert set(status) == STATUS_FIELDS
    assert (status["status"], status["counter"]) == ("called", 1)
    for who in ("Entrance kiosk", "Teller Zhang", "kiosk:", "teller:"):
        assert who not in r.text  # no actor, no event history


def test_malformed_and_unknown_ticket_ids_get_the_same_404(host: HostProcess) -> None:
    answers = set()
    with httpx.Client(base_url=host.base) as anonymous:
        for ticket_id in ("AAAAAAAAAAAAAAAAAAAAAA", "short", "x" * 41, "bad!chars~~~~~", "%2e%2e",
                          "A" * 200):
            r = anonymous.get(f"/api/v1/tickets/{ticket_id}")
            answers.add((r.status_code, r.text, r.headers["content-type"]))
    assert answers == {(404, '{"error":"not_found","detail":"no such ticket"}',
                        "application/json")}


def test_screens_in_public_view_get_no_ticket_ids_nor_actors(host: HostProcess) -> None:
    manager = host.token(Role.MANAGER)
    with host.client(manager) as c:
        c.post("/api/v1/tickets", json={"service": "cash"})
        c.post("/api/v1/counters/1/call-next")
        c.post("/api/v1/opinions", json={"text": "Slow", "phone": "138 0013 8000"})
    for role, sees_ids in ((Role.DISPLAY, False), (Role.KIOSK, False),
                           (Role.KEYPAD_GATEWAY, False), (Role.MANAGER, True)):
        token = host.token(role, counters=(1,) if role is Role.KEYPAD_GATEWAY else ())
        with host.client(token) as c:
            serving = c.get("/api/v1/counters").json()[0]["serving"]
        assert (serving["ticket_id"] is not None) == sees_ids, role
        assert serving["number"]  # the number is what the hall shows anyway
        with connect(f"ws://127.0.0.1:{host.port}/api/v1/events",
                     additional_headers={"Authorization": f"Bearer {token}"}) as ws:
            events = []
            while not any(e["kind"] == "ticket_called" for e in events):
                events.append(json.loads(ws.recv(timeout=5)))
        called = next(e for e in events if e["kind"] == "ticket_called")
        assert ("ticket_id" in called and "actor" in called) == sees_ids, role
    store = Store(host.db_url, DEMO_BRANCH)
    try:
        logged = json.dumps([e.data for e in store.load_events()], ensure_ascii=False)
    finally:
        store.close()
    assert "138 0013 8000" not in logged and "Slow" not in logged  # opinions stay in their book


def test_web_pages_and_static_files_carry_security_headers(host: HostProcess) -> None:
    with httpx.Client(base_url=host.base) as browser:
        for path in PAGES + STATIC:
            r = browser.get(path)
            assert r.status_code == 200, path
            csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"]
                       .split(";"))
            assert csp["default-src"] == "'none'", path
            assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'", path
            assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'", path
            assert "unsafe" not in r.headers["content-security-policy"], path
            assert r.headers["x-content-type-options"] == "nosniff", path
            assert r.headers["referrer-policy"] == "no-referrer", path  # status URLs stay put
            assert r.headers["x-frame-options"] == "DENY", path
            if path in PAGES:  # nothing inline that the policy would block
                assert not re.search(r"<script(?![^>]*\bsrc=)", r.text), path
                assert not re.search(r"\son[a-z]+\s*=|\sstyle\s*=", r.text), path
        # a forged Host header does not widen the WebSocket allowance
        r = browser.get("/hall", headers={"host": "evil.example'; script-src *"})
        assert "evil" not in r.headers["content-security-policy"]
