"""The status page's nudge near the turn (到号提醒 / Notify me) and the lobby dashboard's
undelivered webhooks, in headless Chromium.

The browser's own Notification and navigator.vibrate are wrapped by an init script that records
each call; the queue is driven through the real host API until the customer has three people
ahead (``[nudge] ahead = 3`` here) and then is called. The host of this module sends webhooks to
a receiver on 127.0.0.1 whose "wechat" end refuses every call (400): dead letters at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.host.webhook_receiver import (
    SMS_SECRET,
    SMS_SECRET_ENV,
    Receiver,
    branch_toml,
    new_receiver,
)
from tests.web.axe import audit, blocking, language_of_parts
from tests.web.screens import Screen, call_next, issue

# Records every notification, permission request and vibration the page makes; the real API
# still runs underneath.
HOOKS = """(() => {
  const seen = { notifications: [], asked: 0, vibrations: 0 };
  window.nudgeCalls = seen;
  const Real = window.Notification;
  function Hooked(title, options) {
    seen.notifications.push({ title, body: (options || {}).body || "" });
    return new Real(title, options);
  }
  Object.defineProperty(Hooked, "permission", { get: () => Real.permission });
  Hooked.requestPermission = (...args) => { seen.asked += 1; return Real.requestPermission(...args); };
  window.Notification = Hooked;
  navigator.vibrate = () => { seen.vibrations += 1; return true; };
})();"""
SERVICE, COUNTER = "wealth", 6  # the demo branch's one wealth counter: nothing else calls there


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found, server = new_receiver()
    found.sms_failures, found.wechat_status = 0, 400
    yield found
    server.shutdown()


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[HostProcess]:
    """The demo branch with webhooks (this module's own host, not the conftest's)."""
    tmp = tmp_path_factory.mktemp("nudge")
    config = tmp / "branch.toml"
    config.write_text(branch_toml(receiver.port, tmp / "wechat.secret", ahead=3))
    url = f"sqlite:///{tmp / 'branchq.db'}"
    Store(url, DEMO_BRANCH).migrate()
    process = HostProcess(url, tmp / "host.log", config_path=str(config),
                          env={SMS_SECRET_ENV: SMS_SECRET, "BRANCHQ_VAR_DIR": str(tmp / "var")})
    yield process.start()
    process.kill()


@pytest.fixture
def phone_page(browser: Browser, host: HostProcess) -> Iterator[Callable[[bool], Page]]:
    """A phone-sized page in a fresh context, with notifications granted or not."""
    contexts = []

    def make(granted: bool) -> Page:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        contexts.append(context)
        if granted:
            context.grant_permissions(["notifications"], origin=host.base)
        context.add_init_script(HOOKS)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _calls(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("window.nudgeCalls"))


def _five_ahead(host: HostProcess) -> dict[str, Any]:
    """A ticket with five people ahead of it."""
    for _ in range(5):
        issue(host, SERVICE)
    return issue(host, SERVICE)


def _call_until(host: HostProcess, page: Page, ahead: int) -> None:
    assert call_next(host, COUNTER).status_code == 200
    if ahead >= 0:
        page.wait_for_function("(n) => document.querySelector('#state .wait-now')"
                               " && window.branchqStatus.ticket.wait.ahead === n",
                               arg=ahead, timeout=5000)


def _assert_accessible(page: Page) -> None:
    found = [str(v) for v in blocking(audit(page), True)] + language_of_parts(page)
    assert not found, "\n".join(found)


def _drive_to_the_call(host: HostProcess, page: Page, ticket: dict[str, Any]) -> None:
    _call_until(host, page, 3)  # three ahead: the near-turn nudge
    page.wait_for_function("() => window.branchqStatus.nudges.length === 1", timeout=5000)
    _assert_accessible(page)
    for ahead in (2, 1, 0):
        _call_until(host, page, ahead)
    _call_until(host, page, -1)  # the customer's own call
    page.wait_for_selector("#state[data-status=called]", timeout=5000)
    page.wait_for_function("() => window.branchqStatus.nudges.length === 2", timeout=5000)
    _assert_accessible(page)
    assert page.evaluate("window.branchqStatus.nudges") == ["near", "called"]
    assert str(ticket["number"]) in page.inner_text("#nudge")


def test_the_customer_is_notified_once_near_the_turn_and_once_when_called(
        host: HostProcess, phone_page: Callable[[bool], Page]) -> None:
    ticket = _five_ahead(host)
    page = phone_page(True)
    status = Screen(page, host.base)
    page.goto(f"{host.base}/t/{ticket['id']}")
    page.wait_for_selector("#state[data-status=waiting]", timeout=5000)
    assert _calls(page) == {"notifications": [], "asked": 0, "vibrations": 0}  # never on load
    page.click("#notify")
    assert page.get_attribute("#notify", "aria-pressed") == "true"
    assert "Keep this page open" in page.inner_text("#notify-note")
    _call_until(host, page, 4)
    page.wait_for_timeout(1000)  # a poll or two with four ahead: no nudge yet
    assert _calls(page)["notifications"] == []
    _drive_to_the_call(host, page, ticket)
    calls = _calls(page)
    number = ticket["number"]
    assert calls["notifications"] == [
        {"title": f"{number} 快到您了 · {number}: almost your turn",
         "body": "前面还有 3 位 · 3 ahead of you"},
        {"title": f"{number} 请到 {COUNTER} 号窗口 · {number}: your turn",
         "body": f"轮到您了 · please go to counter {COUNTER}"},
    ]
    assert calls["vibrations"] == 2
    assert page.evaluate("window.branchqStatus.beeps") == 2  # the chime, near and called
    page.reload()  # what was said is not said again
    page.wait_for_selector("#state[data-status=called]", timeout=5000)
    page.wait_for_timeout(1000)
    assert _calls(page)["notifications"] == []
    assert page.get_attribute("#notify", "aria-pressed") == "true"
    assert call_next(host, COUNTER).status_code in (200, 204)  # served
    assert status.real_errors() == []


def test_without_the_permission_the_page_rings_and_shows_a_banner(
        host: HostProcess, phone_page: Callable[[bool], Page]) -> None:
    ticket = _five_ahead(host)
    page = phone_page(False)
    status = Screen(page, host.base)
    page.goto(f"{host.base}/t/{ticket['id']}")
    page.wait_for_selector("#state[data-status=waiting]", timeout=5000)
    page.click("#notify")
    page.wait_for_function("() => window.nudgeCalls.asked === 1", timeout=5000)
    assert "shows no notifications" in page.inner_text("#notify-note")
    _call_until(host, page, 4)
    _drive_to_the_call(host, page, ticket)
    assert "please go to counter 6" in page.inner_text("#nudge")
    assert page.evaluate("Notification.permission") != "granted"
    calls = _calls(page)
    assert calls["notifications"] == []
    assert calls["vibrations"] == 2
    assert call_next(host, COUNTER).status_code in (200, 204)
    assert status.real_errors() == []


def test_the_lobby_lists_undelivered_messages_and_sends_one_again(
        host: HostProcess, receiver: Receiver, phone_page: Callable[[bool], Page]) -> None:
    ticket = issue(host, SERVICE)
    while call_next(host, COUNTER).json()["ticket"]["number"] != ticket["number"]:
        pass
    page = phone_page(False)
    lobby = Screen(page, host.base)
    page.goto(f"{host.base}/lobby#token={host.token(Role.MANAGER)}")
    row = f"#deadletters tr[data-delivery] >> text={ticket['number']}"
    page.wait_for_selector(row, timeout=20_000)  # refreshed every 15 s, or at an event
    text = page.inner_text("#deadletters")
    assert "叫号通知" in text and "call message" in text and "wechat" in text
    assert "HTTP 400 (not retried)" in text
    _assert_accessible(page)
    receiver.wechat_status = 200
    button = page.locator("#deadletters tr", has_text=str(ticket["number"])).locator("button")
    assert "Retry" in button.inner_text()
    button.click()
    page.wait_for_selector("#message.info", timeout=5000)
    assert "sent again" in page.inner_text("#message")
    page.wait_for_function("(n) => !document.querySelector('#deadletters').textContent.includes(n)",
                           arg=ticket["number"], timeout=20_000)
    delivered = [a for a in receiver.of("/wechat") if a.body["ticket"]["number"] == ticket["number"]]
    assert [a.answered for a in delivered] == [400, 200]
    assert lobby.real_errors() == []
