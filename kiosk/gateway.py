"""The device gateway: host calls to the LED signs and keypad displays; keypad presses to the host.

The event stream is followed with ``after=SEQ`` (the last sequence number is kept in the journal),
so no call is missed across a reconnect or a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from drivers.keypad.bus import KeyPress
from drivers.keypad.registers import Key
from drivers.ledsign.errors import LedSignError
from kiosk.config import KioskConfig
from kiosk.devices import KioskDevices
from kiosk.hostlink import HostError, HostLink
from kiosk.journal import Journal

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


class DeviceGateway:
    def __init__(self, config: KioskConfig, devices: KioskDevices, host: HostLink,
                 keypad_host: HostLink | None, journal: Journal) -> None:
        self.config = config
        self.devices = devices
        self.host = host
        self.keypad_host = keypad_host
        self.journal = journal
        self.sign_error: str | None = None
        self.events_connected = False
        self._stop = threading.Event()
        self._presses: asyncio.Queue[KeyPress] | None = None

    def tasks(self) -> list[asyncio.Task[None]]:
        tasks = [asyncio.create_task(self._follow_events(), name="events")]
        if self.devices.keypads is not None:
            self._presses = asyncio.Queue()
            loop = asyncio.get_running_loop()
            threading.Thread(target=self._poll_keypads, args=(loop,), daemon=True,
                             name="keypads").start()
            tasks.append(asyncio.create_task(self._forward_presses(), name="keypad-presses"))
        return tasks

    def stop(self) -> None:
        self._stop.set()

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
                        await self._on_event(json.loads(message))
            except (OSError, WebSocketException, TimeoutError) as err:
                if self.events_connected:
                    log.warning("event stream lost: %s", err)
            self.events_connected = False
            await asyncio.sleep(RECONNECT_S)

    async def _on_event(self, event: dict[str, Any]) -> None:
        kind, counter, data = event["kind"], event.get("counter"), event.get("data", {})
        if kind in ("ticket_called", "ticket_recalled") and counter is not None:
            await asyncio.to_thread(self._show_call, data["label"], counter,
                                    kind == "ticket_recalled")
        self.journal.data.last_event_seq = int(event["seq"])
        self.journal.save()

    def _show_call(self, label: str, counter: int, recall: bool) -> None:
        sign = self.devices.sign
        if sign is not None:
            try:
                sign.show_call(label, counter, recall=recall)
                self.sign_error = None
            except LedSignError as err:
                self.sign_error = str(err)
                log.error("LED sign: %s", err)
        bus, keypads = self.devices.keypads, self.config.keypads
        if bus is not None and keypads is not None:
            for keypad in keypads.keypads:
                if keypad.counter == counter:
                    try:
                        bus.show_number(keypad.unit, label)
                    except Exception as err:  # a dead keypad display must not stop the signs
                        log.warning("keypad %d display: %s", keypad.unit, err)

    # -- keypad presses -> host ------------------------------------------------------------
    def _poll_keypads(self, loop: asyncio.AbstractEventLoop) -> None:
        bus = self.devices.keypads
        while bus is not None and not self._stop.is_set():
            for press in bus.poll():  # never raises; offline keypads are in bus.status()
                if self._presses is not None:
                    loop.call_soon_threadsafe(self._presses.put_nowait, press)
            self._stop.wait(KEYPAD_POLL_S)

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
            paused = next((c["paused"] for c in counters if c["number"] == press.counter), False)
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
            reports.append({"device": "ledsign", "status": "fault" if self.sign_error else "ok",
                            "detail": (self.sign_error or "")[:200]})
        if self.devices.keypads is not None:
            for k in self.devices.keypads.status():
                if k.last_seen is None and not k.failures:
                    continue  # not polled yet: neither ok nor offline (no false fault at start)
                reports.append({
                    "device": f"keypad-{k.unit}",
                    "status": "ok" if k.online else "offline",
                    "detail": "" if k.online else (k.last_error or "not answering")[:200],
                })
        return reports
