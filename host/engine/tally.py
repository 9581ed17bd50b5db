"""Today's no-show and green-channel counts, kept up to date event by event.

The wait estimate needs them on every ticket issued; counting them from all of today's tickets
each time made a busy day's estimate cost milliseconds. The figures equal those of
:func:`branchq.host.insight.estimate.today_rates` over the same tickets.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from branchq.host.engine.model import Priority, Ticket


@dataclass
class DayTally:
    called: dict[str, int] = field(default_factory=dict)  # tickets called at least once
    gone: dict[str, int] = field(default_factory=dict)  # of those, marked no-show
    no_show_cost: dict[str, float] = field(default_factory=dict)  # ticket id -> last cost
    greens: deque[Ticket] = field(default_factory=deque)  # green tickets, in issue order

    def issued(self, ticket: Ticket) -> None:
        if ticket.priority is Priority.GREEN:
            self.greens.append(ticket)

    def before_call(self, ticket: Ticket) -> None:
        if ticket.called_at is None:
            self.called[ticket.service] = self.called.get(ticket.service, 0) + 1

    def no_show(self, ticket: Ticket, at: datetime) -> None:
        """Call before the ticket's ``no_show_at`` is set."""
        if ticket.no_show_at is None:
            self.gone[ticket.service] = self.gone.get(ticket.service, 0) + 1
        called = ticket.called_at or at
        self.no_show_cost[ticket.id] = max((at - called).total_seconds(), 0.0)

    def moved(self, ticket: Ticket, old: str, new: str) -> None:
        """A transfer: the ticket's counts follow it to its new service."""
        if ticket.called_at is not None:
            self.called[old] -= 1
            self.called[new] = self.called.get(new, 0) + 1
        if ticket.no_show_at is not None:
            self.gone[old] -= 1
            self.gone[new] = self.gone.get(new, 0) + 1

    def green_since(self, since: datetime) -> dict[str, int]:
        """Green tickets issued since ``since``, per (current) service. A day has few of them,
        and offline ones arrive out of issue order, so all are looked at."""
        counts: dict[str, int] = {}
        for ticket in self.greens:
            if ticket.issued_at >= since:
                counts[ticket.service] = counts.get(ticket.service, 0) + 1
        return counts
