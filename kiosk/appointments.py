"""Appointments at the kiosk: the code a customer types or scans, today's appointments cached for
an offline check-in, and the local limit on wrong codes while the host cannot count them.

A check-in code is six digits; the appointment's QR code holds ``BQA:<code>``, scanned by the card
reader (a keyboard wedge): the prefix, never the digits alone, tells a code from anything else it
reads, so a VIP card's number is never taken for one (drivers/cardreader classifies a magstripe
swipe as a card before any text reaches the kiosk).

The cache holds no code in clear: each appointment comes with the digest of its code under the
day's key (:func:`code_digest`, the host's own formula, docs/web.md "Appointments and remote
tickets"), so a typed code is checked offline and a stolen journal gives away no code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CODE_LENGTH = 6
#: Offline, wrong codes (limit, within seconds) block the code screen (for seconds).
OFFLINE_WRONG_CODES = (5, 600.0, 600.0)
QR_PREFIX = "BQA:"
_QR = re.compile(rf"{QR_PREFIX}(\d{{{CODE_LENGTH}}})")
_CODE = re.compile(rf"\d{{{CODE_LENGTH}}}")


def scanned_code(text: str) -> str | None:
    """The check-in code in a scanned ``BQA:123456`` (surrounding blanks allowed), else None."""
    match = _QR.fullmatch(text.strip())
    return match.group(1) if match else None


def is_code(text: str) -> bool:
    return _CODE.fullmatch(text) is not None


def code_digest(key: str, code: str) -> str:
    """HMAC-SHA256 of a code under the day's key of the offline cache, hex."""
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CachedAppointment:
    id: str
    service: str
    slot_start: datetime
    slot_end: datetime
    code_digest: str


@dataclass(frozen=True)
class AppointmentCache:
    """Today's appointments as the host last gave them, and those checked in here since."""

    day: str
    key: str
    appointments: tuple[CachedAppointment, ...]
    early_window_s: float
    grace_late_s: float
    checked_in: frozenset[str] = frozenset()

    def find(self, code: str) -> CachedAppointment | None:
        digest = code_digest(self.key, code)
        return next((a for a in self.appointments if hmac.compare_digest(a.code_digest, digest)),
                    None)

    def arrival(self, found: CachedAppointment, now: datetime) -> str:
        """early | on_time | late_walk_in, by the host's own rule (host/engine/appointments.py)."""
        if now < found.slot_start:
            return "early"
        if (now - found.slot_start).total_seconds() <= self.grace_late_s:
            return "on_time"
        return "late_walk_in"

    def opens_at(self, found: CachedAppointment) -> float:
        """The POSIX time check-in opens for ``found``."""
        return found.slot_start.timestamp() - self.early_window_s

    def to_journal(self) -> dict[str, Any]:
        return {"day": self.day, "key": self.key, "early_window_s": self.early_window_s,
                "grace_late_s": self.grace_late_s, "checked_in": sorted(self.checked_in),
                "appointments": [{"id": a.id, "service": a.service,
                                  "slot_start": a.slot_start.isoformat(),
                                  "slot_end": a.slot_end.isoformat(),
                                  "code_digest": a.code_digest} for a in self.appointments]}

    @classmethod
    def from_journal(cls, saved: dict[str, Any]) -> AppointmentCache:
        """Raises KeyError, TypeError or ValueError for a journal entry it cannot read whole."""
        return cls(str(saved["day"]), str(saved["key"]), tuple(
            CachedAppointment(str(a["id"]), str(a["service"]),
                              datetime.fromisoformat(a["slot_start"]),
                              datetime.fromisoformat(a["slot_end"]), str(a["code_digest"]))
            for a in saved["appointments"]), float(saved["early_window_s"]),
            float(saved["grace_late_s"]), frozenset(saved.get("checked_in", ())))


class WrongCodes:
    """Wrong codes typed while the host is unreachable: ``limit`` of them within ``window_s``
    and the kiosk takes no code for ``block_s`` (the host counts them when it is reachable)."""

    def __init__(self, limit: int, window_s: float, block_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self.block_s = limit, window_s, block_s
        self._clock = clock
        self._wrong: deque[float] = deque()
        self._blocked_until = 0.0

    def blocked_for(self) -> float:
        """Seconds until a code is taken again (0: now)."""
        return max(0.0, self._blocked_until - self._clock())

    def wrong(self) -> None:
        now = self._clock()
        while self._wrong and now - self._wrong[0] > self.window_s:
            self._wrong.popleft()
        self._wrong.append(now)
        if len(self._wrong) >= self.limit:
            self._wrong.clear()
            self._blocked_until = now + self.block_s
