"""Pseudo-terminal pairs: the real OS path between a serial driver and a virtual device.

The driver opens the slave side by path, exactly as it would open ``/dev/ttyUSB0``; the virtual
device reads and writes the master file descriptor. Both sides are put in raw mode so no byte is
translated (no CR/LF mapping, no echo, no signals). Ptys ignore baud rate and parity, so framing
settings are tested separately from the byte stream.
"""

from __future__ import annotations

import os
import select
import termios
import tty
from dataclasses import dataclass


@dataclass
class PtyPair:
    """The master file descriptor (device side) and the slave path (driver side) of one pty."""

    master_fd: int
    slave_path: str
    _slave_fd: int

    def read(self, timeout: float) -> bytes:
        """Read what the driver wrote, waiting at most ``timeout`` seconds; b"" if nothing came."""
        ready, _, _ = select.select([self.master_fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master_fd, 4096)
        except OSError:
            return b""  # the slave side was closed (EIO on Linux)

    def write(self, data: bytes) -> None:
        """Send bytes to the driver, as the device would."""
        os.write(self.master_fd, data)

    def close(self) -> None:
        for fd in (self.master_fd, self._slave_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def open_pty_pair() -> PtyPair:
    """Open a raw pseudo-terminal pair.

    The slave descriptor is kept open by us for the pair's lifetime so that the master does not
    see EIO between the driver closing and reopening the port (a reconnect test does exactly that).
    """
    master_fd, slave_fd = os.openpty()
    for fd in (master_fd, slave_fd):
        tty.setraw(fd, termios.TCSANOW)
    return PtyPair(master_fd=master_fd, slave_path=os.ttyname(slave_fd), _slave_fd=slave_fd)
