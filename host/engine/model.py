"""The engine's in-memory state: tickets, counters, equipment. Plain data, no behaviour."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

DeviceStatus = Literal["ok", "warning", "fault", "offline"]


class Priority(StrEnum):
    NORMAL = "normal"
    VIP = "vip"
    GREEN = "green"  # seniors, reduced mobility, urgent: served first


class TicketStatus(StrEnum):
    PRINTING = "printing"  # issued at a kiosk, not yet in the customer's hand: not callable
    WAITING = "waiting"
    CALLED = "called"
    DONE = "done"
    NO_SHOW = "no_show"
    VOIDED = "voided"  # never handed to a customer (the print failed)
    EXPIRED = "expired"  # still open when the business day ended


@dataclass
class Ticket:
    id: str
    service: str
    number: int
    label: str
    priority: Priority
    business_day: date
    issued_at: datetime
    channel: str
    status: TicketStatus = TicketStatus.WAITING
    # Order within the queue: longest ``queue_since`` first; ``front_since`` set means the ticket
    # was put at the front (reinstated no-show, transfer) and goes before everyone else.
    queue_since: datetime | None = None
    front_since: datetime | None = None
    counter: int | None = None
    called_at: datetime | None = None
    finished_at: datetime | None = None
    no_show_at: datetime | None = None
    recalls: int = 0
    rating: int | None = None  # 1 unsatisfied, 2 neutral, 3 satisfied
    routed_from: str | None = None
    transferred_from: str | None = None
    # The issuer's idempotency key, scoped to its credential (see host/api/tickets.py): who
    # issued the ticket, so that only that kiosk may confirm or void it.
    client_ref: str | None = None
    # An appointment's ticket: which appointment, and its slot; it is not called before the slot
    # starts and then ahead of walk-ins (host/engine/ordering.py).
    appointment_id: str | None = None
    slot_start: datetime | None = None
    # A remote ticket (taken in the bank's app) waits outside the queue, keeping its place, until
    # its customer confirms arrival; ``skipped_at``: first passed over at a call meanwhile.
    remote: bool = False
    confirmed: bool = True
    skipped_at: datetime | None = None


@dataclass
class CounterState:
    number: int
    services: tuple[str, ...]
    vip: bool
    paused: bool = False
    current: str | None = None  # ticket id being served
    last_served: str | None = None  # ticket id finished last (the one a rating key rates)
    # A service taken on for a while besides the configured ones (it is then the last of
    # ``services``, the counter's least preferred), and until when.
    second: str | None = None
    second_until: datetime | None = None


@dataclass
class EquipmentState:
    id: str
    kind: str
    in_service: bool = True
    note: str = ""
    changed_at: datetime | None = None


@dataclass
class ServiceStats:
    """Recent service durations (seconds), the basis of wait estimates."""

    recent: deque[float] = field(default_factory=lambda: deque(maxlen=20))
    issued_today: int = 0
    last_number: int = 0


@dataclass
class Notice:
    """A message for hall screens and kiosks (e.g. "ATMs out of service")."""

    id: str
    text_zh: str
    text_en: str
    posted_at: datetime


@dataclass
class DeviceState:
    """Last reported state of one device attached to a kiosk."""

    kiosk: str
    device: str
    status: DeviceStatus
    detail: str
    changed_at: datetime


@dataclass
class HelpAlert:
    """A customer's call for help at a kiosk, open until the lobby manager closes it.

    ``requested_at`` is the kiosk's time of the press (a press queued while the host was down
    keeps it), ``received_at`` the host's; ``acknowledged_at`` is set once a manager said "on my
    way", ``closed_at`` once the customer has been helped."""

    id: str
    kiosk: str
    screen: str
    requested_at: datetime
    received_at: datetime
    client_ref: str
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    closed_at: datetime | None = None
