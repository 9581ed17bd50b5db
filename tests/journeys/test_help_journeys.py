"""A customer calls for help at the kiosk (issue 17, part 3), in the branch the journeys run: the
real kiosk process, the real host, the lobby dashboard and the manager's phone in Chromium.

A senior on the green channel taps "需要帮助 / I need help"; the lobby dashboard and the phone
page show which kiosk, which screen and when; the manager acknowledges on the phone and the kiosk
says "工作人员马上到 / Staff are on their way". Then the acceptance figure: 50 presses, each timed
from the tap on the kiosk's touch panel to the alert on the lobby page in Chromium; p99 < 1 s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from branchq.host.auth import Role
from branchq.kiosk import messages
from tests.journeys.surfaces import UI_TIMEOUT_MS, Journey
from tests.web.screens import Screen

pytestmark = pytest.mark.slow

KIOSK = "entrance"
PRESSES = 50


@pytest.fixture
def phone(browser: Browser, journey: Journey) -> Iterator[Screen]:
    """The lobby manager's phone on its help page, 360x640."""
    context = browser.new_context(viewport={"width": 360, "height": 640})
    screen = Screen(context.new_page(), journey.host.base)
    screen.page.goto(f"{journey.host.base}/lobby/help#token={journey.host.token(Role.MANAGER)}")
    screen.wait_online()
    yield screen
    assert not screen.real_errors()
    context.close()


def help_key(state: dict[str, Any]) -> tuple[int, int]:
    x0, y0, x1, y1 = next(b["box"] for b in state["buttons"] if b["key"] == "help")
    return (x0 + x1) // 2, (y0 + y1) // 2


def test_a_senior_calls_for_help_and_the_manager_on_the_way_is_shown_at_the_kiosk(
        journey: Journey, phone: Screen) -> None:
    kiosk, lobby = journey.kiosk, journey.screens.lobby
    journey.tap(journey.kiosk_home("zh"), "green")
    green = kiosk.wait_for(lambda s: s["screen"] == "green_confirm", 10, "no green channel")
    journey.tap(green, "help")
    told = kiosk.wait_for(lambda s: s["screen"] == "help" and (s["help"] or {}).get("state")
                          == "told", 10, "the call was not taken")
    assert messages.HELP_TOLD[0] in told["texts"]
    journey.snap_kiosk("help-told-zh")
    alert_id = told["help"]["alert_id"]
    row = f'#help-list li[data-help="{alert_id}"]'
    for screen in (lobby, phone):
        screen.page.wait_for_selector(f"{row}.open", timeout=UI_TIMEOUT_MS)
        text = " ".join(screen.text(row).split())
        assert KIOSK in text and "绿色通道" in text and "green channel" in text, text
    journey.look(lobby, "lobby", "call for help")
    journey.look(phone, "lobby-help", "call for help")

    phone.page.click(f'{row} button[data-action="ack"]')  # the manager, already walking over
    coming = kiosk.wait_for(lambda s: messages.HELP_COMING[0] in s["texts"], 10,
                            "the kiosk did not say staff are on their way")
    assert coming["screen"] == "help" and coming["help"]["state"] == "acknowledged"
    journey.snap_kiosk("help-coming-zh")
    lobby.page.wait_for_selector(f"{row}.acknowledged", timeout=UI_TIMEOUT_MS)  # both follow
    journey.look(phone, "lobby-help", "acknowledged")

    phone.page.click(f'{row} button[data-action="close"]')  # helped
    kiosk.wait_for(lambda s: s["screen"] == "home" and s["help"] is None, 10, "not home again")
    lobby.page.wait_for_selector(row, state="detached", timeout=UI_TIMEOUT_MS)


def test_a_help_press_reaches_the_lobby_page_within_1_s_p99_over_50_presses(
        journey: Journey, record_property: Any) -> None:
    kiosk, lobby = journey.kiosk, journey.screens.lobby
    page = lobby.page
    latencies: list[float] = []
    home = journey.kiosk_home("zh")
    x, y = help_key(home)
    for _ in range(PRESSES):
        kiosk.wait_for(lambda s: s["screen"] == "home" and s["help"] is None, 10, "not home")
        start = time.monotonic()
        kiosk.tap(x, y)  # through the virtual touch panel and the kiosk's touch driver
        page.wait_for_selector(f'#help-list li.open[data-kiosk="{KIOSK}"]', timeout=UI_TIMEOUT_MS)
        latencies.append(time.monotonic() - start)
        alert_id = page.get_attribute(f'#help-list li[data-kiosk="{KIOSK}"]', "data-help")
        journey.manager.post(f"/api/v1/help/{alert_id}/close").raise_for_status()
        page.wait_for_selector(f'#help-list li[data-kiosk="{KIOSK}"]', state="detached",
                               timeout=UI_TIMEOUT_MS)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    p50, p99 = statistics.median(latencies), cuts[98]
    # The acceptance figure, printed as the issue asks (shown with pytest -s) and recorded.
    print(f"help press -> lobby page over {PRESSES} presses: p50 {p50 * 1000:.0f} ms, "  # noqa: T201
          f"p99 {p99 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    record_property("help_latency_ms", {"p50": round(p50 * 1000), "p99": round(p99 * 1000)})
    assert p99 < 1.0, sorted(latencies)
