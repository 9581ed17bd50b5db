"""The screens at phone, tablet and 1080p sizes: no sideways scrolling, key elements visible.
(docs/screenshots/ is written by `make screenshots` only, see docs/web.md.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.web.screens import SIZES, STEADY, Screen, busy_branch, issue, wait_loaded

KEY_ELEMENTS = {
    "hall": ["#current-number", "#current-zh", "#recent", "#queues"],
    "counter": ["#serving-number", "#btn-next", "#btn-recall", "#btn-done", "#queues"],
    "lobby": ["#queues", "#counters", "#devices", "#issue-btn", "#today", "#day-chart svg"],
    "status": ["#number", "#state"],
}


@pytest.fixture(scope="module")
def branch_pages(host: HostProcess) -> dict[str, str]:
    return busy_branch(host)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_screen_fits_phone_tablet_and_1080p(
    size: str, branch_pages: dict[str, str], open_screen: Callable[..., Screen], tmp_path: Path
) -> None:
    """Screenshots go to a temporary folder: `make screenshots` alone writes docs/screenshots/."""
    width, height = SIZES[size]
    for name, path in branch_pages.items():
        screen = open_screen(path, width, height)
        page = screen.page
        wait_loaded(screen, name)
        assert screen.no_horizontal_overflow(), f"{name} scrolls sideways at {size}"
        for selector in KEY_ELEMENTS[name]:
            assert page.locator(selector).first.is_visible(), f"{name} {selector} at {size}"
        page.evaluate(STEADY)
        shot = tmp_path / f"{name}-{size}.png"
        page.screenshot(path=str(shot), full_page=name in ("counter", "lobby"))
        assert shot.stat().st_size > 10_000  # a picture of the page, not a blank
        assert screen.real_errors() == [], name


# Every control of a page: its box on the page, whether it lies fully in the viewport, and
# whether the element at its centre is the control itself (nothing drawn over it).
CONTROLS = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.offsetParent !== null)
  .map((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return { id: el.id || el.textContent.trim(), x: r.x + scrollX, y: r.y + scrollY,
             sx: scrollX, sy: scrollY, w: r.width, h: r.height,
             inside: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
             clear: hit !== null && el.contains(hit) };
  })"""


def _boxes(screen: Screen, selector: str) -> dict[str, tuple[float, float, float, float]]:
    return {c["id"]: (c["x"], c["y"], c["w"], c["h"]) for c in screen.page.evaluate(CONTROLS, selector)}


def _on_screen(screen: Screen, selector: str) -> dict[str, tuple[float, float, float, float]]:
    """Where the controls are in the viewport: what a finger about to tap them meets."""
    return {c["id"]: (c["x"] - c["sx"], c["y"] - c["sy"], c["w"], c["h"])
            for c in screen.page.evaluate(CONTROLS, selector)}


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("size", list(SIZES))
def test_console_controls_stay_on_screen_and_in_place_through_a_day(
    size: str, host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    """Before and after a call, a recall, a rating and a pause: every button lies fully in the
    viewport, nothing covers it, no two overlap, and none has moved."""
    width, height = SIZES[size]
    issue(host, "noncash")
    issue(host, "noncash")
    console = open_screen(f"/counter#token={host.token(Role.TELLER, 4)}&counter=4", width, height)
    console.wait_online()
    page = console.page
    buttons = "header button, .actions button"
    before = _boxes(console, buttons)
    assert len(before) == 8, before  # seven actions and "sign out"

    page.click("#btn-next")
    page.wait_for_selector("#message.info", timeout=2000)
    page.click("#btn-recall")
    page.wait_for_function("() => document.querySelector('#serving-meta').textContent.includes('recalled')",
                           timeout=2000)
    page.click("#btn-done")
    with host.client(host.token(Role.TELLER, 4)) as keypad:
        assert keypad.post("/api/v1/counters/4/rating", json={"score": 2}).status_code == 200
    page.wait_for_selector("#rating.r2", timeout=2000)
    page.click("#btn-next")
    page.wait_for_function(
        "() => document.querySelector('#serving-meta').textContent.includes('serving for')", timeout=2000)
    page.click("#btn-pause")
    page.wait_for_selector("#paused", state="visible", timeout=2000)

    controls = page.evaluate(CONTROLS, buttons)
    for c in controls:
        assert c["inside"], f"{c['id']} not fully on screen at {size}: {c}"
        assert c["clear"], f"{c['id']} covered at {size}"
    after = _boxes(console, buttons)
    assert after == before, f"controls moved at {size}"
    boxes = list(after.values())
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    page.click("#btn-pause")  # resume and finish: the next test starts with an idle counter
    page.wait_for_selector("#paused", state="hidden", timeout=2000)
    page.click("#btn-done")
    page.wait_for_function("() => document.querySelector('#serving-number').textContent === '—'",
                           timeout=2000)
    assert console.real_errors() == []


@pytest.mark.parametrize("size", list(SIZES))
def test_lobby_controls_stay_in_place_after_an_action(
    size: str, host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    """A message, a ticket issued for a customer, a notice posted: no control of the dashboard
    moves under the finger or is covered. On a phone the page scrolls, and what the action
    changes may lie above the form (the ticket's queue row grows by its wait's words): the
    form must stay where it is on the screen, as the manager sees it."""
    width, height = SIZES[size]
    lobby = open_screen(f"/lobby#token={host.token(Role.MANAGER)}", width, height)
    lobby.wait_online()
    page = lobby.page
    page.wait_for_selector("#today .figure", timeout=3000)
    issue_controls = "#issue-form button, #issue-form select"
    notice_controls = "#notice-form button, #notice-form input"
    page.locator("#issue-form").scroll_into_view_if_needed()
    before = _on_screen(lobby, issue_controls)
    page.select_option("#issue-service", "noncash")
    page.click("#issue-btn")
    page.wait_for_selector("#issued .wait-text", timeout=2000)
    page.wait_for_function("() => document.querySelector('#queues [data-service=noncash] .wait-text')"
                           "?.textContent.includes('1')", timeout=3000)  # the queue row updated
    assert _on_screen(lobby, issue_controls) == before, f"issue form moved at {size}"
    page.locator("#notice-form").scroll_into_view_if_needed()
    before = _on_screen(lobby, notice_controls)
    page.fill("#notice-zh", "测试")
    page.fill("#notice-en", "Test")
    page.click("#notice-btn")
    page.wait_for_selector("#message.info", timeout=2000)
    assert _on_screen(lobby, notice_controls) == before, f"notice form moved at {size}"
    controls = f"{issue_controls}, {notice_controls}"
    for selector in _boxes(lobby, controls):
        page.locator(f"#{selector}").scroll_into_view_if_needed()
        assert next(c for c in page.evaluate(CONTROLS, controls) if c["id"] == selector)["clear"]
    assert lobby.real_errors() == []


def test_pages_send_security_headers_but_the_api_keeps_its_own(host: HostProcess) -> None:
    with host.client() as client:
        for path in ("/hall", "/counter", "/lobby", "/t/abcdefgh12345", "/static/hall.js",
                     "/static/style.css"):
            response = client.get(path)
            assert response.status_code == 200, path
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "default-src 'none'" in csp
            assert f"connect-src 'self' ws://127.0.0.1:{host.port}" in csp
            assert "frame-ancestors 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["x-frame-options"] == "DENY"
        assert client.get("/static/hall.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/t/bad%20id").status_code == 422
        assert client.get("/static/../app.py").status_code == 404
        assert "content-security-policy" not in client.get("/healthz").headers
