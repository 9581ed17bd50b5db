"""Tickets: issue (kiosk, lobby manager), public status (the QR code), reinstate a no-show."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from branchq.host.api import views
from branchq.host.api.deps import Issuer, KioskDep, ServiceDep, StaffReader, Supervisor
from branchq.host.api.schemas import (
    GuidancePublic,
    OfflineTicketCreate,
    TicketCreate,
    TicketPublic,
    VoidRequest,
)
from branchq.host.auth import Principal, Role
from branchq.host.engine import (
    Event,
    InvalidState,
    NotFound,
    QueueEngine,
    Ticket,
    TicketStatus,
)
from branchq.host.engine.events import GUIDANCE_GIVEN, TICKET_ISSUED
from branchq.host.ticket_ids import new_ticket_id

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])

ID_PATTERN = r"^[A-Za-z0-9_-]{8,40}$"
TicketId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post("", status_code=201,
             responses={422: {"description": "unknown service"}})
async def issue_ticket(
    body: TicketCreate, service: ServiceDep, principal: Issuer
) -> TicketPublic | GuidancePublic:
    """Issue a ticket. A self-service choice answers with guidance to the ATM area instead,
    unless every ATM is out of service. A kiosk is held to the rules of a customer's own request
    (:meth:`QueueEngine.kiosk_issue`); the lobby manager issues on a customer's behalf."""
    ticket_id = new_ticket_id()  # the status URL's secret: 128 random bits
    at_kiosk = principal.role is Role.KIOSK
    client_ref = body.client_ref
    if client_ref is None and at_kiosk:
        client_ref = secrets.token_urlsafe(12)  # a kiosk's ticket always records its issuer
    ref = None if client_ref is None else owned_ref(principal, client_ref)

    def issue(engine: QueueEngine, now: datetime) -> list[Event]:
        if at_kiosk:
            return engine.kiosk_issue(
                ticket_id=ticket_id, service=body.service, at=now, actor=principal.actor,
                priority=body.priority, vip_card=body.vip_card, client_ref=ref,
                await_print=body.await_print)
        return engine.issue(
            ticket_id=ticket_id, service=body.service, at=now, actor=principal.actor,
            priority=body.priority, channel="manager", client_ref=ref,
            await_print=body.await_print)

    events = await service.execute(issue)
    kinds = {e.kind for e in events}
    if GUIDANCE_GIVEN in kinds:
        svc = next(s for s in service.config.services if s.key == body.service)
        return GuidancePublic(
            service=svc.key,
            guidance=svc.guidance_zh if body.lang == "zh" else svc.guidance_en,
            guidance_zh=svc.guidance_zh, guidance_en=svc.guidance_en,
        )
    if TICKET_ISSUED not in kinds:
        # The engine issues nothing only for a reference it already knows: a retry of a
        # request that succeeded, answered with the same ticket.
        earlier = await service.read_async(lambda e: e.client_refs.get(ref or ""))
        if earlier is None:
            raise NotFound("the earlier ticket for this request is no longer in today's queue")
        ticket_id = earlier
    return await _public(service, ticket_id)


def owned_ref(principal: Principal, client_ref: str) -> str:
    """The client reference as the engine keeps it: scoped to the credential that sent it
    (``TOKEN_ID/REF``; a reference never holds ``/``), so another credential replaying the
    same reference never reaches this ticket."""
    return f"{_scope(principal)}{client_ref}"


def _scope(principal: Principal) -> str:
    return f"{principal.token_id}/"


def _owned(engine: QueueEngine, principal: Principal, ticket_id: str) -> Ticket | None:
    """The ticket, when ``principal`` may act on it as its issuer. A kiosk acts only on
    tickets it issued itself: another kiosk's ticket is as unknown to it as one that does
    not exist (NotFound). Managers and admins act on any ticket (None: no check)."""
    if principal.role is not Role.KIOSK:
        return None
    ticket = engine.tickets.get(ticket_id)
    if ticket is None or not (ticket.client_ref or "").startswith(_scope(principal)):
        raise NotFound("no such ticket today")
    return ticket


