"""Every screen rides out a host restart: it reconnects by itself and catches up on the calls
made while it was away (the host is killed, a new one starts on the same port and database)."""

from __future__ import annotations

import time
from collections.abc import Callable

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.web.screens import Screen, issue


def test_screens_reconnect_and_catch_up_after_a_host_restart(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    waiting = issue(host, "noncash")
    screens = {
        "hall": open_screen(f"/hall#token={host.token(Role.DISPLAY)}"),
        "counter": open_screen(f"/counter#token={host.token(Role.TELLER, 4)}&counter=4", 1024, 768),
        "lobby": open_screen(f"/lobby#token={host.token(Role.MANAGER)}", 1024, 768),
        "status": open_screen(f"/t/{waiting['id']}", 390, 844),
    }
    for name in ("hall", "counter", "lobby"):
        screens[name].wait_online()
    screens["status"].page.wait_for_selector("#state[data-status=waiting]", timeout=3000)
    screens["hall"].page.evaluate("window.branchqVoice.rate = 4")
    manager = host.token(Role.MANAGER)

    host.kill()
    for name in ("hall", "counter", "lobby"):
        screens[name].page.wait_for_selector("#conn.offline", timeout=5000)
    host.start()
    with host.client(manager) as client:  # a call made before the screens are back
        called = client.post("/api/v1/counters/4/call-next").json()["ticket"]["number"]
    assert called == waiting["number"]

    t0 = time.monotonic()
    expect = {"hall": "#current-number", "counter": "#serving-number",
              "lobby": "#counters tr[data-counter='4']", "status": "#state"}
    for name, selector in expect.items():
        text = "counter 4" if name == "status" else called
        screens[name].page.wait_for_function(
            "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
            arg=[selector, text], timeout=10_000)
    for name in ("hall", "counter", "lobby"):
        screens[name].wait_online(1000)
    assert time.monotonic() - t0 < 10
    # The hall caught up on a fresh call and announces it.
    screens["hall"].page.wait_for_function(
        "(n) => window.branchqVoice.played.some((p) => p.number === n)", arg=called, timeout=10_000)
    for name, screen in screens.items():
        assert screen.real_errors() == [], name
