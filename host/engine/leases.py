"""Blocks of numbers leased to kiosks, so a kiosk can keep issuing while the host is unreachable.

A lease reserves ``first..last`` of one service for one kiosk and one business day; the engine
never issues those numbers itself (online numbering steps over them). When the kiosk is back
online it reports each number it used, and the engine accepts a number only from that kiosk's
own lease, once.
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

    def next_free(self, number: int) -> int:
        """The smallest number >= ``number`` that no lease holds."""
        moved = True
        while moved:
            moved = False
            for lease in self.leases:
                if lease.first <= number <= lease.last:
                    number, moved = lease.last + 1, True
        return number

    def next_block_start(self, pool_start: int, issued_up_to: int) -> int:
        """Where the next lease begins: in the offline pool (numbers from ``pool_start``, so the
        day's first customers still get A001, A002...), above every lease and issued number."""
        top = max([pool_start - 1, issued_up_to] + [lease.last for lease in self.leases])
        return top + 1

    def clear(self) -> None:
        self.leases.clear()
