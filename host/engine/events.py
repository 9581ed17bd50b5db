"""Events: the append-only record of every state change, and the only thing that changes state.

The engine turns a command into events and applies them; replaying the stored events in ``seq``
order through :meth:`QueueEngine.apply` rebuilds exactly the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Event kinds (the ``kind`` column of the event log and the ``kind`` field on the WebSocket).
DAY_OPENED = "day_opened"
TICKET_ISSUED = "ticket_issued"
GUIDANCE_GIVEN = "guidance_given"
TICKET_CALLED = "ticket_called"
TICKET_RECALLED = "ticket_recalled"
TICKET_NO_SHOW = "ticket_no_show"
TICKET_REINSTATED = "ticket_reinstated"
TICKET_TRANSFERRED = "ticket_transferred"
TICKET_DONE = "ticket_done"
TICKET_VOIDED = "ticket_voided"
TICKET_PRINTED = "ticket_printed"  # the kiosk confirmed the ticket is in the customer's hand
NUMBERS_LEASED = "numbers_leased"  # a block of numbers reserved for a kiosk's offline use
TICKET_RATED = "ticket_rated"  # satisfaction after service, tied to the ticket, never a person
COUNTER_PAUSED = "counter_paused"
COUNTER_RESUMED = "counter_resumed"
EQUIPMENT_CHANGED = "equipment_changed"
NOTICE_POSTED = "notice_posted"
NOTICE_CLEARED = "notice_cleared"
VIP_CARD_ENROLLED = "vip_card_enrolled"  # data: the card's HMAC digest, never its number
VIP_CARD_REMOVED = "vip_card_removed"
DEVICE_STATUS = "device_status"  # a kiosk device (printer, LED sign, keypad...) changed state
# An idle counter takes a second service for a while (窗口调整), and gives it back: on a tap of
# the lobby manager, or by itself when its time is up (docs/web.md, "Move customers").
SECOND_SERVICE_TAKEN = "second_service_taken"
SECOND_SERVICE_ENDED = "second_service_ended"
OPENING_CHECKED = "opening_checked"  # the morning check's result, kept for the daily work log
# Appointments and remote tickets (docs/web.md, "Appointments and remote tickets"): a booked
# visit, cancelled or checked in at the kiosk; a remote ticket's customer confirmed arrival; a
# remote ticket passed over at a call because its customer had not confirmed yet.
APPOINTMENT_BOOKED = "appointment_booked"
APPOINTMENT_CANCELLED = "appointment_cancelled"
APPOINTMENT_CHECKED_IN = "appointment_checked_in"
ARRIVAL_CONFIRMED = "arrival_confirmed"
TICKET_SKIPPED = "ticket_skipped"
# A customer pressed "需要帮助 / I need help" at a kiosk; the lobby manager is on the way; the
# manager has helped (docs/web.md, "Call for help").
HELP_REQUESTED = "help_requested"
HELP_ACKNOWLEDGED = "help_acknowledged"
HELP_CLOSED = "help_closed"
# The morning check asks a kiosk for a test slip; the kiosk prints it and says how it went in
# its heartbeat (device ``test_slip``, detail ``"<id>: printed"``).
TEST_SLIP_REQUESTED = "test_slip_requested"


@dataclass(frozen=True)
class Event:
    """One state change: what happened, when, who did it, to which ticket and counter.

    ``seq`` is 0 until the storage layer assigns the branch-wide sequence number on commit.
    ``data`` holds only JSON-safe values (datetimes as ISO strings).
    """

    kind: str
    at: datetime
    actor: str
    ticket_id: str | None = None
    counter: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
