"""A page under test with its console watched, and helpers the browser tests share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
from playwright.sync_api import ConsoleMessage, Page

from host.auth import Role
from tests.host.hostproc import HostProcess

# Sizes the screens must work at: a phone, a tablet and a 1080p TV or PC.
SIZES = {"phone": (390, 844), "tablet": (1024, 768), "1080p": (1920, 1080)}
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
