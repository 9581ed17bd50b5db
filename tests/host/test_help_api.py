"""Calls for help (issue 17, part 3) at the host: the engine's rules, replay, and the API.

A press is one alert however often it is sent (the kiosk's reference) or repeated (one open alert
per kiosk); the manager acknowledges and closes it; the log rebuilds it after a restart; the
event reaches the stream; bad input is a 4xx with a message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from websockets.sync.client import connect

from branchq.host.auth import Role
from branchq.host.engine import InvalidState, NotFound, QueueEngine
from branchq.host.insight.estimate import ProjectedWait
from tests.host.conftest import _db_url
from tests.host.engine_helpers import Branch
from tests.host.inprocess import InProcessHost
from tests.host.service_helpers import engine_state


def press(b: Branch, alert_id: str, kiosk: str = "entrance", ref: str = "entrance-ref-1",
          screen: str = "home", ago: float = 0) -> int:
    """A press made ``ago`` seconds before the host hears of it; the number of events it made."""
    return len(b.do("request_help", alert_id, kiosk, screen, b.now - timedelta(seconds=ago), ref))


def test_a_press_is_one_alert_however_often_it_is_sent_or_repeated() -> None:
    b = Branch()
    assert press(b, "a1", ago=30) == 1
    alert = b.engine.help["a1"]
    assert (alert.kiosk, alert.screen) == ("entrance", "home")
    assert alert.requested_at == b.now - timedelta(seconds=30)  # the press's time, not the host's
    assert alert.received_at == b.now
    b.tick()
    assert press(b, "a2") == 0  # the same press re-sent
    assert press(b, "a3", ref="entrance-ref-2") == 0  # pressed again while the alert is open
    assert b.engine.help_for("entrance-ref-2", "entrance") is alert
    assert press(b, "b1", kiosk="side-door", ref="side-ref-1") == 1  # another kiosk: its own
    assert sorted(b.engine.help) == ["a1", "b1"]


def test_the_manager_acknowledges_then_closes_and_the_next_press_is_a_new_alert() -> None:
    b = Branch()
    press(b, "a1")
    b.tick()
    assert len(b.do("acknowledge_help", "a1")) == 1
    assert len(b.do("acknowledge_help", "a1")) == 0  # two managers tap: one acknowledgement
    assert b.engine.help["a1"].acknowledged_at == b.now
    b.tick()
    assert len(b.do("close_help", "a1")) == 1
    assert len(b.do("close_help", "a1")) == 0
    with pytest.raises(InvalidState, match="already closed"):
        b.do("acknowledge_help", "a1")
    with pytest.raises(NotFound):
        b.do("acknowledge_help", "nope")
    assert press(b, "a1", ref="entrance-ref-1") == 0  # that press is the closed alert still
    assert press(b, "a2", ref="entrance-ref-2") == 1


def test_replaying_the_log_rebuilds_the_alerts() -> None:
    b = Branch()
    press(b, "a1")
    press(b, "b1", kiosk="side-door", ref="side-ref-1", screen="ticket", ago=90)
    b.tick()
    b.do("acknowledge_help", "a1")
    b.do("close_help", "b1")
    replayed = QueueEngine(b.engine.config, ProjectedWait())
    replayed.replay(b.log)
    assert replayed.help == b.engine.help and replayed.help_refs == b.engine.help_refs
    assert {**engine_state(replayed), "seq": 0} == engine_state(b.engine)  # seq: the log's


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
         ) -> Iterator[InProcessHost]:
    running = InProcessHost(_db_url("sqlite", tmp_path_factory.mktemp("help"), request)).start()
    yield running
    running.stop()


def body(ref: str, at: datetime | None = None, kiosk: str = "entrance", screen: str = "home"
         ) -> dict[str, str]:
    return {"kiosk": kiosk, "screen": screen, "client_ref": ref,
            "requested_at": (at or datetime.now(UTC)).isoformat()}


def test_the_api_takes_a_press_once_the_manager_answers_and_the_stream_tells(
        host: InProcessHost) -> None:
    kiosk, manager = host.client(host.token(Role.KIOSK)), host.client(host.token(Role.MANAGER))
    with connect(f"ws://127.0.0.1:{host.port}/api/v1/events",
                 additional_headers={"Authorization": f"Bearer {host.token(Role.KIOSK)}"}) as ws:
        pressed_at = datetime.now(UTC) - timedelta(minutes=3)  # queued while the host was down
        first = kiosk.post("/api/v1/help", json=body("api-ref-0001", pressed_at))
        assert first.status_code == 201, first.text
        alert = first.json()
        assert alert["state"] == "open" and alert["screen"] == "home"
        assert datetime.fromisoformat(alert["requested_at"]) == pressed_at
        again = kiosk.post("/api/v1/help", json=body("api-ref-0001", pressed_at))
        assert again.status_code == 200 and again.json()["id"] == alert["id"]
        repeated = kiosk.post("/api/v1/help", json=body("api-ref-0002"))
        assert repeated.status_code == 200 and repeated.json()["id"] == alert["id"]
        assert [a["id"] for a in manager.get("/api/v1/help").json()] == [alert["id"]]
        acked = manager.post(f"/api/v1/help/{alert['id']}/ack")
        assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
        closed = manager.post(f"/api/v1/help/{alert['id']}/close")
        assert closed.json()["state"] == "closed"
        assert manager.get("/api/v1/help").json() == []
        kinds = []
        while len(kinds) < 3:
            event = json.loads(ws.recv(timeout=5))
            if event["kind"].startswith("help_"):
                kinds.append(event)
        assert [e["kind"] for e in kinds] == ["help_requested", "help_acknowledged", "help_closed"]
        assert kinds[0]["data"]["kiosk"] == "entrance" and "client_ref" not in kinds[0]["data"]
        assert datetime.fromisoformat(kinds[0]["data"]["requested_at"]) == pressed_at


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"requested_at": "2026-12-08T10:00:00"}, 422, "timezone"),
    ({"screen": "<script>"}, 422, "screen"),
    ({"kiosk": ""}, 422, "kiosk"),
    ({"requested_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, 422, "kiosk's clock"),
    ({"requested_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()}, 422, "12 hours"),
])
def test_bad_presses_get_a_4xx_with_a_message(host: InProcessHost, change: dict[str, str],
                                              status: int, words: str) -> None:
    kiosk = host.client(host.token(Role.KIOSK))
    answer = kiosk.post("/api/v1/help", json={**body("api-ref-bad1", kiosk="bad-input"), **change})
    assert answer.status_code == status and words in answer.text, answer.text


def test_acknowledging_an_unknown_alert_is_a_404(host: InProcessHost) -> None:
    manager = host.client(host.token(Role.MANAGER))
    answer = manager.post("/api/v1/help/abc123/ack")
    assert answer.status_code == 404 and "no such call for help" in answer.text
    assert manager.post("/api/v1/help/not-hex/ack").status_code == 422
