"""The staff's side of the same tickets: a teller at the counter console, the lobby manager at
the dashboard, a technician at a kiosk out of paper (issue 12, item 1). Each step is checked
where the customer sees it too: kiosk, paper, hall, status page, LED signs."""

from __future__ import annotations

import pytest

from tests.journeys.surfaces import UI_TIMEOUT_MS, Journey, poll, read

pytestmark = pytest.mark.slow


def says(journey: Journey, counter: int, text: str) -> None:
    """The console's message line after an action."""
    console = journey.screens.console(counter).page
    console.wait_for_function("(t) => document.querySelector('#message').innerText.includes(t)",
                              arg=text, timeout=UI_TIMEOUT_MS)


def test_a_teller_calls_recalls_marks_a_no_show_transfers_and_pauses(journey: Journey) -> None:
    first = journey.tap_for_ticket(["service:noncash"], "zh")
    journey.expect_waiting(first.ticket, first, counter=3)
    journey.done_at_kiosk()
    second = journey.tap_for_ticket(["service:noncash"], "zh")
    journey.done_at_kiosk()
    number = first.ticket["number"]
    console = journey.screens.console(3)
    page = console.page

    page.click("#btn-next")
    says(journey, 3, f"Called {number}")
    journey.expect_called(first.ticket, 3)

    page.click("#btn-recall")
    says(journey, 3, f"Recalled {number}")
    assert journey.fresh(first.ticket)["recalls"] == 1
    page.wait_for_function("() => document.querySelector('#serving-meta').innerText"
                           ".includes('recalled 1×')", timeout=UI_TIMEOUT_MS)
    status = journey.screens.status_of(first.ticket).page
    status.wait_for_function("() => window.branchqStatus.beeps >= 2", timeout=UI_TIMEOUT_MS)  # said again
    journey.expect_called(first.ticket, 3, state="recalled")

    page.click("#btn-noshow")
    says(journey, 3, f"{number} marked no-show")
    status.wait_for_selector("#state[data-status=no_show]", timeout=UI_TIMEOUT_MS)
    assert "You missed your call: please see the lobby manager." in status.inner_text("#state")
    journey.look(journey.screens.status, "status", "no-show")
    lobby = journey.screens.lobby.page
    row = f'#noshows tr[data-ticket="{number}"]'
    lobby.wait_for_selector(row, timeout=UI_TIMEOUT_MS)
    journey.look(journey.screens.lobby, "lobby", "no-show")
    journey.look(console, "counter", "no-show")

    # The customer comes back: the lobby manager reinstates them at the front of their queue.
    lobby.click(f"{row} button")
    lobby.wait_for_selector(row, state="detached", timeout=UI_TIMEOUT_MS)
    seen = journey.expect_waiting(first.ticket, state="reinstated", counter=3)
    assert {s.ahead for s in seen} == {0}  # ahead of the customer who never left
    page.click("#btn-next")
    journey.expect_called(first.ticket, 3, state="called again")

    # Wrong counter: the teller sends the customer to the cash queue, same number, at its front.
    page.click("#btn-transfer")
    page.click('#transfer-choices button[data-service="cash"]')
    says(journey, 3, f"{number} sent to Cash deposit / withdrawal")
    moved = journey.fresh(first.ticket)
    assert (moved["service"], moved["number"], moved["status"]) == ("cash", number, "waiting")
    journey.expect_waiting(moved, state="transferred", counter=1)
    journey.kiosk.sim("keypad", {"unit": 1, "key": "call_next"})
    journey.expect_called(moved, 1)

    # A break: counter 3 stops calling; the queue's wait is re-worded for the counters left.
    page.click("#btn-pause")
    says(journey, 3, "Paused")
    page.wait_for_selector("#paused:not([hidden])", timeout=UI_TIMEOUT_MS)
    lobby.wait_for_function("() => document.querySelector('#counters tr[data-counter=\"3\"]')"
                            ".innerText.includes('paused')", timeout=UI_TIMEOUT_MS)
    journey.look(console, "counter", "paused")
    journey.look(journey.screens.lobby, "lobby", "paused")
    journey.expect_waiting(second.ticket, state="paused", counter=3)
    page.click("#btn-pause")
    says(journey, 3, "Resumed")
    page.wait_for_selector("#paused[hidden]", state="attached", timeout=UI_TIMEOUT_MS)
    page.click("#btn-next")
    journey.expect_called(second.ticket, 3)


