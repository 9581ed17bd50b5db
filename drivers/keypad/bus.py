"""The kiosk as Modbus RTU master of the caller keypads (pymodbus).

``poll()`` reads every keypad once and returns new presses. It never raises for a keypad that
does not answer, answers garbage or an exception, or for a port that vanished: the keypad's
status records the failure and the next poll tries again (the port is reopened by path).
The bus is not thread-safe: call it from one thread, e.g. the kiosk's device thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from pymodbus import FramerType, ModbusException
from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ConnectionException

from .config import KeypadBusConfig, KeypadConfig
from .errors import KeypadBusError
from .events import CounterTracker
from .registers import Key, KeypadModel, encode_display

log = logging.getLogger(__name__)
wire_log = logging.getLogger("branchq.wire.keypad")


@dataclass(frozen=True)
class KeyPress:
    """A press read from a keypad. ``sequence`` is the keypad's event counter after the press;
    ``missed`` presses happened before it since the last poll, their keys unknown."""

    unit: int
    counter: int
    key: Key
    sequence: int
    missed: int = 0


@dataclass(frozen=True)
class KeypadStatus:
    """What a technician or the lobby dashboard sees about one keypad."""

    unit: int
    counter: int
    online: bool
    failures: int  # consecutive failed polls
    last_error: str | None
    last_seen: float | None  # monotonic seconds of the last good reply
    model_id: int | None
    firmware: int | None


@dataclass
class _Keypad:
    config: KeypadConfig
    model: KeypadModel
    tracker: CounterTracker
    failures: int = 0
    last_error: str | None = None
    last_seen: float | None = None
    model_id: int | None = None
    firmware: int | None = None


class KeypadBus:
    """All keypads on one RS-485 line."""

    def __init__(
        self, config: KeypadBusConfig, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._clock = clock
        self._keypads = {
            k.unit: _Keypad(k, config.model_of(k), CounterTracker(config.max_presses_per_poll))
            for k in config.keypads
        }
        self._client = ModbusSerialClient(
            port=config.port,
            framer=FramerType.RTU,
            baudrate=config.baudrate,
            bytesize=config.bytesize,
            parity=config.parity,
            stopbits=config.stopbits,
            timeout=config.timeout,
            retries=0,  # the next poll is the retry; a silent keypad costs one timeout
            trace_packet=_trace,
        )

    # -- public API ---------------------------------------------------------------------------
    def poll(self) -> list[KeyPress]:
        """Read every keypad once; new presses in bus order. Failures go to :meth:`status`."""
        if not self._connect():
            return []
        presses: list[KeyPress] = []
        for keypad in self._keypads.values():
            try:
                press = self._poll_one(keypad)
            except ConnectionException as err:
                self._port_lost(err)
                return presses
            except (ModbusException, KeypadBusError) as err:
                self._failed(keypad, err)
                continue
            if press is not None:
                presses.append(press)
        return presses

    def show_number(self, unit: int, text: str) -> None:
        """Show ``text`` (e.g. "A023") on the keypad's display; raises :class:`KeypadBusError`."""
        keypad = self._keypads.get(unit)
        if keypad is None:
            raise KeypadBusError(f"no keypad with unit id {unit}")
        try:
            values = encode_display(text, keypad.model.display_registers)
        except ValueError as err:
            raise KeypadBusError(f"keypad {unit} cannot show {text!r}: {err}") from err
        if not self._connect():
            raise KeypadBusError(f"keypad port {self._config.port} is not available")
        try:
            reply = self._client.write_registers(keypad.model.display, values, device_id=unit)
        except ConnectionException as err:
            self._port_lost(err)
            raise KeypadBusError(f"keypad port lost while writing to unit {unit}") from err
        except ModbusException as err:
            raise KeypadBusError(f"keypad {unit} did not take the display text: {err}") from err
        if reply.isError():
            raise KeypadBusError(f"keypad {unit} refused the display text: {reply}")

    def status(self) -> list[KeypadStatus]:
        return [self._status(k) for k in self._keypads.values()]

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]  # pymodbus leaves close() untyped

    # -- internals ----------------------------------------------------------------------------
    def _connect(self) -> bool:
        if self._client.connected:
            return True
        if self._client.connect():
            log.info("keypad bus port %s open", self._config.port)
            for keypad in self._keypads.values():
                keypad.tracker.resync()  # never replay what happened while we were away
            return True
        error = KeypadBusError(f"cannot open keypad port {self._config.port}")
        for keypad in self._keypads.values():
            self._failed(keypad, error)
        return False

    def _poll_one(self, keypad: _Keypad) -> KeyPress | None:
        unit, model = keypad.config.unit, keypad.model
        first, count = model.poll_span
        reply = self._client.read_input_registers(first, count=count, device_id=unit)
        if reply.isError():
            raise KeypadBusError(f"exception reply {reply}")
        counter = reply.registers[model.event_counter - first]
        code = reply.registers[model.last_key - first]
        now = self._clock()
        stale = keypad.last_seen is not None and now - keypad.last_seen > self._config.stale_after
        if keypad.tracker.last is None or stale:
            keypad.tracker.resync()
            self._identify(keypad)
        if keypad.failures:
            log.info("keypad %d (counter %d) is back", unit, keypad.config.counter)
        keypad.failures, keypad.last_error, keypad.last_seen = 0, None, now
        fresh = keypad.tracker.last is None
        step = keypad.tracker.update(counter)
        if step is None:
            if not fresh:
                log.warning("keypad %d: event counter jumped to %d (reset?); re-baselined",
                            unit, counter)
            return None
        if step == 0:
            return None
        key = model.key(code)
        if key is None:
            log.warning("keypad %d: unknown key code %d; %d press(es) ignored", unit, code, step)
            return None
        if step > 1:
            log.warning("keypad %d: %d presses since the last poll, only the last key is known",
                        unit, step)
        return KeyPress(unit, keypad.config.counter, key, sequence=counter, missed=step - 1)

    def _identify(self, keypad: _Keypad) -> None:
        """Read model id and firmware once per (re)connection; a failure here is not fatal."""
        model = keypad.model
        try:
            reply = self._client.read_input_registers(
                model.model_id, count=1, device_id=keypad.config.unit
            )
            firmware = self._client.read_input_registers(
                model.firmware, count=1, device_id=keypad.config.unit
            )
        except ConnectionException:
            raise
        except ModbusException as err:
            log.info("keypad %d: model not read: %s", keypad.config.unit, err)
            return
        if reply.isError() or firmware.isError():
            return
        keypad.model_id, keypad.firmware = reply.registers[0], firmware.registers[0]
        if keypad.model_id != model.expected_model_id:
            log.warning("keypad %d reports model id 0x%04X, config says %s (0x%04X)",
                        keypad.config.unit, keypad.model_id, model.name, model.expected_model_id)

    def _failed(self, keypad: _Keypad, err: Exception) -> None:
        keypad.failures += 1
        keypad.last_error = str(err)
        level = logging.WARNING if keypad.failures == self._config.offline_after else logging.DEBUG
        log.log(level, "keypad %d (counter %d): poll failed %d time(s): %s",
                keypad.config.unit, keypad.config.counter, keypad.failures, err)

    def _port_lost(self, err: Exception) -> None:
        log.warning("keypad port %s lost: %s", self._config.port, err)
        self._client.close()  # type: ignore[no-untyped-call]  # pymodbus leaves close() untyped
        for keypad in self._keypads.values():
            self._failed(keypad, KeypadBusError(f"keypad port lost: {err}"))

    def _status(self, keypad: _Keypad) -> KeypadStatus:
        online = keypad.last_seen is not None and keypad.failures < self._config.offline_after
        return KeypadStatus(
            unit=keypad.config.unit,
            counter=keypad.config.counter,
            online=online,
            failures=keypad.failures,
            last_error=keypad.last_error,
            last_seen=keypad.last_seen,
            model_id=keypad.model_id,
            firmware=keypad.firmware,
        )


def _trace(sending: bool, data: bytes) -> bytes:
    """pymodbus hook: every frame on the wire goes to the wire logger, unchanged."""
    if data:
        wire_log.debug("%s %s", ">" if sending else "<", data.hex(" "))
    return data
