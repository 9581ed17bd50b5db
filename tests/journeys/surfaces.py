"""What people see of one ticket, read on every surface, and the check that all agree.

A journey follows a ticket as the people in a branch see it: the kiosk screen and the paper it
printed, the customer's status page (the QR code), the hall display, the counter console and the
lobby dashboard, and once it is called the LED signs. :class:`Journey` reads each surface as a
person would (the text shown, not the API behind it), keeps one :class:`Seen` per surface, saves
a screenshot of each and runs axe on each web page state the first time a journey reaches it
(tests/web/axe.py). The API is only the referee: every surface must say what it says.

While a ticket waits, the pages staff and the hall look at show its queue, not its number: "3
waiting, about 4 min" is what the next customer would be told (docs/web.md, "One wait, one
wording"). Those surfaces count the ticket's people ahead as the waiting they show, less the
ticket itself and the tickets the engine calls after it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from playwright.sync_api import Browser, Page

from branchq.drivers.cardreader.reader import card_digest
from branchq.drivers.printer.textwrap_cjk import is_plain_ascii
from branchq.host.auth import Role
from branchq.host.config import load_config
from tests.host.hostproc import HostProcess
from tests.kiosk.conftest import Branch
from tests.web.axe import audit, blocking
from tests.web.screens import STEADY, Screen

Ticket = dict[str, Any]
T = TypeVar("T")

CONFIG = load_config(None)  # the demo branch both processes run
COUNTERS = [c.number for c in CONFIG.counters]
CARD_KEY = b"journeys-branch-card-key-32bytes"
VIP_CARD = "4111111111111111"
#: The counter whose console and keypad a journey uses for a service: the first serving it.
FIRST_COUNTER = {s.key: next(c.number for c in CONFIG.counters if s.key in c.services)
                 for s in CONFIG.services if s.kind != "self_service"}

NUMBER = re.compile(r"[A-Z]\d{3,4}")
PRINTED_AT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
TICKET_END = "Scan to follow your place in the queue"  # drivers/printer/layout.py, under the QR
#: How long a page or the kiosk may take to show what just happened: generous, for a loaded CI
#: machine (a journey waits for the condition, never for the time).
PAGE_TIMEOUT_S = 10.0
UI_TIMEOUT_MS = PAGE_TIMEOUT_S * 1000


def ahead_in(words: str) -> int | None:
    """People ahead as the words say them; None when the words do not tell (no counter open)."""
    counted = re.search(r"前面 (\d+) 人|(\d+) (?:people|person) ahead", words)
    if counted:
        return int(counted.group(1) or counted.group(2))
    if re.search(r"您是下一位|无需等候|You are next|No wait", words):
        return 0
    return None


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def poll(read: Callable[[], T], ok: Callable[[T], bool], timeout: float = PAGE_TIMEOUT_S) -> T:
    """Read until ``ok`` (a page catching up on an event); the last reading either way."""
    deadline = time.monotonic() + timeout
    value = read()
    while not ok(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = read()
    return value


@dataclass(frozen=True)
class Seen:
    """One surface's reading of one ticket."""

    surface: str
    number: str | None  # the number shown ("" if none; None: this surface shows its queue)
    ahead: int | None  # its people ahead as this surface counts them (None: not shown)
    words: str  # what it says: the wait, or the call


@dataclass(frozen=True)
class Taken:
    """A ticket just out of the kiosk: the screen and the paper as the customer saw them."""

    ticket: Ticket
    lang: str
    screen_texts: list[str]
    paper: list[str]


def wait_words(ticket_or_queue: dict[str, Any], lang: str = "both") -> str:
    """The host's words for the wait in ``lang``, or both as the pages show them side by side."""
    wait = ticket_or_queue["wait"]
    if lang == "zh":
        return str(wait["text_zh"])
    if lang == "en":
        return str(wait["text_en"])
    return f"{wait['text_zh']} {wait['text_en']}"


def agree(seen: list[Seen], number: str, ahead: int | None) -> None:
    """Every surface shows ``number`` (where it shows one) and ``ahead`` (where it counts)."""
    wrong = [s for s in seen if (s.number is not None and s.number != number)
             or (ahead is not None and s.ahead is not None and s.ahead != ahead)]
    table = "\n".join(f"  {s.surface:<8} number={s.number} ahead={s.ahead} words={s.words!r}"
                      for s in seen)
    assert not wrong, f"surfaces disagree on {number} (ahead {ahead}):\n{table}"


