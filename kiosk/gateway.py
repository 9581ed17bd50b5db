"""The device gateway: host calls to the LED signs and keypad displays; keypad presses to the host.

The event stream is followed with ``after=SEQ`` (the last sequence number is kept in the journal),
so no call is missed across a reconnect or a restart. The stream only hands calls over: the sign
line and the keypad bus each have their own thread, supervised (kiosk/supervisor.py), so a device
that fails in any way is marked faulty and retried with backoff while everything else goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from branchq.drivers.keypad.registers import Key
from branchq.drivers.ledsign.sign import Call
from branchq.kiosk.config import KioskConfig
from branchq.kiosk.devices import KioskDevices
from branchq.kiosk.hostlink import HostError, HostLink
from branchq.kiosk.journal import Journal
from branchq.kiosk.supervisor import DeviceHealth

if TYPE_CHECKING:
    from branchq.drivers.keypad.bus import KeyPress  # pymodbus: imported once the bus opens

log = logging.getLogger("branchq.kiosk.gateway")

_KEY_ACTIONS: dict[Key, tuple[str, dict[str, int] | None]] = {
    Key.CALL_NEXT: ("call-next", None),
    Key.RECALL: ("recall", None),
    Key.NO_SHOW: ("no-show", None),
    Key.DONE: ("done", None),
    Key.SATISFACTION_1: ("rating", {"score": 1}),
    Key.SATISFACTION_2: ("rating", {"score": 2}),
    Key.SATISFACTION_3: ("rating", {"score": 3}),
}
KEYPAD_POLL_S = 0.2
RECONNECT_S = 1.0
# Calls kept for a faulty sign line; beyond that the oldest are dropped (the hall board shows
# only the newest few anyway).
MAX_PENDING_CALLS = 64


class DeviceGateway:
    def __init__(self, config: KioskConfig, devices: KioskDevices, host: HostLink,
                 keypad_host: HostLink | None, journal: Journal) -> None:
        self.config = config
        self.devices = devices
        self.host = host
        self.keypad_host = keypad_host
        self.journal = journal
        self.events_connected = False
        self.sign_health = DeviceHealth("LED sign line")
        self.bus_health = DeviceHealth("keypad bus")
        units = config.keypads.keypads if config.keypads else ()
        self.keypad_health = {k.unit: DeviceHealth(f"keypad {k.unit}") for k in units}
        self._stop = threading.Event()
        self._calls: deque[Call] = deque(maxlen=MAX_PENDING_CALLS)
        self._displays: dict[int, str] = {}  # unit -> number its display should show
        self._wake = threading.Condition()
        self._presses: asyncio.Queue[KeyPress] | None = None
        # Who else reads the host's events (the kiosk: its call for help acknowledged, closed).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    def tasks(self) -> list[asyncio.Task[None]]:
        tasks = [asyncio.create_task(self._follow_events(), name="events")]
        if self.devices.sign is not None:
            threading.Thread(target=self._drive_sign, daemon=True, name="ledsign").start()
        if self.devices.keypads is not None:
            self._presses = asyncio.Queue()
            loop = asyncio.get_running_loop()
            threading.Thread(target=self._drive_keypads, args=(loop,), daemon=True,
                             name="keypads").start()
            tasks.append(asyncio.create_task(self._forward_presses(), name="keypad-presses"))
        return tasks

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()

    # -- host events -> LED signs and keypad displays -------------------------------------
    async def _follow_events(self) -> None:
        base = self.host.base_url.replace("http://", "ws://").replace("https://", "wss://")
        while True:
            url = f"{base}/api/v1/events?after={self.journal.data.last_event_seq}"
            try:
                async with connect(url, additional_headers={
                        "Authorization": f"Bearer {self.host.token}"}, open_timeout=5) as ws:
                    self.events_connected = True
                    async for message in ws:
                        self._on_event(json.loads(message))
            except (OSError, WebSocketException, TimeoutError) as err:
                if self.events_connected:
                    log.warning("event stream lost: %s", err)
            except Exception:  # the stream must outlive anything; it resumes after SEQ
                log.exception("event stream failed")
            self.events_connected = False
            await asyncio.sleep(RECONNECT_S)

    def _on_event(self, event: dict[str, Any]) -> None:
        kind, counter, data = event["kind"], event.get("counter"), event.get("data", {})
        if kind in ("ticket_called", "ticket_recalled") and counter is not None:
            self._show_call(Call(data["label"], counter, kind == "ticket_recalled"))
        for listener in self.listeners:
            listener(event)
        self.journal.data.last_event_seq = int(event["seq"])
        self.journal.save()

    def _show_call(self, call: Call) -> None:
        """Hand the call to the sign and keypad threads; never waits for a device."""
        with self._wake:
            if self.devices.sign is not None:
                self._calls.append(call)
            for keypad in (self.config.keypads.keypads if self.config.keypads else ()):
                if keypad.counter == call.counter:
                    self._displays[keypad.unit] = call.ticket
            self._wake.notify_all()

    def _drive_sign(self) -> None:
        """The sign line's thread: each call in order; a failed one is tried again (after the
        backoff) before any later one, so the board ends up as the host called."""
        sign = self.devices.sign
        while sign is not None and not self._stop.is_set():
            with self._wake:
                self._wake.wait_for(lambda: bool(self._calls) or self._stop.is_set())
                if self._stop.is_set():
                    return
                call = self._calls[0]
            if self._stop.wait(self.sign_health.wait_s()):
                return
            if self.sign_health.attempt(
                    partial(sign.show_call, call.ticket, call.counter, recall=call.recall)):
                with self._wake:
                    if self._calls and self._calls[0] is call:
                        self._calls.popleft()

    # -- keypad presses -> host ------------------------------------------------------------
    def _drive_keypads(self, loop: asyncio.AbstractEventLoop) -> None:
        """The keypad bus's thread (the bus is not thread-safe): poll for presses and update
        displays, each keypad supervised on its own, the bus as a whole too."""
        bus = self.devices.keypads
        while bus is not None and not self._stop.wait(KEYPAD_POLL_S):
            if self.bus_health.wait_s() > 0:
                continue
            self.bus_health.attempt(lambda: self._poll(loop))
            with self._wake:
                displays = list(self._displays.items())
            for unit, label in displays:
                health = self.keypad_health[unit]
                if health.wait_s() == 0 and health.attempt(partial(bus.show_number, unit, label)):
                    with self._wake:
                        if self._displays.get(unit) == label:
                            del self._displays[unit]

    def _poll(self, loop: asyncio.AbstractEventLoop) -> None:
        bus = self.devices.keypads
        for press in bus.poll() if bus is not None else []:
            if self._presses is not None:
                loop.call_soon_threadsafe(self._presses.put_nowait, press)

    async def _forward_presses(self) -> None:
        presses = self._presses
        while presses is not None:
            press = await presses.get()
            if press.missed:
                log.warning("keypad %d: %d press(es) lost between polls", press.unit, press.missed)
            try:
                await self._act(press)
            except HostError as err:
                log.error("keypad %d (counter %d) %s: %s", press.unit, press.counter,
                          press.key.value, err)

    async def _act(self, press: KeyPress) -> None:
        host = self.keypad_host
        if host is None:
            log.error("keypad press ignored: no keypad_token_file configured")
            return
        if press.key is Key.PAUSE_RESUME:
            counters = await host.counters()
            paused = next((c.paused for c in counters if c.number == press.counter), False)
            await host.counter_action(press.counter, "resume" if paused else "pause")
            return
        action = _KEY_ACTIONS.get(press.key)
        if action is None:
            log.info("keypad %d: %s needs the counter console (choose the service there)",
                     press.unit, press.key.value)
            return
        await host.counter_action(press.counter, action[0], action[1])

    # -- health ----------------------------------------------------------------------------
    def device_reports(self) -> list[dict[str, str]]:
        reports = []
        if self.devices.sign is not None:
            fault = self.sign_health.fault
            reports.append({"device": "ledsign", "status": "fault" if fault else "ok",
                            "detail": fault or ""})
        if self.devices.keypads is not None:
            for k in self.devices.keypads.status():
                fault = self.bus_health.fault or self.keypad_health[k.unit].fault
                if fault:
                    reports.append({"device": f"keypad-{k.unit}", "status": "fault",
                                    "detail": fault})
                    continue
                if k.last_seen is None and not k.failures and not self.keypad_health[k.unit].tried:
                    continue  # not polled yet: neither ok nor offline (no false fault at start)
                reports.append({
                    "device": f"keypad-{k.unit}",
                    "status": "ok" if k.online else "offline",
                    "detail": "" if k.online else (k.last_error or "not answering")[:200],
                })
        return reports
