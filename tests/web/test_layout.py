"""The screens at phone, tablet and 1080p sizes: no sideways scrolling, key elements visible.
Screenshots of each page at each size are written to docs/screenshots/ (see docs/web.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host.auth import Role
from tests.host.hostproc import HostProcess
from tests.web.screens import SIZES, Screen, call_next, issue

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
KEY_ELEMENTS = {
    "hall": ["#current-number", "#current-zh", "#recent", "#queues"],
    "counter": ["#serving-number", "#btn-next", "#btn-recall", "#btn-done", "#queues"],
    "lobby": ["#queues", "#counters", "#devices", "#issue-btn"],
    "status": ["#number", "#state"],
}

# A steady picture: the arrival blink over, the notice ticker stopped where its text shows.
STEADY = """() => document.getAnimations().forEach((a) => {
  if (a.effect.getComputedTiming().endTime === Infinity) { a.pause(); a.currentTime = 6000; }
  else a.finish();
})"""


@pytest.fixture(scope="module")
def busy_branch(host: HostProcess) -> Iterator[dict[str, str]]:
    """A branch mid-morning: people waiting, a few called, a notice, an ATM and a printer down."""
    for service, priority in [("cash", "normal"), ("cash", "green"), ("noncash", "normal"),
                              ("cash", "normal"), ("noncash", "normal"), ("wealth", "normal"),
                              ("vip", "vip"), ("cash", "normal"), ("noncash", "normal")]:
        issue(host, service, priority)
    mine = issue(host, "cash")
    for counter in (1, 3, 5, 2):
        call_next(host, counter)
    with host.client(host.token(Role.MANAGER)) as client:
        client.post("/api/v1/notices", json={"text_zh": "今天是养老金发放日，请耐心等候",
                                             "text_en": "Pension day today: thank you for your patience"})
        client.put("/api/v1/equipment/atm-2", json={"status": "out_of_service", "note": "维修 repair"})
        client.post("/api/v1/counters/6/pause")
    with host.client(host.token(Role.KIOSK)) as kiosk:
        kiosk.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
            {"device": "printer", "status": "warning", "detail": "paper near end"},
            {"device": "touch", "status": "ok"}, {"device": "ledsign", "status": "ok"}]})
    yield {
        "hall": f"/hall#token={host.token(Role.DISPLAY)}",
        "counter": f"/counter#token={host.token(Role.TELLER, 1)}&counter=1",
        "lobby": f"/lobby#token={host.token(Role.MANAGER)}",
        "status": f"/t/{mine['id']}",
    }


@pytest.mark.parametrize("size", list(SIZES))
def test_every_screen_fits_phone_tablet_and_1080p(
    size: str, busy_branch: dict[str, str], open_screen: Callable[..., Screen]
) -> None:
    width, height = SIZES[size]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in busy_branch.items():
        screen = open_screen(path, width, height)
        page = screen.page
        if name == "status":
            page.wait_for_selector("#state[data-status=waiting]", timeout=3000)
        else:
            screen.wait_online()
            page.wait_for_function("() => document.querySelectorAll('#queues li, #queues tr').length > 0",
                                   timeout=3000)
        assert screen.no_horizontal_overflow(), f"{name} scrolls sideways at {size}"
        for selector in KEY_ELEMENTS[name]:
            assert page.locator(selector).first.is_visible(), f"{name} {selector} at {size}"
        page.evaluate(STEADY)
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=name in ("counter", "lobby"))
        assert screen.real_errors() == [], name


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
