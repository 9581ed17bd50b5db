"""A virtual Alpha sign line: the far side of a pseudo-terminal, decoding what a sign would.

It serves the pty in a background thread (tests and the demo alike), splits the byte stream into
packets, verifies checksums, keeps the current TEXT file per address and answers like a sign with
ACK/NAK enabled:

* an addressed packet (not ``00``) for one of its addresses gets ``ACK 0x40`` when every checksum
  is good, ``NAK 0x50`` (status bit 4, checksum error) otherwise, ``NAK 0x60`` (bit 5, illegal
  command) for a command other than Write TEXT; a bad packet changes nothing on the sign;
* a broadcast is applied to every address and never answered (answers would collide);
* a packet cut short (new SOH before EOT, or ``idle_reset`` seconds of silence mid-packet) and
  garbage between packets are dropped, logged and kept in :attr:`errors`.

Faults: ``silent`` (decode but never answer), ``unplug()`` / ``replug()`` (the adapter vanishes:
the pty closes and the ``link`` path disappears, like a udev symlink), and faults injected for
the next packets with :meth:`VirtualSign.inject`, the way OctoPrint's virtual printer injects
them into its serial conversation: ``nak`` (refuse the packet), ``garbage`` (answer line noise)
and ``hangup`` (the adapter vanishes as the packet arrives, until ``replug()``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from branchq.drivers.serial_pty import PtyPair, open_pty_pair

from . import protocol

log = logging.getLogger(__name__)

# Control codes followed by argument bytes (flash, font, colour, attribute, spacing).
_CODE_ARGS = {0x07: 1, 0x1A: 1, 0x1C: 1, 0x1D: 2, 0x1E: 1}


@dataclass(frozen=True)
class Line:
    """One visible line of a sign."""

    text: str
    flashing: bool


@dataclass(frozen=True)
class SignState:
    """The TEXT file a sign currently shows."""

    label: str
    position: int
    mode: str
    text: bytes

    def lines(self, encoding: str = "ascii") -> list[Line]:
        """Visible lines, control codes interpreted (flash) or removed (font, colour).

        A line flashes when the whole file is in flash mode or any part of it is inside
        flash-on/flash-off control codes.
        """
        whole = self.mode == protocol.Mode.FLASH.value
        lines: list[Line] = []
        current = bytearray()
        flash = False
        line_flashes = whole
        data, i = self.text, 0
        while i < len(data):
            byte = data[i]
            if byte == protocol.CR:
                lines.append(Line(current.decode(encoding, "replace"), line_flashes))
                current.clear()
                line_flashes = whole or flash
            elif byte in _CODE_ARGS:
                if byte == 0x07:
                    flash = data[i + 1 : i + 2] == b"1"
                    line_flashes = line_flashes or flash
                i += _CODE_ARGS[byte]
            elif byte >= 0x20:
                current.append(byte)
            i += 1
        lines.append(Line(current.decode(encoding, "replace"), line_flashes))
        return lines


class VirtualSign:
    """Signs at ``addresses`` on one pty; ``port`` is the path a driver opens."""

    def __init__(
        self,
        addresses: tuple[str, ...] = ("01",),
        *,
        link: str | os.PathLike[str] | None = None,
        idle_reset: float = 0.5,
    ) -> None:
        self.addresses = tuple(a.upper() for a in addresses)
        self.silent = False
        self._faults: deque[str] = deque()
        self.packets: list[protocol.Packet] = []
        self.errors: list[str] = []
        self._link = Path(link) if link is not None else None
        self._idle_reset = idle_reset
        self._states: dict[str, SignState] = {}
        self._decoder = protocol.StreamDecoder()
        self._lock = threading.RLock()  # wait_for() predicates read state under it
        self._changed = threading.Condition(self._lock)
        self._pair: PtyPair | None = None
        self._running = False
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> VirtualSign:
        self.replug()
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="virtual-sign", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.unplug()

    def __enter__(self) -> VirtualSign:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def port(self) -> str:
        """The path a driver opens: the link when one was asked for, else the pty slave."""
        if self._link is not None:
            return str(self._link)
        if self._pair is None:
            raise RuntimeError("virtual sign is unplugged")
        return self._pair.slave_path

    def unplug(self) -> None:
        """The adapter vanishes: the pty closes and the link path disappears."""
        with self._lock:
            if self._pair is not None:
                self._pair.close()
                self._pair = None
            if self._link is not None:
                self._link.unlink(missing_ok=True)
            self._decoder.reset()

    def replug(self) -> None:
        """The adapter comes back (a new pty; the link points at it)."""
        with self._lock:
            if self._pair is None:
                self._pair = open_pty_pair()
            if self._link is not None:
                self._link.unlink(missing_ok=True)
                self._link.symlink_to(self._pair.slave_path)

    FAULTS = ("nak", "garbage", "hangup")

    def inject(self, fault: str, times: int = 1) -> None:
        """Let the next ``times`` addressed packets meet ``fault`` (one of :data:`FAULTS`)."""
        if fault not in self.FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(self.FAULTS)}")
        with self._lock:
            self._faults.extend([fault] * times)

    # -- what the sign shows ------------------------------------------------------------------
    def state(self, address: str) -> SignState | None:
        with self._lock:
            return self._states.get(address.upper())

    def lines(self, address: str, encoding: str = "ascii") -> list[str]:
        state = self.state(address)
        return [] if state is None else [line.text for line in state.lines(encoding)]

    def text(self, address: str, encoding: str = "ascii") -> str:
        return "\n".join(self.lines(address, encoding))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
        """Wait until ``predicate()`` is true (checked after each packet); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    # -- the serving thread -------------------------------------------------------------------
    def _serve(self) -> None:
        last_byte = time.monotonic()
        while self._running:
            try:
                with self._lock:
                    data = self._pair.read(0.02) if self._pair is not None else b""
                    now = time.monotonic()
                    if data:
                        last_byte = now
                        self._handle(self._decoder.feed(data))
                    elif self._decoder.pending and now - last_byte > self._idle_reset:
                        self._handle(list(self._decoder.reset()))
                if self._pair is None:
                    time.sleep(0.02)
            except Exception:  # the thread must survive anything the line throws at it
                log.exception("virtual sign: unexpected error while serving")

    def _handle(self, items: list[protocol.Packet | protocol.DecodeError]) -> None:
        for item in items:
            if isinstance(item, protocol.DecodeError):
                self.errors.append(f"{item.reason}: {item.data[:32].hex(' ')}")
                log.warning("virtual sign dropped %d bytes: %s", len(item.data), item.reason)
            else:
                self._apply(item)
        self._changed.notify_all()

    def _apply(self, packet: protocol.Packet) -> None:
        address = packet.address.upper()
        if address != protocol.BROADCAST and address not in self.addresses:
            return  # another sign's packet
        if self._faults and address != protocol.BROADCAST:
            self._injected(self._faults.popleft(), address)
            return
        status = protocol.STATUS_BASE
        if any(c.checksum_ok is False for c in packet.commands):
            status |= protocol.STATUS_CHECKSUM_ERROR
            self.errors.append(f"checksum error in packet for {address}")
            log.warning("virtual sign %s: bad checksum, packet ignored", address)
        elif any(c.code != protocol.CMD_WRITE_TEXT for c in packet.commands):
            status |= protocol.STATUS_ILLEGAL_COMMAND
            self.errors.append(f"unsupported command for {address}")
        elif not self._store(address, packet):
            status |= protocol.STATUS_ILLEGAL_COMMAND
        self._reply(address, status)

    def _store(self, address: str, packet: protocol.Packet) -> bool:
        try:
            files = [protocol.parse_write_text(c.data) for c in packet.commands]
        except protocol.EncodingError as err:
            self.errors.append(f"malformed Write TEXT for {address}: {err}")
            return False
        targets = self.addresses if address == protocol.BROADCAST else (address,)
        self.packets.append(packet)
        for f in files:
            for target in targets:
                self._states[target] = SignState(f.label, f.position, f.mode, f.text)
        return True

    def _injected(self, fault: str, address: str) -> None:
        """The packet meets an injected fault and changes nothing on the sign."""
        self.errors.append(f"injected {fault} for {address}")
        log.warning("virtual sign %s: injected fault %s", address, fault)
        if fault == "nak":
            self._reply(address, protocol.STATUS_BASE | protocol.STATUS_ILLEGAL_COMMAND)
        elif fault == "garbage" and self._pair is not None and not self.silent:
            self._pair.write(b"\xff\x13\x00")
        elif fault == "hangup":
            self.unplug()

    def _reply(self, address: str, status: int) -> None:
        if address == protocol.BROADCAST or self.silent or self._pair is None:
            return
        answer = protocol.ACK if status == protocol.STATUS_BASE else protocol.NAK
        self._pair.write(bytes([answer, status]))
