"""Who a counter calls next: the call-order rules of docs/architecture.md §4, as a sort key.

Classes, best first:
0. put at the front (reinstated no-show, transferred customer), in the order they were put there;
1. green channel, and any ticket that has waited beyond the aging limit (so nobody starves),
   longest-waiting first;
2. appointments whose slot has begun, earliest slot first;
3. VIP tickets, only at a counter that serves VIP;
4. everyone else: the counter's services in its order of preference, longest-waiting first.

An appointment's ticket counts from its slot, not from its issue: from the slot's start it goes
after green and before every walk-in (VIP ones too), and ages from the slot like any other; before
the slot it is not called at all (:data:`NOT_YET`; docs/web.md, "Appointments and remote tickets").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from branchq.host.engine.model import CounterState, Priority, Ticket

CallKey = tuple[int, int, datetime, int, str]

#: The class of an appointment's ticket before its slot: never called (``QueueEngine.next_for``),
#: counted behind everyone else in "people ahead".
NOT_YET = 9


def call_key(
    ticket: Ticket, counter: CounterState, now: datetime, aging_limit: timedelta
) -> CallKey:
    """Sort key of a waiting ticket at ``counter``; lower is called first. The label ends ties
    (two services' tickets issued in the same instant) so the order never depends on dict order."""
    since = ticket.queue_since or ticket.issued_at
    preference = counter.services.index(ticket.service) if ticket.service in counter.services else 0
    if ticket.front_since is not None:
        return (0, 0, ticket.front_since, ticket.number, ticket.label)
    slot = ticket.slot_start
    if slot is not None:
        if now < slot:
            return (NOT_YET, 0, slot, ticket.number, ticket.label)
        return (1 if now - slot >= aging_limit else 2, 0, slot, ticket.number, ticket.label)
    if ticket.priority is Priority.GREEN or now - since >= aging_limit:
        return (1, 0, since, ticket.number, ticket.label)
    if ticket.priority is Priority.VIP and counter.vip:
        return (3, 0, since, ticket.number, ticket.label)
    return (4, preference, since, ticket.number, ticket.label)