class Auditor:
    """axe on every web page state the journeys reach, once per state and viewport: serious and
    critical violations fail, moderate ones too on the customers' pages (hall, status)."""

    def __init__(self) -> None:
        self.done: dict[tuple[str, str], int] = {}

    def check(self, name: str, state: str, page: Page, customer_facing: bool) -> None:
        if (name, state) in self.done:
            return
        found = audit(page)
        failures = [str(v) for v in blocking(found, customer_facing)]
        self.done[(name, state)] = len(found)
        assert not failures, f"axe, {name} {state}:\n" + "\n".join(failures)


class Screens:
    """The pages open in the branch all day: the hall TV, the lobby manager's tablet, a console
    per counter (opened when first used), and the customer's phone on a status page."""

    def __init__(self, browser: Browser, host: HostProcess) -> None:
        self.browser, self.host = browser, host
        self.hall = self._open(f"/hall#token={host.token(Role.DISPLAY)}", 1280, 720)
        self.lobby = self._open(f"/lobby#token={host.token(Role.MANAGER)}", 1280, 900)
        self.status = self._open(None, 390, 844)  # the customer's phone: no ticket yet
        self.consoles: dict[int, Screen] = {}
        self.hall.wait_online()
        self.lobby.wait_online()

    def _open(self, path: str | None, width: int, height: int) -> Screen:
        context = self.browser.new_context(viewport={"width": width, "height": height})
        screen = Screen(context.new_page(), self.host.base)
        if path is not None:
            screen.page.goto(self.host.base + path)
        return screen

    def console(self, counter: int) -> Screen:
        if counter not in self.consoles:
            screen = self._open(f"/counter#token={self.host.token(Role.TELLER, counter)}"
                                f"&counter={counter}", 1024, 768)
            screen.wait_online()
            self.consoles[counter] = screen
        return self.consoles[counter]

    def status_of(self, ticket: Ticket) -> Screen:
        """The phone on this ticket's status page (the address its QR code holds)."""
        path = f"/t/{ticket['id']}"
        if not self.status.page.url.endswith(path):
            self.status.page.goto(self.host.base + path)
        return self.status

    def all(self) -> list[Screen]:
        return [self.hall, self.lobby, self.status, *self.consoles.values()]

    def assert_no_console_errors(self) -> None:
        errors = {s.page.url.split("#")[0]: s.real_errors() for s in self.all()}
        for s in self.all():
            s.errors.clear()
        assert not any(errors.values()), errors

    def close(self) -> None:
        for s in self.all():
            s.page.context.close()


# What a page shows, read in the browser: the innerText of each selector (null if absent).
_READ = """(sels) => sels.map((s) => {
  const el = document.querySelector(s);
  return el === null ? null : el.innerText.split(/\\s+/).filter(Boolean).join(" ");
})"""


def read(page: Page, *selectors: str) -> list[str | None]:
    values: list[str | None] = page.evaluate(_READ, list(selectors))
    return values


