"""The call for help end to end (issue 17, part 3): the real kiosk process with its virtual touch
screen and a real host.

A tap on "需要帮助 / I need help" reaches the host with the kiosk, the screen and the time; the
kiosk says staff have been told, a second press sends nothing and says so, the manager's
acknowledgement turns the screen to "工作人员马上到 / Staff are on their way", closing it sends the
kiosk home. With the host down the press is queued in the journal, survives a kiosk restart, and
arrives with its own time once the host is back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from branchq.host.auth import Role
from branchq.kiosk import messages
from tests.host.hostproc import HostProcess
from tests.kiosk.conftest import Branch

KIOSK = "entrance"  # kiosk/example-kiosk.toml


def on_help(state: dict[str, Any], help_state: str) -> bool:
    return state["screen"] == "help" and (state["help"] or {}).get("state") == help_state


def test_a_press_is_answered_by_the_manager_and_the_kiosk_tells_the_customer(
        branch: Branch) -> None:
    kiosk, host = branch.kiosk, branch.host
    manager = host.client(host.token(Role.MANAGER))
    kiosk.tap_button("help")
    told = kiosk.wait_for(lambda s: on_help(s, "told"), 10, "the press was not taken")
    assert messages.HELP_TOLD[0] in told["texts"] and messages.HELP_WAIT[0] in told["texts"]
    [alert] = manager.get("/api/v1/help").json()
    assert (alert["kiosk"], alert["screen"], alert["state"]) == (KIOSK, "home", "open")
    assert alert["id"] == told["help"]["alert_id"]

    kiosk.tap_button("help")  # again, while the call is open
    again = kiosk.wait_for(lambda s: messages.HELP_AGAIN[0] in s["texts"], 10, "no 'already told'")
    assert on_help(again, "told")
    assert [a["id"] for a in manager.get("/api/v1/help").json()] == [alert["id"]]  # no spam

    manager.post(f"/api/v1/help/{alert['id']}/ack").raise_for_status()
    coming = kiosk.wait_for(lambda s: on_help(s, "acknowledged"), 10, "acknowledgement not shown")
    assert messages.HELP_COMING[0] in coming["texts"]

    manager.post(f"/api/v1/help/{alert['id']}/close").raise_for_status()
    kiosk.wait_for(lambda s: s["screen"] == "home" and s["help"] is None, 10,
                   "a closed call kept the kiosk on the help screen")


def test_a_press_while_the_host_is_down_survives_a_kiosk_restart_and_keeps_its_time(
        branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.tap_button("green")
    kiosk.wait_for(lambda s: s["screen"] == "green_confirm")
    branch.host.kill()
    kiosk.tap_button("help")
    queued = kiosk.wait_for(lambda s: on_help(s, "queued"), 15, "the press was not queued")
    assert messages.HELP_QUEUED[0] in queued["texts"]
    pressed_at = queued["help"]["requested_at"]

    kiosk = branch.restart_kiosk()  # the journal keeps the press
    assert kiosk.state()["help"] == queued["help"]
    branch.host = HostProcess(branch.host.db_url, branch.tmp / "host2.log",
                              port=branch.host.port).start()
    told = kiosk.wait_for(lambda s: (s["help"] or {}).get("state") == "told", 30,
                          "the queued press did not arrive")
    with branch.host.client(branch.host.token(Role.MANAGER)) as manager:
        [alert] = manager.get("/api/v1/help").json()
    assert alert["id"] == told["help"]["alert_id"]
    assert (alert["kiosk"], alert["screen"]) == (KIOSK, "green_confirm")  # where it was pressed
    requested, received = (datetime.fromisoformat(alert[k]) for k in ("requested_at",
                                                                        "received_at"))
    assert requested == datetime.fromisoformat(pressed_at)  # its own time, not the delivery's
    assert received - requested > timedelta(seconds=1)
