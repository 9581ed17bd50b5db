"""The screens at phone, tablet and 1080p sizes: no sideways scrolling, key elements visible.
(docs/screenshots/ is written by `make screenshots` only, see docs/web.md.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.host.hostproc import HostProcess
from tests.web.screens import SIZES, STEADY, Screen, busy_branch, wait_loaded

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
