"""The serial line to the signs: open, close, write, read. Nothing about the protocol.

A USB-serial adapter can vanish (unplugged, re-enumerated). A failed write closes the port and
raises; the next write reopens it by path, so the kiosk recovers without a restart.
"""

from __future__ import annotations

import logging
import termios

import serial

from .config import SignConfig
from .errors import SignTransportError

wire_log = logging.getLogger("branchq.wire.ledsign")
log = logging.getLogger(__name__)

_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}
_BYTESIZE = {7: serial.SEVENBITS, 8: serial.EIGHTBITS}
_STOPBITS = {1: serial.STOPBITS_ONE, 2: serial.STOPBITS_TWO}


class SerialTransport:
    """pyserial port with the framing from :class:`SignConfig`, reopened on demand."""

    def __init__(self, config: SignConfig) -> None:
        self._config = config
        self._port: serial.Serial | None = None

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> serial.Serial:
        """The open port, opening it first when needed."""
        if self._port is not None:
            return self._port
        cfg = self._config
        try:
            self._port = serial.Serial(
                port=cfg.port,
                baudrate=cfg.baudrate,
                bytesize=_BYTESIZE[cfg.bytesize],
                parity=_PARITY[cfg.parity],
                stopbits=_STOPBITS[cfg.stopbits],
                timeout=cfg.ack_timeout,
                write_timeout=cfg.write_timeout,
            )
        except (serial.SerialException, OSError, ValueError, termios.error) as err:
            # termios.error: pyserial configures the line after opening it, and lets this
            # through when the adapter vanishes in between (re-enumerating USB-serial).
            raise SignTransportError(f"cannot open LED sign port {cfg.port}: {err}") from err
        log.info("LED sign port %s open (%d %d%s%d)", cfg.port, cfg.baudrate,
                 cfg.bytesize, cfg.parity, cfg.stopbits)
        return self._port

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError) as err:
                log.debug("closing LED sign port: %s", err)

    def write(self, data: bytes) -> None:
        """Write all of ``data``; on failure close the port so the next call reopens it."""
        port = self.open()
        try:
            port.reset_input_buffer()  # a stale ACK must not answer this packet
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError, termios.error) as err:
            self.close()
            raise SignTransportError(f"write to LED sign port failed: {err}") from err
        wire_log.debug("> %s", data.hex(" "))

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes, waiting at most the ACK timeout; b"" when nothing came."""
        port = self.open()
        try:
            data = port.read(size)
        except (serial.SerialException, OSError, termios.error) as err:
            self.close()
            raise SignTransportError(f"read from LED sign port failed: {err}") from err
        if data:
            wire_log.debug("< %s", data.hex(" "))
        return bytes(data)
