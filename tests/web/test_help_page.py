"""Calls for help in the browser (issue 17, part 3): the manager's phone page (/lobby/help) at
360x640 and the lobby dashboard's list.

A kiosk's press appears with its kiosk, screen and time and is said by a live region; the
manager acknowledges and closes it with the keyboard, focus staying on the call's buttons; axe
and the language check pass in each state; nothing overflows the phone's width.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from branchq.host.auth import Role
from branchq.host.config import load_config
from tests.host.hostproc import HostProcess
from tests.web.axe import audit, blocking, language_of_parts
from tests.web.screens import Screen

PHONE = (360, 640)
TIMEOUT_MS = 10_000


def press(host: HostProcess, kiosk: str, screen: str, ago_s: float = 0) -> dict[str, str]:
    client = host.client(host.token(Role.KIOSK))
    at = datetime.now(UTC) - timedelta(seconds=ago_s)
    answer = client.post("/api/v1/help", json={
        "kiosk": kiosk, "screen": screen, "requested_at": at.isoformat(),
        "client_ref": f"{kiosk}-{at.timestamp():.0f}"})
    assert answer.status_code == 201, answer.text
    alert: dict[str, str] = answer.json()
    return alert


def assert_accessible(screen: Screen, state: str) -> None:
    failures = [str(v) for v in blocking(audit(screen.page), customer_facing=False)]
    failures += language_of_parts(screen.page)
    assert not failures, f"{state}:\n" + "\n".join(failures)


def test_the_phone_page_shows_a_call_and_the_manager_answers_it_by_keyboard(
        open_screen: Callable[..., Screen], host: HostProcess) -> None:
    phone: Screen = open_screen(f"/lobby/help#token={host.token(Role.MANAGER)}", *PHONE)
    page = phone.page
    phone.wait_online()
    page.wait_for_selector("#help-list .help-none", timeout=TIMEOUT_MS)
    assert "no calls for help" in phone.text("#help-list")
    assert_accessible(phone, "no calls")

    alert = press(host, "side-door", "green_confirm", ago_s=120)  # a press queued for 2 min
    row = f'#help-list li[data-help="{alert["id"]}"]'
    page.wait_for_selector(row, timeout=TIMEOUT_MS)
    text = phone.text(row)
    pressed = datetime.fromisoformat(alert["requested_at"]).astimezone(load_config(None).branch.tz)
    assert "side-door" in text and "绿色通道" in text and "green channel" in text
    assert "waiting for an answer" in text
    assert f"pressed at {pressed:%H:%M}" in text  # the press's time, in branch time
    assert "Help needed at kiosk side-door" in phone.text("#help-announce")  # role=alert
    assert phone.no_horizontal_overflow()
    assert_accessible(phone, "a call")

    page.focus(f'{row} button[data-action="ack"]')
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{row}.acknowledged", timeout=TIMEOUT_MS)
    assert "staff on the way" in phone.text(row)
    # The acknowledged call keeps focus on its one button left: "Helped".
    assert page.evaluate("document.activeElement.dataset.action") == "close"
    assert_accessible(phone, "acknowledged")
    answered = host.client(host.token(Role.MANAGER)).get("/api/v1/help").json()
    assert [(a["id"], a["state"]) for a in answered] == [(alert["id"], "acknowledged")]

    page.keyboard.press("Enter")
    page.wait_for_selector("#help-list .help-none", timeout=TIMEOUT_MS)
    assert host.client(host.token(Role.MANAGER)).get("/api/v1/help").json() == []
    assert page.evaluate("document.activeElement.id") == "help-h"  # not lost to <body>
    assert not phone.real_errors()


def test_the_lobby_lists_calls_from_the_stream_and_an_answer_elsewhere_updates_it(
        open_screen: Callable[..., Screen], host: HostProcess) -> None:
    lobby: Screen = open_screen(f"/lobby#token={host.token(Role.MANAGER)}", 1024, 768)
    page = lobby.page
    lobby.wait_online()
    alert = press(host, "entrance", "home")
    row = f'#help-list li[data-help="{alert["id"]}"]'
    page.wait_for_selector(row, timeout=TIMEOUT_MS)
    assert "alerting" in (page.get_attribute("#help-panel", "class") or "")
    page.wait_for_selector("#alerts:has-text('1 alert')", timeout=TIMEOUT_MS)  # the header counts it
    assert "entrance · 取号机，首页 kiosk, home screen" in lobby.text(row)
    assert_accessible(lobby, "lobby with a call")
    # Answered on the phone (the API here): the lobby follows on the event stream.
    manager = host.client(host.token(Role.MANAGER))
    manager.post(f"/api/v1/help/{alert['id']}/ack").raise_for_status()
    page.wait_for_selector(f"{row}.acknowledged", timeout=TIMEOUT_MS)
    manager.post(f"/api/v1/help/{alert['id']}/close").raise_for_status()
    page.wait_for_selector(row, state="detached", timeout=TIMEOUT_MS)
    assert "alerting" not in (page.get_attribute("#help-panel", "class") or "")
    page.wait_for_selector("#alerts:has-text('all OK')", timeout=TIMEOUT_MS)
    assert not lobby.real_errors()


def test_the_phone_page_signs_in_only_a_manager_under_the_pages_headers(
        open_screen: Callable[..., Screen], host: HostProcess) -> None:
    with host.client() as client:
        headers = client.get("/lobby/help").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    signin: Screen = open_screen("/lobby/help", *PHONE)
    signin.page.wait_for_selector("#signin", state="visible", timeout=TIMEOUT_MS)
    assert_accessible(signin, "signed out")
    wrong: Screen = open_screen(f"/lobby/help#token={host.token(Role.DISPLAY)}", *PHONE)
    wrong.page.wait_for_selector("#signin-error:has-text('needs a manager token')",
                                 timeout=TIMEOUT_MS)
    assert wrong.page.is_hidden("#dashboard")
    assert_accessible(wrong, "wrong token")
    wrong.page.fill("#token-input", host.token(Role.MANAGER))  # signing in with the right one
    wrong.page.keyboard.press("Enter")
    wrong.wait_online()
    wrong.page.wait_for_selector("#help-list .help-none", timeout=TIMEOUT_MS)
    assert wrong.no_horizontal_overflow()
