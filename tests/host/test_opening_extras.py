"""The morning check's kiosk extras (issue 17, part 4): the touch screen felt a touch, and a test
slip printed on request. The items from the engine's state, then the API that asks for a slip.
(The kiosk printing it on its virtual printer: tests/journeys/test_lobby_journeys.py.)
"""

from __future__ import annotations

from datetime import datetime

from branchq.host import opening
from branchq.host.auth import Role
from tests.host.engine_helpers import Branch
from tests.host.hostproc import HostAccess


def items_of(b: Branch) -> dict[str, opening.Item]:
    kiosks: dict[str, datetime] = {"entrance": b.now}
    return {i.key: i for i in opening.device_items(b.engine, kiosks, b.now)}


def report(b: Branch, *devices: tuple[str, str, str]) -> None:
    b.engine.report_devices("entrance", list(devices), b.now, "kiosk:entrance")  # type: ignore[arg-type]


def test_touch_is_red_until_the_screen_is_touched() -> None:
    b = Branch()
    report(b, ("touch", "ok", opening.UNTOUCHED))
    touch = items_of(b)["touch:entrance"]
    assert not touch.ok and "not touched since the kiosk started" in touch.detail_en
    assert "tap the kiosk screen once" in touch.action_en and touch.action_zh
    report(b, ("touch", "ok", ""))
    assert items_of(b)["touch:entrance"].ok
    report(b, ("touch", "fault", "device vanished"))
    assert "branchq maint touch monitor" in items_of(b)["touch:entrance"].action_en


def test_a_test_slip_is_pending_then_printed_or_not() -> None:
    b = Branch()
    report(b, ("printer", "ok", ""))
    assert "test_slip:entrance" not in items_of(b)  # only once asked for
    b.do("request_test_slip", "s1", "entrance")
    pending = items_of(b)["test_slip:entrance"]
    assert not pending.ok and "not printed yet" in pending.detail_en
    report(b, ("test_slip", "fault", "s1: P01: paper out"))
    failed = items_of(b)["test_slip:entrance"]
    assert not failed.ok and failed.detail_en == "not printed: out of paper"
    assert "load a new paper roll" in failed.action_en
    b.do("request_test_slip", "s2", "entrance")
    assert "not printed yet" in items_of(b)["test_slip:entrance"].detail_en  # s1's is old news
    report(b, ("test_slip", "ok", "s2: printed"))
    assert items_of(b)["test_slip:entrance"].ok


def test_the_api_asks_a_kiosk_it_knows_for_a_slip(running_host: HostAccess) -> None:
    kiosk = running_host.client(running_host.token(Role.KIOSK))
    manager = running_host.client(running_host.token(Role.MANAGER))
    unknown = manager.post("/api/v1/opening-check/test-slip", json={"kiosk": "entrance"})
    assert unknown.status_code == 404 and "no kiosk 'entrance'" in unknown.text
    kiosk.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
        {"device": "printer", "status": "ok", "detail": ""}]}).raise_for_status()
    asked = manager.post("/api/v1/opening-check/test-slip", json={"kiosk": "entrance"})
    assert asked.status_code == 202, asked.text
    item = next(i for i in manager.get("/api/v1/opening-check").json()["items"]
                if i["key"] == "test_slip:entrance")
    assert not item["ok"] and item["detail_en"] == "sent to the kiosk, not printed yet"
    bad = manager.post("/api/v1/opening-check/test-slip", json={"kiosk": "Entrance!"})
    assert bad.status_code == 422