@router.post("/offline", status_code=201)
async def offline_ticket(body: OfflineTicketCreate, service: ServiceDep,
                         principal: KioskDep) -> TicketPublic:
    """A ticket the kiosk issued from its lease while the host was unreachable; accepted once.
    With ``appointment_id`` it was a cached appointment's check-in: the appointment is marked
    checked in (once; a late one, or one checked in or cancelled meanwhile, stays a walk-in)."""
    new_id = new_ticket_id()
    ref = owned_ref(principal, body.client_ref)
    await service.execute(lambda engine, now: engine.accept_offline(
        ticket_id=new_id, kiosk=body.kiosk, service=body.service, number=body.number,
        priority=body.priority, issued_at=body.issued_at, client_ref=ref, at=now,
        actor=principal.actor, appointment_id=body.appointment_id))
    ticket_id = await service.read_async(lambda e: e.client_refs.get(ref))
    return await _public(service, ticket_id or new_id)


@router.post("/{ticket_id}/printed")
async def printed(ticket_id: TicketId, service: ServiceDep, principal: Issuer) -> TicketPublic:
    """The kiosk handed the printed ticket out: from now on it is in the queue. A kiosk
    confirms only the tickets it issued."""
    def confirm(engine: QueueEngine, now: datetime) -> list[Event]:
        _owned(engine, principal, ticket_id)
        return engine.confirm_printed(ticket_id, now, principal.actor)

    await service.execute(confirm)
    return await _public(service, ticket_id)


@router.post("/{ticket_id}/void")
async def void(ticket_id: TicketId, body: VoidRequest, service: ServiceDep,
               principal: Issuer) -> TicketPublic:
    """Withdraw a ticket that never reached its customer (the print failed): no ghost number.
    A kiosk voids only a ticket it issued that is still awaiting print; the lobby manager
    may void any waiting ticket."""
    def withdraw(engine: QueueEngine, now: datetime) -> list[Event]:
        # Checked in the writer, with the void: a confirmation cannot slip in between.
        ticket = _owned(engine, principal, ticket_id)
        if ticket is not None and ticket.status is not TicketStatus.PRINTING:
            raise InvalidState(f"ticket {ticket.label} is {ticket.status.value}; a kiosk voids "
                               "only a ticket it has not printed yet")
        return engine.void(ticket_id, now, principal.actor, body.reason)

    await service.execute(withdraw)
    return await _public(service, ticket_id)


@router.get("")
async def list_tickets(
    service: ServiceDep, _: StaffReader,
    status: Annotated[TicketStatus | None, Query(description="only tickets in this state")] = None,
    ticket_service: Annotated[str | None, Query(alias="service", max_length=32)] = None,
) -> list[TicketPublic]:
    """Today's tickets, oldest first (at most 1000): for the lobby dashboard and consoles,
    e.g. the no-shows a manager may reinstate."""
    now = service.clock()

    def view(engine: QueueEngine) -> list[TicketPublic]:
        chosen = [
            t for t in engine.tickets.values()
            if (status is None or t.status is status)
            and (ticket_service is None or t.service == ticket_service)
        ]
        return [views.ticket_public(engine, t, now) for t in chosen[:1000]]

    return await service.read_async(view)


@router.get("/{ticket_id}", responses={404: {"description": "no such ticket"}})
async def ticket_status(ticket_id: str, service: ServiceDep) -> TicketPublic:
    """Live status of one ticket. No credential: the unguessable id is the key. A malformed id
    gets the very 404 of an unknown one, so the answer tells a guesser nothing."""
    if not re.fullmatch(ID_PATTERN, ticket_id):
        raise NotFound("no such ticket")
    return await _public(service, ticket_id)


@router.post("/{ticket_id}/reinstate")
async def reinstate(ticket_id: TicketId, service: ServiceDep, principal: Supervisor) -> TicketPublic:
    """Put a no-show who came back at the front of their service, within the grace period."""
    await service.execute(lambda engine, now: engine.reinstate(ticket_id, now, principal.actor))
    return await _public(service, ticket_id)


async def _public(service: ServiceDep, ticket_id: str) -> TicketPublic:
    def view(engine: QueueEngine) -> TicketPublic | None:
        ticket = engine.tickets.get(ticket_id)
        return views.ticket_public(engine, ticket, service.clock()) if ticket else None

    found = await service.read_async(view)
    if found is not None:
        return found
    row = await run_in_threadpool(service.store.ticket_row, ticket_id)
    if row is None or row["branch"] != service.store.branch:
        raise NotFound("no such ticket")
    return views.archived_ticket_public(service.config, row)
