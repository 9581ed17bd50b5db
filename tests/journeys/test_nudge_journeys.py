"""A customer nudged near the turn (issue 16, part 4): a ticket taken at the kiosk, followed on
the phone with "到号提醒 / Notify me", and the bank's SMS gateway (a receiver on 127.0.0.1 that
checks every signature and answers each delivery 500 once, then 200) texting the phone number
the lobby manager filed. The teller calls on the counter's caller keypad, through the kiosk.

This module's branch sends webhooks (``[nudge] ahead = 2``), so it has its own host.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.host.hostproc import HostProcess
from tests.host.webhook_receiver import (
    SMS_SECRET,
    SMS_SECRET_ENV,
    Receiver,
    branch_toml,
    new_receiver,
)
from tests.journeys.conftest import start_kiosk
from tests.journeys.surfaces import UI_TIMEOUT_MS, Journey, poll
from tests.kiosk.conftest import Branch
from tests.web.test_status_nudge import HOOKS

pytestmark = pytest.mark.slow

COUNTER = 3  # a non-cash counter with a caller keypad on the kiosk's bus
PHONE = "139 0000 1234"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found, server = new_receiver()
    found.sms_failures = 1
    yield found
    server.shutdown()


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Branch]:
    """The journeys' branch (conftest.py), its host sending webhooks to ``receiver``."""
    tmp = tmp_path_factory.mktemp("branch")
    config = tmp / "branch.toml"
    config.write_text(branch_toml(receiver.port, tmp / "wechat.secret"))
    host = HostProcess(f"sqlite:///{tmp / 'branchq.db'}", tmp / "host.log", config_path=str(config),
                       env={"BRANCHQ_VAR_DIR": str(tmp / "var"), SMS_SECRET_ENV: SMS_SECRET}).start()
    b = start_kiosk(host, tmp)
    yield b
    b.kiosk.kill()
    b.host.kill()


def _press_call(journey: Journey, ticket: dict[str, Any], ahead: int) -> None:
    """The teller presses "call next" on the keypad; the customer then has ``ahead`` ahead
    (-1: is called)."""
    journey.kiosk.sim("keypad", {"unit": COUNTER, "key": "call_next"})
    if ahead < 0:
        poll(lambda: journey.fresh(ticket), lambda t: t["status"] == "called")
    else:
        poll(lambda: journey.fresh(ticket), lambda t: t["people_ahead"] == ahead)


def test_a_customer_is_nudged_on_the_phone_and_by_text_near_the_turn_and_at_the_call(
        journey: Journey, browser: Browser, receiver: Receiver) -> None:
    for _ in range(3):  # three customers before ours
        journey.tap_for_ticket(["service:noncash"], "zh")
        journey.done_at_kiosk()
    ticket = journey.tap_for_ticket(["service:noncash"], "en").ticket
    journey.done_at_kiosk()
    assert journey.fresh(ticket)["people_ahead"] == 3
    filed = journey.manager.put(f"/api/v1/tickets/{ticket['id']}/contact", json={"phone": PHONE})
    assert filed.status_code == 200, filed.text

    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        context.grant_permissions(["notifications"], origin=journey.host.base)
        context.add_init_script(HOOKS)
        phone = context.new_page()
        phone.goto(f"{journey.host.base}/t/{ticket['id']}")  # the ticket's QR code
        phone.wait_for_selector("#state[data-status=waiting]", timeout=UI_TIMEOUT_MS)
        phone.click("#notify")
        _press_call(journey, ticket, 2)  # two ahead: near the turn
        phone.wait_for_function("() => window.nudgeCalls.notifications.length === 1",
                                timeout=UI_TIMEOUT_MS)
        for ahead in (1, 0, -1):
            _press_call(journey, ticket, ahead)
        phone.wait_for_function("() => window.nudgeCalls.notifications.length === 2",
                                timeout=UI_TIMEOUT_MS)
        titles = [n["title"] for n in phone.evaluate("window.nudgeCalls.notifications")]
        number = ticket["number"]
        assert titles == [f"{number} 快到您了 · {number}: almost your turn",
                          f"{number} 请到 {COUNTER} 号窗口 · {number}: your turn"]
        assert f"please go to counter {COUNTER}" in phone.inner_text("#nudge")
    finally:
        context.close()

    def texts() -> list[Any]:
        return [a for a in receiver.of("/sms") if a.body["ticket"]["number"] == ticket["number"]]

    poll(texts, lambda found: sum(a.answered == 200 for a in found) == 2)
    delivered = {a.event: a.body for a in texts() if a.answered == 200}
    assert delivered["ticket.near_turn"]["phone"] == PHONE
    assert delivered["ticket.near_turn"]["people_ahead"] == 2
    assert (delivered["ticket.called"]["phone"], delivered["ticket.called"]["counter"]) == (
        PHONE, COUNTER)
    by_id: dict[str, list[int]] = {}
    for attempt in texts():
        by_id.setdefault(attempt.delivery, []).append(attempt.answered)
    assert sorted(by_id.values()) == [[500, 200], [500, 200]]  # retried, then taken once each
    assert receiver.bad_signatures == 0
