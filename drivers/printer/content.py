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

    ``people_ahead`` is ``None`` when the kiosk issued the ticket while the host was unreachable
    (it then cannot know the queue): the ticket says so instead of printing a wrong number.
    """

    branch_name: str
    service_name_zh: str
    service_name_en: str
    number: str
    issued_at: datetime
    status_url: str
    priority: Priority = Priority.NONE
    people_ahead: int | None = None
    estimated_wait_min: int | None = None
    footer: str = ""


@dataclass(frozen=True)
class GuidanceSlip:
    """A slip without a number that sends the customer to the self-service (ATM) area."""

    branch_name: str
    title_zh: str
    title_en: str
    issued_at: datetime
    lines: tuple[str, ...] = field(default_factory=tuple)
    footer: str = ""
