"""窗口调整: an idle counter takes a second service for an hour (issue 17, part 5).

The engine's rules (who may take what, call order, the end by a tap or by time, replay), then the
API against the real host: the manager's credential only, a 4xx with a message for bad input, the
event on the stream at once, and the host's timer ending it by itself.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from branchq.host.auth import Role
from branchq.host.config import load_config
from branchq.host.engine import InvalidState, QueueEngine, UnknownService
from branchq.host.insight import staffing
from branchq.host.insight.estimate import ProjectedWait
from branchq.host.service import BranchService
from branchq.host.storage import Store
from tests.host.engine_helpers import OPENING, Branch
from tests.host.hostproc import DEMO_BRANCH, HostAccess
from tests.host.service_helpers import engine_state

HOUR = timedelta(hours=1)


def lend(b: Branch, counter: int, service: str, length: timedelta = HOUR) -> None:
    b.do("take_second_service", counter, service, b.now + length)


def test_an_idle_counter_calls_the_second_queue_after_its_own() -> None:
    b = Branch()
    cash = [b.issue("cash") for _ in range(3)]
    assert b.engine.second_service_candidates("cash") == [3, 4, 6]  # 5 serves cash already
    lend(b, 6, "cash")
    assert b.engine.counters[6].services == ("wealth", "cash")
    assert b.engine.open_counters("cash") == 3.0  # 1, 2 in full; 5 and 6 half each
    assert b.call(6) == b.label(cash[0])
    wealth = b.issue("wealth")
    b.tick()
    assert b.call(6) == b.label(wealth)  # its own customer first
    assert b.call(6) == b.label(cash[1])


def test_who_may_take_a_second_service() -> None:
    b = Branch()
    b.issue("noncash")
    with pytest.raises(InvalidState, match="counter 3 is not idle: customers wait for noncash"):
        lend(b, 3, "cash")
    with pytest.raises(InvalidState, match="already serves cash"):
        lend(b, 1, "cash")
    with pytest.raises(InvalidState, match="only a VIP counter"):
        lend(b, 6, "vip")
    with pytest.raises(UnknownService):
        lend(b, 6, "atm_small")  # a self-service choice has no counter queue
    b.do("pause", 6)
    with pytest.raises(InvalidState, match="paused"):
        lend(b, 6, "cash")
    b.do("resume", 6)
    with pytest.raises(InvalidState, match="end time after now"):
        lend(b, 6, "cash", timedelta(0))
    lend(b, 6, "cash")
    with pytest.raises(InvalidState, match="already takes cash"):
        lend(b, 6, "noncash")
    assert 6 not in b.engine.second_service_candidates("noncash")


def test_it_ends_by_a_tap_or_when_its_time_is_up_and_replays() -> None:
    b = Branch()
    lend(b, 6, "cash")
    lend(b, 4, "cash", timedelta(minutes=30))
    b.tick(29 * 60)
    assert b.do("end_due_second_services") == []
    b.tick(60)
    [ended] = b.do("end_due_second_services")
    assert (ended.counter, ended.data) == (4, {"service": "cash", "reason": "expired"})
    [undone] = b.do("end_second_service", 6)
    assert undone.data["reason"] == "undone"
    assert [b.engine.counters[n].services for n in (4, 6)] == [("noncash",), ("wealth",)]
    with pytest.raises(InvalidState, match="takes no second service"):
        b.do("end_second_service", 6)
    lend(b, 6, "noncash")
    replayed = QueueEngine(load_config(None), ProjectedWait())
    replayed.replay(b.log)
    assert engine_state(replayed)["counters"] == engine_state(b.engine)["counters"]
    assert replayed.counters[6].services == ("wealth", "noncash")


def test_a_new_day_starts_with_the_configured_counters() -> None:
    b = Branch()
    lend(b, 6, "cash", timedelta(hours=4))
    b.tick(24 * 3600)
    b.issue("cash")  # opens the next day
    assert (b.engine.counters[6].services, b.engine.counters[6].second) == (("wealth",), None)


def test_the_staffing_advice_names_the_idle_counters() -> None:
    b = Branch()
    for _ in range(40):  # a pension-day morning at the cash counters
        b.issue("cash")
        b.tick(30)
    advice = {a.service: a for a in staffing.advise(b.engine, b.now, {})}
    assert advice["cash"].open_more > 0 and advice["cash"].idle_counters == [3, 4, 6]
    assert advice["wealth"].open_more == 0 and advice["wealth"].idle_counters == []


def _client(host: HostAccess, role: Role, counter: int | None = None) -> httpx.Client:
    return host.client(host.token(role, counter))


def next_event(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next event of ``kind`` on the stream (a day's first command may open the day first)."""
    while True:
        event: dict[str, Any] = json.loads(ws.recv(timeout=5))
        if event["kind"] == kind:
            return event


