"""Tickets belong to who issued them: two kiosk tokens against the real host.

A second kiosk that learns (or guesses) the first kiosk's client reference must not get its
ticket, nor confirm or void it; no event stream carries client references to anyone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from websockets.sync.client import connect

from branchq.host.auth import Role
from branchq.kiosk.journal import Journal
from tests.host.hostproc import HostProcess


def _events_until_printed(host: HostProcess, token: str, label: str) -> list[dict]:  # type: ignore[type-arg]
    """The event stream from the start until ``label`` was printed."""
    with connect(f"ws://127.0.0.1:{host.port}/api/v1/events",
                 additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        got: list[dict] = []  # type: ignore[type-arg]
        while not got or (got[-1]["kind"], got[-1]["data"].get("label")) != ("ticket_printed",
                                                                             label):
            got.append(json.loads(ws.recv(timeout=5)))
    return got


def test_a_replayed_client_ref_from_another_kiosk_gets_a_new_ticket(host: HostProcess) -> None:
    first = host.client(host.token(Role.KIOSK, name="entrance"))
    second = host.client(host.token(Role.KIOSK, name="side door"))
    body = {"service": "cash", "await_print": True, "client_ref": "entrance-00000001"}
    try:
        mine = first.post("/api/v1/tickets", json=body).json()
        replayed = second.post("/api/v1/tickets", json=body)
        assert replayed.status_code == 201
        assert replayed.json()["id"] != mine["id"]
        assert replayed.json()["number"] != mine["number"]
        # the first kiosk's own retry still answers with its own ticket
        assert first.post("/api/v1/tickets", json=body).json()["id"] == mine["id"]

        # The other kiosk cannot confirm or void it: to it, the ticket does not exist.
        for action, payload in (("printed", None), ("void", {"reason": "takeover"})):
            r = second.post(f"/api/v1/tickets/{mine['id']}/{action}", json=payload)
            assert (r.status_code, r.json()["detail"]) == (404, "no such ticket today"), action
        assert first.get(f"/api/v1/tickets/{mine['id']}").json()["status"] == "printing"

        # Its issuer confirms it; once printed even the issuer may not void it (the customer
        # holds the paper), while the lobby manager still can.
        assert first.post(f"/api/v1/tickets/{mine['id']}/printed").json()["status"] == "waiting"
        r = first.post(f"/api/v1/tickets/{mine['id']}/void", json={"reason": "oops"})
        assert r.status_code == 409 and "not printed" in r.json()["detail"]
        with host.client(host.token(Role.MANAGER)) as manager:
            r = manager.post(f"/api/v1/tickets/{mine['id']}/void", json={"reason": "left"})
        assert r.json()["status"] == "voided"
    finally:
        first.close()
        second.close()


def test_a_kiosk_voids_its_unprinted_ticket_even_without_a_client_ref(host: HostProcess) -> None:
    kiosk = host.client(host.token(Role.KIOSK, name="no refs"))
    other = host.client(host.token(Role.KIOSK, name="other"))
    try:
        ticket = kiosk.post("/api/v1/tickets", json={"service": "cash", "await_print": True}).json()
        assert other.post(f"/api/v1/tickets/{ticket['id']}/void",
                          json={"reason": "x"}).status_code == 404
        r = kiosk.post(f"/api/v1/tickets/{ticket['id']}/void", json={"reason": "paper out"})
        assert r.json()["status"] == "voided"
    finally:
        kiosk.close()
        other.close()


def test_offline_tickets_are_scoped_to_their_kiosk_token(host: HostProcess) -> None:
    first = host.client(host.token(Role.KIOSK, name="entrance"))
    second = host.client(host.token(Role.KIOSK, name="side door"))
    try:
        lease = first.post("/api/v1/leases", json={"kiosk": "entrance", "service": "noncash",
                                                   "count": 3}).json()
        offline = {"kiosk": "entrance", "service": "noncash", "number": lease["first"],
                   "issued_at": datetime.now(UTC).isoformat(), "client_ref": "entrance-off-1"}
        mine = first.post("/api/v1/tickets/offline", json=offline).json()
        assert first.post("/api/v1/tickets/offline", json=offline).json()["id"] == mine["id"]
        # The same reference from another token is not a retry: the number is already taken.
        r = second.post("/api/v1/tickets/offline", json=offline)
        assert r.status_code == 409 and "already been issued" in r.json()["detail"]
    finally:
        first.close()
        second.close()


def test_no_audience_sees_client_refs_in_events(host: HostProcess) -> None:
    kiosk = host.token(Role.KIOSK, name="entrance")
    with host.client(kiosk) as c:
        ticket = c.post("/api/v1/tickets", json={"service": "cash", "await_print": True,
                                                  "client_ref": "entrance-secret-77"}).json()
        c.post(f"/api/v1/tickets/{ticket['id']}/printed")
    audiences = [kiosk, host.token(Role.KIOSK, name="other"), host.token(Role.DISPLAY),
                 host.token(Role.KEYPAD_GATEWAY, counters=(1,)), host.token(Role.MANAGER),
                 host.token(Role.TELLER, counter=1), host.token(Role.ADMIN)]
    for token in audiences:
        events = _events_until_printed(host, token, ticket["number"])
        issued = [e for e in events if e["kind"] == "ticket_issued"]
        assert issued and all("client_ref" not in e["data"] for e in issued)
        assert "entrance-secret-77" not in json.dumps(events)


def test_kiosk_client_refs_are_unguessable() -> None:
    refs = {Journal.new_ref("entrance") for _ in range(1000)}
    assert len(refs) == 1000
    for ref in refs:
        kiosk, _, secret = ref.partition("-")
        assert kiosk == "entrance" and len(secret) == 16  # 96 random bits, URL-safe base64
    longest = Journal.new_ref("k" * 32)
    assert len(longest) <= 64  # within the API's client_ref limit
