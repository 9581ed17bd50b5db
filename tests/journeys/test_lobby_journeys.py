"""The lobby manager's morning and a queue that grows (issue 17, parts 4 and 5), in Chromium and
through the simulated kiosk: the morning check turns red for each fault injected into the
kiosk's virtual printer and green again when it clears, the touch screen once touched, a test
slip printed on request; a counter takes a second service with one tap, and the hall, the
counter console, the kiosk and the status page follow, then the undo."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.journeys.surfaces import UI_TIMEOUT_MS, Journey, poll, read

pytestmark = pytest.mark.slow

PRINTER = '#opening li[data-item="printer:entrance"]'
TOUCH = '#opening li[data-item="touch:entrance"]'
SLIP = '#opening li[data-item="test_slip:entrance"]'
#: Each fault the virtual printer can be given (kiosk/preview.py), what the check says of it and
#: the next action it gives (host/opening.py).
PRINTER_FAULTS = [
    ({"paper_out": True}, "out of paper", "Next: load a new paper roll and close the cover"),
    ({"cover_open": True}, "cover open", "Next: close the printer cover"),
    ({"error": True}, "cutter or print head fault", "Next: clear the paper jam"),
    ({"silent": True}, "printer not answering", "Next: check the printer's power and cable"),
    ({"paper_near_end": True}, "paper near its end", "Next: put in a new roll before opening"),
]


def item_text(page: Page, selector: str) -> str:
    return read(page, selector)[0] or ""


def wait_item(page: Page, selector: str, ok: bool, *words: str) -> str:
    """The checklist item in ``selector`` turns green (``ok``) or red, saying ``words``."""
    page.wait_for_selector(f"{selector}.{'ok' if ok else 'bad'}", timeout=UI_TIMEOUT_MS)
    text = poll(lambda: item_text(page, selector), lambda t: all(w in t for w in words))
    assert all(w in text for w in words), (words, text)
    return text


def test_the_morning_check_turns_red_for_each_printer_fault_and_green_when_it_clears(
        journey: Journey) -> None:
    lobby = journey.screens.lobby.page
    lobby.click("#opening-btn")
    lobby.wait_for_selector("#opening-summary:has-text('kept in the work log')", timeout=UI_TIMEOUT_MS)
    # The touch screen: red until someone touches it (a kiosk just started), green after one tap
    # where there is no button (the branch's name in the title bar).
    lobby.wait_for_selector(TOUCH, timeout=UI_TIMEOUT_MS)
    if "bad" in (lobby.get_attribute(TOUCH, "class") or ""):  # nobody has touched it yet
        wait_item(lobby, TOUCH, False, "not touched since the kiosk started", "Next: tap the kiosk")
    journey.kiosk.tap(400, 44)
    wait_item(lobby, TOUCH, True, "a touch was felt")
    for key in ("kiosk:entrance", "printer:entrance", "touch:entrance", "hall_display", "voice",
                "equipment:atm-1", "equipment:atm-2", "notices"):
        wait_item(lobby, f'#opening li[data-item="{key}"]', True, "正常", "OK")
    # The simulated kiosk drives LED signs and caller keypads: each answers.
    items = lobby.eval_on_selector_all("#opening li",
                                       "(els) => els.map((e) => [e.dataset.item, e.className])")
    assert ["ledsign:entrance", "ok"] in items and ["keypad-1:entrance", "ok"] in items, items
    assert "1 connected" in item_text(lobby, '#opening li[data-item="hall_display"]')
    journey.look(journey.screens.lobby, "lobby", "morning-check")

    for fault, words, action in PRINTER_FAULTS:
        journey.kiosk.sim("printer", fault)
        text = wait_item(lobby, PRINTER, False, words, action)
        assert "异常" in text and "下一步" in text, text  # in Chinese too
        if fault == {"paper_out": True}:
            journey.look(journey.screens.lobby, "lobby", "morning-check-red")
        journey.kiosk.sim("printer", {})
        wait_item(lobby, PRINTER, True, "paper loaded, cover closed")

    # A test slip on request: none with the paper out, one on the virtual printer once loaded.
    journey.kiosk.sim("printer", {"paper_out": True})
    wait_item(lobby, PRINTER, False, "out of paper")
    lobby.click(f'{PRINTER} button[data-action="test-slip"]')
    wait_item(lobby, SLIP, False, "not printed: out of paper", "Next: load a new paper roll")
    journey.kiosk.sim("printer", {})
    journey.kiosk.sim("paper/tear")
    wait_item(lobby, PRINTER, True, "paper loaded, cover closed")
    lobby.click(f'{PRINTER} button[data-action="test-slip"]')
    wait_item(lobby, SLIP, True, "printed: check its Chinese and its QR code are clear")
    paper = journey.kiosk.wait_for(lambda s: "Test ticket - not valid for service" in s["paper"], 10,
                                   "no test slip on the kiosk's paper")["paper"]
    assert "T000" in paper, paper
    journey.snap_kiosk("test-slip", paper=True)
    journey.kiosk.sim("paper/tear")

    journey.set_atm("atm-2", "out_of_service")
    wait_item(lobby, '#opening li[data-item="equipment:atm-2"]', False, "out of service",
              "Back in service")
    journey.set_atm("atm-2", "in_service")
    wait_item(lobby, '#opening li[data-item="equipment:atm-2"]', True, "in service")

    lobby.click("#opening-btn")  # the manager logs the check once all is fixed
    lobby.wait_for_selector("#opening-summary:has-text('kept in the work log')", timeout=UI_TIMEOUT_MS)
    red = [k for k, c in lobby.eval_on_selector_all(
        "#opening li", "(els) => els.map((e) => [e.dataset.item, e.className])") if c == "bad"]
    # This machine may have no nightly backup in /var/backups/branchq: the only item left red.
    assert set(red) <= {"backup"}, (red, item_text(lobby, "#opening-summary"))


def _counter(journey: Journey, n: int) -> dict[str, Any]:
    counter: dict[str, Any] = next(c for c in journey.manager.get("/api/v1/counters").json()
                                   if c["number"] == n)
    return counter


def test_an_idle_counter_takes_the_growing_cash_queue_for_an_hour_and_gives_it_back(
        journey: Journey) -> None:
    lobby = journey.screens.lobby.page
    first = journey.tap_for_ticket(["service:cash"], "zh")
    journey.done_at_kiosk()
    for _ in range(13):  # a pension-day rush: more than the cash counters keep under 3 minutes
        assert journey.manager.post("/api/v1/tickets", json={"service": "cash"}).status_code == 201
    offer = 'tr[data-advice="cash"] button[data-focus-key="move:take:6:cash"]'
    lobby.wait_for_selector(offer, timeout=UI_TIMEOUT_MS)
    assert "Cash deposit / withdrawal: the queue needs another counter" in item_text(
        lobby, 'tr[data-advice="cash"]')
    journey.look(journey.screens.lobby, "lobby", "move-offered")
    before = journey.queue("cash")["wait"]
    try:
        lobby.click(offer)
        lobby.wait_for_selector('#moves tr[data-second="6"]', timeout=UI_TIMEOUT_MS)
        assert "Counter 6 also takes Cash deposit / withdrawal until" in item_text(
            lobby, '#moves tr[data-second="6"]')
        assert _counter(journey, 6)["second_service"]["service"] == "cash"
        # The advice is met: no more offer for cash.
        lobby.wait_for_selector('tr[data-advice="cash"]', state="detached", timeout=UI_TIMEOUT_MS)
        journey.look(journey.screens.lobby, "lobby", "moved")

        hall = journey.screens.hall.page
        hall.wait_for_selector('#queues li[data-service="cash"] .q-also', timeout=UI_TIMEOUT_MS)
        also = item_text(hall, '#queues li[data-service="cash"] .q-also')
        assert also == "也在 6 号窗口办理 also at counter 6", also
        journey.look(journey.screens.hall, "hall", "moved")
        # Every surface words the cash queue's new wait as the host does, the console of counter
        # 6 among them: it now shows the cash queue beside its own.
        after = journey.queue("cash")["wait"]
        journey.expect_waiting(first.ticket, state="moved", counter=6)
        want = "".join(after["text_zh"].split())
        home = journey.kiosk.wait_for(
            lambda s: s["screen"] == "home" and want in "".join("".join(s["texts"]).split()), 10,
            f"the kiosk's cash button does not say {after['text_zh']!r} (was {before['text_zh']!r})")
        assert home["screen"] == "home"
        journey.snap_kiosk("moved")

        # Counter 6 calls from the cash queue once its own (wealth) is empty.
        journey.screens.console(6).page.click("#btn-next")
        journey.expect_called(first.ticket, 6, state="moved-called")
        journey.screens.console(6).page.click("#btn-done")

        undo = '#moves tr[data-second="6"] button'
        lobby.click(undo)
        lobby.wait_for_selector('#moves tr[data-second="6"]', state="detached", timeout=UI_TIMEOUT_MS)
        hall.wait_for_selector('#queues li[data-service="cash"] .q-also', state="detached",
                               timeout=UI_TIMEOUT_MS)
        console = journey.screens.console(6).page
        console.wait_for_selector('#queues li[data-service="cash"]', state="detached",
                                  timeout=UI_TIMEOUT_MS)
        assert _counter(journey, 6)["services"] == ["wealth"]
    finally:
        if _counter(journey, 6)["second_service"] is not None:  # the next journey starts as configured
            journey.manager.delete("/api/v1/counters/6/second-service")
