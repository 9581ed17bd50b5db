"""The supervised device gateway: a failing LED sign line is marked faulty in the heartbeat and
retried with backoff, while the keypads and the host's event stream go on.

The gateway runs in this process against the real host; the LED sign is the virtual twin on a
pty (its faults injected as OctoPrint's virtual printer does), the keypads the Modbus twin.
"""

from __future__ import annotations

import asyncio
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from branchq.drivers.ledsign.sign import LedSign
from branchq.drivers.ledsign.transport import SerialTransport
from branchq.drivers.ledsign.virtual import VirtualSign
from branchq.host.auth import Role
from branchq.kiosk.config import load_kiosk_config
from branchq.kiosk.devices import KioskDevices, open_virtual_devices
from branchq.kiosk.gateway import DeviceGateway
from branchq.kiosk.hostlink import HostLink
from branchq.kiosk.journal import Journal
from branchq.kiosk.supervisor import LAST_RETRY_S, DeviceHealth
from tests.host.hostproc import HostProcess


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


class FlakyTransport(SerialTransport):
    """The real serial transport, except that its next ``failures`` writes raise what pyserial
    let through when a USB-serial adapter vanished while being reopened."""

    failures = 0

    def write(self, data: bytes) -> None:
        if self.failures:
            self.failures -= 1
            raise termios.error(5, "Input/output error")
        super().write(data)


@dataclass
class Rig:
    host: HostProcess
    gateway: DeviceGateway
    devices: KioskDevices
    vsign: VirtualSign
    transport: FlakyTransport
    journal: Journal

    def call(self, counter: int) -> str:
        with self.host.client(self.host.token(Role.TELLER, counter=counter)) as teller:
            r = teller.post(f"/api/v1/counters/{counter}/call-next")
        assert r.status_code == 200, r.text
        return str(r.json()["ticket"]["number"])

    def report(self, device: str) -> dict[str, str]:
        # A keypad not yet polled nor written to is in no report (neither ok nor offline).
        return next((r for r in self.gateway.device_reports() if r["device"] == device),
                    {"device": device, "status": "not yet reported"})

    def keypad_shows(self, unit: int, text: str) -> bool:
        return bool(self.devices.virtual["keypads"].display_text(unit).strip() == text)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    host = HostProcess(f"sqlite:///{tmp_path / 'branchq.db'}", tmp_path / "host.log").start()
    with host.client(host.token(Role.MANAGER)) as manager:
        for service in ("cash", "cash", "cash", "noncash", "noncash"):  # counter 3: noncash
            assert manager.post("/api/v1/tickets", json={"service": service}).status_code == 201
    devices, config = open_virtual_devices(load_kiosk_config(None), tmp_path / "sim")
    assert config.ledsign is not None
    link = tmp_path / "ledsign"  # like the udev symlink: the same path after a replug
    vsign = VirtualSign(tuple(s.address for s in config.ledsign.signs), link=link).start()
    # ACK/NAK on (the twin answers like a sign with it enabled): a lost line shows at once
    sign_config = config.ledsign.replaced(port=str(link), ack=True)
    transport = FlakyTransport(sign_config)
    devices.sign = LedSign(sign_config, transport)
    journal = Journal(tmp_path / "journal.json")
    link_to_host = HostLink(host.base, host.token(Role.KIOSK), 5)
    gateway = DeviceGateway(replace(config, ledsign=sign_config), devices, link_to_host, None,
                            journal)
    stop = threading.Event()

    async def run() -> None:
        tasks = gateway.tasks()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        gateway.stop()
        await link_to_host.close()

    loop_thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    loop_thread.start()
    try:
        yield Rig(host, gateway, devices, vsign, transport, journal)
    finally:
        stop.set()
        loop_thread.join(timeout=10)
        devices.close()
        vsign.stop()
        host.kill()


def test_a_sign_that_hangs_up_is_faulty_retried_and_shows_the_call_when_back(rig: Rig) -> None:
    first = rig.call(1)
    wait_until(lambda: rig.vsign.text("11") == f"{first} -> 1", "first call not on the sign")
    wait_until(lambda: rig.report("ledsign")["status"] == "ok", "sign not reported ok")

    rig.vsign.inject("hangup")  # the adapter vanishes with the next packet, until replugged
    second = rig.call(2)
    wait_until(lambda: rig.report("ledsign")["status"] == "fault", "sign not reported faulty")
    assert rig.report("ledsign")["detail"]
    # The other devices and the event stream go on while the sign is down.
    wait_until(lambda: rig.keypad_shows(2, second), "keypad 2 display not updated")
    third = rig.call(3)
    wait_until(lambda: rig.keypad_shows(3, third), "keypad 3 display not updated")
    seq = rig.journal.data.last_event_seq
    wait_until(lambda: rig.gateway.sign_health.failures >= 2, "the sign is not retried")
    assert rig.journal.data.last_event_seq >= seq and rig.gateway.events_connected
    assert rig.vsign.text("12") == ""  # nothing reached the sign meanwhile

    rig.vsign.replug()
    wait_until(lambda: rig.vsign.text("13") == f"{third} -> 3", "calls not shown after replug",
               timeout=LAST_RETRY_S + 10)
    assert rig.vsign.text("12") == f"{second} -> 2"  # the missed call, in order
    board = rig.vsign.lines("01")
    assert board[:3] == [f"{third} -> 3", f"{second} -> 2", f"{first} -> 1"]
    wait_until(lambda: rig.report("ledsign")["status"] == "ok", "sign not reported ok again")


