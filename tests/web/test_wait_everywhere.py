"""One ticket, one wait: the API, the lobby that issued it, its status page, and the hall, the
counter console and the lobby that showed its queue all word the wait alike (issue 12 item 3)."""

from __future__ import annotations

from collections.abc import Callable

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.web.screens import Screen, issue


def _words(wait: dict[str, object]) -> str:
    return " ".join(f"{wait['text_zh']} {wait['text_en']}".split())


def _shown(screen: Screen, selector: str) -> str:
    return " ".join(screen.page.locator(f"{selector} .wait-text").inner_text().split())


def _until_shown(screen: Screen, selector: str, words: str) -> None:
    screen.page.wait_for_function(
        """([sel, words]) => {
          const el = document.querySelector(sel + " .wait-text");
          return el !== null && el.innerText.split(/\\s+/).filter(Boolean).join(" ") === words;
        }""", arg=[selector, words], timeout=3000)


def test_one_ticket_reads_the_same_wait_on_every_surface(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    # Counter 6 alone serves wealth; it is open and idle, and one customer waits: a steady queue
    # (no service under way whose elapsed time would move the estimate while the test looks).
    issue(host, "wealth")
    hall = open_screen(f"/hall#token={host.token(Role.DISPLAY)}")
    console = open_screen(f"/counter#token={host.token(Role.TELLER, 6)}&counter=6", 1024, 768)
    lobby = open_screen(f"/lobby#token={host.token(Role.MANAGER)}")
    for screen in (hall, console, lobby):
        screen.wait_online()
    with host.client(host.token(Role.DISPLAY)) as display:
        def queue() -> dict:  # type: ignore[type-arg]
            return next(q for q in display.get("/api/v1/queues").json() if q["service"] == "wealth")

        promised = _words(queue()["wait"])
        assert promised.startswith("前面 1 人，约 ") and "1 person ahead, about " in promised
        places = [(hall, "#queues li[data-service=wealth]"),
                  (console, "#queues li[data-service=wealth]"),
                  (lobby, "#queues tr[data-service=wealth]")]
        for screen, selector in places:
            _until_shown(screen, selector, promised)

        # The manager issues the ticket at the lobby, as a kiosk would: it is told what was shown.
        lobby.page.select_option("#issue-service", "wealth")
        lobby.page.click("#issue-btn")
        lobby.page.wait_for_selector("#issued .wait-text", timeout=2000)
        number = lobby.text("#issued .num")
        with host.client(host.token(Role.MANAGER)) as manager:
            ticket = next(t for t in manager.get("/api/v1/tickets?service=wealth").json()
                          if t["number"] == number)
        assert (ticket["people_ahead"], ticket["wait"]["ahead"]) == (1, 1)
        assert _words(ticket["wait"]) == promised == _shown(lobby, "#issued")

        status = open_screen(f"/t/{ticket['id']}", 390, 844)
        _until_shown(status, "#state", promised)

        # Behind it the queue now promises the next customer two people ahead, on every screen.
        after = _words(queue()["wait"])
        assert after.startswith("前面 2 人，约 ") and "2 people ahead, about " in after
        for screen, selector in places:
            _until_shown(screen, selector, after)
    for screen in (hall, console, lobby, status):
        assert screen.real_errors() == []
