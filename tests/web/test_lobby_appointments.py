"""The lobby dashboard's day view of appointments, on a phone in both languages, through axe
(docs/web.md, "Appointments and remote tickets")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.web.axe import VIEWPORTS, audit, blocking, language_of_parts
from tests.web.screens import Screen

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _next_slot() -> datetime:
    now = datetime.now(SHANGHAI)
    slot = now.replace(minute=now.minute // 15 * 15, second=0, microsecond=0) + timedelta(minutes=15)
    if slot.date() != now.date():
        pytest.skip("the next quarter hour is tomorrow in branch time: no slot left today")
    return slot


def test_the_lobby_shows_todays_appointments_without_customer_data(
        host: HostProcess, open_screen: Callable[..., Screen]) -> None:
    slot = _next_slot()
    with host.client(host.token(Role.BOOKING)) as app:
        def book(service: str, key: str) -> dict[str, str]:
            r = app.post("/api/v1/appointments", json={
                "service": service, "slot_start": slot.isoformat(), "idempotency_key": key})
            assert r.status_code == 201, r.text
            return dict(r.json())
        arrived, cancelled, booked = book("wealth", "lobby-visit-1"), book("wealth", "lobby-visit-2"), book(
            "noncash", "lobby-visit-3")
        assert app.delete(f"/api/v1/appointments/{cancelled['id']}").status_code == 200
    with host.client(host.token(Role.KIOSK)) as kiosk:
        assert kiosk.post("/api/v1/appointments/check-in",
                          json={"code": arrived["code"]}).status_code == 201

    lobby = open_screen(f"/lobby#token={host.token(Role.MANAGER)}", *VIEWPORTS["phone"])
    page = lobby.page
    lobby.wait_online()
    page.wait_for_selector("#appointments tr[data-appointment]", timeout=5000)
    rows = {r.get_attribute("data-appointment"): r for r in
            page.locator("#appointments tr[data-appointment]").all()}
    span = f"{slot:%H:%M}–{slot + timedelta(minutes=15):%H:%M}"
    expected = {
        arrived["id"]: ("early", ["理财业务", "Wealth management", "已签到（提前）", "checked in (early)"]),
        cancelled["id"]: ("cancelled", ["理财业务", "已取消", "cancelled"]),
        booked["id"]: ("booked", ["非现金业务", "Non-cash services", "已预约", "booked"]),
    }
    for appointment_id, (state, words) in expected.items():
        row = rows[appointment_id]
        assert row.get_attribute("data-state") == state
        text = row.inner_text()
        assert span in text and all(w in text for w in words), text
        assert arrived["code"] not in text and booked["code"] not in text  # no codes shown
    # Today's figures: appointments kept, of those whose check-in closed (none yet: no rate).
    page.wait_for_selector("[data-figure='appointments']", timeout=5000)
    kept = lobby.text("[data-figure='appointments']")
    assert "预约到场" in kept and "appointments kept" in kept and kept.split()[0] == "—"
    assert "1/2 已签到" in kept and "1 of 2 checked in" in kept
    assert lobby.no_horizontal_overflow()
    violations = blocking(audit(page), customer_facing=False)
    assert violations == [], violations
    assert language_of_parts(page) == []
    assert lobby.real_errors() == []

