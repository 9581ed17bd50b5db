"""Engine state to public models. Called under the service's read lock."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from branchq.host.api.schemas import (
    CounterPublic,
    EquipmentPublic,
    QueuePublic,
    SecondServicePublic,
    ServingPublic,
    TicketPublic,
    WaitPublic,
)
from branchq.host.config import BranchConfig
from branchq.host.engine import QueueEngine, Ticket, TicketStatus
from branchq.host.engine.model import CounterState, EquipmentState
from branchq.host.insight.estimate import WaitRange, estimate_range
from branchq.host.insight.wait_text import describe_wait

# A ticket in these states still waits for its call (a printing one is about to).
_WAITING = (TicketStatus.WAITING, TicketStatus.PRINTING)


def status_url(config: BranchConfig, ticket_id: str) -> str:
    return f"{config.branch.public_url.rstrip('/')}/t/{ticket_id}"


def counter_free(engine: QueueEngine, service: str, now: datetime,
                 ticket: Ticket | None = None) -> bool:
    """An open counter serving ``service`` serves nobody and would call ``ticket`` next (or,
    without a waiting ticket, one taken now or being printed: nothing waits in the services the
    counter prefers)."""
    for c in engine.counters.values():
        if c.paused or c.current is not None or service not in c.services:
            continue
        if ticket is not None:
            if engine.next_for(c.number, now) is ticket:
                return True
        elif not any(len(engine.queues[s]) for s in c.services[:c.services.index(service)]):
            return True
    return False


def wait_public(ahead: int, told: WaitRange | None, free: bool) -> WaitPublic:
    if told is None:
        return WaitPublic(**asdict(describe_wait(ahead, None, free)))
    span = (told.low_s, told.high_s)
    return WaitPublic(**asdict(describe_wait(ahead, told.estimate_s, free, span)))


# Past its wait (called, served, gone): nothing is ahead and nothing is estimated.
NO_WAIT = wait_public(0, WaitRange(0, 0, 0), True)


def ticket_public(engine: QueueEngine, ticket: Ticket, now: datetime) -> TicketPublic:
    svc = engine.services[ticket.service]
    ahead = engine.people_ahead(ticket, now)
    if ticket.status in _WAITING:
        told = estimate_range(engine, ticket.service, ahead, ticket.queue_since or ticket.issued_at)
        queued = ticket if ticket.status is TicketStatus.WAITING else None
        wait = wait_public(ahead, told, counter_free(engine, ticket.service, now, queued))
    else:
        wait = NO_WAIT
    return TicketPublic(
        id=ticket.id,
        number=ticket.label,
        service=ticket.service,
        service_name_zh=svc.name_zh,
        service_name_en=svc.name_en,
        priority=ticket.priority,
        status=ticket.status.value,
        people_ahead=wait.ahead,
        estimated_wait_s=wait.estimate_s,
        wait=wait,
        issued_at=ticket.issued_at,
        called_at=ticket.called_at,
        counter=ticket.counter,
        recalls=ticket.recalls,
        rating=ticket.rating,
        status_url=status_url(engine.config, ticket.id),
        notify_ahead=engine.config.nudge.ahead,
    )


def archived_ticket_public(config: BranchConfig, row: dict[str, Any]) -> TicketPublic:
    """A ticket of an earlier business day, from the database projection."""
    svc = config.service(row["service"])
    return TicketPublic(
        id=row["id"],
        number=row["label"],
        service=row["service"],
        service_name_zh=svc.name_zh if svc else row["service"],
        service_name_en=svc.name_en if svc else row["service"],
        priority=row["priority"],
        status=row["status"],
        people_ahead=0,
        estimated_wait_s=0,
        wait=NO_WAIT,
        issued_at=row["issued_at"],
        called_at=row["called_at"],
        counter=row["counter"],
        recalls=row["recalls"],
        status_url=status_url(config, row["id"]),
        notify_ahead=config.nudge.ahead,
    )


def counter_public(engine: QueueEngine, state: CounterState) -> CounterPublic:
    cfg = next(c for c in engine.config.counters if c.number == state.number)
    serving = None
    if state.current is not None:
        t = engine.tickets[state.current]
        serving = ServingPublic(
            ticket_id=t.id, number=t.label, service=t.service, priority=t.priority,
            called_at=t.called_at, recalls=t.recalls,
        )
    second = None
    if state.second is not None and state.second_until is not None:
        second = SecondServicePublic(service=state.second, until=state.second_until)
    return CounterPublic(
        number=state.number, name_zh=cfg.name_zh, name_en=cfg.name_en,
        services=list(state.services), vip=state.vip, paused=state.paused, serving=serving,
        second_service=second,
    )


def queues_public(engine: QueueEngine, now: datetime) -> list[QueuePublic]:
    out = []
    for svc in engine.config.services:
        if svc.kind == "self_service":
            out.append(QueuePublic(
                service=svc.key, kind=svc.kind, prefix="", name_zh=svc.name_zh,
                name_en=svc.name_en, waiting=0, longest_wait_s=0, estimated_wait_s=0,
                wait=NO_WAIT, open_counters=0,
            ))
            continue
        queue = engine.queues[svc.key]
        oldest = queue.oldest_since()
        longest = (now - oldest).total_seconds() if oldest else 0
        wait = wait_public(len(queue), estimate_range(engine, svc.key, len(queue)),
                           counter_free(engine, svc.key, now))
        out.append(QueuePublic(
            service=svc.key, kind=svc.kind, prefix=svc.prefix, name_zh=svc.name_zh,
            name_en=svc.name_en, waiting=len(queue), longest_wait_s=int(max(longest, 0)),
            estimated_wait_s=wait.estimate_s, wait=wait,
            open_counters=engine.open_counters(svc.key),
        ))
    return out


def equipment_public(engine: QueueEngine, item: EquipmentState) -> EquipmentPublic:
    cfg = next(e for e in engine.config.equipment if e.id == item.id)
    return EquipmentPublic(
        id=item.id, kind=item.kind, name_zh=cfg.name_zh, name_en=cfg.name_en,
        status="in_service" if item.in_service else "out_of_service",
        note=item.note, changed_at=item.changed_at,
    )