def test_the_api_lets_the_manager_move_a_counter_and_undo_it(running_host: HostAccess) -> None:
    manager = _client(running_host, Role.MANAGER)
    path = "/api/v1/counters/6/second-service"
    for role, counter in ((Role.TELLER, 6), (Role.TECHNICIAN, None), (Role.KIOSK, None),
                          (Role.DISPLAY, None)):
        with _client(running_host, role, counter) as other:
            r = other.post(path, json={"service": "cash"})
            assert (r.status_code, r.json()["error"]) == (403, "forbidden"), role
    with running_host.client() as anonymous:
        assert anonymous.post(path, json={"service": "cash"}).status_code == 401
    for body, status in (({"service": "cash", "minutes": 5}, 422), ({"service": "cash", "minutes": 600}, 422),
                         ({"service": "gold"}, 422), ({}, 422), ({"service": "cash", "x": 1}, 422),
                         ({"service": "wealth"}, 409)):
        r = manager.post(path, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["detail"], r.text  # says what is wrong
    assert manager.post("/api/v1/counters/99/second-service", json={"service": "cash"}).status_code == 404
    assert "counter 6 already serves wealth" in manager.post(path, json={"service": "wealth"}).text
    assert manager.delete(path).status_code == 409  # nothing to undo yet

    display = running_host.token(Role.DISPLAY)
    headers = {"Authorization": f"Bearer {display}"}
    with connect(f"ws://127.0.0.1:{running_host.port}/api/v1/events", additional_headers=headers) as ws:
        r = manager.post(path, json={"service": "cash", "minutes": 60})
        assert r.status_code == 200, r.text
        counter = r.json()["counter"]
        assert counter["services"] == ["wealth", "cash"]
        assert counter["second_service"]["service"] == "cash"
        event = next_event(ws, "second_service_taken")
        assert (event["kind"], event["counter"], event["data"]["service"]) == (
            "second_service_taken", 6, "cash")
        assert "actor" not in event  # a public screen sees what changed, not who did it
        assert manager.post(path, json={"service": "noncash"}).status_code == 409
        with running_host.client(display) as screen:
            [six] = [c for c in screen.get("/api/v1/counters").json() if c["number"] == 6]
        assert six["second_service"]["service"] == "cash"
        undone = manager.delete(path)
        assert undone.status_code == 200 and undone.json()["counter"]["second_service"] is None
        event = next_event(ws, "second_service_ended")
        assert (event["kind"], event["data"]["reason"]) == ("second_service_ended", "undone")
    manager.close()


def test_the_host_ends_a_second_service_by_itself(tmp_path: Path) -> None:
    """The host's timer, with a clock the test moves: the end is in the log, and a restart
    rebuilds the counter as it was left."""
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    config = load_config(None)
    now = [OPENING]
    service = BranchService(config, Store(url, DEMO_BRANCH), clock=lambda: now[0])

    async def main() -> None:
        service.start()
        timer = asyncio.create_task(service.end_second_services_when_due())
        try:
            await service.execute(lambda e, at: e.take_second_service(6, "cash", at + HOUR, at, "manager:t"))
            assert service.engine.counters[6].second == "cash"
            now[0] += HOUR
            for _ in range(100):
                if service.engine.counters[6].second is None:
                    break
                await asyncio.sleep(0.05)
            assert service.engine.counters[6].services == ("wealth",)
        finally:
            timer.cancel()
            service.stop()

    asyncio.run(main())
    kinds = [(e.kind, e.actor) for e in service.store.load_events(0)]
    assert kinds[-2:] == [("second_service_taken", "manager:t"),
                          ("second_service_ended", "host:timer")]
    again = BranchService(config, Store(url, DEMO_BRANCH))
    again.load()
    assert again.engine.counters[6].services == ("wealth",)
    service.store.close()
    again.store.close()
