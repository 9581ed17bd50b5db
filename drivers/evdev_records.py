"""evdev input events as bytes and as text: packed records, a pipe twin, recorded captures.

Shared by the touch and card reader drivers. Three things live here:

* packed ``struct input_event`` records (the bytes a ``/dev/input/eventN`` read returns) and a
  buffered reader for them on any file descriptor, so a pipe can stand in for the device node;
* event sources with one ``read(timeout)`` seam: a real ``evdev.InputDevice`` or a record pipe
  (drivers never care which);
* parsers for captures technicians send in: ``evemu-record`` files (1.2 and 1.3), ``evtest``
  output (modern and legacy names, markdown ``######`` prefixes) and python-evdev ``categorize``
  lines, so a field report can be replayed through the same code path as the device.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import select
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from evdev import InputDevice, InputEvent, ecodes

log = logging.getLogger(__name__)

#: 64-bit layout (x86_64, aarch64): tv_sec s64, tv_usec s64, type u16, code u16, value s32.
RECORD_64 = struct.Struct("<qqHHi")
#: 32-bit ARM layout (Raspberry Pi OS armhf): longs are 4 bytes.
RECORD_32 = struct.Struct("<llHHi")


class EvdevSourceError(Exception):
    """An event source failed: the device vanished, the pipe broke, the capture is unreadable."""


class EvdevSourceClosed(EvdevSourceError):
    """The far end closed (device unplugged, pipe writer gone): no more events will come."""


# --------------------------------------------------------------------------- packed records


def pack_events(events: Iterable[InputEvent], layout: struct.Struct = RECORD_64) -> bytes:
    """The bytes a kernel ``read()`` on an event node would return for these events."""
    return b"".join(
        layout.pack(ev.sec, ev.usec, ev.type, ev.code, ev.value) for ev in events
    )


def unpack_records(data: bytes, layout: struct.Struct = RECORD_64) -> list[InputEvent]:
    """Whole records in ``data`` as events; a trailing partial record is an error."""
    if len(data) % layout.size:
        raise EvdevSourceError(
            f"{len(data)} bytes is not a whole number of {layout.size}-byte input_event records"
        )
    return [InputEvent(*fields) for fields in layout.iter_unpack(data)]


class RecordReader:
    """Reads packed records from a file descriptor (pipe, FIFO or event node) with timeouts.

    A read may return part of a record (a pipe has no message boundaries): the rest is kept for the
    next call. At end of file a leftover partial record is logged and dropped.
    """

    def __init__(self, fd: int, layout: struct.Struct = RECORD_64) -> None:
        self._fd = fd
        self._layout = layout
        self._pending = b""
        self.closed = False

    def read(self, timeout: float) -> list[InputEvent]:
        """Events that arrive within ``timeout`` seconds (maybe none); EvdevSourceClosed at EOF."""
        if self.closed:
            raise EvdevSourceClosed("event pipe already closed")
        try:
            ready, _, _ = select.select([self._fd], [], [], timeout)
            chunk = os.read(self._fd, 64 * self._layout.size) if ready else None
        except OSError as err:
            self.closed = True
            raise EvdevSourceClosed(f"event source read failed: {err}") from err
        if chunk is None:
            return []
        if not chunk:
            self.closed = True
            if self._pending:
                log.error("event source closed mid-record: %d bytes dropped", len(self._pending))
            raise EvdevSourceClosed("event source reached end of file")
        data = self._pending + chunk
        whole = len(data) - len(data) % self._layout.size
        self._pending = data[whole:]
        return unpack_records(data[:whole], self._layout)


# --------------------------------------------------------------------------- event sources


class EventSource(Protocol):
    """What drivers read events from. ``read`` waits at most ``timeout`` seconds."""

    def read(self, timeout: float) -> list[InputEvent]: ...

    def close(self) -> None: ...


class PipeEventSource:
    """Packed records from a file descriptor: the virtual twin's side of the OS path."""

    def __init__(self, fd: int, layout: struct.Struct = RECORD_64) -> None:
        self._fd = fd
        self._reader = RecordReader(fd, layout)

    def read(self, timeout: float) -> list[InputEvent]:
        return self._reader.read(timeout)

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass


