"""The region view in Chromium (``/region`` on a region host): every branch's live figures, the
axe checks at a 1080p screen and a phone, and the read-only drill-in to a branch's lobby."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from branchq.host.auth import REGION_WIDE, Role, create_token
from branchq.host.storage import Store
from tests.host.hostproc import HostProcess
from tests.host.test_region import region_process, token, write_branches
from tests.pg import PgServer
from tests.web.axe import VIEWPORTS
from tests.web.screens import Screen, issue
from tests.web.test_accessibility import Audit, axe_audit  # noqa: F401 (the fixture)

OpenScreen = Callable[..., Screen]
CONTROLS = "#dashboard button, #dashboard form, #dashboard input, #dashboard select"


@pytest.fixture(scope="module")
def host(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """A region host serving the example branch as "demo" and as "north" (``open_screen`` opens
    its pages)."""
    tmp = tmp_path_factory.mktemp("region-web")
    url = pg_server.create_database("region_web")
    process = region_process(url, write_branches(tmp / "branches"), tmp / "host.log").start()
    yield process
    process.kill()


@pytest.fixture(scope="module")
def region_manager(host: HostProcess) -> str:
    store = Store(host.db_url, REGION_WIDE)
    try:
        return create_token(store, Role.REGION_MANAGER, "region manager", None)
    finally:
        store.close()


def _figure(screen: Screen, branch: str, figure: str) -> str:
    return screen.text(f'#branches tr[data-branch="{branch}"] [data-figure="{figure}"]')


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_region_view_shows_every_branch_and_passes_axe(
    viewport: str, host: HostProcess, region_manager: str, open_screen: OpenScreen,
    axe_audit: Callable[[str, bool], Audit],  # noqa: F811
) -> None:
    result = axe_audit("region", False)
    signin = open_screen("/region", *VIEWPORTS[viewport])
    signin.page.wait_for_selector("#signin-form", state="visible", timeout=5000)
    result.check(signin.page, "signed out")
    wrong = open_screen(f"/region#token={host.token(Role.MANAGER)}", *VIEWPORTS[viewport])
    wrong.page.wait_for_selector("#signin-error .en", timeout=5000)
    assert "region manager token" in wrong.text("#signin-error")
    result.check(wrong.page, "wrong token")

    before = int(_waiting(open_screen, region_manager, viewport))
    issue(host, "cash")
    issue(host, "noncash")
    with host.client(token(host.db_url, "demo", Role.KIOSK)) as kiosk:
        kiosk.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
            {"device": "printer", "status": "fault", "detail": "paper out"}]})
    region = open_screen(f"/region#token={region_manager}", *VIEWPORTS[viewport])
    page = region.page
    page.wait_for_selector('#branches tr[data-branch="north"]', timeout=10_000)
    assert _figure(region, "demo", "waiting") == str(before + 2)
    assert _figure(region, "demo", "faults") == "1"
    assert _figure(region, "north", "faults") == "0"
    assert _figure(region, "north", "open") == "6 / 6"
    assert page.locator('#branches tr[data-branch="demo"].bad').count() == 1  # marked
    assert region.no_horizontal_overflow()
    result.check(page, "figures")
    with host.client(token(host.db_url, "demo", Role.KIOSK)) as kiosk:
        kiosk.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
            {"device": "printer", "status": "ok"}]})
    assert region.real_errors() == []
    result.assert_clean()


def _waiting(open_screen: OpenScreen, region_manager: str, viewport: str) -> str:
    screen = open_screen(f"/region#token={region_manager}", *VIEWPORTS[viewport])
    screen.page.wait_for_selector('#branches tr[data-branch="demo"]', timeout=10_000)
    return _figure(screen, "demo", "waiting")


def test_the_drill_in_shows_a_branch_lobby_read_only(
    host: HostProcess, region_manager: str, open_screen: OpenScreen,
    axe_audit: Callable[[str, bool], Audit],  # noqa: F811
) -> None:
    waiting = issue(host, "wealth")  # demo's: the drill-in shows north, which has none of it
    region = open_screen(f"/region#token={region_manager}", *VIEWPORTS["phone"])
    page = region.page
    page.click('#branches tr[data-branch="north"] a')
    page.wait_for_url("**/b/north/lobby")
    page.wait_for_selector("#queues tr[data-service]", timeout=10_000)
    page.wait_for_selector("#today [data-figure=served]", timeout=10_000)
    region.wait_online()
    assert page.evaluate("document.body.classList.contains('read-only')")
    shown = page.evaluate(
        "(sel) => [...document.querySelectorAll(sel)].filter((el) => el.getClientRects().length)"
        ".map((el) => el.id || el.tagName)", CONTROLS)
    assert shown == [], "controls shown to the region manager"
    assert str(waiting["number"]) not in region.text("#dashboard")
    result = axe_audit("lobby (region, read-only)", False)
    result.check(page, "read-only")
    assert region.real_errors() == []
    result.assert_clean()


def test_a_status_page_is_served_under_its_own_branch_only(
        host: HostProcess, open_screen: OpenScreen) -> None:
    ticket = issue(host, "cash")  # demo's
    own = open_screen(f"/b/demo/t/{ticket['id']}", *VIEWPORTS["phone"])
    own.page.wait_for_function("(n) => document.querySelector('#number').textContent === n",
                               arg=ticket["number"], timeout=10_000)
    other = open_screen(f"/b/north/t/{ticket['id']}", *VIEWPORTS["phone"])
    other.page.wait_for_function(
        "() => document.querySelector('#state').textContent.includes('No such ticket')",
        timeout=10_000)
    assert other.text("#number") != ticket["number"]
