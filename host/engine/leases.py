"""Blocks of numbers leased to kiosks, so a kiosk can keep issuing while the host is unreachable.

A lease reserves ``first..last`` of one service for one kiosk and one business day; the engine
never issues those numbers itself. When the kiosk is back online it reports each number it used,
and the engine accepts a number only from that kiosk's own lease, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Lease:
    kiosk: str
    service: str
    first: int
    last: int


@dataclass
class LeaseBook:
    leases: list[Lease] = field(default_factory=list)

    def grant(self, lease: Lease) -> None:
        self.leases.append(lease)

    def covers(self, kiosk: str, service: str, number: int) -> bool:
        return any(
            lease.kiosk == kiosk and lease.service == service and lease.first <= number <= lease.last
            for lease in self.leases
        )

    def clear(self) -> None:
        self.leases.clear()
