"""Virtual caller keypads: pymodbus's own RTU server on the far side of a pseudo-terminal.

The wire between master and keypads is two pty pairs joined by a bridge thread: the driver opens
the ``port`` path (one pty), pymodbus's :class:`ModbusSerialServer` opens the other, and the
bridge copies bytes both ways, which is where line faults are injected (noise in a reply, the
adapter unplugged). Each keypad is a pymodbus ``SimDevice`` whose registers are filled from a
:class:`VirtualKeypad` on every request, so the test API (``press``) and the wire agree.

Faults: ``set_silent(unit)`` (keypad unplugged or dead: requests get no reply), units the bus
does not have never answer either, ``garble_next_reply(noise)`` (line noise before a reply),
``unplug()``/``replug()`` (the USB-RS485 adapter vanishes; the ``link`` path goes with it),
``reboot(unit)`` (event counter back to 0).
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pymodbus import FramerType
from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice

from branchq.drivers.serial_pty import PtyPair, open_pty_pair

from .events import COUNTER_MODULO
from .registers import BRANCHQ_V1, Key, KeypadModel, decode_display, encode_display

log = logging.getLogger(__name__)

_READ_INPUT, _READ_HOLDING = 4, 3
_FIRMWARE = 0x0100  # 1.0


@dataclass
class VirtualKeypad:
    """The registers of one keypad."""

    unit: int
    model: KeypadModel
    counter: int = 0
    last_key: int = 0
    display: list[int] = field(default_factory=list)
    silent: bool = False

    def __post_init__(self) -> None:
        self.display = encode_display("", self.model.display_registers)

    def input_registers(self) -> dict[int, int]:
        m = self.model
        return {
            m.event_counter: self.counter,
            m.last_key: self.last_key,
            m.model_id: m.expected_model_id,
            m.firmware: _FIRMWARE,
        }


class VirtualKeypadBus:
    """Keypads with Modbus ``units`` on one virtual RS-485 line."""

    def __init__(
        self,
        units: Iterable[int],
        *,
        model: KeypadModel = BRANCHQ_V1,
        link: str | os.PathLike[str] | None = None,
        baudrate: int = 19200,
    ) -> None:
        self.keypads = {u: VirtualKeypad(u, model) for u in units}
        self._model = model
        self._link = Path(link) if link is not None else None
        self._baudrate = baudrate
        self._lock = threading.Lock()
        self._master_side: PtyPair | None = None
        self._keypad_side = open_pty_pair()
        self._noise: bytes | None = None
        self._running = False
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_serving: asyncio.Event | None = None
        self._ready = threading.Event()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> VirtualKeypadBus:
        self.replug()
        self._running = True
        self._threads = [
            threading.Thread(target=self._serve_modbus, name="virtual-keypads", daemon=True),
            threading.Thread(target=self._bridge, name="virtual-rs485", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if not self._ready.wait(timeout=5):
            raise RuntimeError("virtual keypad server did not start")
        return self

    def stop(self) -> None:
        self._running = False
        if self._loop is not None and self._stop_serving is not None:
            self._loop.call_soon_threadsafe(self._stop_serving.set)
        for thread in self._threads:
            thread.join(timeout=3)
        self.unplug()
        self._keypad_side.close()

    def __enter__(self) -> VirtualKeypadBus:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def port(self) -> str:
        """The path the master opens."""
        if self._link is not None:
            return str(self._link)
        if self._master_side is None:
            raise RuntimeError("virtual keypad bus is unplugged")
        return self._master_side.slave_path

    # -- test API -----------------------------------------------------------------------------
    def press(self, unit: int, key: Key, times: int = 1) -> None:
        """A teller presses ``key`` (``times`` times) on keypad ``unit``."""
        keypad = self.keypads[unit]
        with self._lock:
            keypad.counter = (keypad.counter + times) % COUNTER_MODULO
            keypad.last_key = keypad.model.code(key)

    def set_counter(self, unit: int, value: int) -> None:
        with self._lock:
            self.keypads[unit].counter = value % COUNTER_MODULO

    def reboot(self, unit: int) -> None:
        """Power cycle: the counter and last key start again at 0, the display is blank."""
        keypad = self.keypads[unit]
        with self._lock:
            keypad.counter = keypad.last_key = 0
            keypad.display = encode_display("", keypad.model.display_registers)

    def display_text(self, unit: int) -> str:
        with self._lock:
            return decode_display(self.keypads[unit].display)

    def set_silent(self, unit: int, silent: bool = True) -> None:
        with self._lock:
            self.keypads[unit].silent = silent

    def garble_next_reply(self, noise: bytes) -> None:
        """Put ``noise`` on the line just before the next reply reaches the master."""
        with self._lock:
            self._noise = noise

    def unplug(self) -> None:
        """The master's adapter vanishes: its pty closes and the link path disappears."""
        with self._lock:
            if self._master_side is not None:
                self._master_side.close()
                self._master_side = None
            if self._link is not None:
                self._link.unlink(missing_ok=True)

    def replug(self) -> None:
        with self._lock:
            if self._master_side is None:
                self._master_side = open_pty_pair()
            if self._link is not None:
                self._link.unlink(missing_ok=True)
                self._link.symlink_to(self._master_side.slave_path)

    # -- the wire -----------------------------------------------------------------------------
    def _bridge(self) -> None:
        """Copy bytes between the master's pty and the keypads' pty, injecting line faults."""
        while self._running:
            with self._lock:
                master = self._master_side
            fds = [self._keypad_side.master_fd] + ([master.master_fd] if master else [])
            try:
                ready, _, _ = select.select(fds, [], [], 0.02)
                for fd in ready:
                    data = os.read(fd, 4096)
                    with self._lock:
                        if fd == self._keypad_side.master_fd:
                            self._to_master(data)
                        elif self._master_side is master:
                            self._keypad_side.write(data)
            except OSError as err:  # the master side was closed by unplug(): keep serving
                log.debug("virtual RS-485 bridge: %s", err)
            except Exception:
                log.exception("virtual RS-485 bridge: unexpected error")

    def _to_master(self, data: bytes) -> None:
        if self._master_side is None:
            return  # nobody is listening: the bytes are lost on the line
        if self._noise is not None:
            data, self._noise = self._noise + data, None
        self._master_side.write(data)

    def _serve_modbus(self) -> None:
        try:
            asyncio.run(self._run_server())
        except Exception:
            log.exception("virtual keypad server stopped")
            self._ready.set()

    async def _run_server(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_serving = asyncio.Event()
        devices = [self._sim_device(u) for u in self.keypads]
        devices.append(self._sim_device(0))  # catch-all: absent units, answers dropped below
        server = ModbusSerialServer(
            devices,
            framer=FramerType.RTU,
            port=self._keypad_side.slave_path,
            baudrate=self._baudrate,
            trace_packet=self._trace,
        )
        await server.serve_forever(background=True)
        self._ready.set()
        await self._stop_serving.wait()
        await server.shutdown()  # type: ignore[no-untyped-call]  # untyped in pymodbus

    def _sim_device(self, unit: int) -> SimDevice:
        model = self._model
        inputs = (model.event_counter, model.last_key, model.model_id, model.firmware)

        def bits() -> list[SimData]:
            return [SimData(0, values=[False] * 16, datatype=DataType.BITS)]

        return SimDevice(
            unit,
            simdata=(
                bits(),
                bits(),
                [SimData(model.display, count=model.display_registers, values=0x2020,
                         datatype=DataType.REGISTERS)],
                [SimData(min(inputs), count=max(inputs) - min(inputs) + 1,
                         datatype=DataType.REGISTERS)],
            ),
            action=partial(self._action, unit),
        )

    async def _action(
        self,
        unit: int,
        function_code: int,
        start: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> None:
        """Sync a request with the keypad model: fill registers before a read, keep writes."""
        with self._lock:
            keypad = self.keypads.get(unit)
            if keypad is None:
                return
            if function_code == _READ_INPUT:
                for reg, value in keypad.input_registers().items():
                    if 0 <= reg - start < len(registers):
                        registers[reg - start] = value
            elif function_code == _READ_HOLDING:
                registers[: len(keypad.display)] = keypad.display
            elif values is not None:  # 06 / 16: the master writes the display
                offset = address - self._model.display
                for i, value in enumerate(values):
                    if 0 <= offset + i < len(keypad.display):
                        keypad.display[offset + i] = int(value)

    def _trace(self, sending: bool, data: bytes) -> bytes:
        """Drop the replies of silent or absent keypads (a reply starts with its unit id)."""
        if not sending or not data:
            return data
        keypad = self.keypads.get(data[0])
        return b"" if keypad is None or keypad.silent else data
