"""Each screen loads cleanly, reacts to a call within a second, and enforces its role."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.web.screens import Screen, call_next, issue, wait_until


def _shows(screen: Screen, selector: str, text: str, timeout_ms: float = 1000) -> None:
    screen.page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
        arg=[selector, text], timeout=timeout_ms)


# ------------------------------------------------------------------------------------- hall
def test_hall_shows_a_call_within_a_second_and_keeps_the_token_out_of_urls(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    token = host.token(Role.DISPLAY)
    hall = open_screen(f"/hall#token={token}")
    urls: list[str] = []
    hall.page.on("request", lambda r: urls.append(r.url))
    hall.wait_online()
    assert "#" not in hall.page.url
    assert hall.page.evaluate("localStorage.getItem('branchq.display')") == token
    hall.page.evaluate("window.branchqVoice.rate = 4")

    number = issue(host)["number"]
    response = call_next(host, 2)
    assert response.status_code == 200
    _shows(hall, "#current-number", str(number))
    assert "请到 2 号窗口" in hall.text("#current-zh") and "to counter 2" in hall.text("#current-en")
    assert hall.page.locator("#current.fresh").count() == 1
    assert str(number) in hall.text("#recent")
    wait_until(lambda: any(p["number"] == number for p in hall.page.evaluate("window.branchqVoice.played")),
               timeout=10)
    assert all(token not in url for url in urls)
    assert hall.real_errors() == []


def test_hall_ticker_shows_notices_and_atms_out_of_service(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    hall = open_screen(f"/hall#token={host.token(Role.DISPLAY)}")
    hall.wait_online()
    with host.client(host.token(Role.MANAGER)) as client:
        notice = client.post("/api/v1/notices", json={"text_zh": "今日养老金发放", "text_en": "Pension day"})
        client.put("/api/v1/equipment/atm-2", json={"status": "out_of_service", "note": "repair 14:00"})
        _shows(hall, "#ticker", "Pension day")
        _shows(hall, "#ticker", "ATM 2 out of service (repair 14:00)")
        client.delete(f"/api/v1/notices/{notice.json()['id']}")
        client.put("/api/v1/equipment/atm-2", json={"status": "in_service"})
    hall.page.wait_for_function("() => !document.querySelector('#ticker').textContent.includes('Pension')",
                                timeout=1000)
    assert hall.real_errors() == []


def test_hall_without_a_token_says_how_to_set_it_up(open_screen: Callable[..., Screen]) -> None:
    hall = open_screen("/hall")
    hall.page.wait_for_selector("#setup", state="visible", timeout=2000)
    assert "display token" in hall.text("#setup")


# ---------------------------------------------------------------------------------- counter
def _counter(host: HostProcess, open_screen: Callable[..., Screen], counter: int,
             token_counter: int | None = None) -> Screen:
    screen = open_screen("/counter", 1024, 768)
    screen.page.fill("#token-input", host.token(Role.TELLER, token_counter or counter))
    screen.page.fill("#counter-input", str(counter))
    screen.page.click("#signin-btn")
    screen.wait_online()
    return screen


def test_counter_console_serves_a_day_with_keys_and_buttons(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    console = _counter(host, open_screen, 3)
    page = console.page
    assert "Counter 3" in console.text("#title")
    first, second, third = (issue(host, "noncash")["number"] for _ in range(3))
    _shows(console, "#queues", "3")  # three waiting for its service

    page.keyboard.press("n")
    _shows(console, "#serving-number", str(first))
    page.keyboard.press("r")
    _shows(console, "#serving-meta", "recalled 1")

    page.keyboard.press("t")  # transfer to the cash service
    page.click("#transfer-choices button[data-service=cash]")
    _shows(console, "#message", f"{first} sent to Cash")
    _shows(console, "#serving-number", "—")

    page.keyboard.press("c")  # a customer who came back: call the third by number
    page.fill("#call-number", str(third).lower())
    page.click("#call-go")
    _shows(console, "#serving-number", str(third))
    page.keyboard.press("d")
    _shows(console, "#message", f"{third} done")
    with host.client(host.token(Role.TELLER, 3)) as client:  # the customer's rating keypad
        assert client.post("/api/v1/counters/3/rating", json={"score": 3}).status_code == 200
    _shows(console, "#rating", f"{third} rated: Satisfied")

    page.keyboard.press("p")
    page.wait_for_selector("#paused", state="visible", timeout=1000)
    page.click("#btn-pause")
    page.wait_for_selector("#paused", state="hidden", timeout=1000)
    page.evaluate("document.activeElement.blur()")  # keys act only while no control has focus

    with host.client(host.token(Role.MANAGER)) as client:  # a call made elsewhere (manager)
        t0 = time.monotonic()
        assert client.post("/api/v1/counters/3/call-next").json()["ticket"]["number"] == second
    _shows(console, "#serving-number", str(second))
    assert time.monotonic() - t0 < 1.5
    page.keyboard.press("s")
    _shows(console, "#message", f"{second} marked no-show")
    assert console.real_errors() == []


def test_a_teller_console_cannot_act_for_another_counter(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    issue(host, "cash")
    console = _counter(host, open_screen, 2, token_counter=1)
    console.page.click("#btn-next")
    _shows(console, "#message", "may not act for counter 2")
    assert "Not allowed" in console.text("#message")
    assert console.page.locator("#message.error").count() == 1


# ------------------------------------------------------------------------------------ lobby
def test_lobby_dashboard_shows_everything_and_acts_for_the_manager(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    manager = host.token(Role.MANAGER)
    lobby = open_screen(f"/lobby#token={manager}", 1024, 768)
    page = lobby.page
    lobby.wait_online()
    assert page.locator("#counters tr").count() == 6
    assert page.locator("#queues tr").count() == 4

    page.select_option("#issue-service", "wealth")
    page.check("input[name=priority][value=green]")
    page.click("#issue-btn")
    page.wait_for_selector("#issued .num", timeout=2000)
    number = lobby.text("#issued .num")
    assert number.startswith("C")
    with httpx.Client(base_url=host.base) as anon:  # the status link works without login
        href = page.get_attribute("#issued a", "href")
        assert href and anon.get(href).status_code == 200

    assert call_next(host, 6).status_code == 200  # a call made at the counter
    _shows(lobby, "#counters tr[data-counter='6']", number)

    with host.client(manager) as client:  # the customer did not come: no-show, then back
        client.post("/api/v1/counters/6/no-show")
        _shows(lobby, "#noshows", number)
        page.click(f"#noshows tr[data-ticket='{number}'] button")
        _shows(lobby, "#message", f"{number} reinstated")
        waiting = client.get("/api/v1/tickets", params={"status": "waiting"}).json()
        assert number in [t["number"] for t in waiting]

        page.click("#devices tr[data-equipment='atm-1'] button")
        page.wait_for_selector("#devices tr.bad[data-equipment='atm-1']", timeout=2000)
        assert client.get("/api/v1/equipment").json()[0]["status"] == "out_of_service"
        page.click("#devices tr[data-equipment='atm-1'] button")
        page.wait_for_selector("#devices tr.bad[data-equipment='atm-1']", state="detached", timeout=2000)

    page.fill("#notice-zh", "网点今日 16:00 结束营业")
    page.fill("#notice-en", "Closing at 16:00 today")
    page.click("#notice-btn")
    _shows(lobby, "#notices", "Closing at 16:00 today")
    page.click("#notices button")
    page.wait_for_function("() => !document.querySelector('#notices').textContent.includes('16:00')",
                           timeout=2000)

    with host.client(host.token(Role.KIOSK)) as kiosk:  # the kiosk printer runs out of paper
        kiosk.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
            {"device": "printer", "status": "fault", "detail": "paper out"}]})
    _shows(lobby, "#devices tr.bad", "paper out")
    _shows(lobby, "#devices tr.bad", "打印纸用完")  # the kiosk's detail in both languages
    _shows(lobby, "#alerts", "1 项异常")
    assert lobby.text("#alerts").split() == ["1", "项异常", "1", "alert"]
    assert lobby.real_errors() == []


def test_lobby_dashboard_needs_a_manager_token(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    lobby = open_screen(f"/lobby#token={host.token(Role.DISPLAY)}")
    lobby.page.wait_for_selector("#signin-error", timeout=2000)
    _shows(lobby, "#signin-error", "needs a manager token", 2000)
    assert "display" in lobby.text("#signin-error")
    assert lobby.page.locator("#dashboard").is_hidden()
    assert lobby.page.evaluate("localStorage.getItem('branchq.manager')") is None


# ------------------------------------------------------------------------ customer status
def test_status_page_follows_the_ticket_to_the_counter(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    ticket = issue(host, "vip", "vip")
    status = open_screen(f"/t/{ticket['id']}", 390, 844)
    _shows(status, "#number", str(ticket["number"]), 3000)
    wait = ticket["wait"]
    assert status.text("#state .wait-text").split() == f"{wait['text_zh']} {wait['text_en']}".split()
    assert int(ticket["people_ahead"]) < 6  # near the front: the page checks often
    with host.client(host.token(Role.TELLER, 5)) as client:
        assert client.post("/api/v1/counters/5/call", json={"ticket_id": ticket["id"]}).status_code == 200
    t0 = time.monotonic()
    _shows(status, "#state", "Your turn: counter 5", 1500)
    assert time.monotonic() - t0 < 1.5
    assert "请到 5 号窗口" in status.text("#state")
    assert status.page.evaluate("window.branchqStatus.beeps") == 1
    assert status.real_errors() == []


def test_status_page_of_an_unknown_ticket(open_screen: Callable[..., Screen]) -> None:
    status = open_screen("/t/no-such-ticket-0000", 390, 844)
    _shows(status, "#state", "No such ticket", 3000)
