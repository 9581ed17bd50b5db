"""Serve a :class:`VirtualPrinter` on the far side of a pseudo-terminal, in a background thread.

The driver opens :attr:`VirtualPrinterPort.path` exactly as it would open ``/dev/ttyUSB0`` (or the
udev name ``/dev/branchq/printer``: the path is a symlink to the current pty). :meth:`unplug` and
:meth:`replug` imitate pulling the USB-serial adapter out and putting it back, so reconnection is
tested through the real OS path. Usable by tests and by the kiosk's demo mode.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

from branchq.drivers.printer.virtual_printer import VirtualPrinter
from branchq.drivers.serial_pty import PtyPair, open_pty_pair

log = logging.getLogger(__name__)


class VirtualPrinterPort:
    """A virtual printer reachable through a pty at a stable symlink path."""

    def __init__(self, printer: VirtualPrinter, link_path: Path | None = None) -> None:
        self.printer = printer
        if link_path is None:
            self._tmpdir: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory()
            link_path = Path(self._tmpdir.name) / "printer"
        else:
            self._tmpdir = None
        self.path = str(link_path)
        self._pair: PtyPair | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._write_lock = threading.Lock()

    def __enter__(self) -> VirtualPrinterPort:
        self.replug()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def replug(self) -> None:
        """Create a fresh pty behind :attr:`path` and start answering on it."""
        self.unplug()
        self._pair = open_pty_pair()
        os.symlink(self._pair.slave_path, self.path)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, args=(self._pair,),
                                        name="virtual-printer", daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        """Close the pty and remove the path, as when the cable is pulled."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._pair is not None:
            self._pair.close()
            self._pair = None
        if os.path.lexists(self.path):
            os.unlink(self.path)

    def close(self) -> None:
        self.unplug()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()

    def inject(self, data: bytes) -> None:
        """Send bytes the host did not ask for (line noise, late status replies)."""
        if self._pair is not None:
            with self._write_lock:
                self._pair.write(data)

    def _serve(self, pair: PtyPair) -> None:
        while not self._stop.is_set():
            try:
                data = pair.read(0.02)
                if not data:
                    continue
                reply = self.printer.feed(data)
                if reply:
                    with self._write_lock:
                        pair.write(reply)
            except OSError as err:  # the pty went away under us
                log.info("virtual printer port closed: %s", err)
                return
            except Exception:  # noqa: BLE001 - keep serving; the test sees the log
                log.exception("virtual printer failed on input")