class DeviceEventSource:
    """A real ``evdev.InputDevice``. Optionally grabbed so no other reader sees its events."""

    def __init__(self, device: InputDevice[str], *, grab: bool = False) -> None:
        self.device = device
        # evdev types ``path`` as str | bytes; decode so messages never read "b'/dev/input/…'".
        self._path = os.fsdecode(device.path)
        self._grabbed = False
        if grab:
            try:
                device.grab()
            except OSError as err:
                raise EvdevSourceError(
                    f"cannot grab {self._path}: {err} (is another program holding it?)"
                ) from err
            self._grabbed = True

    def read(self, timeout: float) -> list[InputEvent]:
        dev = self.device
        try:
            ready, _, _ = select.select([dev.fileno()], [], [], timeout)
            return list(dev.read()) if ready else []
        except BlockingIOError:
            return []
        except OSError as err:
            if err.errno in (errno.ENODEV, errno.EBADF):
                raise EvdevSourceClosed(f"input device {self._path} vanished") from err
            raise EvdevSourceError(f"reading {self._path} failed: {err}") from err

    def close(self) -> None:
        try:
            if self._grabbed:
                self.device.ungrab()
            self.device.close()
        except OSError:
            pass


class EventPipe:
    """The device side of an ``os.pipe()``: write events (or faults) as the kernel would.

    The driver reads ``read_fd`` through :class:`PipeEventSource`. Fault injection: ``write_raw``
    for garbage or a truncated record, ``close`` to make the device vanish.
    """

    def __init__(self, layout: struct.Struct = RECORD_64) -> None:
        self.read_fd, self._write_fd = os.pipe()
        self._layout = layout

    def source(self) -> PipeEventSource:
        return PipeEventSource(self.read_fd, self._layout)

    def send(self, events: Iterable[InputEvent]) -> None:
        self.write_raw(pack_events(events, self._layout))

    def write_raw(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._write_fd, view) :]

    def close(self) -> None:
        try:
            os.close(self._write_fd)
        except OSError:
            pass


# --------------------------------------------------------------------------- captures as text


@dataclass(frozen=True)
class AbsRange:
    """One absolute axis as the kernel describes it (``struct input_absinfo``)."""

    minimum: int
    maximum: int
    value: int = 0
    resolution: int = 0


@dataclass
class Capture:
    """A device description and events from a recording (evemu, evtest or python-evdev text)."""

    name: str = ""
    absinfo: dict[int, AbsRange] = field(default_factory=dict)
    keys: set[int] = field(default_factory=set)
    props: set[int] = field(default_factory=set)
    events: list[InputEvent] = field(default_factory=list)


def _event_at(timestamp: str, etype: int, code: int, value: int) -> InputEvent:
    sec, _, usec = timestamp.partition(".")
    return InputEvent(int(sec), int(usec.ljust(6, "0")[:6]) if usec else 0, etype, code, value)


def parse_evemu(*texts: str) -> Capture:
    """Parse ``evemu-record`` output. Pass the 1.2 ``desc`` and ``events`` files together."""
    cap = Capture()
    for text in texts:
        key_bytes: list[int] = []  # the EV_KEY bitmask is split over many "B: 01" lines, in order
        for line in text.splitlines():
            tag, _, rest = line.partition(":")
            rest = rest.split("#", 1)[0].strip()
            if tag == "N":
                cap.name = rest
            elif tag == "A":
                fields = rest.split()
                cap.absinfo[int(fields[0], 16)] = AbsRange(
                    int(fields[1]), int(fields[2]),
                    resolution=int(fields[5]) if len(fields) > 5 else 0,
                )
            elif tag == "P":
                cap.props |= _bits([int(x, 16) for x in rest.split()])
            elif tag == "B":
                nums = [int(x, 16) for x in rest.split()]
                if nums and nums[0] == ecodes.EV_KEY:
                    key_bytes += nums[1:]
            elif tag == "E":
                ts, etype, code, value = rest.split()
                cap.events.append(_event_at(ts, int(etype, 16), int(code, 16), int(value)))
        cap.keys |= _bits(key_bytes)
    return cap