def test_any_exception_from_the_sign_line_is_supervised(rig: Rig) -> None:
    """termios.error is no LedSignError: before, it ended the event stream for good."""
    rig.transport.failures = 2
    first = rig.call(1)
    wait_until(lambda: rig.report("ledsign")["status"] == "fault", "sign not reported faulty")
    assert "error" in rig.report("ledsign")["detail"]
    wait_until(lambda: rig.keypad_shows(1, first), "keypad 1 display not updated")
    wait_until(lambda: rig.vsign.text("11") == f"{first} -> 1", "call not shown after retries")
    # the sign decodes the packet before the supervisor marks the line ok again
    wait_until(lambda: rig.report("ledsign")["status"] == "ok", "sign not reported ok again")
    second = rig.call(2)  # and the stream still delivers
    wait_until(lambda: rig.vsign.text("12") == f"{second} -> 2", "stream stopped")


def test_a_sign_that_refuses_packets_is_reported_with_the_refusal(rig: Rig) -> None:
    rig.vsign.inject("nak", 4)  # a packet and its one resend, twice
    first = rig.call(1)
    wait_until(lambda: rig.report("ledsign")["status"] == "fault", "sign not reported faulty")
    assert "did not acknowledge" in rig.report("ledsign")["detail"]
    wait_until(lambda: rig.vsign.text("11") == f"{first} -> 1", "call never shown", timeout=20)
    wait_until(lambda: rig.report("ledsign")["status"] == "ok", "fault not cleared")


def test_the_heartbeat_carries_the_fault_to_the_host(rig: Rig) -> None:
    rig.vsign.inject("hangup")
    rig.call(1)
    wait_until(lambda: rig.report("ledsign")["status"] == "fault", "sign not reported faulty")
    with rig.host.client(rig.gateway.host.token) as kiosk:
        r = kiosk.post("/api/v1/devices/heartbeat", json={
            "kiosk": "entrance", "devices": rig.gateway.device_reports()})
        assert r.status_code < 300, r.text
    with rig.host.client(rig.host.token(Role.TECHNICIAN)) as tech:
        devices = tech.get("/api/v1/devices").json()
    assert "ledsign" in str(devices) and "fault" in str(devices)


def test_device_health_backs_off_and_recovers() -> None:
    now = [100.0]
    health = DeviceHealth("sign", clock=lambda: now[0])

    def fail() -> None:
        raise termios.error(5, "Input/output error")

    waits = []
    for _ in range(7):
        assert health.attempt(fail) is False
        waits.append(health.wait_s())
        now[0] += health.wait_s()
    assert waits == [1, 2, 4, 8, 16, 30, 30]  # doubling, capped
    assert health.fault == "error: (5, 'Input/output error')"
    assert health.attempt(lambda: None) is True
    assert (health.fault, health.failures, health.wait_s()) == (None, 0, 0)
    assert health.attempt(lambda: [][1]) is False  # any exception at all
    assert health.fault is not None and health.fault.startswith("IndexError")


def test_a_keypad_that_stops_answering_is_faulty_while_the_others_go_on(rig: Rig) -> None:
    keypads = rig.devices.virtual["keypads"]
    keypads.set_silent(2)
    second = rig.call(2)
    wait_until(lambda: rig.report("keypad-2")["status"] == "fault", "keypad 2 not reported")
    first = rig.call(1)
    wait_until(lambda: rig.keypad_shows(1, first), "keypad 1 display not updated")
    wait_until(lambda: rig.vsign.text("12") == f"{second} -> 2", "sign not updated")
    assert rig.gateway.keypad_health[2].failures >= 1  # its display write went unanswered
    keypads.set_silent(2, False)
    wait_until(lambda: rig.gateway.keypad_health[2].fault is None, "keypad 2 not retried",
               timeout=LAST_RETRY_S + 10)
    assert rig.keypad_shows(2, second)
    wait_until(lambda: rig.report("keypad-2")["status"] == "ok", "keypad 2 not ok again")
