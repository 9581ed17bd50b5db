"""A page under test with its console watched, and helpers the browser tests share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
from playwright.sync_api import ConsoleMessage, Page

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess

# Sizes the screens must work at: a phone, a tablet and a 1080p TV or PC.
SIZES = {"phone": (390, 844), "tablet": (1024, 768), "1080p": (1920, 1080)}
# The pages and what must show before a page is steady (the one ticket page: the status page).
PAGES = ("hall", "counter", "lobby", "status")
# A steady picture: the arrival blink over, the notice ticker stopped where its text shows.
STEADY = """() => document.getAnimations().forEach((a) => {
  if (a.effect.getComputedTiming().endTime === Infinity) { a.pause(); a.currentTime = 6000; }
  else a.finish();
})"""
# Messages the browser itself logs while the host is down on purpose (restart test).
NETWORK_NOISE = ("ERR_CONNECTION_REFUSED", "WebSocket connection to", "Failed to load resource")


@dataclass
class Screen:
    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def real_errors(self) -> list[str]:
        """Console errors other than the browser's own reports of a refused connection."""
        return [e for e in self.errors if not any(n in e for n in NETWORK_NOISE)]

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()

    def wait_online(self, timeout_ms: float = 10_000) -> None:
        self.page.wait_for_selector("#conn.online", timeout=timeout_ms)

    def no_horizontal_overflow(self) -> bool:
        return bool(self.page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"))


def wait_until(predicate: object, timeout: float = 5.0, step: float = 0.02) -> float:
    """Poll ``predicate()`` until true; return the seconds it took (fail after ``timeout``)."""
    start = time.monotonic()
    while True:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


def issue(host: HostProcess, service: str = "cash", priority: str = "normal") -> dict[str, object]:
    with host.client(host.token(Role.MANAGER)) as client:
        response = client.post("/api/v1/tickets", json={"service": service, "priority": priority})
    assert response.status_code == 201, response.text
    return response.json()


def call_next(host: HostProcess, counter: int) -> httpx.Response:
    with host.client(host.token(Role.TELLER, counter)) as client:
        return client.post(f"/api/v1/counters/{counter}/call-next")


def busy_branch(host: HostProcess) -> dict[str, str]:
    """A branch mid-morning: people waiting, a few called, one served and rated, a notice, an ATM
    and a printer needing care. Returns each page's address (tokens in the fragment)."""
    for service, priority in [("cash", "normal"), ("cash", "green"), ("noncash", "normal"),
                              ("cash", "normal"), ("noncash", "normal"), ("wealth", "normal"),
                              ("vip", "vip"), ("cash", "normal"), ("noncash", "normal")]:
        issue(host, service, priority)
    mine = issue(host, "cash")
    for counter in (1, 3, 5, 2):
        call_next(host, counter)
    with host.client(host.token(Role.TELLER, 3)) as teller:
        teller.post("/api/v1/counters/3/done")
        teller.post("/api/v1/counters/3/rating", json={"score": 3})
        teller.post("/api/v1/counters/3/call-next")
    with host.client(host.token(Role.MANAGER)) as client:
        client.post("/api/v1/notices", json={"text_zh": "今天是养老金发放日，请耐心等候",
                                             "text_en": "Pension day today: thank you for your patience"})
        client.put("/api/v1/equipment/atm-2", json={"status": "out_of_service", "note": "维修 repair"})
        client.post("/api/v1/counters/6/pause")
    with host.client(host.token(Role.KIOSK)) as kiosk:
        kiosk.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
            {"device": "printer", "status": "warning", "detail": "paper near end"},
            {"device": "touch", "status": "ok"}, {"device": "ledsign", "status": "ok"}]})
    return {
        "hall": f"/hall#token={host.token(Role.DISPLAY)}",
        "counter": f"/counter#token={host.token(Role.TELLER, 1)}&counter=1",
        "lobby": f"/lobby#token={host.token(Role.MANAGER)}",
        "status": f"/t/{mine['id']}",
    }


def wait_loaded(screen: Screen, name: str) -> None:
    """Until the page shows the branch's state (its queues, or the ticket's)."""
    page = screen.page
    if name == "status":
        page.wait_for_selector("#state[data-status=waiting]", timeout=3000)
        return
    screen.wait_online()
    page.wait_for_function("() => document.querySelectorAll('#queues li, #queues tr').length > 0",
                           timeout=3000)
    if name == "lobby":
        page.wait_for_selector("#today .figure", timeout=3000)