class Journey:
    """One journey through the branch: its API referee, the surfaces, screenshots and axe."""

    def __init__(self, branch: Branch, screens: Screens, auditor: Auditor, shots: Path) -> None:
        self.branch, self.screens, self.auditor, self.shots = branch, screens, auditor, shots
        self.host, self.kiosk = branch.host, branch.kiosk
        self.manager = self.host.client(self.host.token(Role.MANAGER))
        self.seen: list[Seen] = []
        self.screenshots: list[Path] = []
        self.looked: set[tuple[str, str]] = set()
        self.ticket_screen: dict[str, Any] = {"buttons": []}
        self.earlier: set[str] = set()  # the tickets of earlier journeys, served by now
        self.earlier = {t["id"] for t in self.tickets()}

    def close(self) -> None:
        self.manager.close()

    # -- the referee ------------------------------------------------------------------------
    def tickets(self) -> list[Ticket]:
        """Today's tickets issued since this journey began."""
        found: list[Ticket] = self.manager.get("/api/v1/tickets").json()
        return [t for t in found if t["id"] not in self.earlier]

    def ticket(self, number: str) -> Ticket:
        [ticket] = [t for t in self.tickets() if t["number"] == number]
        return ticket

    def fresh(self, ticket: Ticket) -> Ticket:
        found: Ticket = self.manager.get(f"/api/v1/tickets/{ticket['id']}").json()
        return found

    def queue(self, service: str) -> dict[str, Any]:
        return next(q for q in self.manager.get("/api/v1/queues").json() if q["service"] == service)

    def behind(self, ticket: Ticket) -> int:
        """Waiting tickets of its service that the engine calls after it."""
        return sum(1 for t in self.tickets() if t["service"] == ticket["service"]
                   and t["status"] == "waiting" and t["people_ahead"] > ticket["people_ahead"])

    # -- screenshots and axe ----------------------------------------------------------------
    def shot(self, name: str, png: bytes) -> None:
        path = self.shots / f"{len(self.screenshots) + 1:02d}-{name.replace(' ', '-')}.png"
        path.write_bytes(png)
        self.screenshots.append(path)

    def snap_kiosk(self, name: str, paper: bool = False) -> None:
        self.shot(f"kiosk-{name}", httpx.get(f"{self.kiosk.preview}/screen.png", timeout=5).content)
        if paper:
            self.shot(f"paper-{name}", httpx.get(f"{self.kiosk.preview}/paper.png", timeout=5).content)

    def look(self, screen: Screen, page_name: str, state: str) -> None:
        """Screenshot ``screen`` the first time this journey sees it in ``state``, and audit it
        with axe the first time any journey of the module does."""
        if (page_name, state) in self.looked:
            return
        self.looked.add((page_name, state))
        page = screen.page
        page.evaluate(STEADY)
        self.shot(f"{page_name}-{state}", page.screenshot(full_page=True))  # as scrolled through
        self.auditor.check(page_name, state, page, page_name in ("hall", "status"))

    # -- the kiosk --------------------------------------------------------------------------
    # Every read of the kiosk's state is a request to the kiosk process: taps use the buttons of
    # the state last read, as a finger uses the screen it sees.
    def tap(self, state: dict[str, Any], key: str) -> None:
        """Tap the middle of button ``key`` on the screen ``state`` shows (waiting for it if
        that screen has no such button yet)."""
        if not any(b["key"] == key for b in state["buttons"]):
            state = self.kiosk.wait_for(lambda s: any(b["key"] == key for b in s["buttons"]), 10,
                                        f"no button {key!r} on screen")
        x0, y0, x1, y1 = next(b["box"] for b in state["buttons"] if b["key"] == key)
        self.kiosk.tap((x0 + x1) // 2, (y0 + y1) // 2)

    def kiosk_home(self, lang: str) -> dict[str, Any]:
        """The kiosk on its home screen in ``lang`` (a zh screen offers "English")."""
        state = self.kiosk.wait_for(lambda s: s["screen"] in ("home", "ticket", "guidance"), 10,
                                    "kiosk not ready for a customer")
        if state["screen"] != "home":
            self.tap(state, "home")  # the last customer left without tapping Done
            state = self.kiosk.wait_for(lambda s: s["screen"] == "home", 10, "Done did not go home")
        if ("English" in state["texts"]) != (lang == "zh"):
            self.tap(state, "lang")
            state = self.kiosk.wait_for(lambda s: ("English" in s["texts"]) == (lang == "zh"), 10,
                                        f"kiosk did not switch to {lang}")
        return state

    def tap_for_ticket(self, keys: list[str], lang: str) -> Taken:
        """A customer taps ``keys`` in ``lang`` and takes the ticket that comes out."""
        before = {t["number"] for t in self.tickets()}
        self.kiosk.sim("paper/tear")  # the last customer took theirs
        state = self.kiosk_home(lang)
        for key in keys:
            self.tap(state, key)
        # The printer decodes what it is sent as it comes: the ticket is out once its last text
        # line is (tearing earlier would leave the rest of it for the next customer).
        state = self.kiosk.wait_for(lambda s: s["screen"] == "ticket" and TICKET_END in s["paper"],
                                    15, f"no ticket for {keys}")
        numbers = [line for line in state["paper"] if NUMBER.fullmatch(line)]
        assert len(numbers) == 1, f"one ticket, one number on the paper: {state['paper']}"
        number = numbers[0]
        assert number not in before, f"{number} was issued twice"
        self.snap_kiosk(f"ticket-{number}-{lang}", paper=True)
        self.ticket_screen = state
        return Taken(self.ticket(number), lang, state["texts"], state["paper"])

    def take_slip(self, lang: str) -> dict[str, Any]:
        """A customer taps the ATM button in ``lang`` while an ATM works: a guidance slip, no
        number (its last text line is the time it was printed)."""
        self.kiosk.sim("paper/tear")
        self.tap(self.kiosk_home(lang), "service:atm_small")
        slip = self.kiosk.wait_for(lambda s: s["screen"] == "guidance" and any(
            PRINTED_AT.fullmatch(line) for line in s["paper"]), 15, "no guidance slip")
        title = "请到自助服务区" if lang == "zh" else "Please go to the self-service area"
        assert title in slip["texts"] and "Please go to the self-service area" in slip["paper"]
        assert not any(NUMBER.fullmatch(line) for line in slip["paper"]), slip["paper"]
        self.snap_kiosk(f"guidance-{lang}", paper=True)
        return slip

    def done_at_kiosk(self) -> None:
        """The customer taps Done on the ticket screen. A tap reaches the kiosk through its
        touch panel a moment later: until the screen changes, a second tap would land on the
        home screen (on the green channel button under Done)."""
        self.tap(self.ticket_screen, "home")
        self.kiosk.wait_for(lambda s: s["screen"] == "home", 10, "Done did not go home")

    # -- the surfaces, ticket waiting -------------------------------------------------------
    def _kiosk_seen(self, taken: Taken) -> list[Seen]:
        """The ticket screen and the paper, as printed: the host's words for the wait, wrapped
        over lines as the screen and the paper need. On paper only plain ASCII is printer text;
        the rest (Chinese, "1–8 min") is drawn as an image (drivers/printer/encoder.py), which
        the virtual printer reads back only for the big number: there the paper's words are
        not known, and its number is still compared."""
        seen = []
        for surface, lines, lang in (("kiosk", taken.screen_texts, taken.lang),
                                     ("paper", taken.paper, "en")):
            want = wait_words(taken.ticket, lang)
            number = next((line for line in lines if NUMBER.fullmatch(line)), "")
            if surface == "paper" and not is_plain_ascii(want):
                seen.append(Seen(surface, number, None, "(printed as an image)"))
                continue
            shown = "".join("".join(lines).split())
            words = want if "".join(want.split()) in shown else one_line(" ".join(lines))
            assert words == want, f"the {surface} does not say {want!r}: {lines}"
            seen.append(Seen(surface, number, ahead_in(words), words))
        return seen

    def _status_seen(self, ticket: Ticket, status: str, state: str) -> Seen:
        """The phone on the ticket's status page once it shows ``status`` (``state``: the
        journey's name for the moment, for the screenshot and axe)."""
        screen = self.screens.status_of(ticket)

        def reading() -> list[str | None]:
            return read(screen.page, "#number", f"#state[data-status={status}]",
                        "#state .wait-text")

        want = wait_words(ticket) if status == "waiting" else None
        number, shown, words = poll(reading, lambda r: r[0] == ticket["number"] and r[1] is not None
                                    and (want is None or r[2] == want))
        self.look(screen, "status", state)
        return Seen("status", number or "", ahead_in(words or ""), one_line(words or shown))

    def _queue_seen(self, surface: str, screen: Screen, row: str, count: str, queue: dict[str, Any],
                    behind: int) -> Seen:
        """A page's row for the ticket's queue: the waiting it shows and the wait it words."""
        expected = [str(queue["waiting"]), wait_words(queue)]
        values = poll(lambda: read(screen.page, f"{row} {count}", f"{row} .wait-text"),
                      lambda r: r == expected)
        waiting, words = values
        assert values == expected, f"{surface} shows {values}, the queue is {expected}"
        ahead = int(waiting) - 1 - behind if waiting and waiting.isdigit() else None
        return Seen(surface, None, ahead, words or "")

    def expect_waiting(self, ticket: Ticket, taken: Taken | None = None, state: str = "waiting",
                       counter: int | None = None) -> list[Seen]:
        """The ticket waits: its number, people ahead and wait agree on every surface."""
        ticket = self.fresh(ticket)
        assert ticket["status"] == "waiting", ticket
        service = ticket["service"]
        counter = counter or FIRST_COUNTER[service]
        queue, behind = self.queue(service), self.behind(ticket)
        row = f'[data-service="{service}"]'
        seen = self._kiosk_seen(taken) if taken else []
        seen.append(self._status_seen(ticket, "waiting", state))
        seen.append(self._queue_seen("hall", self.screens.hall, f"#queues li{row}", ".q-waiting",
                                     queue, behind))
        console = self.screens.console(counter)
        seen.append(self._queue_seen("console", console, f"#queues li{row}", ".q-waiting",
                                     queue, behind))
        seen.append(self._queue_seen("lobby", self.screens.lobby, f"#queues tr{row}", "td.num",
                                     queue, behind))
        self.look(self.screens.hall, "hall", state)
        self.look(console, "counter", state)
        self.look(self.screens.lobby, "lobby", state)
        agree(seen, ticket["number"], ticket["people_ahead"])
        words = {s.surface: s.words for s in seen}
        assert words["status"] == wait_words(ticket), words
        self.seen += seen
        return seen

    # -- the surfaces, ticket called ---------------------------------------------------------
    def expect_called(self, ticket: Ticket, counter: int, state: str = "called") -> list[Seen]:
        """The ticket is called to ``counter``: hall, console, lobby, status page and the LED
        signs all show its number and that counter."""
        called = poll(lambda: self.fresh(ticket),  # a keypad press is polled over Modbus
                      lambda t: (t["status"], t["counter"]) == ("called", counter))
        assert (called["status"], called["counter"]) == ("called", counter), called
        number = called["number"]
        call_zh = f"请到 {counter} 号窗口"
        hall = poll(lambda: read(self.screens.hall.page, "#current-number", "#current-zh"),
                    lambda r: r == [number, call_zh])
        console = self.screens.console(counter)
        serving = poll(lambda: read(console.page, "#serving-number")[0], lambda r: r == number)
        row = f'#counters tr[data-counter="{counter}"] td.num'
        lobby = poll(lambda: read(self.screens.lobby.page, row)[0], lambda r: r == number)
        status = self._status_seen(called, "called", state)
        seen = [Seen("hall", hall[0] or "", 0, one_line(f"{hall[0]} {hall[1]}")),
                Seen("console", serving or "", 0, f"{serving} @ {counter}"),
                Seen("lobby", lobby or "", 0, f"{lobby} @ {counter}"),
                Seen("status", status.number, 0, status.words)]
        assert call_zh in status.words and f"Your turn: counter {counter}" in status.words, status
        assert hall[1] == call_zh, hall
        # Counters 1-3 have an LED sign over them and a caller keypad (the kiosk drives both).
        sign, pad = f"1{counter}", str(counter)
        kiosk = self.kiosk.wait_for(
            lambda s: s["led"].get(sign, f"{number} -> {counter}") == f"{number} -> {counter}"
            and s["keypads"].get(pad, number).strip() == number, PAGE_TIMEOUT_S,
            f"LED sign or keypad at counter {counter} did not show {number}")
        if sign in kiosk["led"]:
            assert kiosk["led"]["01"].startswith(f"{number} -> {counter}"), kiosk["led"]  # hall
            seen.append(Seen("led", kiosk["led"][sign].split()[0], 0, kiosk["led"][sign]))
        if pad in kiosk["keypads"]:
            seen.append(Seen("keypad", kiosk["keypads"][pad].strip(), 0, kiosk["keypads"][pad]))
        self.look(self.screens.hall, "hall", state)
        self.look(console, "counter", state)
        self.look(self.screens.lobby, "lobby", state)
        agree(seen, number, 0)
        self.seen += seen
        return seen

    # -- set-up a journey needs, done by the manager through the API ---------------------------
    def enrol_vip_card(self) -> None:
        answer = self.manager.post("/api/v1/vip-cards",
                                   json={"digest": card_digest(CARD_KEY, VIP_CARD)})
        assert answer.status_code == 201, answer.text

    def set_atm(self, atm: str, status: str) -> None:
        answer = self.manager.put(f"/api/v1/equipment/{atm}", json={"status": status, "note": ""})
        assert answer.status_code == 200, answer.text


def reset_branch(branch: Branch, screens: Screens) -> None:
    """The branch as the lobby manager opens it: paper loaded and torn off, the kiosk at home,
    every counter open and idle, nobody waiting, the ATMs in service, no notice, no call for
    help open."""
    kiosk = branch.kiosk
    kiosk.sim("printer", {})
    kiosk.sim("paper/tear")
    with branch.host.client(branch.host.token(Role.MANAGER)) as manager:
        def post(path: str) -> int:
            answer = manager.post(path)
            assert answer.status_code < 500, (path, answer.text)
            return answer.status_code

        for n in COUNTERS:
            post(f"/api/v1/counters/{n}/resume")
        while any(post(f"/api/v1/counters/{n}/call-next") == 200 for n in COUNTERS):
            pass
        for n in COUNTERS:
            post(f"/api/v1/counters/{n}/done")
        for atm in (e.id for e in CONFIG.equipment):
            manager.put(f"/api/v1/equipment/{atm}", json={"status": "in_service", "note": ""})
        for notice in manager.get("/api/v1/notices").json():
            manager.delete(f"/api/v1/notices/{notice['id']}")
        for call in manager.get("/api/v1/help").json():  # no call for help open
            post(f"/api/v1/help/{call['id']}/close")
    kiosk.wait_for(lambda s: s["screen"] in ("home", "ticket", "guidance", "message"), 30,
                   "kiosk not back in service")
    screens.assert_no_console_errors()
