"""Byte links to a printer: open, close, write, read with a timeout. Nothing about ESC/POS.

Each transport wraps the matching python-escpos backend (``Serial``, ``Usb``, ``Network``, ``File``)
for opening and writing, and adds what python-escpos lacks: reads that honour a timeout, and
errors translated to :class:`TransportError`. After an error the transport is closed; opening it
again finds the device anew (serial port re-opened by path, USB device re-enumerated).

python-escpos is imported at the first open, not with this module (see
:mod:`branchq.drivers.printer.encoder`): the kiosk's first frame does not wait for it.
"""

from __future__ import annotations

import logging
import os
import select
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import serial

from branchq.drivers.printer.config import (
    Backend,
    FileBackend,
    NetworkBackend,
    SerialBackend,
    UsbBackend,
)
from branchq.drivers.printer.errors import TransportError

if TYPE_CHECKING:
    from escpos.printer import File, Network, Serial, Usb

wire_log = logging.getLogger("branchq.wire.printer")

_READ_CHUNK = 64


class Transport(Protocol):
    """The seam between the driver and a physical link."""

    #: False for links that cannot carry replies (status is then not verifiable).
    can_read: bool
    description: str

    def open(self) -> None: ...

    def close(self) -> None: ...

    @property
    def is_open(self) -> bool: ...

    def write(self, data: bytes) -> None: ...

    def read(self, timeout_s: float) -> bytes:
        """Bytes that arrive within ``timeout_s`` (at least one, or b"" on timeout)."""
        ...


def _log_write(data: bytes) -> None:
    if wire_log.isEnabledFor(logging.DEBUG):
        wire_log.debug("> %d bytes %s%s", len(data), data[:32].hex(" "), " ..." * (len(data) > 32))


def _log_read(data: bytes) -> None:
    if data:
        wire_log.debug("< %s", data.hex(" "))


