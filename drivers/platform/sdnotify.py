"""systemd notifications (``READY=1``, ``WATCHDOG=1``, ``STATUS=``) without an extra package:
one datagram to the socket named in ``$NOTIFY_SOCKET``. Outside systemd it does nothing."""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    """Send ``message``; True if a notify socket was there to receive it."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode("utf-8"))
    return True


def watchdog_interval_s() -> float | None:
    """Half the watchdog timeout systemd set for us (``$WATCHDOG_USEC``), or None."""
    usec = os.environ.get("WATCHDOG_USEC")
    if not usec or os.environ.get("WATCHDOG_PID", str(os.getpid())) != str(os.getpid()):
        return None
    return int(usec) / 2_000_000