def test_a_manager_marks_an_atm_out_and_posts_a_notice(journey: Journey) -> None:
    lobby, hall = journey.screens.lobby, journey.screens.hall
    row = '#devices tr[data-equipment="atm-1"]'
    lobby.page.click(f"{row} button[data-action=toggle]")
    lobby.page.wait_for_selector(f"{row}.bad", timeout=UI_TIMEOUT_MS)
    assert "OUT OF SERVICE" in lobby.text(row)
    hall.page.wait_for_function("() => document.querySelector('#ticker').innerText"
                                ".includes('ATM 1 out of service')", timeout=UI_TIMEOUT_MS)
    journey.look(lobby, "lobby", "atm out")

    lobby.page.fill("#notice-zh", "2 号自动柜员机维修中，请使用 1 号")
    lobby.page.fill("#notice-en", "ATM 2 is being repaired: please use ATM 1")
    lobby.page.click("#notice-btn")
    lobby.page.wait_for_function("() => document.querySelector('#notices').innerText"
                                 ".includes('ATM 2 is being repaired')", timeout=UI_TIMEOUT_MS)
    hall.page.wait_for_function("() => document.querySelector('#ticker').innerText"
                                ".includes('ATM 2 is being repaired: please use ATM 1')",
                                timeout=UI_TIMEOUT_MS)
    journey.look(hall, "hall", "notice")
    journey.look(lobby, "lobby", "notice")
    # The kiosk shows the notice to the next customer, in the language they read.
    journey.kiosk_home("en")
    journey.kiosk.wait_for(lambda s: "ATM 2 is being repaired: please use ATM 1" in
                           " ".join(s["texts"]), 10, "the kiosk did not show the notice")
    journey.snap_kiosk("notice")
    # One ATM still works: the self-service button still sends the customer to the ATMs.
    journey.take_slip("en")
    taken = journey.tap_for_ticket(["service:cash"], "en")
    journey.expect_waiting(taken.ticket, taken, state="notice")
    assert journey.tickets() == [journey.fresh(taken.ticket)]


def test_a_technician_finds_paper_out_and_recovers_the_kiosk(journey: Journey) -> None:
    last = journey.tap_for_ticket(["service:cash"], "zh")
    journey.done_at_kiosk()
    kiosk, lobby = journey.kiosk, journey.screens.lobby
    kiosk.sim("paper/tear")
    kiosk.sim("printer", {"paper_out": True})
    kiosk.tap_button("service:cash")
    state = kiosk.wait_for(lambda s: s["screen"] == "out_of_service", 10, "no out-of-service")
    journey.snap_kiosk("paper-out", paper=True)
    text = " ".join(state["texts"])
    assert "打印纸用完了" in text and "P01" in text, text
    assert state["paper"] == [] and len(journey.tickets()) == 1  # no number taken for nobody
    printer = '#devices tr[data-device="printer"]'
    lobby.page.wait_for_selector(f"{printer}.bad", timeout=UI_TIMEOUT_MS)
    assert poll(lambda: read(lobby.page, "#alerts")[0] or "", lambda a: "1 alert" in a) \
        .endswith("1 alert")
    journey.look(lobby, "lobby", "paper out")

    kiosk.sim("printer", {})  # the technician loads a roll
    kiosk.wait_for(lambda s: s["screen"] == "home", 15, "kiosk did not come back by itself")
    lobby.page.wait_for_selector(f"{printer}:not(.bad)", timeout=UI_TIMEOUT_MS)
    journey.look(lobby, "lobby", "paper back")
    after = journey.tap_for_ticket(["service:cash"], "zh")
    label = last.ticket["number"]
    assert after.ticket["number"] == f"{label[0]}{int(label[1:]) + 1:03d}"  # no number lost
    journey.expect_waiting(after.ticket, after, state="paper back")
