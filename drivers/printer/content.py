"""What goes on a printed slip: plain data the kiosk fills in. No queue logic here."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Priority(enum.Enum):
    """Priority mark printed on a ticket."""

    NONE = "none"
    GREEN_CHANNEL = "green_channel"
    VIP = "vip"


@dataclass(frozen=True)
class TicketContent:
    """One counter ticket.

    ``wait_zh``/``wait_en`` are printed as given: the caller's wording of the wait (the kiosk
    passes the host's, so paper and screens agree), or what to do instead when the wait cannot
    be known (a ticket issued offline); empty: no wait lines. ``appointment``: the slot time
    ("10:15") of the appointment this ticket was checked in for; empty: none.
    """

    branch_name: str
    service_name_zh: str
    service_name_en: str
    number: str
    issued_at: datetime
    status_url: str
    priority: Priority = Priority.NONE
    wait_zh: str = ""
    wait_en: str = ""
    footer: str = ""
    appointment: str = ""


@dataclass(frozen=True)
class GuidanceSlip:
    """A slip without a number that sends the customer to the self-service (ATM) area."""

    branch_name: str
    title_zh: str
    title_en: str
    issued_at: datetime
    lines: tuple[str, ...] = field(default_factory=tuple)
    footer: str = ""