def _bits(mask: list[int]) -> set[int]:
    """Bit numbers set in a little-endian byte mask (evemu ``B:``/``P:`` lines)."""
    return {i * 8 + b for i, byte in enumerate(mask) for b in range(8) if byte >> b & 1}


_EVTEST_EVENT = re.compile(
    r"Event: time (?P<ts>\d+\.\d+), (?:type (?P<type>\d+) \([^)]*\), code (?P<code>\d+) "
    r"\([^)]*\), value (?P<value>-?\d+)|-+ (?P<syn>SYN_\w+|Report Sync) -+)"
)
_EVTEST_CODE = re.compile(r"^\s*Event code (\d+) ")
_EVTEST_TYPE = re.compile(r"^\s*Event type (\d+) ")
_EVTEST_FIELD = re.compile(r"^\s*(Value|Min|Max|Resolution)\s+(-?\d+)")
_EVTEST_NAME = re.compile(r'Input device name: "(.*)"')
_EVTEST_PROP = re.compile(r"Property type (\d+)")
_SYN_CODES = {"SYN_REPORT": ecodes.SYN_REPORT, "SYN_DROPPED": ecodes.SYN_DROPPED,
              "SYN_MT_REPORT": ecodes.SYN_MT_REPORT, "Report Sync": ecodes.SYN_REPORT}


def parse_evtest(text: str) -> list[Capture]:
    """Parse ``evtest`` output into one capture per ``# --- fragment`` (or one for the file).

    ``# `` provenance lines are skipped (evtest never prints them); a markdown ``######`` prefix is
    stripped. A fragment without its own header has an empty ``absinfo``.
    """
    fragments = [Capture()]
    etype = code = None
    for raw in text.splitlines():
        line = re.sub(r"^#{6} ?", "", raw)
        if line.startswith("# --- fragment"):
            fragments.append(Capture())
            continue
        if line.startswith("#"):
            continue
        cap = fragments[-1]
        if m := _EVTEST_EVENT.search(line):
            if m["syn"]:
                cap.events.append(_event_at(m["ts"], ecodes.EV_SYN, _SYN_CODES[m["syn"]], 0))
            else:
                cap.events.append(
                    _event_at(m["ts"], int(m["type"]), int(m["code"]), int(m["value"]))
                )
        elif m := _EVTEST_NAME.search(line):
            if cap.name or cap.absinfo:  # several devices pasted one after the other
                fragments.append(cap := Capture())
            cap.name = m[1]
        elif m := _EVTEST_TYPE.match(line):
            etype = int(m[1])
        elif m := _EVTEST_CODE.match(line):
            code = int(m[1])
            if etype == ecodes.EV_KEY:
                cap.keys.add(code)
            elif etype == ecodes.EV_ABS:
                cap.absinfo[code] = AbsRange(0, 0)
        elif (m := _EVTEST_FIELD.match(line)) and etype == ecodes.EV_ABS and code is not None:
            current = cap.absinfo[code]
            name = {"Value": "value", "Min": "minimum", "Max": "maximum"}.get(m[1], "resolution")
            cap.absinfo[code] = AbsRange(**{**current.__dict__, name: int(m[2])})
        elif m := _EVTEST_PROP.search(line):
            cap.props.add(int(m[1]))
    return [cap for cap in fragments if cap.events or cap.absinfo or cap.name or cap.keys]


_CATEGORIZE = re.compile(r"key event at (\d+\.\d+), (\d+) \(\w+\), (down|up|hold)")


def parse_python_evdev_keys(text: str) -> list[InputEvent]:
    """Parse python-evdev ``categorize()`` key lines; a SYN_REPORT is added after each key."""
    values = {"down": 1, "up": 0, "hold": 2}
    events: list[InputEvent] = []
    for m in _CATEGORIZE.finditer(text):
        key = _event_at(m[1], ecodes.EV_KEY, int(m[2]), values[m[3]])
        events += [key, InputEvent(key.sec, key.usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0)]
    return events


def parse_record_hex(text: str, layout: struct.Struct = RECORD_64) -> list[InputEvent]:
    """Hex dumps of packed records (``#`` starts a comment, whitespace is free)."""
    hex_digits = "".join(line.split("#", 1)[0] for line in text.splitlines()).split()
    return unpack_records(bytes.fromhex("".join(hex_digits)), layout)
