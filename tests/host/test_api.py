"""Every endpoint and every error of the v1 API, against the real host on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from branchq.host.auth import Role
from branchq.host.config import example_config_text, load_config
from tests.host.hostproc import HostAccess, HostProcess


def issue(host: HostAccess, kiosk: str, service: str = "cash", **extra: object) -> dict:  # type: ignore[type-arg]
    with host.client(kiosk) as c:
        r = c.post("/api/v1/tickets", json={"service": service, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_issue_and_public_status(running_host: HostAccess) -> None:
    kiosk = running_host.token(Role.KIOSK)
    first = issue(running_host, kiosk)
    second = issue(running_host, kiosk, priority="green")
    assert (first["number"], second["number"]) == ("A001", "A002")
    assert first["status"] == "waiting" and first["route"] == "counter"
    assert second["people_ahead"] == 0  # green goes first
    assert second["status_url"].endswith("/t/" + second["id"])
    assert len(first["id"]) >= 20  # unguessable
    with running_host.client() as anonymous:
        status = anonymous.get(f"/api/v1/tickets/{first['id']}").json()
    assert status["number"] == "A001" and status["people_ahead"] == 1
    assert set(status) == set(first)  # the public view is the same shape: no personal data


def test_issue_errors(running_host: HostAccess) -> None:
    kiosk = running_host.token(Role.KIOSK)
    with running_host.client(kiosk) as c:
        r = c.post("/api/v1/tickets", json={"service": "mortgage"})
        assert (r.status_code, r.json()["error"]) == (422, "unknown_service")
        r = c.post("/api/v1/tickets", json={"service": "cash", "priority": "platinum"})
        assert (r.status_code, r.json()["error"]) == (422, "invalid_request")
        r = c.post("/api/v1/tickets", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 422
        r = c.post("/api/v1/tickets", json={"service": "cash", "extra": 1})
        assert r.status_code == 422
        r = c.post("/api/v1/tickets", json={"service": "vip"})
        assert (r.status_code, r.json()["error"]) == (403, "forbidden")
        assert c.post("/api/v1/counters/1/call-next").status_code == 403  # a kiosk cannot call
    with running_host.client() as c:
        r = c.post("/api/v1/tickets", json={"service": "cash"})
        assert (r.status_code, r.json()["error"]) == (401, "unauthorized")
        assert c.get("/api/v1/tickets/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
        assert c.get("/api/v1/tickets/short").status_code == 404  # malformed = unknown
    with running_host.client("bq_forged") as c:
        assert c.post("/api/v1/tickets", json={"service": "cash"}).status_code == 401
    manager = running_host.token(Role.MANAGER)
    with running_host.client(manager) as c:
        r = c.post("/api/v1/tickets", json={"service": "vip"})
        assert r.status_code == 201 and r.json()["number"] == "V001"
        assert r.json()["priority"] == "vip"


@dataclass
class Desks:
    """A kiosk credential and the clients of two tellers (counters 1 and 3) and the manager."""

    kiosk: str
    teller1: httpx.Client
    teller3: httpx.Client
    manager: httpx.Client


@pytest.fixture
def desks(running_host: HostAccess) -> Iterator[Desks]:
    clients = [running_host.client(running_host.token(Role.TELLER, counter=1)),
               running_host.client(running_host.token(Role.TELLER, counter=3)),
               running_host.client(running_host.token(Role.MANAGER))]
    yield Desks(running_host.token(Role.KIOSK), *clients)
    for client in clients:
        client.close()


def test_call_recall_no_show_and_reinstate(running_host: HostAccess, desks: Desks) -> None:
    teller1, manager = desks.teller1, desks.manager
    assert teller1.post("/api/v1/counters/1/call-next").status_code == 204  # nobody waits
    a1, _ = issue(running_host, desks.kiosk), issue(running_host, desks.kiosk)
    r = teller1.post("/api/v1/counters/1/call-next")
    assert r.status_code == 200
    assert r.json()["ticket"]["number"] == "A001" and r.json()["ticket"]["counter"] == 1
    assert r.json()["counter"]["serving"]["number"] == "A001"
    assert desks.teller3.post("/api/v1/counters/1/recall").status_code == 403  # not its counter
    assert teller1.post("/api/v1/counters/1/recall").json()["ticket"]["recalls"] == 1
    assert teller1.post("/api/v1/counters/1/no-show").json()["ticket"]["status"] == "no_show"
    r = teller1.post("/api/v1/counters/1/done")
    assert (r.status_code, r.json()["error"]) == (409, "conflict")  # nobody at the counter
    assert teller1.post(f"/api/v1/tickets/{a1['id']}/reinstate").status_code == 403
    r = manager.post(f"/api/v1/tickets/{a1['id']}/reinstate")
    assert r.status_code == 200 and r.json()["status"] == "waiting"
    assert r.json()["people_ahead"] == 0  # before A002
    assert manager.post(f"/api/v1/tickets/{a1['id']}/reinstate").status_code == 409
    assert teller1.post("/api/v1/counters/1/call-next").json()["ticket"]["number"] == "A001"


def test_transfer_keeps_the_number_at_the_front_of_the_other_service(
        running_host: HostAccess, desks: Desks) -> None:
    issue(running_host, desks.kiosk, "noncash")  # already waiting at the non-cash counters
    issue(running_host, desks.kiosk)
    assert desks.teller1.post("/api/v1/counters/1/call-next").json()["ticket"]["number"] == "A001"
    r = desks.teller1.post("/api/v1/counters/1/transfer", json={"service": "noncash"})
    assert r.status_code == 200 and r.json()["ticket"]["service"] == "noncash"
    r = desks.teller1.post("/api/v1/counters/1/transfer", json={"service": "x"})
    assert r.status_code == 422  # an unknown service is bad input, whatever the counter holds
    assert desks.teller3.post("/api/v1/counters/3/call-next").json()["ticket"]["number"] == "A001"
    assert desks.teller3.post("/api/v1/counters/3/done").json()["ticket"]["status"] == "done"


def test_a_paused_counter_calls_nobody_until_it_resumes(running_host: HostAccess, desks: Desks) -> None:
    issue(running_host, desks.kiosk)
    teller1 = desks.teller1
    assert teller1.post("/api/v1/counters/1/pause").json()["counter"]["paused"] is True
    r = teller1.post("/api/v1/counters/1/call-next")
    assert (r.status_code, r.json()["error"]) == (409, "conflict")
    assert teller1.post("/api/v1/counters/1/pause").status_code == 409
    assert teller1.post("/api/v1/counters/1/resume").json()["counter"]["paused"] is False
    assert teller1.post("/api/v1/counters/1/call-next").json()["ticket"]["number"] == "A001"


def test_a_manager_calls_a_chosen_ticket_to_a_counter(running_host: HostAccess, desks: Desks) -> None:
    issue(running_host, desks.kiosk)
    second = issue(running_host, desks.kiosk)
    r = desks.manager.post("/api/v1/counters/2/call", json={"ticket_id": second["id"]})
    assert r.json()["ticket"]["number"] == "A002"
    assert desks.manager.post("/api/v1/counters/99/call-next").status_code == 404
    assert desks.manager.post("/api/v1/counters/0/call-next").status_code == 422


def test_queues_counters_and_equipment(running_host: HostAccess) -> None:
    kiosk = running_host.token(Role.KIOSK)
    display = running_host.client(running_host.token(Role.DISPLAY))
    tech = running_host.client(running_host.token(Role.TECHNICIAN))
    teller = running_host.client(running_host.token(Role.TELLER, counter=1))
    for _ in range(3):
        issue(running_host, kiosk, "noncash")
    queues = {q["service"]: q for q in display.get("/api/v1/queues").json()}
    assert queues["noncash"]["waiting"] == 3 and queues["cash"]["waiting"] == 0
    assert queues["noncash"]["open_counters"] == 2.5
    assert queues["noncash"]["estimated_wait_s"] > 0
    counters = display.get("/api/v1/counters").json()
    assert [c["number"] for c in counters] == [1, 2, 3, 4, 5, 6]
    assert display.get("/api/v1/equipment").json()[0]["status"] == "in_service"
    guidance = issue(running_host, kiosk, "atm_small", lang="en")
    assert guidance["route"] == "self_service" and "ATM" in guidance["guidance"]
    assert teller.put("/api/v1/equipment/atm-1", json={"status": "out_of_service"}).status_code == 403
    assert display.put("/api/v1/equipment/atm-1", json={"status": "out_of_service"}).status_code == 403
    r = tech.put("/api/v1/equipment/atm-1", json={"status": "broken"})
    assert r.status_code == 422
    assert tech.put("/api/v1/equipment/atm-9", json={"status": "in_service"}).status_code == 404
    for atm in ("atm-1", "atm-2"):
        r = tech.put(f"/api/v1/equipment/{atm}", json={"status": "out_of_service", "note": "jam"})
        assert r.json()["status"] == "out_of_service" and r.json()["note"] == "jam"
    fallback = issue(running_host, kiosk, "atm_small")
    assert fallback["route"] == "counter" and fallback["number"] == "A001"
    with running_host.client() as anonymous:
        assert anonymous.get("/api/v1/queues").status_code == 401
    for client in (display, tech, teller):
        client.close()


def test_self_service_with_a_client_ref_gives_guidance_or_a_counter_ticket(
    running_host: HostAccess,
) -> None:
    """What the kiosk sends for "小额取款 / 余额查询": await_print and a client_ref. With an ATM
    in service the answer is guidance (also on a retry); with every ATM out, a counter ticket
    that a retry answers again."""
    kiosk = running_host.client(running_host.token(Role.KIOSK))
    tech = running_host.client(running_host.token(Role.TECHNICIAN))
    body = {"service": "atm_small", "await_print": True, "lang": "en"}
    try:
        for attempt in range(2):  # a retry of the same request is guidance again
            r = kiosk.post("/api/v1/tickets", json={**body, "client_ref": "entrance-atm-1"})
            assert r.status_code == 201, (attempt, r.text)
            assert r.json()["route"] == "self_service" and "ATM" in r.json()["guidance"]
            assert r.json()["guidance_zh"] and r.json()["guidance_en"]
        assert tech.put("/api/v1/equipment/atm-1", json={"status": "out_of_service"}
                        ).status_code == 200
        r = kiosk.post("/api/v1/tickets", json={**body, "client_ref": "entrance-atm-2"})
        assert r.json()["route"] == "self_service"  # one ATM still works
        assert tech.put("/api/v1/equipment/atm-2", json={"status": "out_of_service"}
                        ).status_code == 200
        ticket = kiosk.post("/api/v1/tickets", json={**body, "client_ref": "entrance-atm-3"})
        assert ticket.status_code == 201, ticket.text
        assert (ticket.json()["route"], ticket.json()["number"]) == ("counter", "A001")
        assert ticket.json()["status"] == "printing"
        again = kiosk.post("/api/v1/tickets", json={**body, "client_ref": "entrance-atm-3"})
        assert again.json()["id"] == ticket.json()["id"]
    finally:
        kiosk.close()
        tech.close()


def test_event_stream_resumes_after_seq_and_hides_ids_from_displays(
    running_host: HostAccess,
) -> None:
    kiosk = running_host.token(Role.KIOSK)
    display = running_host.token(Role.DISPLAY)
    manager = running_host.token(Role.MANAGER)
    issue(running_host, kiosk)
    issue(running_host, kiosk)
    ws_url = running_host.base.replace("http", "ws") + "/api/v1/events"
    with connect(ws_url, additional_headers={"Authorization": f"Bearer {manager}"}) as ws:
        got = [json.loads(ws.recv(timeout=5)) for _ in range(3)]
    assert [e["kind"] for e in got] == ["day_opened", "ticket_issued", "ticket_issued"]
    assert [e["seq"] for e in got] == [1, 2, 3]
    assert got[1]["ticket_id"] and got[1]["data"]["label"] == "A001"
    with connect(f"{ws_url}?after=2", subprotocols=["branchq", display]) as ws:
        resumed = json.loads(ws.recv(timeout=5))
        assert resumed["seq"] == 3 and "ticket_id" not in resumed and "actor" not in resumed
        with running_host.client(running_host.token(Role.TELLER, counter=2)) as teller:
            teller.post("/api/v1/counters/2/call-next")
        live = json.loads(ws.recv(timeout=5))
        assert (live["kind"], live["counter"], live["data"]["label"]) == ("ticket_called", 2, "A001")
    with connect(ws_url, additional_headers={"Authorization": "Bearer bq_nope"}) as ws:
        with pytest.raises(Exception) as closed:
            ws.recv(timeout=5)
    assert "4401" in str(closed.value)


def test_health_metrics_and_docs(running_host: HostAccess) -> None:
    with running_host.client() as c:
        assert c.get("/healthz").json()["status"] == "ok"
        assert c.get("/metrics").status_code == 401
        assert c.get("/docs").status_code == 200
        spec = c.get("/openapi.json").json()
        assert "/api/v1/tickets" in spec["paths"]
    issue(running_host, running_host.token(Role.KIOSK))
    with running_host.client(running_host.token(Role.TECHNICIAN)) as c:
        text = c.get("/metrics").text
    assert 'branchq_tickets_issued_today{service="cash"} 1' in text
    assert 'branchq_waiting{service="cash"} 1' in text
    with running_host.client(running_host.token(Role.KIOSK)) as c:
        assert c.get("/metrics").status_code == 403


def test_notices_device_heartbeats_and_ticket_list(running_host: HostAccess) -> None:
    kiosk_token = running_host.token(Role.KIOSK)
    kiosk = running_host.client(kiosk_token)
    manager = running_host.client(running_host.token(Role.MANAGER))
    display = running_host.client(running_host.token(Role.DISPLAY))
    r = manager.post("/api/v1/notices", json={"text_zh": "自动柜员机暂停服务", "text_en": "ATMs down"})
    assert r.status_code == 201
    notice = r.json()
    assert display.post("/api/v1/notices", json={"text_zh": "x", "text_en": "x"}).status_code == 403
    assert [n["text_en"] for n in display.get("/api/v1/notices").json()] == ["ATMs down"]
    assert manager.delete(f"/api/v1/notices/{notice['id']}").status_code == 204
    assert manager.delete(f"/api/v1/notices/{notice['id']}").status_code == 404
    assert display.get("/api/v1/notices").json() == []

    beat = {"kiosk": "entrance", "devices": [
        {"device": "printer", "status": "warning", "detail": "paper near end"},
        {"device": "ledsign", "status": "ok"}], "offline_numbers_left": {"cash": 50}}
    assert kiosk.post("/api/v1/devices/heartbeat", json=beat).status_code == 204
    assert kiosk.post("/api/v1/devices/heartbeat", json=beat).status_code == 204
    assert manager.post("/api/v1/devices/heartbeat", json=beat).status_code == 403
    bad = {**beat, "devices": [{"device": "printer", "status": "on fire"}]}
    assert kiosk.post("/api/v1/devices/heartbeat", json=bad).status_code == 422
    devices = {d["device"]: d for d in display.get("/api/v1/devices").json()}
    assert devices["printer"]["status"] == "warning" and devices["printer"]["stale"] is False
    assert devices["printer"]["detail"] == "paper near end"
    with running_host.client(running_host.token(Role.TECHNICIAN)) as tech:
        log_kinds = [e for e in tech.get("/metrics").text.splitlines() if "event_seq" in e]
    # notice posted + cleared + first state of 2 devices; the repeated heartbeat adds nothing
    assert log_kinds[-1] == "branchq_event_seq 4"

    first = issue(running_host, kiosk_token)
    issue(running_host, kiosk_token, "noncash")
    with running_host.client(running_host.token(Role.TELLER, counter=1)) as teller:
        teller.post("/api/v1/counters/1/call-next")
        teller.post("/api/v1/counters/1/no-show")
        no_shows = teller.get("/api/v1/tickets", params={"status": "no_show"}).json()
        assert [t["id"] for t in no_shows] == [first["id"]]
        waiting = teller.get("/api/v1/tickets", params={"service": "noncash"}).json()
        assert [t["number"] for t in waiting] == ["B001"]
        assert teller.get("/api/v1/tickets", params={"status": "lost"}).status_code == 422
    assert kiosk.get("/api/v1/tickets").status_code == 403
    for client in (kiosk, manager, display):
        client.close()


def test_satisfaction_rating_after_done(running_host: HostAccess) -> None:
    issue(running_host, running_host.token(Role.KIOSK))
    with running_host.client(running_host.token(Role.TELLER, counter=2)) as teller:
        teller.post("/api/v1/counters/2/call-next")
        teller.post("/api/v1/counters/2/done")
        r = teller.post("/api/v1/counters/2/rating", json={"score": 3})
        assert r.status_code == 200 and r.json()["ticket"]["rating"] == 3
        assert teller.post("/api/v1/counters/2/rating", json={"score": 3}).status_code == 409
        assert teller.post("/api/v1/counters/2/rating", json={"score": 5}).status_code == 422


def test_kiosk_print_flow_retries_leases_and_offline_tickets(running_host: HostAccess) -> None:
    kiosk = running_host.client(running_host.token(Role.KIOSK))
    teller = running_host.client(running_host.token(Role.TELLER, counter=1))
    info = kiosk.get("/api/v1/branch").json()
    assert info["open_now"] is True and [s["key"] for s in info["services"]][0] == "cash"
    body = {"service": "cash", "await_print": True, "client_ref": "entrance-0001"}
    first = kiosk.post("/api/v1/tickets", json=body)
    assert first.status_code == 201 and first.json()["status"] == "printing"
    retry = kiosk.post("/api/v1/tickets", json=body)  # the answer was lost; the kiosk retries
    assert retry.json()["id"] == first.json()["id"] and retry.json()["number"] == "A001"
    assert teller.post("/api/v1/counters/1/call-next").status_code == 204  # not printed yet
    ticket_id = first.json()["id"]
    assert kiosk.post(f"/api/v1/tickets/{ticket_id}/printed").json()["status"] == "waiting"
    assert kiosk.post(f"/api/v1/tickets/{ticket_id}/printed").status_code == 200  # idempotent
    ghost = kiosk.post("/api/v1/tickets", json={**body, "client_ref": "entrance-0002"}).json()
    r = kiosk.post(f"/api/v1/tickets/{ghost['id']}/void", json={"reason": "paper out"})
    assert r.json()["status"] == "voided"
    assert kiosk.post(f"/api/v1/tickets/{ghost['id']}/void", json={"reason": "x"}).status_code == 409

    lease = kiosk.post("/api/v1/leases", json={"kiosk": "entrance", "service": "cash", "count": 5})
    assert lease.status_code == 201
    assert (lease.json()["first"], lease.json()["last"], lease.json()["prefix"]) == (500, 504, "A")
    assert teller.post("/api/v1/leases", json={"kiosk": "x", "service": "cash", "count": 5}
                       ).status_code == 403
    offline = {"kiosk": "entrance", "service": "cash", "number": 500, "priority": "normal",
               "issued_at": datetime.now(UTC).isoformat(), "client_ref": "entrance-off-3"}
    r = kiosk.post("/api/v1/tickets/offline", json=offline)
    assert r.status_code == 201 and r.json()["number"] == "A500"
    again = kiosk.post("/api/v1/tickets/offline", json=offline)
    assert again.json()["id"] == r.json()["id"]  # accepted exactly once
    r = kiosk.post("/api/v1/tickets/offline", json={**offline, "number": 9, "client_ref": "entrance-off-9"})
    assert (r.status_code, r.json()["error"]) == (409, "conflict")
    for client in (kiosk, teller):
        client.close()


def test_a_closed_branch_refuses_kiosk_tickets(tmp_path: Path) -> None:
    config = tmp_path / "branch.toml"
    closed = load_config(None).branch
    text = example_config_text().replace(
        "aging_limit_s = 1200", 'aging_limit_s = 1200\nopens_at = "00:00"\ncloses_at = "00:01"')
    config.write_text(text)
    host = HostProcess(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "h.log", config_path=str(config))
    host.start()
    try:
        with host.client(host.token(Role.KIOSK)) as kiosk:
            if datetime.now(UTC).astimezone(closed.tz).strftime("%H:%M") == "00:00":
                return  # the one minute a day this branch is open
            assert kiosk.get("/api/v1/branch").json()["open_now"] is False
            r = kiosk.post("/api/v1/tickets", json={"service": "cash"})
            assert r.status_code == 409 and "closed" in r.json()["detail"]
        with host.client(host.token(Role.MANAGER)) as manager:  # by hand, a manager still can
            assert manager.post("/api/v1/tickets", json={"service": "cash"}).status_code == 201
    finally:
        host.kill()


def test_keypad_gateway_acts_only_for_the_counters_on_its_bus(running_host: HostAccess) -> None:
    issue(running_host, running_host.token(Role.KIOSK))
    gateway = running_host.token(Role.KEYPAD_GATEWAY, counters=(1, 2))
    with running_host.client(gateway) as keypads:
        assert keypads.post("/api/v1/counters/3/call-next").status_code == 403
        r = keypads.post("/api/v1/counters/2/call-next")
        assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"
        assert keypads.post("/api/v1/tickets", json={"service": "cash"}).status_code == 403


def test_vip_cards_let_a_kiosk_issue_vip_tickets(running_host: HostAccess) -> None:
    digest = "ab" * 32
    kiosk = running_host.client(running_host.token(Role.KIOSK))
    manager = running_host.client(running_host.token(Role.MANAGER))
    assert kiosk.post("/api/v1/vip-cards/check", json={"digest": digest}).json() == {"vip": False}
    r = kiosk.post("/api/v1/tickets", json={"service": "vip", "vip_card": digest})
    assert r.status_code == 403
    assert kiosk.post("/api/v1/vip-cards", json={"digest": digest}).status_code == 403
    assert manager.post("/api/v1/vip-cards", json={"digest": digest}).status_code == 201
    assert manager.post("/api/v1/vip-cards", json={"digest": "1234"}).status_code == 422
    assert kiosk.post("/api/v1/vip-cards/check", json={"digest": digest}).json() == {"vip": True}
    r = kiosk.post("/api/v1/tickets", json={"service": "cash", "priority": "vip", "vip_card": digest})
    assert r.status_code == 201 and r.json()["priority"] == "vip"
    assert manager.delete(f"/api/v1/vip-cards/{digest}").status_code == 204
    r = kiosk.post("/api/v1/tickets", json={"service": "vip", "vip_card": digest})
    assert r.status_code == 403
    kiosk.close()
    manager.close()