class _EscposTransport(ABC):
    """Shared open/close/write over one python-escpos backend object."""

    can_read = True
    description = "printer"

    def __init__(self) -> None:
        self._printer: Any = None

    @abstractmethod
    def _make_backend(self) -> Any:
        """The python-escpos backend object (Serial, Usb, Network, File), not yet opened."""

    def _after_open(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Hook for settings python-escpos does not expose."""

    @property
    def is_open(self) -> bool:
        return self._printer is not None

    def open(self) -> None:
        if self._printer is not None:
            return
        from escpos.exceptions import DeviceNotFoundError

        printer = self._make_backend()
        try:
            printer.open()
        except (DeviceNotFoundError, RuntimeError, OSError) as err:
            raise TransportError(f"cannot open {self.description}: {err}") from err
        if not printer.device:
            raise TransportError(f"cannot open {self.description}: device not found")
        self._printer = printer
        self._after_open()

    def close(self) -> None:
        printer, self._printer = self._printer, None
        if printer is None:
            return
        try:
            printer.close()
        except Exception as err:  # noqa: BLE001 - a dead device may fail in any way while closing
            wire_log.debug("ignored error while closing %s: %s", self.description, err)
            printer._device = False

    def _device(self) -> Any:
        if self._printer is None:
            raise TransportError(f"{self.description} is not open")
        return self._printer.device

    def write(self, data: bytes) -> None:
        device = self._device()
        _log_write(data)
        try:
            self._write(device, data)
        except Exception as err:
            if not self._is_link_error(err):
                raise
            self.close()
            raise TransportError(f"write to {self.description} failed: {err}") from err

    def read(self, timeout_s: float) -> bytes:
        device = self._device()
        try:
            data = self._read(device, timeout_s)
        except Exception as err:
            if not self._is_link_error(err):
                raise
            self.close()
            raise TransportError(f"read from {self.description} failed: {err}") from err
        _log_read(data)
        return data

    def _write(self, device: Any, data: bytes) -> None:
        self._printer._raw(data)

    @abstractmethod
    def _read(self, device: Any, timeout_s: float) -> bytes:
        """Bytes the printer sent within ``timeout_s`` (b"" when it sent nothing)."""

    def _is_link_error(self, err: Exception) -> bool:
        return isinstance(err, OSError)


class SerialTransport(_EscposTransport):
    def __init__(self, cfg: SerialBackend) -> None:
        super().__init__()
        self._cfg = cfg
        self.description = f"serial printer {cfg.path}"

    def _make_backend(self) -> Serial:
        from escpos.printer import Serial

        return Serial(
            devfile=self._cfg.path,
            baudrate=self._cfg.baudrate,
            bytesize=self._cfg.bytesize,
            parity=self._cfg.parity,
            stopbits=self._cfg.stopbits,
            timeout=0.1,
            xonxoff=self._cfg.xonxoff,
            dsrdtr=self._cfg.dsrdtr,
        )

    def _after_open(self) -> None:
        # python-escpos leaves pyserial's write timeout unset: a stalled port would block forever.
        self._printer.device.write_timeout = self._cfg.write_timeout_s

    def _read(self, device: Any, timeout_s: float) -> bytes:
        device.timeout = timeout_s
        data: bytes = device.read(1)  # a pyserial Serial (untyped)
        if data and device.in_waiting:
            data += device.read(device.in_waiting)
        return data

    def _is_link_error(self, err: Exception) -> bool:
        return isinstance(err, OSError | serial.SerialException)


class UsbTransport(_EscposTransport):
    """USB via python-escpos ``Usb`` (needs the optional ``pyusb`` package)."""

    def __init__(self, cfg: UsbBackend) -> None:
        super().__init__()
        self._cfg = cfg
        self.description = f"USB printer {cfg.vendor_id:04x}:{cfg.product_id:04x}"

    def _make_backend(self) -> Usb:
        from escpos.printer import Usb

        return Usb(
            idVendor=self._cfg.vendor_id,
            idProduct=self._cfg.product_id,
            timeout=self._cfg.timeout_ms,
            in_ep=self._cfg.in_ep,
            out_ep=self._cfg.out_ep,
        )

    def _read(self, device: Any, timeout_s: float) -> bytes:
        import usb.core

        try:
            return bytes(device.read(self._cfg.in_ep, _READ_CHUNK, max(1, int(timeout_s * 1000))))
        except usb.core.USBTimeoutError:
            return b""

    def _is_link_error(self, err: Exception) -> bool:
        import usb.core

        return isinstance(err, OSError | usb.core.USBError)


class NetworkTransport(_EscposTransport):
    def __init__(self, cfg: NetworkBackend) -> None:
        super().__init__()
        self._cfg = cfg
        self.description = f"network printer {cfg.host}:{cfg.port}"

    def _make_backend(self) -> Network:
        from escpos.printer import Network

        return Network(host=self._cfg.host, port=self._cfg.port, timeout=self._cfg.timeout_s)

    def _read(self, device: socket.socket, timeout_s: float) -> bytes:
        device.settimeout(timeout_s)
        try:
            data = device.recv(_READ_CHUNK)
        except (TimeoutError, BlockingIOError):  # timeout 0 makes the socket non-blocking
            return b""
        finally:
            device.settimeout(self._cfg.timeout_s)
        if not data:
            raise ConnectionResetError("printer closed the connection")
        return data

    def _write(self, device: socket.socket, data: bytes) -> None:
        device.sendall(data)


class FileTransport(_EscposTransport):
    """A device file (``/dev/usb/lp0``); replies are read from the same path when it allows."""

    def __init__(self, cfg: FileBackend) -> None:
        super().__init__()
        self._cfg = cfg
        self.can_read = cfg.read_status
        self.description = f"printer device file {cfg.path}"
        self._read_fd: int | None = None

    def _make_backend(self) -> File:
        from escpos.printer import File

        return File(devfile=self._cfg.path)

    def _after_open(self) -> None:
        if self.can_read:
            try:
                self._read_fd = os.open(self._cfg.path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError as err:
                self.close()
                raise TransportError(f"cannot open {self.description} for reading: {err}") from err

    def close(self) -> None:
        fd, self._read_fd = self._read_fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        super().close()

    def _read(self, device: Any, timeout_s: float) -> bytes:
        if self._read_fd is None:
            return b""
        ready, _, _ = select.select([self._read_fd], [], [], timeout_s)
        if not ready:
            return b""
        try:
            return os.read(self._read_fd, _READ_CHUNK)
        except BlockingIOError:
            return b""


_REGISTRY: dict[str, Callable[[Any], Transport]] = {
    "serial": SerialTransport,
    "usb": UsbTransport,
    "network": NetworkTransport,
    "file": FileTransport,
}


def make_transport(backend: Backend) -> Transport:
    """The transport for a configured backend (not yet opened)."""
    return _REGISTRY[backend.kind](backend)
