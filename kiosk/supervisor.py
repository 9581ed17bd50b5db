"""Supervision of one device the gateway drives (an LED sign line, a keypad bus, a keypad).

A driver may raise anything: its own errors, but also what it lets through from below (a
``termios.error`` while a USB-serial adapter re-enumerates). The gateway runs each attempt on a
device through :meth:`DeviceHealth.attempt`: a failure marks that device faulty (its heartbeat
says so, with the error) and the device is not tried again before its backoff has passed, 1 s
doubling to 30 s; the first success clears the fault. Other devices and the host's event
stream never wait for a faulty one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("branchq.kiosk.devices")

FIRST_RETRY_S = 1.0
LAST_RETRY_S = 30.0


class DeviceHealth:
    """Fault state and retry schedule of one device."""

    def __init__(self, name: str, *, first_s: float = FIRST_RETRY_S,
                 most_s: float = LAST_RETRY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.fault: str | None = None
        self.failures = 0
        self.tried = False  # any attempt yet: a device never tried is neither ok nor faulty
        self._first_s, self._most_s, self._clock = first_s, most_s, clock
        self._retry_at = 0.0

    def wait_s(self) -> float:
        """Seconds until the device may be tried again (0: now)."""
        return max(0.0, self._retry_at - self._clock())

    def attempt(self, action: Callable[[], object]) -> bool:
        """Run ``action`` against the device; False when it raised (the device is then
        faulty and its next try is put off)."""
        self.tried = True
        try:
            action()
        except Exception as err:  # the device's boundary: whatever its driver raises
            self._failed(err)
            return False
        if self.fault is not None:
            log.info("%s works again after %d failed tries", self.name, self.failures)
        self.fault, self.failures, self._retry_at = None, 0, 0.0
        return True

    def _failed(self, err: Exception) -> None:
        delay = min(self._most_s, self._first_s * 2 ** self.failures)
        self.failures += 1
        self._retry_at = self._clock() + delay
        self.fault = f"{type(err).__name__}: {err}"[:200]
        if self.failures == 1:
            log.exception("%s failed; trying again in %.0f s", self.name, delay)
        else:
            log.warning("%s failed again (%d times): %s; next try in %.0f s", self.name,
                        self.failures, self.fault, delay)
